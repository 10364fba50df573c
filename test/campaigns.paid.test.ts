import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addContent } from "../src/core/campaigns/commands/addContent.ts";
import { allowed } from "../src/core/campaigns/commands/authorizeStaff.ts";
import { confirmCampaign } from "../src/core/campaigns/commands/confirmCampaign.ts";
import { createCampaign } from "../src/core/campaigns/commands/createCampaign.ts";
import { NO_QUIET_HOURS } from "../src/core/campaigns/schedule.ts";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createTranslator } from "../src/i18n.ts";
import { FakeTelegramApi, tgCommand, tgGroupText, type FakeCall } from "./fakes/telegramApi.ts";
import { seedBinding, seedOfficer } from "./helpers/officers.ts";
import { eventually, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";

// Paid broadcasts: a campaign marked paid is sent with Telegram's allow_paid_broadcast at the paid
// pace (TELEGRAM_PAID_BROADCAST_PER_SECOND, up to 1,000 a second) instead of the free 30 a second,
// its 429s waited out; an unpaid one keeps 30 a second; replies to residents are never paid.
// The fake enforces Telegram's limits: 30/s overall for free sends, its paid limit for paid ones.
// Nothing here is timed: which pace each message took is read from the service's limiter, whether
// the pace held from the fake's own enforcement (its 429s), and the paces themselves are checked on
// a fake clock in test/limiter.test.ts.

const STAFF_GROUP = -3101;
const STAFF = 7201;
const OFFICER = 7202;
let tg: FakeTelegramApi;
let t: TestApp;

beforeAll(async () => {
  tg = new FakeTelegramApi({ globalPerSecond: 30, privatePerSecond: 1, privateBurst: 3, paidPerSecond: 1000 });
  await tg.listen();
  t = await startTestApp({ telegram: tg, referenceData: true, env: { CAMPAIGN_QUIET_HOURS: "off", TELEGRAM_RATE_GROUP_PER_MINUTE: "3000" } });
  watchPaces();
  const renderer = new TelegramRenderer(createTranslator().t);
  await t.db.$transaction(async (tx) => {
    const group = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(STAFF_GROUP), kind: "group" } });
    await seedBinding(tx, renderer, { queueId: "outreach:VN", groupChatId: group.id });
    await seedOfficer(tx, { telegramUserId: String(STAFF), role: "outreach", scopeKind: "national", scopeCode: "VN", displayName: "Lê Thị Tuyên" });
    await seedOfficer(tx, { telegramUserId: String(OFFICER), role: "officer", scopeKind: "commune", scopeCode: "00004" });
  });
});
afterAll(async () => {
  await t.close();
  await tg.close();
});

let nextId = 800_000;
/** `n` Telegram subscribers in province `province` (each its own private chat), straight into the database. */
async function subscribers(n: number, province: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const chats = Array.from({ length: n }, () => ({ channel: "telegram", platformChatId: String(nextId++), kind: "private", locale: "vi" }));
  await t.db.chat.createMany({ data: chats });
  const rows = await t.db.chat.findMany({ where: { platformChatId: { in: chats.map((c) => c.platformChatId) } }, select: { id: true, platformChatId: true } });
  await t.db.subscription.createMany({ data: rows.map((c) => ({ chatId: c.id, topics: JSON.stringify(["fraud"]), provinceCode: province, consentedAt: new Date() })) });
  for (const r of rows) ids.add(r.platformChatId);
  return ids;
}

async function launch(province: string, paidBroadcast: boolean) {
  const content = allowed(await addContent(t.db, {
    actor: { kind: "admin", name: "test" },
    input: { title: `Tin tỉnh ${province}`, bodies: { vi: `Nội dung tuyên truyền tỉnh ${province}.` }, source: { law: "Bộ luật Hình sự 2015", article: "Điều 174" }, topics: ["fraud"] },
  })).content;
  const campaign = allowed(await createCampaign(t.db, { contentId: content.id, audience: { provinces: [province] }, schedule: "ngay", paidBroadcast, actor: { kind: "admin", name: "test" } })).campaign;
  await confirmCampaign(t.db, { campaignId: campaign.id, actor: { kind: "admin", name: "test" }, quiet: NO_QUIET_HOURS });
  return campaign;
}

/** The campaign's messages the fake accepted, by chat, and every call to those chats (429s included). */
function sentTo(chats: Set<string>) {
  const calls = tg.callsTo("sendMessage").filter((c) => chats.has(String(c.payload.chat_id)));
  return { calls, accepted: calls.filter((c) => c.status === 200) };
}

/** Which pace each call to a chat took in the service's Telegram limiter: "paid" or "free" (by platform chat id). */
const paces = new Map<string, Array<"paid" | "free">>();
function watchPaces(): void {
  const limiter = t.app.channels.get("telegram")!.delivery!.limiter;
  const schedule = limiter.schedule.bind(limiter);
  limiter.schedule = ((chat, priority, fn, chatLimited, paid) => {
    paces.set(chat.key, [...(paces.get(chat.key) ?? []), paid && limiter.hasPaidPace ? "paid" : "free"]);
    return schedule(chat, priority, fn, chatLimited, paid);
  }) as typeof limiter.schedule;
}

