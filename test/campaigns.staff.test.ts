import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addContent } from "../src/core/campaigns/commands/addContent.ts";
import { allowed } from "../src/core/campaigns/commands/authorizeStaff.ts";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createTranslator } from "../src/i18n.ts";
import { FakeTelegramApi, tgCallback, tgGroupText, tgUser, type FakeCall } from "./fakes/telegramApi.ts";
import { seedBinding, seedOfficer } from "./helpers/officers.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";

const STAFF_GROUP = -3001;
const STAFF = 7101;
const OFFICER = 7102;
let tg: FakeTelegramApi;
let t: TestApp;
const text = (c: FakeCall) => String(c.payload.text ?? "");
const buttons = (c: FakeCall) => ((c.payload.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> })?.inline_keyboard ?? []).flat();

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  t = await startTestApp({
    telegram: tg,
    referenceData: true,
    env: { CAMPAIGN_QUIET_HOURS: "off", TELEGRAM_RATE_GROUP_PER_MINUTE: "3000", TELEGRAM_RATE_PRIVATE_PER_SECOND: "50", TELEGRAM_RATE_PRIVATE_BURST: "50", TELEGRAM_RATE_GLOBAL_PER_SECOND: "200" },
  });
  const renderer = new TelegramRenderer(createTranslator().t);
  await t.db.$transaction(async (tx) => {
    const group = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(STAFF_GROUP), kind: "group" } });
    await seedBinding(tx, renderer, { queueId: "outreach:VN", groupChatId: group.id });
    const own = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(STAFF), kind: "private" } });
    await seedOfficer(tx, { telegramUserId: String(STAFF), role: "outreach", scopeKind: "national", scopeCode: "VN", displayName: "Lê Thị Tuyên", privateChatId: own.id });
    await seedOfficer(tx, { telegramUserId: String(OFFICER), role: "officer", scopeKind: "commune", scopeCode: "00004" });
  });
  for (let i = 0; i < 12; i++) {
    const chat = await t.db.chat.create({ data: { channel: "telegram", platformChatId: String(710_000 + i), kind: "private", locale: "vi" } });
    await t.db.subscription.create({ data: { chatId: chat.id, topics: '["traffic"]', provinceCode: i < 8 ? "01" : "79", consentedAt: new Date() } });
  }
});
afterAll(async () => {
  await t.close();
  await tg.close();
});

describe("outreach staff in their Telegram group", () => {
  it("list content, create a campaign with a preview to themselves, confirm it, and see progress and the final report", async () => {
    const content = allowed(await addContent(t.db, {
      actor: { kind: "admin", name: "test" },
      input: { title: "Đội mũ bảo hiểm", bodies: { vi: "Đội mũ bảo hiểm đạt chuẩn khi đi xe máy." }, source: { law: "Nghị định 168/2024/NĐ-CP", article: "Điều 7" }, topics: ["traffic"] },
    })).content;
    await tg.pushUpdate(tgGroupText(STAFF_GROUP, OFFICER, "/content"));
    await eventually(() => tg.delivered(STAFF_GROUP).some((c) => text(c).includes("Chỉ cán bộ tuyên truyền đã đăng ký")), 10_000, "refused");
    await tg.pushUpdate(tgGroupText(STAFF_GROUP, STAFF, "/content"));
    await eventually(() => tg.delivered(STAFF_GROUP).some((c) => text(c).includes(`${content.id} — Đội mũ bảo hiểm`)), 10_000, "listed");

    await tg.pushUpdate(tgGroupText(STAFF_GROUP, STAFF, `/campaign ${content.id} | ngay | tỉnh 01; chủ đề traffic`));
    const draft = await eventually(() => tg.delivered(STAFF_GROUP).find((c) => text(c).includes("(bản nháp)")), 10_000, "draft");
    expect(text(draft)).toContain("Đối tượng: tỉnh 01; chủ đề traffic");
    const preview = await eventually(() => tg.delivered(STAFF).find((c) => text(c).includes("Đội mũ bảo hiểm đạt chuẩn")), 10_000, "preview");
    expect(text(preview)).toContain("Nguồn: Điều 7, Nghị định 168/2024/NĐ-CP");
    expect(tg.delivered().filter((c) => String(c.payload.chat_id).startsWith("7100")).length).toBe(0); // nothing sent before confirming

    const confirm = buttons(draft).find((b) => b.text.includes("Xác nhận"))!;
    await tg.pushUpdate(tgCallback(STAFF_GROUP, confirm.callback_data, (draft.response!.result as { message_id: number }).message_id, tgUser(STAFF)));
    await eventually(() => tg.delivered(STAFF_GROUP).some((c) => text(c).includes("đã xác nhận chiến dịch")), 10_000, "confirmed");
    const report = await eventually(() => tg.delivered(STAFF_GROUP).find((c) => text(c).startsWith("📊 Báo cáo chiến dịch")), 30_000, "final report");
    expect(text(report)).toContain("Đối tượng: 8");
    expect(text(report)).toContain("Đã gửi: 8");
    expect(tg.delivered(STAFF_GROUP).some((c) => text(c).startsWith("📤 Chiến dịch"))).toBe(true);
    const progressEdits = tg.callsTo("editMessageText").filter((c) => String(c.payload.chat_id) === String(STAFF_GROUP) && text(c).includes("đã gửi 8/8"));
    expect(progressEdits.length).toBeGreaterThanOrEqual(1);
  });
});
