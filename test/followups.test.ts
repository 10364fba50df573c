import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tgCallback, tgGroupText, tgUser, type FakeCall, type FakeTelegramApi, tgShownText, uploadedBytes } from "./fakes/telegramApi.ts";
import type { FakeZaloApi } from "./fakes/zaloApi.ts";
import { bindGroup } from "./helpers/officers.ts";
import { eventually, type TestApp } from "./helpers/app.ts";
import { TelegramTipster, ZaloTipster } from "./helpers/tipster.ts";
import { jpegWithMetadata, openWebSession } from "./helpers/webChat.ts";
import { startDeskWithZaloCdn, type ZaloCdn } from "./helpers/zaloCdn.ts";

/**
 * Attachments and follow-ups at any step: media kept at every step of a draft and at the main menu,
 * every message of an answer to an officer's question under the card (not only the first), and
 * "Bổ sung thông tin" after a look-up on any channel.
 */

const GROUP = -2_001;
const OFFICER = 6_001;
const MEDIA_METHODS = ["sendPhoto", "sendVideo", "sendVoice", "sendAudio", "sendDocument"];

let env: Awaited<ReturnType<typeof startDeskWithZaloCdn>>;
let t: TestApp;
let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
/** Zalo's CDN: a Zalo photo under a card is fetched by the service and uploaded, never named to Telegram. */
let cdn: ZaloCdn;

beforeAll(async () => {
  env = await startDeskWithZaloCdn({ group: GROUP, officer: OFFICER });
  ({ t, tg, zalo, cdn } = env);
});
afterAll(async () => {
  await env?.close();
});

// ---- Officers' side ------------------------------------------------------------------------------

const text = (c: FakeCall) => tgShownText(c.payload);
const buttons = (c: FakeCall) =>
  ((c.payload.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> })?.inline_keyboard ?? []).flat();
const messageId = (c: FakeCall) => (c.response!.result as { message_id: number }).message_id;

function card(code: string) {
  const sent = tg.delivered(GROUP).find((c) => c.method === "sendMessage" && text(c).includes(code) && /TIN BÁO/.test(text(c)));
  if (!sent) return undefined;
  const id = messageId(sent);
  const edits = tg.callsTo("editMessageText").filter((c) => c.status === 200 && String(c.payload.chat_id) === String(GROUP) && c.payload.message_id === id);
  return { id, text: text(edits.at(-1) ?? sent), buttons: buttons(edits.at(-1) ?? sent) };
}

/** Messages under the card of `code` (replies to it) after the card itself. */
function underCard(code: string): FakeCall[] {
  const c = card(code);
  if (!c) return [];
  // A file sent as an upload (multipart) carries its fields as strings.
  return tg.delivered(GROUP).filter((m) => String(m.payload.reply_to_message_id) === String(c.id));
}

async function press(label: string, code: string) {
  const c = await eventually(() => card(code), 10_000, `card of ${code}`);
  const data = c.buttons.find((b) => b.text.includes(label))?.callback_data;
  if (!data) throw new Error(`no button "${label}" on ${code}: ${c.buttons.map((b) => b.text).join(" | ")}`);
  await pressData(data, c.id);
}

async function pressData(data: string, onMessage: number) {
  const before = tg.callsTo("answerCallbackQuery").length;
  expect((await tg.pushUpdate(tgCallback(GROUP, data, onMessage, tgUser(OFFICER)))).status).toBe(200);
  await tg.waitFor(() => tg.callsTo("answerCallbackQuery")[before], 10_000);
}

/** The officer asks the tipster of `code` a question (button, then an answer to the bot's prompt). */
async function ask(code: string, question: string) {
  await press("Hỏi", code);
  const prompt = await eventually(() => tg.delivered(GROUP).filter((c) => text(c).includes(`câu hỏi gửi người báo tin ${code}`)).at(-1), 10_000, "prompt");
  expect((await tg.pushUpdate(tgGroupText(GROUP, OFFICER, question, messageId(prompt)))).status).toBe(200);
}

