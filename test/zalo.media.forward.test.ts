import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaAddressRefusal, MEDIA_ADDRESS_MAX } from "../src/channels/mediaFetch.ts";
import { zaloEvent } from "../src/channels/zalo/inbound.ts";
import { enqueueCalls } from "../src/outbox/outbound.ts";
import { tgCallback, tgGroupText, tgShownText, tgUser, uploadedBytes, type FakeCall, type FakeTelegramApi } from "./fakes/telegramApi.ts";
import { zaloImage, type FakeZaloApi } from "./fakes/zaloApi.ts";
import { eventually, waitIdle, type TestApp } from "./helpers/app.ts";
import { ZaloTipster } from "./helpers/tipster.ts";
import { startDeskWithZaloCdn, type ZaloCdn } from "./helpers/zaloCdn.ts";

/*
 * A Zalo tipster's file addresses attacked as a forged inbound message would name them: plain
 * http, another host, the cloud metadata address, credentials or a port in the address, an address
 * longer than MEDIA_ADDRESS_MAX (refused at intake: never stored as a file), and an allowed host
 * that redirects elsewhere (stored, then refused when the service fetches it to forward). Nothing
 * of any of them reaches the Telegram fake — the calls it received are searched — the resident is
 * told in their language each time, and the words sent with a file are kept (in the tip, or passed
 * on as an answer). A genuine Zalo photo reaches the officers as an upload of the bytes Zalo's CDN
 * (a local TLS stand-in) served: Telegram is never handed an address to fetch.
 */

const GROUP = -2_101;
const OFFICER = 6_101;
const FORGED = {
  http: "http://photo-stal-1.zdn.vn/plain-http.jpg",
  foreign: "https://evil.example/track.jpg?tip=1",
  metadata: "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
  credentials: "https://photo-stal-1.zdn.vn@evil.example/creds.jpg",
  port: "https://photo-stal-1.zdn.vn:8443/port.jpg",
  long: `https://photo-stal-1.zdn.vn/${"l".repeat(MEDIA_ADDRESS_MAX)}.jpg`,
};
const REDIRECTING = "https://photo-stal-1.zdn.vn/redirect-evil.jpg";
const GENUINE = "https://photo-stal-1.zdn.vn/genuine-draft.jpg";
/** Substrings no call to Telegram may carry. */
const NEVER_AT_TELEGRAM = ["evil.example", "169.254.169.254", "plain-http", "l".repeat(64), "zdn.vn", "creds.jpg", "port.jpg", "redirect-evil"];
const REFUSED_VI = "Chúng tôi không nhận được ảnh này";
const WORDS_KEPT_VI = "Lời nhắn kèm theo thì đã được giữ lại";

let env: Awaited<ReturnType<typeof startDeskWithZaloCdn>>;
let t: TestApp;
let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
let cdn: ZaloCdn;

beforeAll(async () => {
  env = await startDeskWithZaloCdn({ group: GROUP, officer: OFFICER });
  ({ t, tg, zalo, cdn } = env);
}, 60_000);
afterAll(async () => {
  await env?.close();
});

const text = (c: FakeCall) => tgShownText(c.payload);
const messageId = (c: FakeCall) => (c.response!.result as { message_id: number }).message_id;
const codeOf = (s: string) => /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(s)![1]!;

function card(code: string) {
  return tg.delivered(GROUP).find((c) => c.method === "sendMessage" && text(c).includes(code) && /TIN BÁO/.test(text(c)));
}
function underCard(code: string): FakeCall[] {
  const c = card(code);
  return c ? tg.delivered(GROUP).filter((m) => String(m.payload.reply_to_message_id) === String(messageId(c))) : [];
}
/** Every call Telegram received (delivered or not), searched for any trace of a forged address. */
function tracesAtTelegram(): string[] {
  const all = tg.calls.map((c) => JSON.stringify(c.payload));
  return NEVER_AT_TELEGRAM.filter((needle) => all.some((p) => p.includes(needle)));
}
async function storedRefs(): Promise<string[]> {
  const attachments = (await t.db.tipAttachment.findMany({ select: { ref: true } })).map((a) => a.ref);
  const drafts = (await t.db.tipDraft.findMany({ select: { data: true } })).map((d) => d.data);
  return [...attachments, ...drafts];
}

/** A Zalo tipster at the "what happened" step of a theft tip in Ba Đình. */
async function atWhatStep(z: ZaloTipster) {
  await z.say("xin chào");
  await z.choose("Tiếng Việt");
  await z.choose("Báo tin tội phạm");
  await z.choose("Trộm cắp");
  await z.choose("Không");
  await z.say("Phường Ba Đình, Hà Nội");
  if ((await z.choose("Hôm nay")).text.includes("bỏ qua")) await z.say("bỏ qua");
}

