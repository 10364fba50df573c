import crypto from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { FakeTelegramApi, tgPrivateText } from "./fakes/telegramApi.ts";
import { createTestDatabaseUrl } from "./helpers/db.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { TelegramTipster } from "./helpers/tipster.ts";
import { personRateKey } from "../src/core/rateLimit.ts";

const FAST = { TELEGRAM_RATE_PRIVATE_PER_SECOND: "50", TELEGRAM_RATE_PRIVATE_BURST: "50" };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(env: Record<string, string> = FAST, fakeOpts = { privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000 }) {
  const fake = new FakeTelegramApi(fakeOpts);
  await fake.listen();
  const t = await startTestApp({ telegram: fake, env, referenceData: true });
  cleanups.push(() => fake.close(), () => t.close());
  return { fake, t };
}

async function toPlaceStep(p: TelegramTipster) {
  await p.command("/start");
  await p.press("data:lang:vi");
  await p.press("Báo tin tội phạm");
  await p.press("Trộm cắp");
  return p.press("Không");
}

describe("a shared location", () => {
  it("right on a boundary asks which of the two communes", async () => {
    const { fake, t } = await setup();
    const p = new TelegramTipster(fake, 7201);
    await toPlaceStep(p);
    const ask = await p.location(20.961347, 105.774222);
    expect(ask.text).toContain("sát ranh giới giữa hai xã, phường");
    expect(ask.options).toEqual(expect.arrayContaining(["Phường Kiến Hưng, Thành phố Hà Nội", "Phường Hà Đông, Thành phố Hà Nội"]));
    const when = await p.press("Phường Hà Đông");
    expect(when.text).toContain("Nơi xảy ra: Phường Hà Đông, Thành phố Hà Nội.");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "7201" } });
    const draft = JSON.parse((await t.db.tipDraft.findUniqueOrThrow({ where: { chatId: chat.id } })).data);
    expect(draft.place).toMatchObject({ source: "location", communeCode: "09556", lat: 20.961347, lng: 105.774222 });
  });

  it("in the water goes to the nearest commune, after the resident confirms", async () => {
    const { fake } = await setup();
    const p = new TelegramTipster(fake, 7202);
    await toPlaceStep(p);
    const confirm = await p.location(20.854937, 106.929812);
    expect(confirm.text).toContain("không nằm trong xã, phường nào");
    expect(confirm.text).toContain("Đặc khu Cát Hải, Thành phố Hải Phòng");
    expect(confirm.text).toMatch(/cách khoảng 0[.,]6 km/);
    const when = await p.press("Đúng");
    expect(when.text).toContain("Nơi xảy ra: Đặc khu Cát Hải, Thành phố Hải Phòng.");
  });

  it("outside Vietnam is refused with a clear message and the place is asked again", async () => {
    const { fake } = await setup();
    const p = new TelegramTipster(fake, 7203);
    await toPlaceStep(p);
    const again = await p.location(13.7563, 100.5018); // Bangkok
    expect(again.text).toContain("nằm ngoài Việt Nam");
    expect(again.text).toContain("Việc này xảy ra ở đâu?");
  });
});