async function closeTip(code: string) {
  // Closing an unclaimed tip is for commanders: the officer claims it first.
  if ((await t.db.tip.findUniqueOrThrow({ where: { code } })).status === "new") {
    await press("Nhận xử lý", code);
    await eventually(() => card(code)?.buttons.some((b) => b.text.includes("Trả lại")), 10_000, "claimed card");
  }
  await press("Kết thúc", code);
  const chooser = await eventually(() => tg.delivered(GROUP).filter((c) => text(c).includes(`Chọn kết quả giải quyết ${code}`)).at(-1), 10_000, "outcome chooser");
  await pressData(buttons(chooser).find((b) => b.text === "Không khởi tố vụ án")!.callback_data, messageId(chooser));
  await eventually(async () => (await t.db.tip.findUniqueOrThrow({ where: { code } })).status === "closed", 10_000, "closed");
  // The press is answered before the group's messages and the tipster's notice leave: wait for them,
  // so the tipster's next message is answered after the closure notice, not raced by it.
  await idle();
}

/** Nothing left to process or to send. */
async function idle() {
  await eventually(
    async () => (await t.db.inboxUpdate.count({ where: { status: "pending" } })) === 0 && (await t.db.outboxMessage.count({ where: { status: "pending" } })) === 0,
    20_000,
    "the service idle",
  );
}

const codeOf = (s: string) => /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(s)![1]!;
const pinOf = (s: string) => /Mã PIN: (\d{6})/.exec(s)![1]!;

async function vietnamese(id: number): Promise<TelegramTipster> {
  const p = new TelegramTipster(tg, id);
  await p.command("/start");
  await p.press("data:lang:vi");
  return p;
}

async function draftOf(channel: string, platformChatId: string) {
  const chat = await t.db.chat.findUniqueOrThrow({ where: { channel_platformChatId: { channel, platformChatId } } });
  const row = await t.db.tipDraft.findUnique({ where: { chatId: chat.id } });
  return row ? (JSON.parse(row.data) as { step: string; description: string[]; attachments: Array<{ kind: string; ref: string; caption?: string }> }) : null;
}

/** A whole anonymous theft tip in Ba Đình sent from Telegram; returns its code and PIN. */
async function telegramTip(p: TelegramTipster, description: string) {
  await p.press("Báo tin tội phạm");
  await p.press("Trộm cắp");
  await p.press("Không");
  expect((await p.say("Phường Ba Đình, Hà Nội")).text).toContain("Nơi xảy ra");
  if ((await p.press("Hôm nay")).text.includes("bỏ qua")) await p.say("bỏ qua");
  await p.say(description);
  await p.say("xong");
  await p.press("Ẩn danh");
  const receipt = (await p.press("Gửi tin báo")).text;
  const code = codeOf(receipt);
  await eventually(() => card(code), 10_000, "card");
  return { code, pin: pinOf(receipt) };
}

async function zaloTip(p: ZaloTipster, description: string) {
  await p.say("xin chào");
  await p.choose("Tiếng Việt");
  await p.choose("Báo tin tội phạm");
  await p.choose("Trộm cắp");
  await p.choose("Không");
  expect((await p.say("Phường Ba Đình, Hà Nội")).text).toContain("Nơi xảy ra");
  if ((await p.choose("Hôm nay")).text.includes("bỏ qua")) await p.say("bỏ qua");
  await p.say(description);
  await p.say("xong");
  await p.choose("Ẩn danh");
  const receipt = (await p.choose("Gửi tin báo")).text;
  const code = codeOf(receipt);
  await eventually(() => card(code), 10_000, "card");
  return { code, pin: pinOf(receipt) };
}

// ---- A web chat session --------------------------------------------------------------------------

const webSession = () => openWebSession(t.url);

// ---- The journeys --------------------------------------------------------------------------------

