import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeTelegramApi, tgCallback, tgCommand, tgPrivateText } from "./fakes/telegramApi.ts";
import { FakeZaloApi, zaloText } from "./fakes/zaloApi.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";

type Sent = { method: string; payload: Record<string, unknown> };
const text = (c: Sent) => String(c.payload.text ?? "");
const keyboard = (c: Sent) =>
  ((c.payload.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> })?.inline_keyboard ?? []).flat();

describe("Telegram, end to end through the webhook, inbox, outbox and the fake Bot API", () => {
  let fake: FakeTelegramApi;
  let t: TestApp;
  beforeEach(async () => {
    fake = new FakeTelegramApi();
    await fake.listen();
    t = await startTestApp({ telegram: fake });
  });
  afterEach(async () => {
    await t.close();
    await fake.close();
  });

  it("registers its webhook with the secret at start", () => {
    expect(fake.webhook.url).toBe(`${t.url}/webhooks/telegram`);
    expect(fake.webhook.secretToken).toBe("tg-secret_123");
  });

  it("/start greets in Vietnamese and offers the languages as buttons", async () => {
    expect((await fake.pushUpdate(tgCommand(501, "/start"))).status).toBe(200);
    const [msg] = await fake.waitFor(() => (fake.delivered("501").length >= 1 ? fake.delivered("501") : undefined));
    expect(text(msg!)).toContain("Xin chào! Đây là Tai Mắt");
    expect(keyboard(msg!).map((b) => b.text)).toEqual(["Tiếng Việt", "English", "ភាសាខ្មែរ (Khmer)"]);
    expect(keyboard(msg!).map((b) => b.callback_data)).toEqual(["lang:vi", "lang:en", "lang:km"]);
  });

  it("choosing English answers the button press and switches the conversation to English", async () => {
    await fake.pushUpdate(tgCommand(502, "/start"));
    await fake.waitFor(() => fake.delivered("502").length >= 1);
    await fake.pushUpdate(tgCallback(502, "lang:en", 1));
    const answered = await fake.waitFor(() => fake.callsTo("answerCallbackQuery").find((c) => c.status === 200));
    expect(answered).toBeTruthy();
    const msgs = await fake.waitFor(() => (fake.delivered("502").length >= 2 ? fake.delivered("502") : undefined));
    expect(text(msgs[1]!)).toContain("English selected.");
    expect(keyboard(msgs[1]!).map((b) => b.text)).toEqual(["🚨 Report a crime", "🔎 Check a report", "❓ Legal questions", "📰 Legal news", "Emergency numbers", "How to use", "Change language"]);
    const chat = await t.db.chat.findFirstOrThrow({ where: { channel: "telegram", platformChatId: "502" } });
    expect(chat.locale).toBe("en");

    // Later answers stay in English; the language can be switched back from the menu at any time.
    await fake.pushUpdate(tgCallback(502, "menu:language", 2));
    await fake.waitFor(() => fake.delivered("502").length >= 3);
    await fake.pushUpdate(tgCallback(502, "lang:vi", 3));
    const after = await fake.waitFor(() => (fake.delivered("502").length >= 4 ? fake.delivered("502") : undefined));
    expect(text(after[3]!)).toContain("Đã chọn tiếng Việt.");
    expect((await t.db.chat.findFirstOrThrow({ where: { platformChatId: "502" } })).locale).toBe("vi");
  });

  it("typing 113 or “khẩn cấp” answers with the emergency numbers", async () => {
    await fake.pushUpdate(tgCommand(503, "/start"));
    await fake.waitFor(() => fake.delivered("503").length >= 1);
    await fake.pushUpdate(tgPrivateText(503, "113"));
    await fake.pushUpdate(tgPrivateText(503, "Khẩn cấp!"));
    await fake.pushUpdate(tgPrivateText(503, "khan cap"));
    const msgs = await fake.waitFor(() => (fake.delivered("503").length >= 4 ? fake.delivered("503") : undefined));
    for (const m of msgs.slice(1)) {
      expect(text(m)).toContain("113 — Công an");
      expect(text(m)).toContain("114 — Cứu hỏa");
      expect(text(m)).toContain("115 — Cấp cứu");
    }
  });

  it("the first message from someone new, even before /start, is answered with 113 when they ask for emergency help", async () => {
    await fake.pushUpdate(tgPrivateText(504, "113"));
    const [msg] = await fake.waitFor(() => (fake.delivered("504").length >= 1 ? fake.delivered("504") : undefined));
    expect(text(msg!)).toContain("113 — Công an");
  });

  it("help comes back with the main menu; an unplaced message is kept and offered as a tip or a question", async () => {
    await fake.pushUpdate(tgCommand(505, "/start"));
    await fake.pushUpdate(tgCallback(505, "lang:vi", 1));
    await fake.pushUpdate(tgCommand(505, "/help"));
    await fake.pushUpdate(tgPrivateText(505, "asdfgh qwerty"));
    const msgs = await fake.waitFor(() => (fake.delivered("505").length >= 4 ? fake.delivered("505") : undefined));
    expect(text(msgs[2]!)).toContain("Tai Mắt là kênh liên lạc");
    expect(text(msgs[2]!)).not.toContain("chưa hiểu");
    expect(keyboard(msgs[2]!).map((b) => b.callback_data)).toEqual(["menu:report", "menu:lookup", "menu:ask", "menu:subscribe", "menu:emergency", "menu:help", "menu:language"]);
    expect(text(msgs[3]!)).toContain("gửi nội dung bạn vừa viết thành tin báo");
    expect(keyboard(msgs[3]!).map((b) => b.callback_data)).toEqual(["free:report", "free:ask", "menu:main"]);
  });
});

