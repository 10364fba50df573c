import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeText } from "../src/channels/compose.ts";
import { TelegramRenderer, TELEGRAM_TEXT_LIMIT } from "../src/channels/telegram/render.ts";
import { ZaloRenderer } from "../src/channels/zalo/render.ts";
import type { Role } from "../src/core/officers/roles.ts";
import { link, quoted, type Reply } from "../src/core/reply.ts";
import { formatVnDateTime as vnDateTime } from "../src/core/vnTime.ts";
import { createTranslator } from "../src/i18n.ts";
import { FakeTelegramApi, parseTelegramText, tgCallback, tgGroupText, tgShownText, tgUser, type FakeCall, type TgEntity } from "./fakes/telegramApi.ts";
import { seedBinding, seedOfficer } from "./helpers/officers.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { TelegramTipster } from "./helpers/tipster.ts";

/*
 * The officer card as an officer reads it in Telegram (through the fake, which parses HTML the way
 * Telegram does): state in the header, life-safety first, bold labels, no blank lines, a map link,
 * deadlines only while open, the tipster's words shown exactly as typed; and /tip in words.
 */

const FAST = {
  TELEGRAM_RATE_PRIVATE_PER_SECOND: "50",
  TELEGRAM_RATE_PRIVATE_BURST: "50",
  TELEGRAM_RATE_GROUP_PER_MINUTE: "3000",
};
const GROUP = -2101; // Phường Hoàn Kiếm's group
const OFFICER = 5101;
/** The officer's Telegram name has characters HTML would swallow: it must show as written. */
const OFFICER_USER = { ...tgUser(OFFICER), first_name: "Lan <Đội 2>", last_name: "& Co" };
const OFFICER_NAME = "Lan <Đội 2> & Co";
const TIPSTER = 7101;
const HOSTILE = `Kẻ gian gửi <b>link</b> </a> <script>alert(1)</script> & "x" &amp; &lt;i&gt; <a href="https://evil.example">bấm</a>`;

let tg: FakeTelegramApi;
let t: TestApp;

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  t = await startTestApp({ telegram: tg, env: FAST, referenceData: true });
  const renderer = new TelegramRenderer(createTranslator().t);
  await t.db.$transaction(async (tx) => {
    const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(GROUP), kind: "group" } });
    await seedBinding(tx, renderer, { queueId: "commune:00070", groupChatId: chat.id });
  });
  const role: Role = "officer";
  await t.db.$transaction((tx) => seedOfficer(tx, { telegramUserId: String(OFFICER), role, scopeKind: "commune", scopeCode: "00070", displayName: OFFICER_NAME }));
});
afterAll(async () => {
  await t.close();
  await tg.close();
});

const shown = (c: FakeCall) => tgShownText(c.payload);
const messageId = (c: FakeCall) => (c.response!.result as { message_id: number }).message_id;
const buttons = (c: FakeCall) =>
  ((c.payload.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> })?.inline_keyboard ?? []).flat();

/** The card's latest version (the post, or its latest accepted edit): raw call, shown text, entities, buttons. */
function card(code: string) {
  const sent = tg.delivered(GROUP).find((c) => c.method === "sendMessage" && shown(c).includes(`TIN BÁO ${code}`));
  if (!sent) return undefined;
  const id = messageId(sent);
  const edits = tg.callsTo("editMessageText").filter((c) => c.status === 200 && String(c.payload.chat_id) === String(GROUP) && c.payload.message_id === id);
  const call = edits.at(-1) ?? sent;
  const message = call.response!.result as { text: string; entities?: TgEntity[] };
  return { id, call, text: message.text, lines: message.text.split("\n"), entities: message.entities ?? [], buttons: buttons(call) };
}

/** The texts of the card's entities of one type. */
const spans = (c: NonNullable<ReturnType<typeof card>>, type: string) => c.entities.filter((e) => e.type === type).map((e) => c.text.slice(e.offset, e.offset + e.length));

async function press(data: string, onMessage: number) {
  const before = tg.callsTo("answerCallbackQuery").length;
  expect((await tg.pushUpdate(tgCallback(GROUP, data, onMessage, OFFICER_USER))).status).toBe(200);
  return tg.waitFor(() => tg.callsTo("answerCallbackQuery")[before], 10_000);
}

