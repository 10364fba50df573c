import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../src/core/officers/roles.ts";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createTranslator } from "../src/i18n.ts";
import { FakeTelegramApi, tgCallback, tgGroupText, tgShownText, tgUser, type FakeCall } from "./fakes/telegramApi.ts";
import { FakeZaloApi } from "./fakes/zaloApi.ts";
import { revokeAsAdmin, seedBinding, seedOfficer } from "./helpers/officers.ts";
import { eventually, waitIdle, startTestApp, type TestApp } from "./helpers/app.ts";
import { TelegramTipster, ZaloTipster } from "./helpers/tipster.ts";

const FAST = {
  TELEGRAM_RATE_PRIVATE_PER_SECOND: "50",
  TELEGRAM_RATE_PRIVATE_BURST: "50",
  TELEGRAM_RATE_GROUP_PER_MINUTE: "3000",
  ZALO_RATE_CHAT_PER_SECOND: "50",
  ZALO_RATE_CHAT_BURST: "50",
};

const GROUP_BA_DINH = -1001;
const GROUP_HOAN_KIEM = -1002;
const GROUP_HANOI_DUTY = -1003;
const GROUP_HANOI_CYBER = -1004;

const OFFICER = { baDinh: 5001, hoanKiem: 5002, commander: 5003, revoked: 5004, province: 5005, stranger: 5006 };

let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
let t: TestApp;

async function bindGroup(queueId: string, groupId: number) {
  const renderer = new TelegramRenderer(createTranslator().t);
  await t.db.$transaction(async (tx) => {
    const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(groupId), kind: "group" } });
    await seedBinding(tx, renderer, { queueId, groupChatId: chat.id });
  });
}

async function addOfficer(userId: number, role: Role, scopeKind: string, scopeCode: string) {
  await t.db.$transaction((tx) => seedOfficer(tx, { telegramUserId: String(userId), role, scopeKind, scopeCode, displayName: tgUser(userId).first_name }));
}

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  zalo = new FakeZaloApi({ perChatPerSecond: 100, perChatBurst: 100, globalPerSecond: 1000 });
  await tg.listen();
  await zalo.listen();
  t = await startTestApp({ telegram: tg, zalo, env: FAST, referenceData: true });
  await bindGroup("commune:00004", GROUP_BA_DINH);
  await bindGroup("commune:00070", GROUP_HOAN_KIEM);
  await bindGroup("province:01", GROUP_HANOI_DUTY);
  await bindGroup("cyber:01", GROUP_HANOI_CYBER);
  await addOfficer(OFFICER.baDinh, "officer", "commune", "00004");
  await addOfficer(OFFICER.hoanKiem, "officer", "commune", "00070");
  await addOfficer(OFFICER.commander, "commander", "commune", "00004");
  await addOfficer(OFFICER.revoked, "officer", "commune", "00004");
  await t.db.$transaction((tx) => revokeAsAdmin(tx, { telegramUserId: String(OFFICER.revoked) }));
  await addOfficer(OFFICER.province, "officer", "province", "01");
});
afterAll(async () => {
  await t.close();
  await tg.close();
  await zalo.close();
});

/** What the call shows in Telegram (cards are HTML: tags parsed, entities decoded). */
const text = (c: FakeCall) => tgShownText(c.payload);
const buttons = (c: FakeCall) =>
  ((c.payload.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> })?.inline_keyboard ?? []).flat();
const messageId = (c: FakeCall) => (c.response!.result as { message_id: number }).message_id;

/** The card of `code` in a group: the first message, and its latest text and buttons. */
function card(groupId: number, code: string) {
  const sent = tg.delivered(groupId).find((c) => text(c).includes(code) && /TIN BÁO/.test(text(c)));
  if (!sent) return undefined;
  const id = messageId(sent);
  const edits = tg.callsTo("editMessageText").filter((c) => c.status === 200 && String(c.payload.chat_id) === String(groupId) && c.payload.message_id === id);
  const latest = edits.at(-1) ?? sent;
  return { id, text: text(latest), buttons: buttons(latest) };
}