describe("attachments at any step of a draft", () => {
  it("Telegram: photos at the category, place and review steps, a video and a voice note: each kept, said so, and all under the card", async () => {
    const p = await vietnamese(930_001);
    await p.press("Báo tin tội phạm");
    const atCategory = await p.photo("AgACPHOTO-STEP-CATEGORY");
    expect(atCategory.text).toContain("📎 Đã nhận ảnh; sẽ gửi kèm tin báo (hiện có 1 tệp).");
    expect(atCategory.text).toContain("Bạn muốn báo tin về việc gì?");
    await p.press("Trộm cắp");
    await p.press("Không");
    const atPlace = await p.photo("AgACPHOTO-STEP-PLACE", "biển số xe 29A-123.45");
    expect(atPlace.text).toContain("(hiện có 2 tệp)");
    expect(atPlace.text).toContain("Việc này xảy ra ở đâu?");
    expect((await p.say("Phường Ba Đình, Hà Nội")).text).toContain("Nơi xảy ra: Phường Ba Đình");
    const atWhen = await p.media("video", "BAACVIDEO-STEP-WHEN");
    expect(atWhen.text).toContain("📎 Đã nhận video; sẽ gửi kèm tin báo (hiện có 3 tệp).");
    if ((await p.press("Hôm nay")).text.includes("bỏ qua")) await p.say("bỏ qua");
    await p.say("Xe máy bị lấy trộm trước cổng chợ.");
    await p.say("xong");
    await p.press("Ẩn danh");
    const atReview = await p.photo("AgACPHOTO-STEP-REVIEW");
    expect(atReview.text).toContain("(hiện có 4 tệp)");
    expect(atReview.text).toContain("Tệp đính kèm: 4");
    const voice = await p.media("voice", "AwACVOICE-STEP-REVIEW");
    expect(voice.text).toContain("📎 Đã nhận ghi âm");
    expect(voice.text).toContain("Tệp đính kèm: 5");
    const code = codeOf((await p.press("Gửi tin báo")).text);

    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { attachments: { orderBy: { id: "asc" } } } });
    expect(tip.attachments.map((a) => [a.kind, a.ref])).toEqual([
      ["photo", "AgACPHOTO-STEP-CATEGORY"],
      ["photo", "AgACPHOTO-STEP-PLACE"],
      ["video", "BAACVIDEO-STEP-WHEN"],
      ["photo", "AgACPHOTO-STEP-REVIEW"],
      ["voice", "AwACVOICE-STEP-REVIEW"],
    ]);
    expect(tip.description).toContain("biển số xe 29A-123.45");
    const posted = await eventually(() => {
      const media = underCard(code).filter((c) => MEDIA_METHODS.includes(c.method));
      return media.length === 5 ? media : undefined;
    }, 10_000, "five files under the card");
    expect(posted.map((c) => [c.method, c.payload.photo ?? c.payload.video ?? c.payload.voice])).toEqual([
      ["sendPhoto", "AgACPHOTO-STEP-CATEGORY"],
      ["sendPhoto", "AgACPHOTO-STEP-PLACE"],
      ["sendVideo", "BAACVIDEO-STEP-WHEN"],
      ["sendPhoto", "AgACPHOTO-STEP-REVIEW"],
      ["sendVoice", "AwACVOICE-STEP-REVIEW"],
    ]);
    expect(text(posted[1]!)).toContain(`Tin báo ${code} — tệp 2/5:\n┃ biển số xe 29A-123.45`);
  });

  it("Zalo: a photo at the category and the time steps is kept", async () => {
    const p = new ZaloTipster(zalo, "zu-att-1");
    await p.say("xin chào");
    await p.choose("Tiếng Việt");
    await p.choose("Báo tin tội phạm");
    const first = await p.photo("https://photo-stal-1.zdn.vn/att-category.jpg", "nhà số 7");
    expect(first.text).toContain("📎 Đã nhận ảnh; sẽ gửi kèm tin báo (hiện có 1 tệp).");
    expect(first.options.some((o) => o.startsWith("Trộm cắp"))).toBe(true);
    await p.choose("Trộm cắp");
    await p.choose("Không");
    await p.say("Phường Ba Đình, Hà Nội");
    const second = await p.photo("https://photo-stal-1.zdn.vn/att-when.jpg");
    expect(second.text).toContain("(hiện có 2 tệp)");
    expect(second.options).toContain("Hôm nay");
    const draft = await draftOf("zalo", "zu-att-1");
    expect(draft).toMatchObject({ step: "when", description: ["nhà số 7"] });
    expect(draft!.attachments.map((a) => a.ref)).toEqual(["https://photo-stal-1.zdn.vn/att-category.jpg", "https://photo-stal-1.zdn.vn/att-when.jpg"]);
  });
});

