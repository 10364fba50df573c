import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createTranslator } from "../src/i18n.ts";
import { FakeTelegramApi, tgCallback, tgGroupText, tgUser, type FakeCall } from "./fakes/telegramApi.ts";
import { FakeZaloApi } from "./fakes/zaloApi.ts";
import { seedBinding, seedOfficer } from "./helpers/officers.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { ZaloTipster } from "./helpers/tipster.ts";

// An officer quick enough to answer a prompt before Telegram's answer to the bot's sendMessage
// (the prompt's message id) has reached the service: the answer must not be dropped.
const GROUP = -1101;
const OFFICER = 5101;
let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
let t: TestApp;

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  zalo = new FakeZaloApi({ perChatPerSecond: 100, perChatBurst: 100, globalPerSecond: 1000 });
  await tg.listen();
  await zalo.listen();
  t = await startTestApp({
    telegram: tg,
    zalo,
    referenceData: true,
    env: { TELEGRAM_RATE_GROUP_PER_MINUTE: "3000", ZALO_RATE_CHAT_PER_SECOND: "50", ZALO_RATE_CHAT_BURST: "50" },
  });
  await t.db.$transaction(async (tx) => {
    const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(GROUP), kind: "group" } });
    await seedBinding(tx, new TelegramRenderer(createTranslator().t), { queueId: "commune:00004", groupChatId: chat.id });
    await seedOfficer(tx, { telegramUserId: String(OFFICER), role: "officer", scopeKind: "commune", scopeCode: "00004", displayName: "Trần Văn Bình" });
  });
});
afterAll(async () => {
  await t.close();
  await tg.close();
  await zalo.close();
});

const text = (c: FakeCall) => String(c.payload.text ?? "");
const messageId = (c: FakeCall) => (c.response!.result as { message_id: number }).message_id;
const buttons = (c: FakeCall) => ((c.payload.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> })?.inline_keyboard ?? []).flat();

describe("an officer answers a prompt before Telegram has confirmed it to the bot", () => {
  it("the answer is put off until the prompt's message id is known, then taken; nothing is dropped", async () => {
    const p = new ZaloTipster(zalo, "zu-race-1", "Lê Thị Cúc");
    await p.say("hi");
    await p.choose("Tiếng Việt");
    await p.choose("Báo tin tội phạm");
    await p.choose("Trộm cắp");
    await p.choose("Không");
    const after = await p.say("Phường Ba Đình, Hà Nội");
    if (after.options.length && !after.text.includes("Nơi xảy ra")) await p.choose(after.options[0]!);
    await p.choose("Hôm nay");
    if (p.messages().at(-1)!.text.includes("Gõ «bỏ qua»")) await p.say("bỏ qua");
    await p.say("Mất xe đạp trước cổng chợ.");
    await p.say("xong");
    await p.choose("Ẩn danh");
    const code = /Mã tin báo: (TM-[A-Z0-9]{6})/.exec((await p.choose("Gửi tin báo")).text)![1]!;
    const card = await eventually(() => tg.delivered(GROUP).find((c) => text(c).includes(code)), 10_000, "card");

    // Telegram shows the note prompt in the group at once, but its answer to the bot is held.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const isPrompt = (c: FakeCall) => c.method === "sendMessage" && String(c.payload.chat_id) === String(GROUP) && !!(c.payload.reply_markup as { force_reply?: boolean } | undefined)?.force_reply;
    tg.beforeAnswer = (call) => (isPrompt(call) ? held : undefined);
    const note = buttons(card).find((b) => b.text.includes("Ghi chú"))!.callback_data;
    await tg.pushUpdate(tgCallback(GROUP, note, messageId(card), tgUser(OFFICER)));
    const prompt = await eventually(() => tg.calls.find(isPrompt), 10_000, "prompt shown");
    const putOff = async () => (await t.app.metrics.updatesPutOff.get()).values.reduce((sum, v) => sum + v.value, 0);
    const before = await putOff();
    await tg.pushUpdate(tgGroupText(GROUP, OFFICER, "Đã xác minh với bảo vệ chợ, có camera.", messageId(prompt)));
    await eventually(async () => (await putOff()) > before, 10_000, "the answer put off while the prompt is unconfirmed");
    expect(await t.db.tipNote.count()).toBe(0);

    tg.beforeAnswer = undefined;
    release();
    await eventually(async () => (await t.db.tipNote.count()) === 1, 10_000, "the note taken once the prompt is confirmed");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { audit: { orderBy: { id: "asc" } } } });
    expect(tip.audit.map((a) => a.action)).toContain("tip.note_added");
  });
});
