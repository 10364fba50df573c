import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi, tgCallback, tgCommand, tgGroupText, tgUser, type FakeCall, tgShownText } from "./fakes/telegramApi.ts";
import { makeCode } from "./helpers/officers.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { TelegramTipster } from "./helpers/tipster.ts";

const run = promisify(execFile);
const FAST = { TELEGRAM_RATE_PRIVATE_PER_SECOND: "50", TELEGRAM_RATE_PRIVATE_BURST: "50", TELEGRAM_RATE_GROUP_PER_MINUTE: "3000" };
const GROUP = -2001;
const ADMIN = 6001;
const COMMANDER = 6002;
const OFFICER = 6003;

let tg: FakeTelegramApi;
let t: TestApp;
beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  t = await startTestApp({ telegram: tg, env: FAST, referenceData: true });
});
afterAll(async () => {
  await t.close();
  await tg.close();
});

const text = (c: FakeCall) => tgShownText(c.payload);
const messageId = (c: FakeCall) => (c.response!.result as { message_id: number }).message_id;
const buttons = (c: FakeCall) =>
  ((c.payload.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> })?.inline_keyboard ?? []).flat();

async function invite(role: string, unit: string) {
  const scope = unit.length === 5 ? { scopeKind: "commune", scopeCode: unit } : { scopeKind: "province", scopeCode: unit };
  return makeCode(t.db, { purpose: "officer_invite", role, ...scope });
}

async function privateSays(userId: number, update: ReturnType<typeof tgCommand>) {
  const before = tg.delivered(userId).length;
  await tg.pushUpdate(update);
  return text((await tg.waitFor(() => tg.delivered(userId)[before], 10_000))!);
}

