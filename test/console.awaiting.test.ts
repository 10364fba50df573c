import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTranslator } from "../src/i18n.ts";
import { eventually, startWithFakes, type TestApp } from "./helpers/app.ts";
import { ConsoleClient, csrfIn, fileTipOnTelegram, logIn, seedConsolePerson } from "./helpers/console.ts";
import { TelegramTipster, ZaloTipster, type BotMessage } from "./helpers/tipster.ts";
import { jpegWithMetadata, openWebSession } from "./helpers/webChat.ts";
import type { FakeTelegramApi } from "./fakes/telegramApi.ts";
import type { FakeZaloApi } from "./fakes/zaloApi.ts";

/*
 * "Awaiting the tipster's answer" means one thing on every console page: the live queue (its
 * "awaiting" group, over HTTP as the page polls it), the tip list (`status=awaiting` and each row's
 * badge) and the tip page. A tip awaits the tipster from an officer's question until the tipster
 * answers in any form — words, a photo or voice note with no words, a shared location — on
 * Telegram, Zalo or the web chat; asking again starts a new wait. Each question and each answer is
 * its audit event. Real commands, real database, the channels' fakes.
 */

const COMMANDER = 6_801; // province 01 (Hà Nội): covers Hoàn Kiếm and Ba Đình
const tr8 = createTranslator().t;

let env: Awaited<ReturnType<typeof startWithFakes>>;
let t: TestApp;
let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
let console_: ConsoleClient;

beforeAll(async () => {
  env = await startWithFakes();
  ({ t, tg, zalo } = env);
  await seedConsolePerson(t.db, { telegramUserId: COMMANDER, role: "commander", scopeKind: "province", scopeCode: "01", displayName: "Nguyễn Đức Thắng" });
  console_ = await logIn(t.url, tg, COMMANDER);
}, 60_000);
afterAll(async () => {
  await env?.close();
});

/** Where each console page puts the tip: the queue's group (and its row), the awaiting list, the list's badge, the tip page's notice. */
async function pages(code: string) {
  const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
  const api = JSON.parse((await console_.get("/console/api/queue")).text) as { counts: Record<string, number>; html: string };
  let group: string | undefined;
  for (const m of api.html.matchAll(/<section aria-labelledby="h-([a-z]+)" data-group="\1">([\s\S]*?)<\/section>/g)) if (m[2]!.includes(`data-code="${code}"`)) group = m[1];
  const awaitingList = (await console_.get("/console/tips?status=awaiting")).text;
  const fullList = (await console_.get(`/console/tips?channel=${tip.channel}`)).text;
  const row = new RegExp(`<tr data-code="${code}"[\\s\\S]*?</tr>`).exec(fullList)?.[0];
  expect(row, `${code} in the list`).toBeDefined();
  const page = (await console_.get(`/console/tips/${tip.id}/view`)).text;
  return {
    queueGroup: group,
    inAwaitingList: awaitingList.includes(`<tr data-code="${code}"`),
    listBadge: row!.includes(tr8("vi", "console_tips:badge.awaiting")),
    tipPage: page.includes(tr8("vi", "console_tip:relay.awaiting")),
    stored: tip.awaitingAnswerSince !== null,
  };
}

/** Every page says the tip awaits the tipster (or none does); an open tip not waiting is in "new" (these tips are fresh and unclaimed). */
async function expectAwaiting(code: string, awaiting: boolean, step: string) {
  expect(await pages(code), `${code} after ${step}`).toEqual({ queueGroup: awaiting ? "awaiting" : "new", inAwaitingList: awaiting, listBadge: awaiting, tipPage: awaiting, stored: awaiting });
}

const events = (code: string, action: string) => t.db.auditEvent.count({ where: { tip: { code }, action } });