async function press(groupId: number, userId: number, data: string, onMessage: number) {
  const before = tg.callsTo("answerCallbackQuery").length;
  expect((await tg.pushUpdate(tgCallback(groupId, data, onMessage, tgUser(userId)))).status).toBe(200);
  return tg.waitFor(() => tg.callsTo("answerCallbackQuery")[before], 10_000);
}

async function zaloTip(user: string, category: string, place: string, description = "Có người gọi điện tự xưng công an, bảo tôi chuyển 50 triệu."): Promise<string> {
  const p = new ZaloTipster(zalo, user, "Nguyễn Thị Hoa");
  await p.say("hi");
  await p.choose("Tiếng Việt");
  await p.choose("Báo tin tội phạm");
  await p.choose(category);
  await p.choose("Không");
  const after = await p.say(place);
  if (after.options.length && !after.text.includes("Nơi xảy ra")) await p.choose(after.options[0]!);
  await p.choose("Hôm nay");
  const next = p.messages().at(-1)!;
  if (next.text.includes("Gõ «bỏ qua»")) await p.say("bỏ qua");
  await p.say(description);
  await p.say("xong");
  await p.choose("Ẩn danh");
  const receipt = await p.choose("Gửi tin báo");
  return /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(receipt.text)![1]!;
}