describe("drafts survive restarts and pauses", () => {
  it("a restart in the middle of a draft continues where it stopped", async () => {
    const fake = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000 });
    await fake.listen();
    const { url: databaseUrl, remove } = await createTestDatabaseUrl();
    const sealingKey = crypto.randomBytes(32);
    cleanups.push(() => fake.close(), remove);
    let t: TestApp = await startTestApp({ telegram: fake, env: FAST, referenceData: true, databaseUrl, sealingKey, fallbackGroup: -9999 });
    const p = new TelegramTipster(fake, 7301);
    await toPlaceStep(p);
    await p.say("Phường Hoàn Kiếm");
    await t.stopOnly();

    t = await startTestApp({ telegram: fake, env: FAST, databaseUrl, sealingKey });
    cleanups.push(() => t.stopOnly());
    const what = await p.press("Hôm qua");
    expect(what.text).toContain("Bạn kể lại sự việc");
    await p.say("Mất xe đạp ở cổng trường.");
    await p.say("xong");
    await p.press("Ẩn danh");
    const receipt = await p.press("Gửi tin báo");
    expect(receipt.text).toContain("Đã gửi tin báo đến Công an phường Hoàn Kiếm.");
  });

  it("/start during a draft shows the menu with “continue”, which resumes at the same step", async () => {
    const { fake } = await setup();
    const p = new TelegramTipster(fake, 7302);
    await toPlaceStep(p);
    const menu = await p.command("/start");
    expect(menu.options[0]).toBe("Tiếp tục tin báo đang soạn");
    const resumed = await p.press("Tiếp tục tin báo đang soạn");
    expect(resumed.text).toContain("Bạn đang soạn dở một tin báo");
    expect(resumed.text).toContain("Việc này xảy ra ở đâu?");
  });

  it("a draft untouched for 24 hours is dropped with a short notice", async () => {
    const { fake, t } = await setup();
    const p = new TelegramTipster(fake, 7303);
    await toPlaceStep(p);
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "7303" } });
    const before = fake.delivered(7303).length;
    await t.app.runHousekeeping(new Date(Date.now() + 23 * 3600_000));
    expect(await t.db.tipDraft.findUnique({ where: { chatId: chat.id } })).not.toBeNull();
    await t.app.runHousekeeping(new Date(Date.now() + 25 * 3600_000));
    expect(await t.db.tipDraft.findUnique({ where: { chatId: chat.id } })).toBeNull();
    const notice = await eventually(() => fake.delivered(7303)[before]);
    expect(String(notice.payload.text)).toContain("đã quá 24 giờ nên đã được xoá");
    expect(await t.db.tip.count()).toBe(0);
  });
});

describe("per-person limits", () => {
  it("a flood from one person is cut off with one warning, and does not delay anyone else", async () => {
    // Real per-chat pace (1/s) so the flooder's replies queue up behind their own limit.
    const { fake, t } = await setup({}, { privatePerSecond: 1, privateBurst: 3, globalPerSecond: 1000 });
    const flood = Array.from({ length: 40 }, (_, i) => tgPrivateText(7401, `tin nhắn rác ${i}`));
    await Promise.all(flood.map((u) => fake.pushUpdate(u)));
    const started = Date.now();
    await fake.pushUpdate(tgPrivateText(7402, "113"));
    await fake.waitFor(() => fake.delivered(7402).length >= 1, 10_000);
    const otherWaited = Date.now() - started;
    expect(otherWaited).toBeLessThan(3000);

    // (A processed row keeps no chat key: the flood's 40 updates plus the other person's one.)
    await eventually(async () => (await t.db.inboxUpdate.count({ where: { channel: "telegram", status: "done" } })) === 41, 20_000);
    const flooder = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "7401" } });
    const replies = await t.db.outboxMessage.findMany({ where: { chatId: flooder.id }, orderBy: { id: "asc" } });
    // 30 messages a minute get answers; the rest get a single "too fast" warning, then silence.
    expect(replies.length).toBe(31);
    // A delivered message to a person is scrubbed from the outbox: its text is read from the platform
    // (by the message id recorded on the row); one still waiting is read from the row.
    const textOf = (r: (typeof replies)[number]) =>
      r.status === "pending"
        ? String((JSON.parse(r.payload) as { text?: string }).text)
        : String(fake.delivered(7401).find((c) => String((c.response?.result as { message_id?: number } | undefined)?.message_id) === r.platformMessageId)?.payload.text);
    expect(replies.filter((r) => textOf(r).includes("quá nhanh"))).toHaveLength(1);
  });

  it("more than 5 tips in an hour from one chat is refused with a translated message", async () => {
    const { fake, t } = await setup();
    const p = new TelegramTipster(fake, 7501);
    await toPlaceStep(p);
    await p.say("Phường Ba Đình, Hà Nội");
    await p.press("Hôm nay");
    await p.say("Trộm điện thoại trên xe buýt.");
    await p.say("xong");
    await p.press("Ẩn danh");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "7501" } });
    await t.db.rateCounter.create({ data: { key: personRateKey(t.sealer, "tips", chat.id), windowStart: new Date(), count: 5 } });
    const refused = await p.press("Gửi tin báo");
    expect(refused.text).toContain("Bạn đã gửi 5 tin báo trong một giờ qua");
    expect(await t.db.tip.count()).toBe(0);
    expect(await t.db.tipDraft.findUnique({ where: { chatId: chat.id } })).not.toBeNull(); // kept for later
  });
});