/** The commander asks the tipster of `code` on the console's tip page (the action table's command, as the card's button), and waits for the question to reach them. */
async function ask(code: string, question: string, received: () => BotMessage[]) {
  const before = await events(code, "tip.question_sent");
  const { id } = await t.db.tip.findUniqueOrThrow({ where: { code } });
  const csrf = csrfIn((await console_.get(`/console/tips/${id}/view`)).text);
  const res = await console_.post(`/console/tips/${id}/do/ask`, { csrf, text: question });
  expect(res.location).toBe(`/console/tips/${id}/view?done=ask`);
  expect(await events(code, "tip.question_sent")).toBe(before + 1);
  await eventually(() => received().some((m) => m.text.includes(question)), 10_000, `the question "${question}" delivered`);
}

/** The tipster's answer: told it was passed on, and recorded as one `tip.answer_received` event. */
async function answer(code: string, send: () => Promise<{ text?: string }>) {
  const before = await events(code, "tip.answer_received");
  const reply = await send();
  expect(reply.text).toContain("✅ Đã chuyển");
  expect(await events(code, "tip.answer_received")).toBe(before + 1);
}

const codeOf = (s: string) => /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(s)![1]!;

describe("awaiting the tipster's answer: the queue, the list and the tip page agree", () => {
  it("Telegram: answered in words, by a photo alone, by a voice note alone, by a shared location; each new question waits again", async () => {
    const p = new TelegramTipster(tg, 940_001);
    const code = await fileTipOnTelegram(tg, p.chatId);
    await expectAwaiting(code, false, "filing");

    await ask(code, "Người bán đi xe gì?", () => p.messages());
    await expectAwaiting(code, true, "the first question");
    await answer(code, () => p.say("Xe Wave màu xanh."));
    await expectAwaiting(code, false, "an answer in words");

    await ask(code, "Có ảnh không?", () => p.messages());
    await expectAwaiting(code, true, "a second question");
    await answer(code, () => p.photo("AgACPHOTO-AWAIT-ONLY"));
    await expectAwaiting(code, false, "a photo with no words");

    await ask(code, "Giọng người đó thế nào?", () => p.messages());
    await expectAwaiting(code, true, "a third question");
    await answer(code, () => p.media("voice", "AwACVOICE-AWAIT-ONLY"));
    await expectAwaiting(code, false, "a voice note with no words");

    await ask(code, "Chính xác ở đâu?", () => p.messages());
    await expectAwaiting(code, true, "a fourth question");
    await answer(code, () => p.location(21.0291, 105.8531));
    await expectAwaiting(code, false, "a shared location");
    // Nothing in words was said in the last three answers: no relay message of the tipster after the first.
    expect(await t.db.relayMessage.count({ where: { tip: { code }, direction: "from_tipster" } })).toBe(2); // words + location (as words)
    expect(await t.db.tipAttachment.count({ where: { tip: { code } } })).toBe(2);
  });

  it("Zalo: a photo alone answers; a question asked again while waiting keeps the first question's time", async () => {
    const z = new ZaloTipster(zalo, "zu-await-1");
    await z.say("xin chào");
    await z.choose("Tiếng Việt");
    await z.choose("Báo tin tội phạm");
    await z.choose("Trộm cắp");
    await z.choose("Không");
    await z.say("Phường Ba Đình, Hà Nội");
    if ((await z.choose("Hôm nay")).text.includes("bỏ qua")) await z.say("bỏ qua");
    await z.say("Trộm mất điện thoại ở bến xe buýt.");
    await z.say("xong");
    await z.choose("Ẩn danh");
    const code = codeOf((await z.choose("Gửi tin báo")).text);
    await expectAwaiting(code, false, "filing");

    await ask(code, "Điện thoại màu gì?", () => z.messages());
    const first = (await t.db.tip.findUniqueOrThrow({ where: { code } })).awaitingAnswerSince!;
    await ask(code, "Và hiệu gì?", () => z.messages());
    expect((await t.db.tip.findUniqueOrThrow({ where: { code } })).awaitingAnswerSince).toEqual(first);
    await expectAwaiting(code, true, "two questions");
    await answer(code, () => z.photo("https://photo-stal-1.zdn.vn/await-phone.jpg"));
    await expectAwaiting(code, false, "a photo with no words");

    await ask(code, "Bạn còn hoá đơn mua máy không?", () => z.messages());
    const again = (await t.db.tip.findUniqueOrThrow({ where: { code } })).awaitingAnswerSince!;
    expect(again.getTime()).toBeGreaterThan(first.getTime());
    await expectAwaiting(code, true, "a question after the answer");
    await answer(code, () => z.say("Còn, tôi sẽ mang đến."));
    await expectAwaiting(code, false, "an answer in words");
  });

  it("web chat: a shared location answers, then an uploaded photo alone, then words", async () => {
    const w = await openWebSession(t.url);
    try {
      await w.send({ type: "start" });
      await w.send({ type: "choice", choiceId: "lang:vi" });
      await w.send({ type: "choice", choiceId: "menu:report" });
      await w.send({ type: "choice", choiceId: "cat:theft" });
      await w.send({ type: "choice", choiceId: "danger:no" });
      await w.send({ type: "location", latitude: 21.0287, longitude: 105.8524 });
      await w.send({ type: "choice", choiceId: "when:today" });
      await w.send({ type: "text", text: "Xe đạp bị lấy trộm trước cổng trường." });
      await w.send({ type: "choice", choiceId: "what:done" });
      await w.send({ type: "choice", choiceId: "id:anonymous" });
      await w.send({ type: "choice", choiceId: "review:send" });
      await w.stream.waitFor((s) => s.messages().some((m) => m.text?.includes("Mã tin báo")), 10_000, "the receipt");
      const code = codeOf(w.stream.messages().find((m) => m.text?.includes("Mã tin báo"))!.text!);
      const received = () => w.stream.messages().map((m) => ({ text: m.text ?? "", options: [], data: [], raw: {} }));
      await expectAwaiting(code, false, "filing");

      await ask(code, "Xe đạp màu gì?", received);
      await expectAwaiting(code, true, "the first question");
      await answer(code, () => w.send({ type: "location", latitude: 21.0301, longitude: 105.8512 }));
      await expectAwaiting(code, false, "a shared location");

      await ask(code, "Có ảnh xe không?", received);
      await expectAwaiting(code, true, "the second question");
      await answer(code, async () => w.send(await jpegWithMetadata(40, 30)));
      await expectAwaiting(code, false, "an uploaded photo with no words");

      await ask(code, "Ai đã thấy?", received);
      await expectAwaiting(code, true, "the third question");
      await answer(code, () => w.send({ type: "text", text: "Bác bảo vệ trường." }));
      await expectAwaiting(code, false, "an answer in words");
    } finally {
      await w.stream.close();
    }
  });

  it("a file the tip cannot take (it already holds 30) is no answer: still awaiting everywhere, nothing recorded", async () => {
    const p = new TelegramTipster(tg, 940_002);
    const code = await fileTipOnTelegram(tg, p.chatId);
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
    await t.db.tipAttachment.createMany({ data: Array.from({ length: 30 }, (_, i) => ({ tipId: tip.id, kind: "photo", ref: `AgAC-FULL-${i}` })) });
    await ask(code, "Còn gì nữa không?", () => p.messages());
    const refused = await p.photo("AgACPHOTO-ONE-TOO-MANY");
    expect(refused.text).toContain(tr8("vi", "tip:followup.full", { max: 30 }));
    expect(await events(code, "tip.answer_received")).toBe(0);
    await expectAwaiting(code, true, "a refused file");
    await answer(code, () => p.say("Hết rồi."));
    await expectAwaiting(code, false, "an answer in words");
  });

  it("the queue's closed group is labelled as today's, in Vietnam time (vi, en)", async () => {
    const vi = (await console_.get("/console/queue")).text;
    expect(vi).toContain(`<h2 id="h-closed">${tr8("vi", "console:queue.closed")} (`);
    expect(tr8("vi", "console:queue.closed")).toBe("Đã kết thúc hôm nay (từ 0 giờ, giờ Việt Nam)");
    const en = JSON.parse((await console_.get("/console/api/queue?lang=en")).text) as { html: string };
    expect(en.html).toContain(`<h2 id="h-closed">Closed today (since midnight, Vietnam time) (`);
  });
});