describe("Zalo, end to end: numbered text menus instead of buttons", () => {
  let fake: FakeZaloApi;
  let t: TestApp;
  beforeEach(async () => {
    fake = new FakeZaloApi();
    await fake.listen();
    t = await startTestApp({ zalo: fake });
  });
  afterEach(async () => {
    await t.close();
    await fake.close();
  });

  it("registers its webhook with the secret at start", () => {
    expect(fake.webhook?.url).toBe(`${t.url}/webhooks/zalo`);
  });

  it("a first “hi” greets in Vietnamese with numbered language options", async () => {
    expect((await fake.pushEvent(zaloText("u-701", "hi"))).status).toBe(200);
    const [msg] = await fake.waitFor(() => (fake.delivered("u-701").length >= 1 ? fake.delivered("u-701") : undefined));
    expect(text(msg!)).toContain("Xin chào! Đây là Tai Mắt");
    expect(text(msg!)).toContain("1. Tiếng Việt\n2. English\n3. ភាសាខ្មែរ (Khmer)");
    expect(text(msg!)).toContain("Trả lời 1, 2 hoặc 3.");
  });

  it("answering by number or by typing the option chooses it", async () => {
    await fake.pushEvent(zaloText("u-702", "xin chào"));
    await fake.waitFor(() => fake.delivered("u-702").length >= 1);
    await fake.pushEvent(zaloText("u-702", "2"));
    let msgs = await fake.waitFor(() => (fake.delivered("u-702").length >= 2 ? fake.delivered("u-702") : undefined));
    expect(text(msgs[1]!)).toContain("English selected.");
    expect(text(msgs[1]!)).toContain("1. 🚨 Report a crime\n2. 🔎 Check a report\n3. ❓ Legal questions\n4. 📰 Legal news\n5. Emergency numbers\n6. How to use\n7. Change language");
    expect(text(msgs[1]!)).toContain("Reply 1, 2, 3, 4, 5, 6 or 7.");

    await fake.pushEvent(zaloText("u-702", "change language"));
    await fake.waitFor(() => fake.delivered("u-702").length >= 3);
    await fake.pushEvent(zaloText("u-702", "tieng viet"));
    msgs = await fake.waitFor(() => (fake.delivered("u-702").length >= 4 ? fake.delivered("u-702") : undefined));
    expect(text(msgs[3]!)).toContain("Đã chọn tiếng Việt.");
    expect(text(msgs[3]!)).toContain("5. Số điện thoại khẩn cấp");
  });

  it("typing “khẩn cấp” or choosing the emergency item gives 113, 114 and 115", async () => {
    await fake.pushEvent(zaloText("u-703", "hi"));
    await fake.pushEvent(zaloText("u-703", "1"));
    await fake.pushEvent(zaloText("u-703", "khẩn cấp"));
    await fake.pushEvent(zaloText("u-703", "5"));
    const msgs = await fake.waitFor(() => (fake.delivered("u-703").length >= 4 ? fake.delivered("u-703") : undefined), 10_000);
    for (const m of msgs.slice(2)) expect(text(m)).toMatch(/113 — Công an[\s\S]*114 — Cứu hỏa[\s\S]*115 — Cấp cứu y tế/);
  });

  it("accepts the documented {ok, result} envelope as well as the bare event", async () => {
    expect((await fake.pushEvent(zaloText("u-704", "hi"), { wrapped: true })).status).toBe(200);
    await fake.waitFor(() => fake.delivered("u-704").length >= 1);
    expect(await t.db.inboxUpdate.count({ where: { channel: "zalo" } })).toBe(1);
  });
});