describe("media at the main menu is never dropped", () => {
  it("Telegram: a file with no draft starts a tip that holds it; with kept text, both are kept", async () => {
    const p = await vietnamese(930_002);
    const reply = await p.media("document", "BQACDOC-AT-MENU", "sao kê tài khoản bị lừa");
    expect(reply.text).toContain("📎 Đã nhận tệp của bạn. Tôi giữ lại để gửi kèm một tin báo cho công an");
    expect(reply.text).toContain("Bạn muốn báo tin về việc gì?");
    expect(await draftOf("telegram", "930002")).toMatchObject({
      step: "category",
      description: ["sao kê tài khoản bị lừa"],
      attachments: [{ kind: "document", ref: "BQACDOC-AT-MENU", caption: "sao kê tài khoản bị lừa" }],
    });
    await p.press("data:flow:cancel");

    // Text the bot could not place is kept; a photo right after it starts a tip holding both.
    const kept = "hôm nay trời đẹp nhỉ, mà xóm tôi dạo này lạ lắm";
    const offer = await p.say(kept);
    expect(offer.data).toContain("free:report");
    const both = await p.photo("AgACPHOTO-AFTER-TEXT");
    expect(both.text).toContain("📎 Đã nhận ảnh của bạn");
    expect(await draftOf("telegram", "930002")).toMatchObject({ description: [kept], attachments: [{ kind: "photo", ref: "AgACPHOTO-AFTER-TEXT" }] });
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "930002" } });
    expect(chat.flow).toBeNull();
  });

  it("a photo sent while a look-up waits for its code starts a tip instead of being read as a code", async () => {
    const p = await vietnamese(930_003);
    await p.press("data:menu:lookup");
    const reply = await p.photo("AgACPHOTO-IN-LOOKUP");
    expect(reply.text).toContain("📎 Đã nhận ảnh của bạn");
    expect(reply.text).not.toContain("Mã tin báo có dạng");
    expect((await draftOf("telegram", "930003"))!.attachments).toHaveLength(1);
  });

  it("someone new whose first message is a photo: the photo waits in a draft while they choose a language", async () => {
    const p = new TelegramTipster(tg, 930_004);
    const first = await p.photo("AgACPHOTO-FIRST-CONTACT");
    expect(first.text).toContain("Đã nhận ảnh của bạn");
    expect(first.data).toContain("lang:vi");
    const menu = await p.press("data:lang:en");
    expect(menu.options).toContain("Continue my unfinished report");
    const resumed = await p.press("Continue my unfinished report");
    expect(resumed.text).toContain("What would you like to report?");
    expect((await draftOf("telegram", "930004"))!.attachments.map((a) => a.ref)).toEqual(["AgACPHOTO-FIRST-CONTACT"]);
  });

  it("web: a photo uploaded at the menu is kept in a new draft", async () => {
    const w = await webSession();
    try {
      await w.send({ type: "start" });
      await w.send({ type: "choice", choiceId: "lang:vi" });
      const reply = await w.send(await jpegWithMetadata(40, 30));
      expect(reply.text).toContain("📎 Đã nhận ảnh của bạn");
      const draft = await draftOf("web", w.chatKey);
      expect(draft!.attachments).toEqual([{ kind: "photo", ref: expect.stringMatching(/^upload:/) }]);
    } finally {
      await w.stream.close();
    }
  });
});