/** Every 429 was absorbed: each chat that got one was sent its message afterwards (accepted after the refusal). */
function absorbed(calls: FakeCall[]): boolean {
  return calls.filter((c) => c.status === 429).every((r) => calls.some((c) => c.status === 200 && String(c.payload.chat_id) === String(r.payload.chat_id) && c.at >= r.at));
}

async function finished(campaignId: string) {
  await eventually(async () => (await t.db.campaignRun.findFirst({ where: { campaignId, status: "done" } })) !== null, 60_000, "the run finished");
  await waitIdle(t);
}

describe("paid broadcast", () => {
  it("a paid campaign goes at the paid pace, every message with allow_paid_broadcast, within the platform's paid limit, none lost or doubled; replies to residents are not paid", async () => {
    const N = 2500; // more than one paid window (2,000) and than SQLite's 999 parameters in one statement
    const chats = await subscribers(N, "02");
    const campaign = await launch("02", true);
    // A resident who is also a subscriber writes in while the campaign is going out.
    const resident = [...chats][0]!;
    await eventually(() => sentTo(chats).accepted.length >= 50, 30_000, "the campaign under way");
    expect((await tg.pushUpdate(tgCommand(Number(resident), "/start"))).status).toBe(200);
    await finished(campaign.id);

    const { calls, accepted } = sentTo(chats);
    const paid = accepted.filter((c) => c.payload.allow_paid_broadcast === true);
    expect(new Set(paid.map((c) => String(c.payload.chat_id))), "every subscriber got the campaign message once").toEqual(chats);
    expect(paid).toHaveLength(N);
    expect(paid.every((c) => String(c.payload.text).includes("Nội dung tuyên truyền tỉnh 02"))).toBe(true);
    // Each went at the paid pace (never waiting for, or taking, the free 30 a second)…
    const notPaid = [...chats].filter((id) => id !== resident && !(paces.get(id)?.length && paces.get(id)!.every((p) => p === "paid")));
    expect(notPaid, "subscribers whose campaign message did not take the paid pace").toEqual([]);
    expect(paces.get(resident)).toContain("paid");
    // …and that pace stayed within the fake's paid limit (1,000 a second): it refused none.
    expect(calls.filter((c) => c.status === 429), "paid sends refused by the fake's limit").toEqual([]);
    // The resident's answer went as an ordinary reply, not as a paid broadcast.
    const reply = accepted.filter((c) => String(c.payload.chat_id) === resident && !String(c.payload.text).includes("tỉnh 02"));
    expect(reply.length).toBeGreaterThanOrEqual(1);
    expect(reply.every((c) => c.payload.allow_paid_broadcast === undefined)).toBe(true);
    expect(paces.get(resident)?.at(-1), "the reply took the free pace").toBe("free");
    // Nothing else the service sent (the staff's progress messages, replies) was paid.
    expect(tg.calls.filter((c) => c.payload.allow_paid_broadcast === true && !chats.has(String(c.payload.chat_id)))).toEqual([]);
    const report = await t.db.delivery.groupBy({ by: ["status"], where: { run: { campaignId: campaign.id } }, _count: { _all: true } });
    expect(report.map((r) => [r.status, r._count._all])).toEqual([["sent", N]]);
  });

  it("the platform's 429s on paid sends are waited out (retry_after) and resent: no message lost", async () => {
    const N = 60;
    // The fake allows 10 paid sends a second (a bucket of 10) and the service lets 50 go at once (its
    // burst of 50 ms at 1,000/s): most of the first ones are refused with 429 retry_after, whatever the machine's speed.
    tg.limits.paidPerSecond = 10;
    try {
      const chats = await subscribers(N, "04");
      const campaign = await launch("04", true);
      await finished(campaign.id);
      const { calls, accepted } = sentTo(chats);
      expect(calls.filter((c) => c.status === 429).length, "the fake refused some paid sends").toBeGreaterThan(0);
      expect(absorbed(calls), "every refused message was sent again and accepted").toBe(true);
      expect(accepted.every((c) => c.payload.allow_paid_broadcast === true)).toBe(true);
      expect(new Set(accepted.map((c) => String(c.payload.chat_id)))).toEqual(chats);
      expect(accepted).toHaveLength(N);
    } finally {
      tg.limits.paidPerSecond = 1000;
    }
  });

  it("an unpaid campaign keeps the free pace of 30 a second, without allow_paid_broadcast", async () => {
    const N = 90;
    const chats = await subscribers(N, "06");
    const campaign = await launch("06", false);
    await finished(campaign.id);
    const { calls, accepted } = sentTo(chats);
    expect(accepted).toHaveLength(N);
    expect(new Set(accepted.map((c) => String(c.payload.chat_id)))).toEqual(chats);
    expect(accepted.some((c) => "allow_paid_broadcast" in c.payload)).toBe(false);
    expect([...chats].filter((id) => paces.get(id)?.some((p) => p !== "free")), "campaign messages that took the paid pace").toEqual([]);
    // The free pace holds by the fake's own enforcement (30 a second, a bucket of 30): requests bunched
    // on the way (a loaded machine) may draw a few 429s, which are absorbed; sending 90 at the paid
    // pace would draw ~60.
    expect(absorbed(calls)).toBe(true);
    expect(calls.filter((c) => c.status === 429).length, "429s from the free limit").toBeLessThan(15);
  });
});