async function chooseUnder(buttonText: string, code: string, option: string) {
  const current = card(code)!;
  const before = tg.delivered(GROUP).length;
  await press(current.buttons.find((b) => b.text === buttonText)!.callback_data, current.id);
  const chooser = await eventually(() => tg.delivered(GROUP).slice(before).find((c) => buttons(c).some((b) => b.text === option)), 10_000, `chooser with ${option}`);
  await press(buttons(chooser).find((b) => b.text === option)!.callback_data, messageId(chooser));
}

describe("the officer card, readable at a glance", () => {
  let code: string;

  it("new: life-safety on the first line, the state in the header, bold labels, no blank lines, a map link, the tipster's markup shown as typed", async () => {
    const p = new TelegramTipster(tg, TIPSTER);
    await p.command("/start");
    await p.press("data:lang:vi");
    await p.press("Báo tin tội phạm");
    await p.press("Ma tuý");
    await p.press("Có, đang nguy hiểm");
    await p.location(21.0287, 105.8524); // Hồ Hoàn Kiếm
    await p.press("Hôm nay");
    await p.say(HOSTILE);
    await p.say(`Nội dung: ${HOSTILE}`);
    await p.say("xong");
    await p.press("Ẩn danh");
    code = /Mã tin báo: (TM-[A-Z0-9]{6})/.exec((await p.press("Gửi tin báo")).text)![1]!;

    const posted = await eventually(() => card(code), 10_000, "card");
    expect(posted.call.status).toBe(200);
    expect(posted.call.payload.parse_mode).toBe("HTML");
    expect(posted.lines[0]).toBe("⚠️ KHẨN CẤP: có người đang gặp nguy hiểm");
    expect(posted.lines[1]).toBe(`🆕 TIN BÁO ${code} · MỚI, chưa có cán bộ nhận`);
    expect(posted.lines.filter((l) => l.trim() === "")).toEqual([]);
    expect(posted.lines).toContain("Loại: Ma tuý");
    expect(posted.lines).toContain("Nơi xảy ra: Phường Hoàn Kiếm, Thành phố Hà Nội");
    expect(posted.lines).toContain("Vị trí: 21.02870, 105.85240 · 🗺 Xem bản đồ");
    expect(posted.lines.some((l) => /^Hạn thông báo tiếp nhận: \d\d\/\d\d\/\d{4} \d\d:\d\d$/.test(l))).toBe(true);
    expect(posted.lines.some((l) => /^Hạn ra quyết định: \d\d\/\d\d\/\d{4}$/.test(l))).toBe(true);
    // Labels and the warnings are bold; nothing the tipster typed is.
    const bold = spans(posted, "bold");
    for (const label of ["Loại:", "Nơi xảy ra:", "Vị trí:", "Thời gian:", "Kênh:", "Tiếp nhận:", "Hạn thông báo tiếp nhận:", "Hạn ra quyết định:", "Thông tin thêm:", "Nội dung:"]) {
      expect(bold).toContain(label);
    }
    expect(bold).toContain("⚠️ KHẨN CẤP: có người đang gặp nguy hiểm");
    expect(bold).toContain(`🆕 TIN BÁO ${code} · MỚI, chưa có cán bộ nhận`);
    expect(bold).not.toContain("link");
    // One link only: the map, to the shared point.
    expect(posted.entities.filter((e) => e.type === "text_link")).toEqual([
      expect.objectContaining({ url: "https://www.google.com/maps/search/?api=1&query=21.02870,105.85240" }),
    ]);
    expect(spans(posted, "text_link")).toEqual(["🗺 Xem bản đồ"]);
    // The tipster's text, tags and entities included, reads exactly as typed, inside the quote.
    expect(posted.lines).toContain(`┃ ${HOSTILE}`);
    expect(posted.lines).toContain(`┃ Nội dung: ${HOSTILE}`);
    expect(posted.lines.filter((l) => l.startsWith("Nội dung:"))).toEqual(["Nội dung:"]);
  });

  it("priority second; claimed: the officer's name in the header, the receipt deadline gone once the tipster is told", async () => {
    await chooseUnder("🔺 Ưu tiên / khẩn cấp", code, "Ưu tiên cao");
    const high = await eventually(() => (card(code)!.lines[1] === "🔺 Ưu tiên cao" ? card(code) : undefined), 10_000, "priority on the card");
    expect(high.lines[0]).toBe("⚠️ KHẨN CẤP: có người đang gặp nguy hiểm");
    expect(high.lines[2]).toBe(`🆕 TIN BÁO ${code} · MỚI, chưa có cán bộ nhận`);

    await press(high.buttons.find((b) => b.text === "✋ Nhận xử lý")!.callback_data, high.id);
    const claimed = await eventually(() => (card(code)!.text.includes("ĐANG XỬ LÝ") ? card(code) : undefined), 10_000, "claimed card");
    expect(claimed.lines[2]).toBe(`👮 TIN BÁO ${code} · ĐANG XỬ LÝ: ${OFFICER_NAME}`);
    expect(spans(claimed, "bold")).toContain(`👮 TIN BÁO ${code} · ĐANG XỬ LÝ: ${OFFICER_NAME}`);
    expect(claimed.text).not.toContain("Hạn thông báo tiếp nhận");
    expect(claimed.lines.some((l) => l.startsWith("Hạn ra quyết định: "))).toBe(true);
    expect(claimed.lines.filter((l) => l.trim() === "")).toEqual([]);
    expect(claimed.lines).toContain(`┃ ${HOSTILE}`);
  });

  it("closed: the outcome in the header, no deadline, only the reopen button", async () => {
    await chooseUnder("✅ Kết thúc", code, "Khởi tố vụ án");
    const closed = await eventually(() => (card(code)!.text.includes("ĐÃ KẾT THÚC") ? card(code) : undefined), 10_000, "closed card");
    expect(closed.lines.slice(0, 3)).toEqual(["⚠️ KHẨN CẤP: có người đang gặp nguy hiểm", "🔺 Ưu tiên cao", `✅ TIN BÁO ${code} · ĐÃ KẾT THÚC: Khởi tố vụ án`]);
    expect(closed.text).not.toContain("Hạn ");
    expect(closed.buttons.map((b) => b.text)).toEqual(["🔄 Mở lại"]);
    expect(closed.call.payload.parse_mode).toBe("HTML");
    expect(closed.lines).toContain("Vị trí: 21.02870, 105.85240 · 🗺 Xem bản đồ");
  });

  it("/tip tells the history in words, in Vietnam time, naming officers but never the tipster", async () => {
    const before = tg.delivered(GROUP).length;
    const command = tgGroupText(GROUP, OFFICER, `/tip ${code}`) as { message: { from: unknown } };
    command.message.from = OFFICER_USER;
    await tg.pushUpdate(command);
    const answer = await eventually(() => tg.delivered(GROUP).slice(before).find((c) => shown(c).startsWith(`🗂 Lịch sử ${code}`)), 10_000, "history");
    expect(answer.status).toBe(200);
    const lines = shown(answer).split("\n");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { audit: { orderBy: { id: "asc" } } } });
    const at = (action: string) => vnDateTime(tip.audit.find((a) => a.action === action)!.at);
    expect(lines).toEqual([
      `🗂 Lịch sử ${code}:`,
      `${at("tip.submitted")} — Người báo tin: gửi tin báo qua Telegram`,
      `${at("tip.priority_set")} — ${OFFICER_NAME}: đổi mức ưu tiên: Ưu tiên cao`,
      `${at("tip.claimed")} — ${OFFICER_NAME}: nhận xử lý`,
      `${at("tip.closed")} — ${OFFICER_NAME}: kết thúc: Khởi tố vụ án`,
    ]);
    const me = tgUser(TIPSTER);
    for (const secret of [String(TIPSTER), me.first_name, me.username ?? "@@none"]) expect(shown(answer)).not.toContain(secret);
  });
});