describe("a tip from Zalo, triaged by its commune's officers in Telegram", () => {
  it("card in the right group → claim → ask → the tipster answers on Zalo → close → tipster told; the card follows each step", async () => {
    const code = await zaloTip("zu-off-1", "Lừa đảo qua mạng", "Phường Ba Đình, Hà Nội");
    const tipster = new ZaloTipster(zalo, "zu-off-1");

    const posted = await eventually(() => card(GROUP_BA_DINH, code), 10_000, "card in Ba Đình group");
    expect(posted.text.split("\n")[0]).toBe(`🆕 TIN BÁO ${code} · MỚI, chưa có cán bộ nhận`);
    expect(posted.text).toContain("Loại: Lừa đảo qua mạng, điện thoại");
    expect(posted.text).toContain("Nơi xảy ra: Phường Ba Đình, Thành phố Hà Nội");
    expect(posted.text).toMatch(/Hạn thông báo tiếp nhận: \d\d\/\d\d\/\d{4}/);
    expect(posted.text).toMatch(/Hạn ra quyết định: \d\d\/\d\d\/\d{4}/);
    expect(posted.text).toContain("Có người gọi điện tự xưng công an");
    expect(posted.buttons.map((b) => b.text)).toEqual(["✋ Nhận xử lý", "❓ Hỏi người báo tin", "📝 Ghi chú", "🔺 Ưu tiên / khẩn cấp", "➡️ Chuyển đơn vị", "🏷 Phân loại", "✅ Kết thúc"]);
    // Not in another commune's group; an info-only copy (no buttons) in the province cyber unit's group.
    expect(card(GROUP_HOAN_KIEM, code)).toBeUndefined();
    const info = await eventually(() => card(GROUP_HANOI_CYBER, code), 10_000, "info copy");
    expect(info.text).toContain("BẢN SAO ĐỂ BIẾT");
    expect(info.buttons).toHaveLength(0);

    const claim = posted.buttons.find((b) => b.text.includes("Nhận xử lý"))!.callback_data;
    const answered = await press(GROUP_BA_DINH, OFFICER.baDinh, claim, posted.id);
    expect(answered.status).toBe(200);
    const claimed = await eventually(() => (card(GROUP_BA_DINH, code)!.text.includes("ĐANG XỬ LÝ") ? card(GROUP_BA_DINH, code) : undefined), 10_000, "card shows claim");
    expect(claimed!.text.split("\n")[0]).toBe(`👮 TIN BÁO ${code} · ĐANG XỬ LÝ: ${tgUser(OFFICER.baDinh).first_name}`);
    expect(claimed!.buttons.map((b) => b.text)).toContain("↩️ Trả lại");
    const notice = await eventually(() => tipster.messages().find((m) => m.text.includes("đã tiếp nhận tin báo")), 10_000, "receipt notice");
    expect(notice.text).toContain(`Công an phường Ba Đình đã tiếp nhận tin báo ${code}`);

    // Ask the tipster: the officer answers the bot's prompt; the tipster sees only the unit.
    await press(GROUP_BA_DINH, OFFICER.baDinh, claimed!.buttons.find((b) => b.text.includes("Hỏi"))!.callback_data, posted.id);
    const prompt = await eventually(() => tg.delivered(GROUP_BA_DINH).find((c) => text(c).includes("trả lời tin nhắn này bằng câu hỏi")), 10_000, "prompt");
    expect((prompt.payload.reply_markup as { force_reply?: boolean }).force_reply).toBe(true);
    await tg.pushUpdate(tgGroupText(GROUP_BA_DINH, OFFICER.baDinh, "Bạn còn giữ ảnh chụp màn hình cuộc trò chuyện không?", messageId(prompt)));
    const question = await eventually(() => tipster.messages().find((m) => m.text.includes("hỏi về tin báo")), 10_000, "question on Zalo");
    expect(question.text).toContain(`Công an phường Ba Đình hỏi về tin báo ${code} của bạn`);
    expect(question.text).toContain("Bạn còn giữ ảnh chụp màn hình");
    expect(question.text).not.toContain(tgUser(OFFICER.baDinh).first_name);

    const thanks = await tipster.say("Có, tôi còn giữ ảnh và số tài khoản.");
    expect(thanks.text).toContain("Đã chuyển câu trả lời của bạn tới Công an phường Ba Đình");
    const answer = await eventually(() => tg.delivered(GROUP_BA_DINH).find((c) => text(c).includes("trả lời:")), 10_000, "answer in group");
    expect(text(answer)).toContain(`💬 Người báo tin ${code} trả lời:\n┃ Có, tôi còn giữ ảnh và số tài khoản.`);
    expect(answer.payload.reply_to_message_id).toBe(posted.id);

    // Close with an outcome: chooser, then the outcome.
    await press(GROUP_BA_DINH, OFFICER.baDinh, claimed!.buttons.find((b) => b.text.includes("Kết thúc"))!.callback_data, posted.id);
    const chooser = await eventually(() => tg.delivered(GROUP_BA_DINH).find((c) => text(c).includes("Chọn kết quả giải quyết")), 10_000, "outcome chooser");
    const outcome = buttons(chooser).find((b) => b.text === "Không khởi tố vụ án")!;
    await press(GROUP_BA_DINH, OFFICER.baDinh, outcome.callback_data, messageId(chooser));
    const closed = await eventually(() => (card(GROUP_BA_DINH, code)!.text.includes("ĐÃ KẾT THÚC") ? card(GROUP_BA_DINH, code) : undefined), 10_000, "closed card");
    expect(closed!.text.split("\n")[0]).toBe(`✅ TIN BÁO ${code} · ĐÃ KẾT THÚC: Không khởi tố vụ án`);
    expect(closed!.text).not.toContain("Hạn ra quyết định");
    expect(closed!.buttons.map((b) => b.text)).toEqual(["🔄 Mở lại"]); // shown to all; only a commander may press it
    const told = await eventually(() => tipster.messages().find((m) => m.text.includes("đã được giải quyết")), 10_000, "closure notice");
    expect(told.text).toContain("sau khi xác minh, không khởi tố vụ án");

    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { audit: { orderBy: { id: "asc" } } } });
    expect(tip.audit.map((a) => a.action)).toEqual(["tip.submitted", "tip.claimed", "tip.question_sent", "tip.answer_received", "tip.closed"]);
    expect(tip.receiptNoticeSentAt).not.toBeNull();
  });
});