describe("a file address is checked on its text before anything is stored", () => {
  it("only HTTPS on an allowed host, no credentials, port or IP literal, at most MEDIA_ADDRESS_MAX characters", () => {
    const hosts = ["*.zdn.vn"];
    expect(mediaAddressRefusal("https://photo-stal-1.zdn.vn/a.jpg", hosts)).toBeUndefined();
    expect(mediaAddressRefusal(FORGED.http, hosts)).toBe("scheme");
    expect(mediaAddressRefusal("javascript:alert(1)", hosts)).toBe("scheme");
    expect(mediaAddressRefusal("not an address", hosts)).toBe("scheme");
    for (const host of [FORGED.foreign, FORGED.metadata, FORGED.credentials, FORGED.port, "https://zdn.vn/a.jpg", "https://zdn.vn.evil.example/a.jpg", "https://[::1]/a.jpg"]) {
      expect(mediaAddressRefusal(host, hosts), host).toBe("host");
    }
    expect(mediaAddressRefusal(FORGED.long, hosts)).toBe("too_long");
    // A stored Zalo event is read with the configured hosts: a refused address is never a file ref.
    const event = zaloEvent(zaloImage("zu-unit", FORGED.foreign, "lời kèm"), hosts);
    expect(event?.input).toEqual({ type: "file_refused", kind: "photo", caption: "lời kèm" });
    expect(zaloEvent(zaloImage("zu-unit", FORGED.foreign), ["evil.example"])?.input).toMatchObject({ type: "media", ref: FORGED.foreign });
  });
});