describe("answering an officer's question", () => {
  it("Telegram: three follow-ups (text, photo, text) all reach the card; Xong ends the exchange; nothing after it is relayed", async () => {
    const p = await vietnamese(930_010);
    const { code } = await telegramTip(p, "Mất xe đạp điện trước nhà văn hoá.");
    await ask(code, "Bạn có ảnh chụp người lấy xe không?");
    await eventually(() => p.messages().find((m) => m.text.includes("hỏi về tin báo")), 10_000, "question");

    const first = await p.say("Có, tôi chụp được lúc anh ta đi.");
    expect(first.text).toContain("✅ Đã chuyển câu trả lời của bạn tới Công an phường Ba Đình.");
    expect(first.options).toEqual(["Xong", "⬅️ Quay lại"]);
    const photo = await p.photo("AgACPHOTO-ANSWER", "người mặc áo xanh");
    expect(photo.text).toContain("✅ Đã chuyển ảnh tới Công an phường Ba Đình.");
    const third = await p.say("Anh ta đi về phía cầu Long Biên.");
    expect(third.text).toContain("Đã chuyển câu trả lời của bạn");

    const under = await eventually(() => {
      const found = underCard(code).filter((c) => text(c).startsWith("💬 Người báo tin"));
      return found.length === 3 ? found : undefined;
    }, 10_000, "three follow-ups under the card");
    expect(under.map((c) => c.method)).toEqual(["sendMessage", "sendPhoto", "sendMessage"]);
    expect(text(under[0]!)).toBe(`💬 Người báo tin ${code} trả lời:\n┃ Có, tôi chụp được lúc anh ta đi.`);
    expect(under[1]!.payload.photo).toBe("AgACPHOTO-ANSWER");
    expect(text(under[1]!)).toBe(`💬 Người báo tin ${code} trả lời bằng ảnh:\n┃ người mặc áo xanh`);
    expect(text(under[2]!)).toBe(`💬 Người báo tin ${code} trả lời:\n┃ Anh ta đi về phía cầu Long Biên.`);

    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { audit: true, attachments: true } });
    expect(tip.audit.filter((a) => a.action === "tip.answer_received")).toHaveLength(3);
    expect(tip.attachments.map((a) => [a.kind, a.ref, a.caption])).toEqual([["photo", "AgACPHOTO-ANSWER", "người mặc áo xanh"]]);

    const done = await p.press("Xong");
    expect(done.text).toContain("Cảm ơn bạn đã trả lời.");
    const after = await p.say("ok cảm ơn");
    expect(after.text).not.toContain("Đã chuyển");
    await idle();
    expect(underCard(code).filter((c) => text(c).startsWith("💬 Người báo tin"))).toHaveLength(3);
  });

  it("Zalo: a photo in answer is relayed (not refused), and a second question opens a new exchange", async () => {
    const z = new ZaloTipster(zalo, "zu-ans-1");
    const { code } = await zaloTip(z, "Trộm mất điện thoại ở bến xe buýt.");
    await ask(code, "Bạn còn ảnh chụp điện thoại không?");
    await eventually(() => z.messages().find((m) => m.text.includes("hỏi về tin báo")), 10_000, "question");
    const photo = await z.photo("https://photo-stal-1.zdn.vn/answer-phone.jpg");
    expect(photo.text).toContain("✅ Đã chuyển ảnh tới Công an phường Ba Đình.");
    expect(photo.text).not.toContain("chưa đọc được");
    const words = await z.say("Điện thoại màu đen, ốp lưng đỏ.");
    expect(words.text).toContain("Đã chuyển câu trả lời của bạn");
    // Uploaded with the bytes Zalo's CDN served: Telegram is never given the address to fetch.
    const sent = await eventually(() => underCard(code).find((c) => c.method === "sendPhoto"), 10_000, "photo under the card");
    expect(uploadedBytes(sent.payload, "photo")).toEqual(cdn.bytesOf("/answer-phone.jpg"));
    expect(JSON.stringify(sent.payload)).not.toContain("zdn.vn");
    await eventually(() => underCard(code).find((c) => text(c).includes("ốp lưng đỏ")), 10_000, "text under the card");
    // "menu" leaves the exchange.
    expect((await z.say("menu")).text).toContain("Bạn muốn làm gì?");
    expect((await z.say("Báo tin tội phạm")).text).toContain("Bạn muốn báo tin về việc gì?");
    await z.say("huỷ");
    expect(await t.db.auditEvent.count({ where: { tip: { code }, action: "tip.answer_received" } })).toBe(2);
  });

  it("a tip closed while the tipster is answering takes nothing more, and says so", async () => {
    const p = await vietnamese(930_011);
    const { code } = await telegramTip(p, "Mất ví trên xe buýt số 09.");
    await ask(code, "Trong ví có giấy tờ gì?");
    await eventually(() => p.messages().find((m) => m.text.includes("hỏi về tin báo")), 10_000, "question");
    await p.say("Có căn cước và thẻ ngân hàng.");
    await closeTip(code);
    await eventually(() => p.messages().find((m) => m.text.includes("đã được giải quyết")), 10_000, "closure notice");
    const late = await p.photo("AgACPHOTO-TOO-LATE");
    expect(late.text).toContain("Tin báo này đã được giải quyết xong nên không nhận thêm thông tin.");
    await idle();
    expect(tg.delivered(GROUP).some((c) => c.payload.photo === "AgACPHOTO-TOO-LATE")).toBe(false);
    expect(await t.db.tipAttachment.count({ where: { tip: { code } } })).toBe(0);
  });
});

