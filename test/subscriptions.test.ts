import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueCalls } from "../src/outbox/outbound.ts";
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

describe("subscribing to legal news", () => {
  it("is never by default; opting in records consent (what, when, which topics) and can be shown back", async () => {
    const p = new TelegramTipster(tg, 9101);
    await p.command("/start");
    await p.press("data:lang:vi");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "9101" } });
    expect(await t.db.subscription.findUnique({ where: { chatId: chat.id } })).toBeNull();

    const intro = await p.press("Nhận tin pháp luật");
    expect(intro.text).toContain("gõ «dừng»");
    expect(intro.options).toContain("⬜ Cảnh báo lừa đảo");
    const ticked = await p.press("Cảnh báo lừa đảo");
    expect(ticked.options).toContain("✅ Cảnh báo lừa đảo");
    await p.press("An toàn giao thông");
    const place = await p.press("Xong");
    expect(place.text).toContain("Gõ tên xã, phường");
    const confirm = await p.say("Phường Hoàn Kiếm, Hà Nội");
    expect(confirm.text).toContain("Bạn đồng ý nhận tin pháp luật về: Cảnh báo lừa đảo, An toàn giao thông; khu vực: Phường Hoàn Kiếm, Thành phố Hà Nội.");
    expect((await p.press("Đồng ý")).text).toContain("Đã đăng ký nhận tin pháp luật");

    const sub = await t.db.subscription.findUniqueOrThrow({ where: { chatId: chat.id } });
    expect(sub).toMatchObject({ active: true, communeCode: "00070", provinceCode: "01" });
    expect(JSON.parse(sub.topics)).toEqual(["fraud", "traffic"]);
    const consent = await t.db.consentRecord.findMany({ where: { chatId: chat.id } });
    expect(consent.map((c) => [c.action, JSON.parse(c.details).topics])).toEqual([["subscribed", ["fraud", "traffic"]]]);

    const status = await p.press("Nhận tin pháp luật");
    expect(status.text).toContain("Bạn đang nhận tin pháp luật về: Cảnh báo lừa đảo, An toàn giao thông");
    const shown = await p.press("Xem những gì tôi đã đồng ý");
    expect(shown.text).toMatch(/\d\d\/\d\d\/\d{4} — đăng ký: Cảnh báo lừa đảo, An toàn giao thông/);
  });

  it("“dừng”, “huỷ”, “stop” and /stop stop every campaign message, on every channel", async () => {
    for (const [i, word] of ["dừng", "Huỷ", "stop", "/stop"].entries()) {
      const z = new ZaloTipster(zalo, `zu-sub-${i}`);
      await z.say("hi");
      await z.choose("Tiếng Việt");
      await z.choose("Nhận tin pháp luật");
      await z.choose("Phòng, chống ma tuý");
      await z.choose("Xong");
      await z.choose("Toàn quốc");
      await z.choose("Đồng ý");
      const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: `zu-sub-${i}` } });
      expect((await t.db.subscription.findUniqueOrThrow({ where: { chatId: chat.id } })).active).toBe(true);
      const stopped = await z.say(word);
      expect(stopped.text).toContain("Đã dừng gửi tin pháp luật cho bạn trên mọi kênh");
      const sub = await t.db.subscription.findUniqueOrThrow({ where: { chatId: chat.id } });
      expect(sub).toMatchObject({ active: false, stoppedReason: "stop_word" });
    }
  });

  it("a stop word while writing a tip stops news but never becomes part of the tip", async () => {
    const p = new TelegramTipster(tg, 9102);
    await p.command("/start");
    await p.press("data:lang:vi");
    await p.press("Nhận tin pháp luật");
    await p.press("Phòng cháy");
    await p.press("Xong");
    await p.press("Toàn quốc");
    await p.press("Đồng ý");
    await p.press("Báo tin tội phạm");
    await p.press("Trộm cắp");
    await p.press("Không");
    await p.say("Phường Hoàn Kiếm");
    await p.press("Hôm nay");
    await p.say("Mất ví ở chợ.");
    const after = await p.say("dừng");
    expect(after.text).toContain("Đã dừng gửi tin pháp luật");
    expect(after.text).toContain("Bạn kể lại sự việc");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "9102" } });
    const draft = JSON.parse((await t.db.tipDraft.findUniqueOrThrow({ where: { chatId: chat.id } })).data);
    expect(draft.description).toEqual(["Mất ví ở chợ."]);
  });

  it("a block on Telegram (403) counts as opting out", async () => {
    const p = new TelegramTipster(tg, 9103);
    await p.command("/start");
    await p.press("data:lang:vi");
    await p.press("Nhận tin pháp luật");
    await p.press("Gia đình");
    await p.press("Xong");
    await p.press("Toàn quốc");
    await p.press("Đồng ý");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "9103" } });
    tg.block(9103);
    t.app.sender.notify(await enqueueCalls(t.db, { chatId: chat.id, channel: "telegram" }, [{ method: "sendMessage", payload: { text: "tin pháp luật" } }], { priority: 0 }));
    const sub = await eventually(async () => {
      const row = await t.db.subscription.findUniqueOrThrow({ where: { chatId: chat.id } });
      return row.active ? undefined : row;
    }, 10_000);
    expect(sub.stoppedReason).toBe("blocked");
    expect((await t.db.consentRecord.findMany({ where: { chatId: chat.id } })).map((c) => c.action)).toEqual(["subscribed", "stopped"]);
    tg.unblock(9103);
  });

  it("“delete my data” removes the subscription profile and its consent history", async () => {
    const z = new ZaloTipster(zalo, "zu-sub-del");
    await z.say("hi");
    await z.choose("English");
    await z.choose("Legal news");
    await z.choose("E-ID");
    await z.choose("Done");
    await z.say("Cao Bằng");
    await z.choose("I agree");
    const status = await z.choose("Legal news");
    expect(status.text).toContain("You receive legal news about: E-ID and public services; area: Tỉnh Cao Bằng.");
    const deleted = await z.choose("Delete my data");
    expect(deleted.text).toContain("Your subscription and consent history have been deleted.");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "zu-sub-del" } });
    expect(await t.db.subscription.findUnique({ where: { chatId: chat.id } })).toBeNull();
    expect(await t.db.consentRecord.count({ where: { chatId: chat.id } })).toBe(0);
  });
});