describe("authorisation: every button, every kind of person", () => {
  it("only officers whose scope covers the tip change anything; each refusal is answered and logged", async () => {
    const code = await zaloTip("zu-off-2", "Trộm cắp", "Phường Ba Đình, Hà Nội");
    const posted = await eventually(() => card(GROUP_BA_DINH, code), 10_000, "card");
    const tipBefore = await t.db.tip.findUniqueOrThrow({ where: { code } });
    const refusedBy = [OFFICER.stranger, OFFICER.hoanKiem, OFFICER.revoked];
    for (const user of refusedBy) {
      for (const b of posted.buttons) {
        const answer = await press(GROUP_BA_DINH, user, b.callback_data, posted.id);
        expect(answer.payload.show_alert).toBe(true);
        expect(String(answer.payload.text)).toMatch(/chưa được đăng ký|không thuộc địa bàn|đã bị thu hồi/);
      }
    }
    const tipAfter = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { audit: true } });
    expect({ ...tipAfter, audit: undefined, updatedAt: undefined }).toEqual({ ...tipBefore, audit: undefined, updatedAt: undefined });
    const refusals = tipAfter.audit.filter((a) => a.action === "auth.refused");
    expect(refusals).toHaveLength(refusedBy.length * posted.buttons.length);
    expect(new Set(refusals.map((r) => JSON.parse(r.data).reason))).toEqual(new Set(["not_officer", "scope", "revoked"]));
    expect(await t.db.officerPrompt.count({ where: { tipId: tipAfter.id } })).toBe(0);

    // A province officer may act on a commune's tip.
    await press(GROUP_BA_DINH, OFFICER.province, posted.buttons[0]!.callback_data, posted.id);
    await eventually(async () => (await t.db.tip.findUniqueOrThrow({ where: { code } })).status === "claimed", 10_000);
    // Revocation takes effect at once: registered, pressing fine, revoked, refused.
    const priority = posted.buttons.find((b) => b.text.includes("Ưu tiên"))!.callback_data;
    await press(GROUP_BA_DINH, OFFICER.commander, priority, posted.id);
    await t.db.$transaction((tx) => revokeAsAdmin(tx, { telegramUserId: String(OFFICER.commander) }));
    const refused = await press(GROUP_BA_DINH, OFFICER.commander, priority, posted.id);
    expect(String(refused.payload.text)).toContain("đã bị thu hồi");
    await t.db.$transaction((tx) => seedOfficer(tx, { telegramUserId: String(OFFICER.commander), role: "commander", scopeKind: "commune", scopeCode: "00004" }));
  });

  it("an info-only copy cannot change the tip", async () => {
    const code = await zaloTip("zu-off-3", "Lừa đảo qua mạng", "Phường Ba Đình, Hà Nội");
    const info = await eventually(() => card(GROUP_HANOI_CYBER, code), 10_000, "info copy");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
    // Even a province officer (whose scope covers it) pressing a forged button on the info card is refused.
    const answer = await press(GROUP_HANOI_CYBER, OFFICER.province, `t:claim:${tip.id}`, info.id);
    expect(String(answer.payload.text)).toContain("bản sao để biết");
    expect((await t.db.tip.findUniqueOrThrow({ where: { code } })).status).toBe("new");
  });
});