describe("forged Zalo file addresses never reach Telegram; the resident is answered and their words kept", () => {
  it("in a tip: each forged photo is refused and said so, its caption joins the description; a redirect is refused when fetched; a genuine photo is uploaded", async () => {
    const z = new ZaloTipster(zalo, "zu-forge-1");
    await atWhatStep(z);
    await z.say("Có người lạ bẻ khoá xe máy trước nhà số 12.");
    for (const [name, url] of Object.entries(FORGED)) {
      const reply = await z.photo(url, `lời kèm ${name}`);
      expect(reply.text, name).toContain(REFUSED_VI);
      expect(reply.text, name).toContain(WORDS_KEPT_VI);
      expect(reply.options, name).toContain("Xong");
    }
    expect((await z.photo(REDIRECTING, "lời kèm chuyển hướng")).text).toContain("Đã nhận");
    expect((await z.photo(GENUINE)).text).toContain("Đã nhận");
    await z.say("xong");
    await z.choose("Ẩn danh");
    const code = codeOf((await z.choose("Gửi tin báo")).text);
    await eventually(() => card(code), 10_000, "card");
    await waitIdle(t);

    // Stored: the two addresses that passed intake, and every word sent with a file.
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { attachments: { orderBy: { id: "asc" } } } });
    expect(tip.attachments.map((a) => a.ref)).toEqual([REDIRECTING, GENUINE]);
    for (const name of Object.keys(FORGED)) expect(tip.description).toContain(`lời kèm ${name}`);
    for (const url of Object.values(FORGED)) expect((await storedRefs()).some((r) => r.includes(url))).toBe(false);

    // Under the card: the genuine photo as uploaded bytes; the redirecting one refused when fetched (never looked up elsewhere).
    const photos = underCard(code).filter((c) => c.method === "sendPhoto");
    expect(photos).toHaveLength(1);
    expect(uploadedBytes(photos[0]!.payload, "photo")).toEqual(cdn.bytesOf("/genuine-draft.jpg"));
    const redirected = await t.db.outboxMessage.findFirstOrThrow({ where: { method: "sendPhoto", payload: { contains: "redirect-evil" } } });
    expect(redirected).toMatchObject({ status: "failed", lastError: "file refused: redirect" });
    expect(cdn.served).toContain("photo-stal-1.zdn.vn/redirect-evil.jpg");
    expect(cdn.lookups).not.toContain("evil.example");
    expect(tracesAtTelegram()).toEqual([]);
  });

  it("at the main menu: a forged photo alone is refused with the menu (no draft); with words, the words are read as typed", async () => {
    const z = new ZaloTipster(zalo, "zu-forge-2");
    await z.say("xin chào");
    await z.choose("Tiếng Việt");
    const alone = await z.photo(FORGED.metadata);
    expect(alone.text).toContain(REFUSED_VI);
    expect(alone.text).not.toContain(WORDS_KEPT_VI);
    expect(alone.options.some((o) => o.includes("Báo tin tội phạm"))).toBe(true);
    const chat = await t.db.chat.findUniqueOrThrow({ where: { channel_platformChatId: { channel: "zalo", platformChatId: "zu-forge-2" } } });
    expect(await t.db.tipDraft.findUnique({ where: { chatId: chat.id } })).toBeNull();

    const worded = await z.photo(FORGED.foreign, "Có người bán ma tuý ở đầu ngõ 5 mỗi tối");
    expect(worded.text).toContain(WORDS_KEPT_VI);
    // The words are read as typed: a report of drugs starts a tip holding them (and no file), at its first question.
    expect(worded.options).toContain("Ma tuý");
    const draft = await t.db.tipDraft.findUniqueOrThrow({ where: { chatId: chat.id } });
    const data = JSON.parse(draft.data) as { description: string[]; attachments: unknown[] };
    expect(data.description.join(" ")).toContain("bán ma tuý ở đầu ngõ 5");
    expect(data.attachments).toEqual([]);
    await waitIdle(t);
    expect(tracesAtTelegram()).toEqual([]);
  });

  it("a voice note on another host is refused and said so", async () => {
    const z = new ZaloTipster(zalo, "zu-forge-3");
    await z.say("xin chào");
    await z.choose("Tiếng Việt");
    const voice = zaloImage("zu-forge-3", "unused");
    voice.event_name = "message.voice.received";
    const message = voice.message as unknown as Record<string, unknown>;
    delete message.photo_url;
    delete message.caption;
    message.voice_url = "https://evil.example/voice.aac";
    const before = zalo.delivered("zu-forge-3").length;
    expect((await zalo.pushEvent(voice)).status).toBe(200);
    const reply = await zalo.waitFor(() => zalo.delivered("zu-forge-3")[before], 10_000);
    expect(String(reply.payload.text)).toContain("Chúng tôi không nhận được ghi âm này");
  });

  it("answering an officer's question: a forged photo is not passed on, its words are; the tipster is told both", async () => {
    const z = new ZaloTipster(zalo, "zu-forge-4");
    await atWhatStep(z);
    await z.say("Mất trộm điện thoại ở bến xe buýt Kim Mã.");
    await z.say("xong");
    await z.choose("Ẩn danh");
    const code = codeOf((await z.choose("Gửi tin báo")).text);
    const posted = await eventually(() => card(code), 10_000, "card");
    const ask = ((posted.payload.reply_markup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }).inline_keyboard.flat()).find((b) => b.text.includes("Hỏi"))!;
    const answered = tg.callsTo("answerCallbackQuery").length;
    expect((await tg.pushUpdate(tgCallback(GROUP, ask.callback_data, messageId(posted), tgUser(OFFICER)))).status).toBe(200);
    await tg.waitFor(() => tg.callsTo("answerCallbackQuery")[answered], 10_000);
    const prompt = await eventually(() => tg.delivered(GROUP).filter((c) => text(c).includes(`câu hỏi gửi người báo tin ${code}`)).at(-1), 10_000, "prompt");
    expect((await tg.pushUpdate(tgGroupText(GROUP, OFFICER, "Bạn có ảnh chụp kẻ trộm không?", messageId(prompt)))).status).toBe(200);
    await eventually(() => z.messages().find((m) => m.text.includes("hỏi về tin báo")), 10_000, "question");

    const reply = await z.photo(FORGED.foreign, "Kẻ trộm mặc áo khoác xanh");
    expect(reply.text).toContain(WORDS_KEPT_VI);
    expect(reply.text).toContain("Đã chuyển câu trả lời của bạn");
    const alone = await z.photo(FORGED.http);
    expect(alone.text).toContain(REFUSED_VI);
    await eventually(() => underCard(code).find((c) => text(c).includes("Kẻ trộm mặc áo khoác xanh")), 10_000, "the words under the card");
    await waitIdle(t);
    expect(underCard(code).filter((c) => c.method !== "sendMessage")).toEqual([]);
    expect(await t.db.tipAttachment.count({ where: { tip: { code } } })).toBe(0);
    expect(tracesAtTelegram()).toEqual([]);
  });

  it("an address stored before intake checked it (an outbox row naming it) is checked again when sent: refused, never named to Telegram", async () => {
    const group = await t.db.chat.findUniqueOrThrow({ where: { channel_platformChatId: { channel: "telegram", platformChatId: String(GROUP) } } });
    const refs = await t.db.$transaction((tx) =>
      enqueueCalls(tx, { chatId: group.id, channel: "telegram" }, [
        { method: "sendPhoto", payload: { photo: FORGED.metadata, caption: "cũ 1" } },
        { method: "sendVoice", payload: { voice: FORGED.foreign, caption: "cũ 2" } },
        { method: "sendDocument", payload: { document: FORGED.http, caption: "cũ 3" } },
      ]),
    );
    t.app.sender.notify(refs);
    const rows = await eventually(async () => {
      const found = await t.db.outboxMessage.findMany({ where: { id: { in: refs.map((r) => r.id) } }, orderBy: { id: "asc" } });
      return found.every((r) => r.status !== "pending") ? found : undefined;
    }, 10_000, "the rows settled");
    expect(rows.map((r) => [r.status, r.lastError])).toEqual([
      ["failed", "file refused: host"],
      ["failed", "file refused: host"],
      ["failed", "file refused: scheme"],
    ]);
    expect(tg.calls.some((c) => ["cũ 1", "cũ 2", "cũ 3"].includes(String(c.payload.caption)))).toBe(false);
    expect(tracesAtTelegram()).toEqual([]);
  });
});