describe("marking a campaign paid", () => {
  const text = (c: FakeCall) => String(c.payload.text ?? "");

  it("outreach staff mark it with a fourth part «trả phí»; anything else there is refused and creates nothing", async () => {
    const content = allowed(await addContent(t.db, {
      actor: { kind: "admin", name: "test" },
      input: { title: "Tin trả phí", bodies: { vi: "Nội dung." }, source: { law: "Luật Giao thông", article: "Điều 1" }, topics: ["traffic"] },
    })).content;
    const before = await t.db.campaign.count();
    await tg.pushUpdate(tgGroupText(STAFF_GROUP, STAFF, `/campaign ${content.id} | ngay | | miễn phí`));
    await eventually(() => tg.delivered(STAFF_GROUP).some((c) => text(c).includes("phần thứ tư chỉ có thể là «trả phí»")), 10_000, "refused");
    expect(await t.db.campaign.count()).toBe(before);

    await tg.pushUpdate(tgGroupText(STAFF_GROUP, STAFF, `/campaign ${content.id} | ngay | tỉnh 01 | Trả phí`));
    const draft = await eventually(() => tg.delivered(STAFF_GROUP).find((c) => text(c).includes("(bản nháp)") && text(c).includes("Tin trả phí")), 10_000, "draft");
    expect(text(draft)).toContain("💰 Gửi trả phí");
    const created = await t.db.campaign.findFirstOrThrow({ where: { contentId: content.id } });
    expect(created.paidBroadcast).toBe(true);
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "campaign.created" }, orderBy: { id: "desc" } });
    expect(JSON.parse(event.data ?? "{}")).toMatchObject({ campaignId: created.id, paidBroadcast: true });

    // Without the fourth part: unpaid, and the draft says nothing about paying.
    await tg.pushUpdate(tgGroupText(STAFF_GROUP, STAFF, `/campaign ${content.id} | ngay | tỉnh 79`));
    const plain = await eventually(() => tg.delivered(STAFF_GROUP).find((c) => text(c).includes("Đối tượng: tỉnh 79")), 10_000, "unpaid draft");
    expect(text(plain)).not.toContain("💰");
    expect((await t.db.campaign.findFirstOrThrow({ where: { contentId: content.id }, orderBy: { createdAt: "desc" } })).paidBroadcast).toBe(false);
  });

  it("an officer who is not outreach staff cannot create a paid campaign: refused, recorded, nothing created", async () => {
    const content = allowed(await addContent(t.db, {
      actor: { kind: "admin", name: "test" },
      input: { title: "Tin của cán bộ khác", bodies: { vi: "Nội dung." }, source: { law: "Luật Giao thông", article: "Điều 2" }, topics: ["traffic"] },
    })).content;
    const refusalsBefore = await t.db.auditEvent.count({ where: { action: "auth.refused" } });
    await tg.pushUpdate(tgGroupText(STAFF_GROUP, OFFICER, `/campaign ${content.id} | ngay | | trả phí`));
    await eventually(async () => (await t.db.auditEvent.count({ where: { action: "auth.refused" } })) > refusalsBefore, 10_000, "refusal recorded");
    await waitIdle(t);
    expect(tg.delivered(STAFF_GROUP).some((c) => text(c).includes("Chỉ cán bộ tuyên truyền đã đăng ký"))).toBe(true);
    expect(await t.db.campaign.count({ where: { contentId: content.id } })).toBe(0);
  });

  it("the admin CLI: campaign:create --paid marks it paid; --paid with any other value than yes/no is refused and creates nothing", async () => {
    const content = allowed(await addContent(t.db, {
      actor: { kind: "admin", name: "test" },
      input: { title: "Tin từ dòng lệnh", bodies: { vi: "Nội dung." }, source: { law: "Luật Giao thông", article: "Điều 3" }, topics: ["traffic"] },
    })).content;
    const admin = (...args: string[]) =>
      promisify(execFile)("npx", ["tsx", "src/cli/admin.ts", "campaign:create", "--content", content.id, "--schedule", "ngay", ...args], {
        env: { ...process.env, DATABASE_URL: t.databaseUrl, LOG_LEVEL: "silent" },
      });
    const refused = await admin("--paid=maybe").then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(refused?.code).not.toBe(0);
    expect(refused?.stderr).toContain("--paid takes no value (or yes / no)");
    expect(await t.db.campaign.count({ where: { contentId: content.id } })).toBe(0);

    expect((await admin("--paid")).stdout).toContain("(draft, paid broadcast)");
    expect((await admin()).stdout).not.toContain("paid");
    const made = await t.db.campaign.findMany({ where: { contentId: content.id }, orderBy: { createdAt: "asc" } });
    expect(made.map((c) => c.paidBroadcast)).toEqual([true, false]);
  });
});