describe("onboarding officers and binding groups from Telegram", () => {
  it("an invitation code registers the officer once; a used or wrong code is refused", async () => {
    const code = await invite("admin", "01");
    expect(await privateSays(ADMIN, tgCommand(ADMIN, "/start", code))).toContain("Bạn đã được đăng ký là quản trị — Thành phố Hà Nội");
    expect(await privateSays(COMMANDER, tgCommand(COMMANDER, "/start", code))).toContain("Mã mời không đúng, đã dùng hoặc đã hết hạn");
    const officer = await t.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(ADMIN) } });
    expect(officer).toMatchObject({ role: "admin", scopeKind: "province", scopeCode: "01", displayName: tgUser(ADMIN).first_name });
    expect(officer.privateChatId).not.toBeNull();
    expect(await privateSays(COMMANDER, tgCommand(COMMANDER, "/start", await invite("commander", "00004")))).toContain("chỉ huy — Phường Ba Đình");
    expect(await privateSays(OFFICER, tgCommand(OFFICER, "/start", await invite("officer", "00004")))).toContain("cán bộ — Phường Ba Đình");
  });

  it("/bind with a one-time code binds the group (admins only) and posts the open tips' cards", async () => {
    // A tip arrives before the commune has a group.
    const p = new TelegramTipster(tg, 8101);
    await p.command("/start");
    await p.press("data:lang:vi");
    await p.press("Báo tin tội phạm");
    await p.press("Trộm cắp");
    await p.press("Không");
    await p.say("Phường Ba Đình, Hà Nội");
    await p.press("Hôm nay");
    await p.say("Trộm xe đạp.");
    await p.say("xong");
    await p.press("Bảo mật");
    await p.say("Đỗ Văn Giang");
    await p.say("0911 222 333");
    const code = /Mã tin báo: (TM-[A-Z0-9]{6})/.exec((await p.press("Gửi tin báo")).text)![1]!;

    const bindCode = await makeCode(t.db, { purpose: "group_bind", queueId: "commune:00004" });
    await tg.pushUpdate(tgGroupText(GROUP, OFFICER, `/bind ${bindCode}`));
    await eventually(() => tg.delivered(GROUP).some((c) => text(c).includes("Việc này cần quyền quản trị")), 10_000, "non-admin refused");
    await tg.pushUpdate(tgGroupText(GROUP, ADMIN, `/bind ${bindCode}`));
    await eventually(() => tg.delivered(GROUP).some((c) => text(c).includes("đã được gắn với hàng đợi «Công an phường Ba Đình»")), 10_000, "bound");
    const cardCall = await eventually(() => tg.delivered(GROUP).find((c) => text(c).includes(`TIN BÁO ${code}`)), 10_000, "backfilled card");
    expect(text(cardCall)).toContain("Liên hệ: 🔒 đã niêm phong");
    expect(text(cardCall)).not.toContain("Đỗ Văn Giang");

    // Only a commander may open the sealed contact; the contact goes to them privately, the opening is announced.
    const open = buttons(cardCall).find((b) => b.text.includes("Mở liên hệ"))!;
    const refusalsBefore = tg.callsTo("answerCallbackQuery").length;
    await tg.pushUpdate(tgCallback(GROUP, open.callback_data, messageId(cardCall), tgUser(OFFICER)));
    const refused = await tg.waitFor(() => tg.callsTo("answerCallbackQuery")[refusalsBefore], 10_000);
    expect(String(refused.payload.text)).toContain("cần quyền chỉ huy");
    await tg.pushUpdate(tgCallback(GROUP, open.callback_data, messageId(cardCall), tgUser(COMMANDER)));
    const prompt = await eventually(() => tg.delivered(GROUP).find((c) => text(c).includes("lý do mở thông tin liên hệ")), 10_000, "reason prompt");
    await tg.pushUpdate(tgGroupText(GROUP, COMMANDER, "Cần lấy lời khai nhân chứng để khởi tố.", messageId(prompt)));
    const contact = await eventually(() => tg.delivered(COMMANDER).find((c) => text(c).includes(code) && text(c).includes("0911222333")), 10_000, "contact in private");
    expect(text(contact)).toContain("Đỗ Văn Giang");
    const announced = await eventually(() => tg.delivered(GROUP).find((c) => text(c).includes("đã mở thông tin liên hệ")), 10_000, "announcement");
    expect(text(announced)).toContain("Lý do: Cần lấy lời khai nhân chứng để khởi tố.");
    expect(text(announced)).not.toContain("0911222333");
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { action: "tip.contact_opened" } });
    expect(JSON.parse(audit.data)).toEqual({ reason: "Cần lấy lời khai nhân chứng để khởi tố." });
    // The contact message is not kept in the outbox once delivered.
    await eventually(async () => (await t.db.outboxMessage.findMany({ where: { payload: { contains: "0911222333" } } })).length === 0, 10_000, "scrubbed");

    // /tip shows the history, /queue lists it.
    await tg.pushUpdate(tgGroupText(GROUP, OFFICER, `/tip ${code}`));
    const history = await eventually(() => tg.delivered(GROUP).find((c) => text(c).startsWith(`🗂 Lịch sử ${code}`)), 10_000, "history");
    expect(text(history)).toMatch(/\d\d\/\d\d\/\d{4} \d\d:\d\d — Người báo tin: gửi tin báo qua Telegram/);
    expect(text(history)).toContain("mở thông tin liên hệ (có ghi lý do)");
    expect(text(history)).not.toMatch(/tip\.\w+/);
    await tg.pushUpdate(tgGroupText(GROUP, OFFICER, "/queue"));
    const queue = await eventually(() => tg.delivered(GROUP).find((c) => text(c).startsWith("📋 Tin báo đang mở")), 10_000, "queue");
    expect(text(queue)).toContain(`${code} · Trộm cắp, cướp giật · chưa nhận`);
  });
});

describe("admin CLI", () => {
  it("invites, lists, revokes officers and shows a tip, against the same database", async () => {
    const env = { ...process.env, DATABASE_URL: t.databaseUrl, LOG_LEVEL: "silent" };
    const cli = (...args: string[]) => run(process.execPath, ["--import", "tsx", "src/cli/admin.ts", ...args], { env, cwd: process.cwd() });
    const invited = await cli("officer:invite", "--unit", "00070", "--role", "officer");
    expect(invited.stdout).toMatch(/invitation code: [A-Z0-9]{4}-[A-Z0-9]{4}/);
    await cli("officer:add", "--telegram-user", "7777", "--unit", "00070", "--role", "commander", "--name", "Thiếu tá Hùng");
    expect((await t.db.officer.findUniqueOrThrow({ where: { telegramUserId: "7777" } })).displayName).toBe("Thiếu tá Hùng");
    expect((await cli("officer:list")).stdout).toMatch(/7777\tcommander\tcommune 00070/);
    await cli("officer:revoke", "--telegram-user", "7777");
    expect((await cli("officer:list")).stdout).toMatch(/7777\tcommander\tcommune 00070.*REVOKED/);
    await expect(cli("officer:add", "--telegram-user", "x", "--unit", "00070")).rejects.toMatchObject({ code: 2 });
    const tip = await t.db.tip.findFirstOrThrow();
    const shown = (await cli("tip:show", tip.code)).stdout;
    expect(shown).toContain(tip.code);
    expect(shown).toContain("tip.submitted");
  });
});