describe("“Bổ sung thông tin” after a look-up", () => {
  it("Zalo: code + PIN, then text and a photo added under the card, audited; the tipster is told each was delivered", async () => {
    const z = new ZaloTipster(zalo, "zu-add-1");
    const { code, pin } = await zaloTip(z, "Mất trộm xe máy ở bãi gửi xe chung cư.");
    await z.choose("Tra cứu tin báo");
    await z.say(code);
    const status = await z.say(pin);
    expect(status.text).toContain(`Tin báo ${code}`);
    expect(status.options[0]).toBe("➕ Bổ sung thông tin");
    const prompt = await z.choose("Bổ sung thông tin");
    expect(prompt.text).toContain("Mỗi tin được chuyển ngay tới Công an phường Ba Đình");
    const added = "Camera của chung cư có quay được lúc 2 giờ sáng.";
    const sent = await z.say(added);
    expect(sent.text).toContain("✅ Đã chuyển thông tin bổ sung của bạn tới Công an phường Ba Đình.");
    const photo = await z.photo("https://photo-stal-1.zdn.vn/add-camera.jpg", "ảnh chụp màn hình camera");
    expect(photo.text).toContain("✅ Đã chuyển ảnh tới Công an phường Ba Đình.");
    expect((await z.say("xong")).text).toContain("Cảm ơn bạn đã bổ sung thông tin");

    const under = await eventually(() => {
      const found = underCard(code).filter((c) => text(c).startsWith("➕ Người báo tin"));
      return found.length === 2 ? found : undefined;
    }, 10_000, "additions under the card");
    expect(text(under[0]!)).toBe(`➕ Người báo tin ${code} bổ sung thông tin:\n┃ Camera của chung cư có quay được lúc 2 giờ sáng.`);
    expect(under[1]!.method).toBe("sendPhoto");
    expect(uploadedBytes(under[1]!.payload, "photo")).toEqual(cdn.bytesOf("/add-camera.jpg"));
    expect(JSON.stringify(under[1]!.payload)).not.toContain("zdn.vn");
    expect(text(under[1]!)).toBe(`➕ Người báo tin ${code} bổ sung ảnh:\n┃ ảnh chụp màn hình camera`);
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { audit: true } });
    expect(tip.audit.filter((a) => a.action === "tip.information_added").map((a) => JSON.parse(a.data))).toEqual([{ length: added.length }, { media: "photo", length: "ảnh chụp màn hình camera".length }]);

    // Once closed: no offer after the look-up, and an exchange left open takes nothing more.
    await z.choose("Tra cứu tin báo");
    await z.say(code);
    await z.say(pin);
    await z.choose("Bổ sung thông tin");
    await closeTip(code);
    const refused = await z.say("Thêm: xe biển số 29X1-555.55");
    expect(refused.text).toContain("đã được giải quyết xong nên không nhận thêm thông tin");
    await z.choose("Tra cứu tin báo");
    await z.say(code);
    const closedStatus = await z.say(pin);
    expect(closedStatus.text).toContain("Đã xử lý xong");
    expect(closedStatus.options).not.toContain("➕ Bổ sung thông tin");
    await idle();
    expect(tg.delivered(GROUP).some((c) => text(c).includes("29X1-555.55"))).toBe(false);
  });

  it("web: a tip sent on Telegram gets words and a metadata-free photo added from the web chat", async () => {
    const p = await vietnamese(930_012);
    const { code, pin } = await telegramTip(p, "Bị giật túi xách trên phố Đội Cấn.");
    const w = await webSession();
    try {
      await w.send({ type: "start" });
      await w.send({ type: "choice", choiceId: "lang:vi" });
      await w.send({ type: "choice", choiceId: "menu:lookup" });
      await w.send({ type: "text", text: code });
      const status = await w.send({ type: "text", text: pin });
      expect(status.text).toContain(`Tin báo ${code}`);
      expect(status.choices?.[0]).toEqual({ id: "addinfo:start", label: "➕ Bổ sung thông tin" });
      await w.send({ type: "choice", choiceId: "addinfo:start" });
      expect((await w.send({ type: "text", text: "Kẻ giật túi đi xe Wave màu xanh." })).text).toContain("✅ Đã chuyển thông tin bổ sung của bạn tới Công an phường Ba Đình.");
      const original = await jpegWithMetadata(48, 36);
      expect((await w.send(original)).text).toContain("✅ Đã chuyển ảnh tới Công an phường Ba Đình.");

      const photo = await eventually(() => underCard(code).find((c) => c.method === "sendPhoto"), 10_000, "photo under the card");
      const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { attachments: true } });
      expect(tip.attachments).toHaveLength(1);
      const upload = await t.db.upload.findUniqueOrThrow({ where: { id: tip.attachments[0]!.ref.slice("upload:".length) } });
      // The group got the stored (re-encoded, metadata-free) bytes as a file, never the original.
      const file = String(photo.payload.photo).replace(/^attach:\/\//, "");
      expect(photo.payload[file]).toEqual({ filename: "photo.jpeg", size: upload.size });
      expect(upload.size).not.toBe(original.length);
      expect(Buffer.from(upload.bytes).includes(Buffer.from("Exif\0\0", "latin1"))).toBe(false);
      await eventually(() => underCard(code).find((c) => text(c).includes("Kẻ giật túi đi xe Wave màu xanh")), 10_000, "words under the card");
    } finally {
      await w.stream.close();
    }
  });

  it("an old 'Bổ sung thông tin' button, pressed once the person did something else, says it has expired", async () => {
    const p = await vietnamese(930_013);
    const { code, pin } = await telegramTip(p, "Mất trộm bình ga trong bếp.");
    await p.press("data:menu:lookup");
    await p.say(code);
    await p.say(pin);
    await p.say("xin chào");
    const expired = await p.press("data:addinfo:start");
    expect(expired.text).toContain("không còn dùng được");
    expect(await t.db.auditEvent.count({ where: { tip: { code }, action: "tip.information_added" } })).toBe(0);
  });
});