describe("transfer", () => {
  it("moves the tip to another commune with a new card; the legal clock keeps its original receipt time", async () => {
    const code = await zaloTip("zu-off-4", "Cờ bạc", "Phường Ba Đình, Hà Nội");
    const posted = await eventually(() => card(GROUP_BA_DINH, code), 10_000, "card");
    const before = await t.db.tip.findUniqueOrThrow({ where: { code } });
    await press(GROUP_BA_DINH, OFFICER.baDinh, posted.buttons.find((b) => b.text.includes("Chuyển"))!.callback_data, posted.id);
    const prompt = await eventually(() => tg.delivered(GROUP_BA_DINH).filter((c) => text(c).includes(`nhận chuyển tin báo ${code}`)).at(-1), 10_000, "prompt");
    await tg.pushUpdate(tgGroupText(GROUP_BA_DINH, OFFICER.baDinh, "phường Hoàn Kiếm", messageId(prompt)));
    const chooser = await eventually(() => tg.delivered(GROUP_BA_DINH).find((c) => text(c).includes(`Chọn đơn vị nhận chuyển ${code}`)), 10_000, "chooser");
    await press(GROUP_BA_DINH, OFFICER.baDinh, buttons(chooser).find((b) => b.text === "Công an phường Hoàn Kiếm")!.callback_data, messageId(chooser));
    const moved = await eventually(() => card(GROUP_HOAN_KIEM, code), 10_000, "card in the new group");
    expect(moved.text.split("\n")[0]).toBe(`🆕 TIN BÁO ${code} · MỚI, chưa có cán bộ nhận`);
    const after = await t.db.tip.findUniqueOrThrow({ where: { code } });
    expect(after.queueId).toBe("commune:00070");
    expect(after.receivedAt.getTime()).toBe(before.receivedAt.getTime());
    expect(after.decisionDueAt!.getTime()).toBe(before.decisionDueAt!.getTime());
    expect(after.receiptNoticeDueAt!.getTime()).toBe(before.receiptNoticeDueAt!.getTime());
    // The old unit can no longer act; the new one can.
    const refused = await press(GROUP_BA_DINH, OFFICER.baDinh, posted.buttons[0]!.callback_data, posted.id);
    expect(refused.payload.show_alert).toBe(true);
    await press(GROUP_HOAN_KIEM, OFFICER.hoanKiem, moved.buttons[0]!.callback_data, moved.id);
    await eventually(async () => (await t.db.tip.findUniqueOrThrow({ where: { code } })).status === "claimed", 10_000);
    const told = await eventually(() => new ZaloTipster(zalo, "zu-off-4").messages().find((m) => m.text.includes("đã được chuyển đến")), 10_000);
    expect(told.text).toContain("Công an phường Hoàn Kiếm");
  });
});

describe("anonymity", () => {
  it("no payload sent to any officer chat carries an anonymous tipster's id, username, name or phone, follow-ups and their media included", async () => {
    const p = new TelegramTipster(tg, 880_142_915); // long: a short id could turn up inside a random callback_query_id (same first name as before)
    await p.command("/start");
    await p.press("data:lang:vi");
    await p.press("Báo tin tội phạm");
    await p.press("Ma tuý");
    await p.press("Không");
    await p.say("Phường Ba Đình, Hà Nội");
    await p.press("Hôm nay");
    await p.say("bỏ qua");
    await p.say("Tụ tập sử dụng ma tuý ở nhà số 5.");
    await p.photo("AgACAgSECRETPHOTO", "chụp lúc 23 giờ");
    await p.say("xong");
    await p.press("Ẩn danh");
    const receipt = (await p.press("Gửi tin báo")).text;
    const code = /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(receipt)![1]!;
    const pin = /Mã PIN: (\d{6})/.exec(receipt)![1]!;
    await eventually(() => tg.delivered(GROUP_BA_DINH).find((c) => c.method === "sendPhoto" && String(c.payload.caption).includes(code)), 10_000, "photo under the card");

    // Follow-ups reach the card as copies too: an answer to an officer's question (words, a photo, a
    // file) and information added after a look-up (a video, words).
    const posted = await eventually(() => card(GROUP_BA_DINH, code), 10_000, "card");
    await press(GROUP_BA_DINH, OFFICER.baDinh, posted.buttons.find((b) => b.text.includes("Hỏi"))!.callback_data, posted.id);
    const prompt = await eventually(() => tg.delivered(GROUP_BA_DINH).filter((c) => text(c).includes(`câu hỏi gửi người báo tin ${code}`)).at(-1), 10_000, "prompt");
    await tg.pushUpdate(tgGroupText(GROUP_BA_DINH, OFFICER.baDinh, "Bạn thấy mấy người?", messageId(prompt)));
    await eventually(() => p.messages().find((m) => m.text.includes(`hỏi về tin báo ${code}`)), 10_000, "question");
    await p.say("Khoảng 4 người.");
    await p.photo("AgACAgANSWERPHOTO", "chụp từ cửa sổ");
    await p.media("document", "BQACAgANSWERDOC", "ghi chép biển số");
    await p.say("xong");
    await p.press("data:menu:lookup");
    await p.say(code);
    await p.say(pin);
    await p.press("Bổ sung thông tin");
    await p.media("video", "BAACAgADDEDVIDEO", "quay lúc 23 giờ");
    await p.say("Họ đi xe SH màu trắng.");
    for (const [method, field, ref] of [["sendPhoto", "photo", "AgACAgANSWERPHOTO"], ["sendDocument", "document", "BQACAgANSWERDOC"], ["sendVideo", "video", "BAACAgADDEDVIDEO"]]) {
      await eventually(() => tg.delivered(GROUP_BA_DINH).find((c) => c.method === method && c.payload[field!] === ref), 10_000, `${method} under the card`);
    }
    await eventually(() => tg.delivered(GROUP_BA_DINH).find((c) => text(c).includes("Họ đi xe SH màu trắng.")), 10_000, "added words under the card");

    const secrets = [String(p.chatId), p.user.username!, p.user.first_name, "Nguyễn Thị Hoa", "zu-off-1", "zu-off-2", "zu-off-3", "zu-off-4"];
    const officerCalls = tg.calls.filter((c) => Number(c.payload.chat_id) < 0 || c.method === "answerCallbackQuery");
    expect(officerCalls.length).toBeGreaterThan(15);
    for (const call of officerCalls) {
      const payload = JSON.stringify(call.payload);
      for (const secret of secrets) expect(payload, `${call.method} leaked ${secret}`).not.toContain(secret);
    }
    // Copied, never forwarded.
    expect(tg.calls.filter((c) => c.method === "forwardMessage")).toHaveLength(0);
  });
});