describe("commanders' extension and the group's overview commands", () => {
  it("a commander extends the decision deadline (to 2 months, then the procuracy); /mine, /overdue and /stats answer", async () => {
    const tip = await t.db.tip.findFirstOrThrow({ where: { queueId: "commune:00004" }, orderBy: { receivedAt: "desc" } });
    const cardCall = tg.delivered(GROUP).find((c) => text(c).includes(`TIN BÁO ${tip.code}`))!;
    const press = async (data: string, onMessage: number, user: number) => {
      const before = tg.callsTo("answerCallbackQuery").length;
      await tg.pushUpdate(tgCallback(GROUP, data, onMessage, tgUser(user)));
      return tg.waitFor(() => tg.callsTo("answerCallbackQuery")[before], 10_000);
    };
    const claim = buttons(cardCall).find((b) => b.text.includes("Nhận xử lý"))!;
    await press(claim.callback_data, messageId(cardCall), OFFICER);
    await eventually(async () => (await t.db.tip.findUniqueOrThrow({ where: { id: tip.id } })).status === "claimed", 10_000);

    // An officer may not extend; a commander may.
    const extend = `t:extend:${tip.id}`;
    expect(String((await press(extend, messageId(cardCall), OFFICER)).payload.text)).toContain("cần quyền chỉ huy");
    await press(extend, messageId(cardCall), COMMANDER);
    const chooser = await eventually(() => tg.delivered(GROUP).find((c) => text(c).includes(`Gia hạn thời hạn giải quyết ${tip.code}`)), 10_000, "chooser");
    await press(buttons(chooser).find((b) => b.text === "Gia hạn đến 2 tháng")!.callback_data, messageId(chooser), COMMANDER);
    const extended = await eventually(async () => {
      const row = await t.db.tip.findUniqueOrThrow({ where: { id: tip.id } });
      return row.extension === "two_months" ? row : undefined;
    }, 10_000);
    const twoMonths = new Date(tip.receivedAt);
    expect(extended.decisionDueAt!.getTime()).toBeGreaterThan(tip.decisionDueAt!.getTime() + 30 * 86_400_000);
    expect(extended.decisionDueAt!.getUTCMonth()).toBe((twoMonths.getUTCMonth() + 2) % 12);
    await eventually(() => tg.delivered(GROUP).some((c) => text(c).includes(`đã ghi nhận gia hạn cho ${tip.code}`)), 10_000);
    // Going back to a shorter extension is refused.
    expect(String((await press(`t:ext:two_months:${tip.id}`, messageId(chooser), COMMANDER)).payload.text)).toContain("Không thể làm việc này");
    expect((await t.db.auditEvent.findMany({ where: { tipId: tip.id, action: "tip.extended" } })).length).toBe(1);

    await tg.pushUpdate(tgGroupText(GROUP, OFFICER, "/mine"));
    const mine = await eventually(() => tg.delivered(GROUP).find((c) => text(c).startsWith("📋 Tin báo bạn đang xử lý")), 10_000, "/mine");
    expect(text(mine)).toContain(`${tip.code} · `);
    expect(text(mine)).toContain("đang xử lý");
    await tg.pushUpdate(tgGroupText(GROUP, OFFICER, "/overdue"));
    const overdue = await eventually(() => tg.delivered(GROUP).find((c) => text(c).startsWith("🚨 Tin báo quá hạn")), 10_000, "/overdue");
    expect(text(overdue)).toContain("Tin báo quá hạn: 0");
    await tg.pushUpdate(tgGroupText(GROUP, OFFICER, "/stats"));
    const stats = await eventually(() => tg.delivered(GROUP).find((c) => text(c).startsWith("📊 Thống kê")), 10_000, "/stats");
    expect(text(stats)).toContain("Theo loại: Trộm cắp, cướp giật 1");
    expect(text(stats)).toMatch(/Thời gian nhận xử lý \(trung vị\): \d+ phút/);
  });
});