describe("a group bound after the follow-ups", () => {
  it("shows the card with the answers, the added information and every file", async () => {
    const p = await vietnamese(930_014);
    const { code, pin } = await telegramTip(p, "Trộm chó ban đêm ở ngõ 5.");
    await ask(code, "Con chó màu gì?");
    await eventually(() => p.messages().find((m) => m.text.includes("hỏi về tin báo")), 10_000, "question");
    await p.say("Màu vàng, có vòng cổ đỏ.");
    await p.press("Xong");
    await p.press("data:menu:lookup");
    await p.say(code);
    await p.say(pin);
    await p.press("Bổ sung thông tin");
    await p.media("document", "BQACDOC-ADDED");
    await p.say("Hàng xóm cũng mất một con tuần trước.");
    await p.say("xong");
    // Transferred to another commune whose group shows a new card: everything sent so far comes with it.
    const other = -2_002;
    await bindGroup(t.db, "commune:00070", other);
    await press("Chuyển", code);
    const prompt = await eventually(() => tg.delivered(GROUP).filter((c) => text(c).includes(`nhận chuyển tin báo ${code}`)).at(-1), 10_000, "transfer prompt");
    await tg.pushUpdate(tgGroupText(GROUP, OFFICER, "phường Hoàn Kiếm", messageId(prompt)));
    const chooser = await eventually(() => tg.delivered(GROUP).find((c) => text(c).includes(`Chọn đơn vị nhận chuyển ${code}`)), 10_000, "chooser");
    await pressData(buttons(chooser).find((b) => b.text === "Công an phường Hoàn Kiếm")!.callback_data, messageId(chooser));
    const moved = await eventually(() => tg.delivered(other).find((c) => text(c).includes(`TIN BÁO ${code}`)), 10_000, "card in the new group");
    const replies = await eventually(() => {
      const r = tg.delivered(other).filter((c) => c.payload.reply_to_message_id === messageId(moved));
      return r.length >= 3 ? r : undefined;
    }, 10_000, "follow-ups under the new card");
    expect(replies.map((c) => [c.method, text(c).split("\n")[0]])).toEqual([
      ["sendDocument", `Tin báo ${code} — tệp 1/1`],
      ["sendMessage", `💬 Người báo tin ${code} trả lời:`],
      ["sendMessage", `➕ Người báo tin ${code} bổ sung thông tin:`],
    ]);
  });
});