describe("reminders and escalation (controllable clock)", () => {
  it("unclaimed, approaching and overdue reminders fire at the right times, once, and overdue tips escalate", async () => {
    const commanderChat = await t.db.chat.upsert({
      where: { channel_platformChatId: { channel: "telegram", platformChatId: String(OFFICER.commander) } },
      create: { channel: "telegram", platformChatId: String(OFFICER.commander), kind: "private" },
      update: {},
    });
    await t.db.officer.update({ where: { telegramUserId: String(OFFICER.commander) }, data: { privateChatId: commanderChat.id } });
    await t.db.tip.updateMany({ where: { status: { not: "closed" } }, data: { status: "closed", outcome: "khong_co_so" } }); // only this test's tip is open
    const code = await zaloTip("zu-off-5", "Trộm cắp", "Phường Ba Đình, Hà Nội");
    const posted = await eventually(() => card(GROUP_BA_DINH, code), 10_000, "card");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
    const at = (ms: number) => new Date(tip.receivedAt.getTime() + ms);
    const inGroup = (groupId: number, needle: string) => tg.delivered(groupId).filter((c) => text(c).includes(needle) && text(c).includes(code));

    await t.app.runHousekeeping(at(30 * 60_000));
    await t.app.runHousekeeping(at(61 * 60_000));
    await t.app.runHousekeeping(at(62 * 60_000));
    const unclaimed = await eventually(() => {
      const found = inGroup(GROUP_BA_DINH, "chưa có cán bộ nhận xử lý");
      return found.length === 1 ? found : undefined;
    });
    expect(unclaimed[0]!.payload.reply_to_message_id).toBe(posted.id);
    expect(text(unclaimed[0]!)).toContain("(61 phút từ khi tiếp nhận)");

    await t.app.runHousekeeping(new Date(tip.receiptNoticeDueAt!.getTime() - 12 * 3600_000));
    await eventually(() => inGroup(GROUP_BA_DINH, "sắp đến hạn thông báo tiếp nhận").length === 1, 10_000, "approaching");
    await t.app.runHousekeeping(new Date(tip.receiptNoticeDueAt!.getTime() + 3600_000));
    await eventually(() => inGroup(GROUP_BA_DINH, "QUÁ HẠN thông báo tiếp nhận").length === 1, 10_000, "overdue in group");
    await eventually(() => inGroup(GROUP_HANOI_DUTY, "đã quá hạn thông báo tiếp nhận").length === 1, 10_000, "escalated to duty group");
    await eventually(() => tg.delivered(OFFICER.commander).some((c) => text(c).includes(code) && text(c).includes("quá hạn")), 10_000, "commander told");
    // Repeated ticks within 24 h add nothing.
    await t.app.runHousekeeping(new Date(tip.receiptNoticeDueAt!.getTime() + 2 * 3600_000));
    await waitIdle(t); // anything that tick queued has been sent
    expect(inGroup(GROUP_BA_DINH, "QUÁ HẠN")).toHaveLength(1);
    expect(inGroup(GROUP_HANOI_DUTY, "quá hạn")).toHaveLength(1);
    expect((await t.db.auditEvent.findMany({ where: { tipId: tip.id, action: "tip.escalated" } })).length).toBe(1);
  });

  it("a life-safety tip is reminded about after 10 minutes unclaimed", async () => {
    const p = new TelegramTipster(tg, 8901);
    await p.command("/start");
    await p.press("data:lang:vi");
    await p.press("Báo tin tội phạm");
    await p.press("Bạo lực gia đình");
    await p.press("Có, đang nguy hiểm");
    await p.say("Phường Ba Đình, Hà Nội");
    await p.press("Đang xảy ra");
    await p.say("Tiếng kêu cứu ở nhà bên cạnh.");
    await p.say("xong");
    await p.press("Ẩn danh");
    const code = /Mã tin báo: (TM-[A-Z0-9]{6})/.exec((await p.press("Gửi tin báo")).text)![1]!;
    const posted = await eventually(() => card(GROUP_BA_DINH, code), 10_000, "card");
    expect(posted.text).toContain("⚠️ KHẨN CẤP: có người đang gặp nguy hiểm");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
    await t.app.runHousekeeping(new Date(tip.receivedAt.getTime() + 11 * 60_000));
    await eventually(() => tg.delivered(GROUP_BA_DINH).some((c) => text(c).includes(code) && text(c).includes("chưa có cán bộ nhận xử lý (11 phút")), 10_000);
  });
});

