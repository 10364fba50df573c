import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDataRequests } from "../src/core/privacy/dataRequests.ts";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import { FakeZaloApi } from "./fakes/zaloApi.ts";
import { eventually, startWithFakes, type TestApp } from "./helpers/app.ts";
import { TelegramTipster, ZaloTipster } from "./helpers/tipster.ts";

let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
let t: TestApp;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ tg, zalo, t, close } = await startWithFakes());
});
afterAll(() => close());

const codeOf = (text: string) => /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(text)?.[1];

async function sendAnonymousTip(p: TelegramTipster): Promise<string> {
  await p.press("Báo tin tội phạm");
  await p.press("Ma tuý");
  await p.press("Không");
  await p.location(21.0287, 105.8524);
  await p.press("Hôm nay");
  await p.say("Quán nước đầu ngõ 12.");
  await p.say("Tối nào cũng có người đến mua bán.");
  await p.say("xong");
  await p.press("Ẩn danh");
  const receipt = await p.press("Gửi tin báo");
  return codeOf(receipt.text)!;
}

describe("data-subject requests (Law 91/2025)", () => {
  it("“xem dữ liệu của tôi” answers at once with what is held, never the tips; “xoá dữ liệu của tôi” asks, then deletes all but the police record", async () => {
    const p = new TelegramTipster(tg, 8101);
    await p.command("/start");
    await p.press("data:lang:vi");
    await p.press("Nhận tin pháp luật");
    await p.press("Phòng cháy");
    await p.press("Xong");
    await p.press("Toàn quốc");
    await p.press("Đồng ý");
    const code = await sendAnonymousTip(p);
    expect(code).toMatch(/^TM-/);
    await p.press("Báo tin tội phạm");
    await p.press("Lừa đảo"); // an open draft
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "8101" } });
    expect(await t.db.tipDraft.count({ where: { chatId: chat.id } })).toBe(1);

    const access = await p.say("Xem dữ liệu của tôi");
    expect(access.text).toContain("Dữ liệu Tai Mắt đang lưu về cuộc trò chuyện này");
    expect(access.text).toContain("Kênh: Telegram");
    expect(access.text).toContain("Ngôn ngữ: Tiếng Việt");
    expect(access.text).toContain("Nhận tin pháp luật: đang nhận, chủ đề Phòng cháy");
    expect(access.text).toContain("Một bản nháp tin báo chưa gửi");
    expect(access.text).toContain("hệ thống cố ý không liên kết tin báo với cuộc trò chuyện này");
    // Whoever holds the phone must not learn that a tip was sent from it.
    expect(access.text).not.toContain(code);
    expect(access.text).not.toMatch(/Ma tuý|ngõ 12/);
    expect(access.options).toContain("🗑 Xoá dữ liệu của tôi");
    // The draft is untouched by the request.
    expect(await t.db.tipDraft.count({ where: { chatId: chat.id } })).toBe(1);

    const ask = await p.say("xoá dữ liệu của tôi");
    expect(ask.text).toContain("Bạn muốn xoá dữ liệu của mình");
    expect(ask.text).toContain("tin báo đã gửi là hồ sơ của cơ quan công an");
    expect(ask.options).toEqual(["🗑 Xoá dữ liệu của tôi", "Không, giữ lại"]);
    // Nothing is deleted before the person confirms.
    expect(await t.db.subscription.count({ where: { chatId: chat.id } })).toBe(1);
    const lastBefore = (await t.db.outboxMessage.findFirstOrThrow({ where: { chatId: chat.id }, orderBy: { id: "desc" } })).id;
    await eventually(async () => (await t.db.outboxMessage.count({ where: { chatId: chat.id, status: "pending" } })) === 0);

    const done = await p.press("Xoá dữ liệu của tôi");
    expect(done.text).toMatch(/Đã xoá dữ liệu của bạn \(yêu cầu DSR-[0-9A-F]{8}\): 1 bản nháp, 1 đăng ký, 0 ảnh, 0 câu hỏi, \d+ tin nhắn/);
    expect(await t.db.tipDraft.count({ where: { chatId: chat.id } })).toBe(0);
    expect(await t.db.subscription.count({ where: { chatId: chat.id } })).toBe(0);
    expect(await t.db.consentRecord.count({ where: { chatId: chat.id } })).toBe(0);
    expect(await t.db.outboxMessage.count({ where: { chatId: chat.id, id: { lte: lastBefore } } })).toBe(0);
    expect(await t.db.chat.findUniqueOrThrow({ where: { id: chat.id } })).toMatchObject({ locale: null, flow: null });
    // The police record stays, and the police can still answer the tipster.
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
    expect(tip.description).toContain("Tối nào cũng có người đến mua bán.");
    expect(t.sealer.open(tip.replyRefSealed, "tip-reply-ref")).toBe(chat.id);

    // Recorded with their legal due dates; the records carry no chat.
    const requests = await listDataRequests(t.db);
    const mine = requests.filter((r) => r.channel === "telegram");
    expect(mine.map((r) => [r.kind, r.status])).toEqual([
      ["delete", "done"],
      ["access", "answered"],
    ]);
    const del = mine[0]!;
    // Day-based periods end at 24:00 (Vietnam) of their last day.
    const days = (r: { dueAt: Date; receivedAt: Date }) => (r.dueAt.getTime() - r.receivedAt.getTime()) / 86_400_000;
    expect(days(del)).toBeGreaterThanOrEqual(20);
    expect(days(del)).toBeLessThan(21);
    expect(days(mine[1]!)).toBeGreaterThanOrEqual(10);
    expect(days(mine[1]!)).toBeLessThan(11);
    expect(del.ackDueAt.getTime()).toBeGreaterThan(del.receivedAt.getTime());
    expect(del.ackDueAt.getTime() - del.receivedAt.getTime()).toBeLessThanOrEqual(6 * 86_400_000);
    const events = await t.db.auditEvent.findMany({ where: { action: { startsWith: "dsr." } } });
    for (const e of events) {
      expect(e.data).not.toContain(chat.id);
      expect(e.data).not.toContain("8101");
    }

    // The next message starts afresh: the language is asked again.
    const fresh = await p.say("xin chào");
    expect(fresh.options).toContain("English");
  });

  it("works without diacritics and in English, on Zalo; “no” keeps everything", async () => {
    const z = new ZaloTipster(zalo, "zu-dsr-1");
    await z.say("hi");
    await z.choose("English");
    const access = await z.say("my data");
    expect(access.text).toContain("What Tai Mắt holds about this chat");
    expect(access.text).toContain("Channel: Zalo");
    expect(access.text).toContain("Legal news: not subscribed.");
    expect(access.text).toContain("does not link tips to this chat");

    const ask = await z.say("xoa du lieu cua toi");
    expect(ask.text).toContain("Delete your data");
    expect(ask.text).toContain("a submitted tip is a police record");
    const kept = await z.choose("No, keep it");
    expect(kept.text).toContain("Deletion cancelled");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "zu-dsr-1" } });
    expect(chat.locale).toBe("en");

    const again = await z.say("Delete my data!");
    expect(again.text).toContain("Delete your data");
    const done = await z.choose("Delete my data");
    expect(done.text).toContain("Your data has been deleted");
    expect((await t.db.chat.findUniqueOrThrow({ where: { id: chat.id } })).locale).toBeNull();
    const statuses = (await listDataRequests(t.db)).filter((r) => r.channel === "zalo").map((r) => r.status);
    expect(statuses.sort()).toEqual(["answered", "cancelled", "done"]);
    expect((await listDataRequests(t.db)).filter((r) => r.open)).toEqual([]);
  });

  it("an unconfirmed deletion is listed as open until confirmed", async () => {
    const p = new TelegramTipster(tg, 8102);
    await p.command("/start");
    await p.press("data:lang:en");
    const ask = await p.say("delete my data");
    expect(ask.text).toContain("Delete your data");
    const open = (await listDataRequests(t.db)).filter((r) => r.open);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ kind: "delete", channel: "telegram", status: "awaiting_confirmation", overdue: false });
    const later = await listDataRequests(t.db, new Date(Date.now() + 22 * 86_400_000));
    expect(later.find((r) => r.ref === open[0]!.ref)!.overdue).toBe(true);
  });

  it("the service's daily retention job applies the configured rules and records its report", async () => {
    const chat = await t.db.chat.create({ data: { channel: "zalo", platformChatId: "zu-retention", kind: "private" } });
    await t.db.outboxMessage.create({ data: { channel: "zalo", chatId: chat.id, method: "sendMessage", payload: "{}", status: "sent", createdAt: new Date(Date.now() - 31 * 86_400_000) } });
    const report = await t.app.runRetention();
    expect(report.counts.outbox).toBeGreaterThanOrEqual(1);
    expect(await t.db.outboxMessage.count({ where: { chatId: chat.id } })).toBe(0);
    const run = await t.db.auditEvent.findFirstOrThrow({ where: { action: "retention.run" }, orderBy: { id: "desc" } });
    expect(JSON.parse(run.data).counts).toEqual(report.counts);
  });
});