describe("rendering marked replies", () => {
  const { t: tr } = createTranslator();
  const telegram = new TelegramRenderer(tr);
  const many: Reply = {
    key: "officer:card.header_new",
    params: { code: "TM-ABCDEF" },
    strong: true,
    compact: true,
    more: [
      ...Array.from({ length: 200 }, (_, i) => ({ key: "officer:card.value", params: { value: `<giá trị ${i}> & "x"` }, label: "officer:card_label.deadline_decision" })),
      { key: "officer:card.value_below", params: { value: quoted(`${"<b>".repeat(500)} & </a>`) }, label: "officer:card_label.description" },
      { key: "officer:card.place_point", params: { lat: "1", lng: "2", map: link("https://example.test/?a=1&b=<2>", { $t: "officer:card.map" }) }, label: "officer:card_label.place_point" },
      { key: "officer:card.place_point", params: { lat: "3", lng: "4", map: link("javascript:alert(1)", "x") }, label: "officer:card_label.place_point" },
    ],
  };

  it("Telegram: parts valid HTML within 4096 shown characters, a mark never cut, the same words as the plain text", () => {
    const { calls } = telegram.render(many, "vi");
    expect(calls.length).toBeGreaterThan(1);
    const parsed = calls.map((c) => {
      expect(c.payload.parse_mode).toBe("HTML");
      const result = parseTelegramText(String(c.payload.text), "HTML");
      if ("error" in result) throw new Error(result.error);
      expect(result.text.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
      return result;
    });
    // Nothing lost or added but whitespace at the cuts (the plain text spells the link's address out).
    const letters = (s: string) => s.replace(/\s+/g, "");
    expect(letters(parsed.map((p) => p.text).join(""))).toBe(letters(composeText(tr, many, "vi").replace(" (https://example.test/?a=1&b=<2>)", "")));
    const links = parsed.flatMap((p) => p.entities.filter((e) => e.type === "text_link"));
    // Only the http(s) address becomes a link; a javascript: one stays plain text.
    expect(links.map((e) => e.url)).toEqual(["https://example.test/?a=1&b=<2>"]);
    expect(parsed.at(-1)!.text).toContain("x (javascript:alert(1))");
  });

  it("Telegram: a marked text of exactly 4096 shown characters stays one message; one more makes two", () => {
    const sized = (n: number): Reply => ({ key: "officer:card.value", params: { value: "a".repeat(n) }, label: "officer:card_label.category" });
    const one = telegram.render(sized(4090), "vi").calls;
    expect(one).toHaveLength(1);
    const parsed = parseTelegramText(String(one[0]!.payload.text), "HTML");
    expect("text" in parsed && parsed.text.length).toBe(4096);
    const two = telegram.render(sized(4091), "vi").calls;
    expect(two).toHaveLength(2);
    for (const c of two) {
      const r = parseTelegramText(String(c.payload.text), "HTML");
      expect("text" in r && r.text.length <= 4096).toBe(true);
    }
  });

  it("Zalo (plain text): labels inline, links as text and address, no markup, fields on consecutive lines", () => {
    const reply: Reply = { key: "officer:card.header_new", params: { code: "TM-ABCDEF" }, strong: true, compact: true, more: many.more!.slice(200) };
    const text = new ZaloRenderer(tr).render({ ...reply, more: [{ key: "officer:card.value", params: { value: "Ma tuý" }, label: "officer:card_label.category" }, ...reply.more!] }, "vi").calls[0]!.payload.text as string;
    const lines = text.split("\n");
    expect(lines[0]).toBe("🆕 TIN BÁO TM-ABCDEF · MỚI, chưa có cán bộ nhận");
    expect(lines[1]).toBe("Loại: Ma tuý");
    expect(text).toContain("Vị trí: 1, 2 · 🗺 Xem bản đồ (https://example.test/?a=1&b=<2>)");
    expect(text).not.toContain("\n\n");
    expect(text).not.toMatch(/[\ue000-\ue0ff]/);
  });

  it("a value can never forge a mark (the characters that stand for marks are removed from values)", () => {
    const forged: Reply = { key: "officer:card.value", params: { value: "\ue000\ue001 text" }, label: "officer:card_label.category" };
    const html = String(telegram.render(forged, "vi").calls[0]!.payload.text);
    expect(html).toBe("<b>Loại:</b>  text");
  });
});