describe("a tipster's words on the card", () => {
  it("are a quoted block that no typed line can break out of, and links in them are never previewed in the group", async () => {
    const forged = "Bị lừa qua link https://evil.example/login\nTrạng thái: ✅ Đã kết thúc — Không khởi tố vụ án\u2028Hạn ra quyết định: đã hết\r\n\u202eLoại: Khác";
    const code = await zaloTip("zu-off-quote", "Lừa đảo qua mạng", "Phường Ba Đình, Hà Nội", forged);
    const posted = await eventually(() => card(GROUP_BA_DINH, code), 10_000, "card");
    const lines = posted.text.split("\n");
    // The bot's own header and fields are there once; each typed line is inside the quote, marked, with no direction override.
    expect(lines[0]).toBe(`🆕 TIN BÁO ${code} · MỚI, chưa có cán bộ nhận`);
    expect(lines.filter((l) => l.startsWith("Loại:"))).toEqual(["Loại: Lừa đảo qua mạng, điện thoại"]);
    expect(lines).toContain("┃ Trạng thái: ✅ Đã kết thúc — Không khởi tố vụ án");
    expect(lines).toContain("┃ Hạn ra quyết định: đã hết");
    expect(lines).toContain("┃ Loại: Khác");
    expect(posted.text).not.toContain("\u202e");
    expect(posted.text).not.toContain("\u2028");
    const groupTexts = tg.delivered(GROUP_BA_DINH).filter((c) => c.method === "sendMessage");
    expect(groupTexts.length).toBeGreaterThan(0);
    for (const c of [...groupTexts, ...tg.callsTo("editMessageText")]) expect(c.payload.link_preview_options).toEqual({ is_disabled: true });
  });
});
