import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, waitIdle, startTestApp, type TestApp } from "./helpers/app.ts";
import { PLANTED, SseReader, WEB_COOKIE, hasGpsIfd, jpegMarkers, jpegWithMetadata, pngChunks, pngWithMetadata } from "./helpers/webChat.ts";
import { chatKeyOf } from "../src/channels/web/session.ts";

const UPLOADS_PER_HOUR = 3;
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ referenceData: true, env: { WEB_UPLOADS_PER_HOUR: String(UPLOADS_PER_HOUR) } });
});
afterAll(async () => {
  await t?.close();
});

type Json = Record<string, unknown>;

/** A browser session talking to the web chat API (the cookie is all it keeps). */
class WebClient {
  sid = "";
  constructor(readonly base: string) {}

  /** Loads the page, as a browser does first, and keeps the session cookie. */
  static async open(base: string): Promise<WebClient> {
    const client = new WebClient(base);
    const res = await fetch(`${base}/`);
    client.sid = new RegExp(`${WEB_COOKIE}=([^;]+)`).exec(res.headers.get("set-cookie") ?? "")?.[1] ?? "";
    return client;
  }

  /** The chat id the service stores for this session. */
  get chatKey(): string {
    return chatKeyOf(this.sid);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { cookie: `${WEB_COOKIE}=${this.sid}`, ...extra };
  }

  async post(body: Json, extra: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
    return this.postRaw(JSON.stringify(body), "application/json", extra);
  }

  async postRaw(body: string | Buffer, contentType: string, extra: Record<string, string> = {}, path = "/api/chat/messages"): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${this.base}${path}`, { method: "POST", headers: this.headers({ "content-type": contentType, ...extra }), body });
    return { status: res.status, json: (await res.json()) as Json };
  }

  upload(bytes: Buffer, type: string, id = randomId(), extra: Record<string, string> = {}) {
    return this.postRaw(bytes, type, extra, `/api/chat/uploads?id=${id}`);
  }

  events(lastEventId?: number): Promise<SseReader> {
    return SseReader.open(`${this.base}/api/chat/events`, this.headers(lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) }));
  }
}

const randomId = () => crypto.randomBytes(8).toString("hex");

/** Sends `body` and waits for the bot's next message on `stream`. */
async function exchange(client: WebClient, stream: SseReader, body: Json, replies = 1) {
  const before = stream.messages().length;
  const res = await client.post({ id: randomId(), ...body });
  expect(res.status, JSON.stringify(res.json)).toBe(202);
  await stream.waitFor((s) => s.messages().length >= before + replies, 10_000, `reply to ${JSON.stringify(body)}`);
  return stream.messages().at(-1)!;
}

async function chatOf(client: WebClient) {
  return t.db.chat.findUnique({ where: { channel_platformChatId: { channel: "web", platformChatId: client.chatKey } } });
}

describe("web chat session", () => {
  it("GET / issues an httpOnly, SameSite=Strict session cookie and serves the page with strict security headers", async () => {
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(new RegExp(`^${WEB_COOKIE}=v1\\.[A-Za-z0-9_.-]{100,140};`)); // sealed by the service
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).toMatch(/Max-Age=\d{7,}/);
    expect(cookie).not.toContain("Secure"); // PUBLIC_URL is http:// in tests
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await res.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('role="log"');
    expect(html).toContain("Tin nhắn của bạn");
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/https?:\/\/(?!ns\.)/); // nothing loaded from elsewhere

    const js = await fetch(`${t.url}/static/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await js.text()).not.toContain("innerHTML");
  });

  it("stores the chat under a hash of the cookie, never the cookie itself", async () => {
    const client = await WebClient.open(t.url);
    expect(client.sid).toMatch(/^v1\.[A-Za-z0-9_.-]{100,140}$/);
    const stream = await client.events();
    await exchange(client, stream, { type: "start" });
    await stream.close();
    const chat = (await chatOf(client))!;
    expect(chat.platformChatId).toBe(client.chatKey);
    expect(chat.platformChatId).not.toContain(client.sid);
    const everywhere = JSON.stringify([await t.db.chat.findMany(), await t.db.inboxUpdate.findMany(), await t.db.outboxMessage.findMany()], (_k, v) => (typeof v === "bigint" ? String(v) : v));
    expect(everywhere).not.toContain(client.sid);
  });

  it("the page and the API answer in the chat's language once it is chosen", async () => {
    const client = await WebClient.open(t.url);
    const stream = await client.events();
    await exchange(client, stream, { type: "start" });
    const chosen = await exchange(client, stream, { type: "choice", choiceId: "lang:en" });
    expect(chosen.text).toContain("English selected");
    expect(chosen.lang).toBe("en");
    await stream.close();
    const page = await (await fetch(`${t.url}/`, { headers: client.headers() })).text();
    expect(page).toContain('<html lang="en">');
    expect(page).toContain("Your message");
    const bad = await client.post({ id: randomId(), type: "nonsense" });
    expect(bad.json.message).toBe("The request was not valid. Please reload the page and try again.");
    const strings = (await (await fetch(`${t.url}/api/chat/strings?lang=en`)).json()) as { strings: Record<string, string> };
    expect(strings.strings["page.send"]).toBe("Send");
  });
});

describe("web chat input", () => {
  it("a message is stored before 202, and retrying it (even concurrently) has one effect", async () => {
    const client = await WebClient.open(t.url);
    const id = randomId();
    const first = await client.post({ id, type: "start" });
    expect(first).toEqual({ status: 202, json: { ok: true, duplicate: false } });
    // Acknowledged means stored: the inbox row exists as soon as the 202 is received.
    // Its key is a keyed handle of the chat and the message id: it does not name the chat.
    const updateKey = t.sealer.handle(`${client.chatKey}:${id}`, "web-update");
    expect(updateKey).not.toContain(client.chatKey);
    const row = await t.db.inboxUpdate.findUnique({ where: { channel_updateKey: { channel: "web", updateKey } } });
    expect(row).not.toBeNull();
    expect(row!.chatKey).toBe(client.chatKey);

    const retries = await Promise.all([client.post({ id, type: "start" }), client.post({ id, type: "start" }), client.post({ id, type: "start" })]);
    for (const r of retries) expect(r).toEqual({ status: 202, json: { ok: true, duplicate: true } });

    const stream = await client.events();
    await stream.waitFor((s) => s.events.some((e) => e.event === "ready"));
    await waitIdle(t); // a wrong second greeting would have been published (and recorded) by now
    expect(stream.messages()).toHaveLength(1);
    await stream.close();
    const chat = (await chatOf(client))!;
    expect(await t.db.outboxMessage.count({ where: { chatId: chat.id } })).toBe(1);
    // Processed: one row, which no longer names the chat.
    expect(await t.db.inboxUpdate.count({ where: { channel: "web", updateKey } })).toBe(1);
    await eventually(async () => (await t.db.inboxUpdate.findUniqueOrThrow({ where: { id: row!.id } })).status === "done");
    expect(await t.db.inboxUpdate.count({ where: { chatKey: client.chatKey } })).toBe(0);
  });

  it("malformed, oversized and wrong-type input gets a translated 4xx and stores nothing", async () => {
    const client = await WebClient.open(t.url);
    const inboxBefore = await t.db.inboxUpdate.count();
    const uploadsBefore = await t.db.upload.count();
    const cases: Array<[string, () => Promise<{ status: number; json: Json }>, number, string]> = [
      ["malformed JSON", () => client.postRaw("{not json", "application/json"), 400, "Yêu cầu không hợp lệ"],
      ["unknown type", () => client.post({ id: randomId(), type: "sticker" }), 400, "Yêu cầu không hợp lệ"],
      ["missing id", () => client.post({ type: "start" }), 400, "Yêu cầu không hợp lệ"],
      ["bad id", () => client.post({ id: "<script>", type: "start" }), 400, "Yêu cầu không hợp lệ"],
      ["choice id too long", () => client.post({ id: randomId(), type: "choice", choiceId: "x".repeat(65) }), 400, "Yêu cầu không hợp lệ"],
      ["location off the globe", () => client.post({ id: randomId(), type: "location", latitude: 91, longitude: 105 }), 400, "Yêu cầu không hợp lệ"],
      ["location as strings", () => client.post({ id: randomId(), type: "location", latitude: "21", longitude: "105" }), 400, "Yêu cầu không hợp lệ"],
      ["empty text", () => client.post({ id: randomId(), type: "text", text: "   " }), 400, "Tin nhắn đang trống"],
      ["text over the HTTP limit", () => client.post({ id: randomId(), type: "text", text: "ạ".repeat(9000) }), 413, "Tin nhắn quá dài"],
      ["text as form data", () => client.postRaw("text=hi", "application/x-www-form-urlencoded"), 415, "Yêu cầu không hợp lệ"],
      ["a GIF", () => client.upload(Buffer.from("GIF89a\x01\x00\x01\x00", "latin1"), "image/gif"), 415, "Chỉ nhận ảnh JPEG, PNG hoặc WebP"],
      ["HTML claiming to be a JPEG", () => client.upload(Buffer.from("<html><script>alert(1)</script>"), "image/jpeg"), 415, "Chỉ nhận ảnh JPEG, PNG hoặc WebP"],
      ["JSON to the upload", () => client.postRaw("{}", "application/json", {}, "/api/chat/uploads"), 415, "Chỉ nhận ảnh JPEG, PNG hoặc WebP"],
      ["a broken JPEG", () => client.upload(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(2000)]), "image/jpeg"), 422, "Không đọc được ảnh này"],
      ["a photo over 5 MB", () => client.upload(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(5 * 1024 * 1024)]), "image/jpeg"), 413, "Ảnh quá lớn (tối đa 5 MB)"],
      ["a bad upload id", () => client.upload(Buffer.from([0xff, 0xd8, 0xff]), "image/jpeg", "../../x"), 400, "Yêu cầu không hợp lệ"],
      ["another site's form", () => client.post({ id: randomId(), type: "start" }, { origin: "https://evil.example", "sec-fetch-site": "cross-site" }), 403, "Yêu cầu bị từ chối"],
    ];
    for (const [what, send, status, message] of cases) {
      const res = await send();
      expect(res.status, what).toBe(status);
      expect(res.json.ok, what).toBe(false);
      expect(String(res.json.message), what).toContain(message);
    }
    // In English when the page says so (another session: this one has spent its burst of uploads).
    const en = await (await WebClient.open(t.url)).upload(Buffer.from("GIF89a"), "image/gif", randomId(), { "x-tm-lang": "en" });
    expect(en.json.message).toBe("Only JPEG, PNG or WebP photos are accepted.");

    expect(await t.db.inboxUpdate.count()).toBe(inboxBefore);
    expect(await t.db.upload.count()).toBe(uploadsBefore);
    expect(await chatOf(client)).toBeNull();
  });

  it("over-long text and unknown commands get the conversation's translated explanation", async () => {
    const client = await WebClient.open(t.url);
    const stream = await client.events();
    await exchange(client, stream, { type: "start" });
    await exchange(client, stream, { type: "choice", choiceId: "lang:vi" });
    const long = await exchange(client, stream, { type: "text", text: "a".repeat(4001) });
    expect(long.text).toContain("Tin nhắn quá dài (tối đa 4000 ký tự)");
    const unknown = await exchange(client, stream, { type: "text", text: "/xyz" });
    expect(unknown.text).toContain("Không có lệnh /xyz. Các lệnh bạn dùng được: /start");
    expect(unknown.text).not.toMatch(/chưa hiểu ý bạn/);
    expect(unknown.choices!.map((c) => c.id)).toContain("menu:report");
    await stream.close();
  });

  it("a flood from one session is refused with 429 and does not delay another session", async () => {
    const flooder = await WebClient.open(t.url);
    const other = await WebClient.open(t.url);
    const otherStream = await other.events();
    const flood = await Promise.all(Array.from({ length: 60 }, (_, i) => flooder.post({ id: randomId(), type: "text", text: `spam ${i}` })));
    const answered = await other.post({ id: randomId(), type: "start" });
    expect(answered.status).toBe(202);
    const started = Date.now();
    await otherStream.waitFor((s) => s.messages().length === 1, 5_000, "the other session's greeting");
    expect(Date.now() - started).toBeLessThan(2_000);
    const tooFast = flood.filter((r) => r.status === 429);
    expect(tooFast.length).toBeGreaterThan(0);
    expect(String(tooFast[0]!.json.message)).toContain("Bạn gửi quá nhanh");
    expect(flood.filter((r) => r.status === 202).length).toBeLessThanOrEqual(25);
    await otherStream.close();
  });
});

describe("web chat photos", () => {
  it("removes EXIF (GPS, camera, serial), XMP and comments from a JPEG and keeps the picture", async () => {
    const client = await WebClient.open(t.url);
    const original = await jpegWithMetadata(64, 48);
    // The fixture really carries what a phone camera writes.
    expect(hasGpsIfd(original)).toBe(true);
    expect(jpegMarkers(original)).toEqual(expect.arrayContaining([0xe1, 0xfe]));
    expect((await sharp(original).metadata()).exif).toBeDefined();

    const uploadId = randomId();
    const res = await client.upload(original, "image/jpeg", uploadId);
    expect(res).toEqual({ status: 202, json: { ok: true, duplicate: false } });
    const upload = await latestUploadOf(client);
    const stored = Buffer.from(upload.bytes);
    expect(upload.mime).toBe("image/jpeg");
    expect(upload.size).toBe(stored.length);
    expect(jpegMarkers(stored).filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe)).toEqual([]); // no APP1–APP15, no comment
    expect(hasGpsIfd(stored)).toBe(false);
    for (const planted of ["Exif", "http://ns.adobe.com/xap", PLANTED.make, PLANTED.serial, PLANTED.comment, PLANTED.xmp]) {
      expect(stored.includes(Buffer.from(planted, "latin1")), planted).toBe(false);
    }
    const meta = await sharp(stored).metadata();
    expect(meta).toMatchObject({ format: "jpeg", width: 64, height: 48 });
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    // Still the same picture: a solid red-ish colour.
    const { dominant } = await sharp(stored).stats();
    expect(dominant.r).toBeGreaterThan(140);
    expect(dominant.g).toBeLessThan(90);

    // The upload reaches the conversation as a photo reference, and its chat is kept only sealed.
    expect(upload.chatId).not.toContain(client.chatKey);
    expect(t.sealer.open(upload.chatId, "upload-chat")).toBe(client.chatKey);
    const updateKey = t.sealer.handle(`${client.chatKey}:${uploadId}`, "web-update");
    await eventually(async () => (await t.db.inboxUpdate.findFirst({ where: { channel: "web", updateKey, status: "done" } })) !== null);
  });

  it("removes eXIf and text chunks from a PNG, and a retried upload is stored once", async () => {
    const client = await WebClient.open(t.url);
    const original = await pngWithMetadata(40, 30);
    expect(pngChunks(original)).toEqual(expect.arrayContaining(["eXIf", "tEXt"]));
    const id = randomId();
    expect((await client.upload(original, "image/png", id)).json).toEqual({ ok: true, duplicate: false });
    expect((await client.upload(original, "image/png", id)).json).toEqual({ ok: true, duplicate: true });
    const uploads = await uploadsOf(client);
    expect(uploads).toHaveLength(1);
    const stored = Buffer.from(uploads[0]!.bytes);
    // Only pixels (pHYs is the pixel density libvips writes: nothing about the person or the camera).
    expect(pngChunks(stored).filter((c) => !["IHDR", "IDAT", "IEND", "PLTE", "tRNS", "pHYs"].includes(c))).toEqual([]);
    expect(stored.includes(Buffer.from(PLANTED.comment, "latin1"))).toBe(false);
    expect(await sharp(stored).metadata()).toMatchObject({ format: "png", width: 40, height: 30 });
  });

  it("the content type is not trusted: a PNG sent as image/jpeg is stored as the PNG it is", async () => {
    const client = await WebClient.open(t.url);
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#000" } }).png().toBuffer();
    expect((await client.upload(png, "image/jpeg")).status).toBe(202);
    const [upload] = await uploadsOf(client);
    expect(upload!.mime).toBe("image/png");
  });

  it(`a session may upload ${UPLOADS_PER_HOUR} photos an hour; the next gets a translated 429 and nothing is stored`, async () => {
    const client = await WebClient.open(t.url);
    const photo = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#00f" } }).webp().toBuffer();
    for (let i = 0; i < UPLOADS_PER_HOUR; i++) expect((await client.upload(photo, "image/webp")).status).toBe(202);
    const refused = await client.upload(photo, "image/webp");
    expect(refused.status).toBe(429);
    expect(refused.json.message).toBe(`Bạn đã gửi ${UPLOADS_PER_HOUR} ảnh trong một giờ qua. Vui lòng thử lại sau.`);
    expect(await uploadsOf(client)).toHaveLength(UPLOADS_PER_HOUR);
    // Another session is not affected.
    const other = await WebClient.open(t.url);
    expect((await other.upload(photo, "image/webp")).status).toBe(202);
  });
});

describe("web chat events (SSE)", () => {
  it("delivers replies live, and after a reconnect with Last-Event-ID only what was missed", async () => {
    const client = await WebClient.open(t.url);
    const stream = await client.events();
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    await stream.waitFor((s) => s.events.some((e) => e.event === "ready"));
    const greeting = await exchange(client, stream, { type: "start" });
    expect(greeting.text).toContain("Xin chào! Đây là Tai Mắt");
    expect(greeting.choices!.map((c) => c.id)).toEqual(["lang:vi", "lang:en", "lang:km"]);
    const menu = await exchange(client, stream, { type: "choice", choiceId: "lang:vi" });
    expect(menu.text).toContain("Đã chọn tiếng Việt");
    const lastSeen = Number(stream.events.filter((e) => e.id).at(-1)!.id);
    await stream.close();

    // While the page is closed the bot answers; the reply waits in the outbox.
    expect((await client.post({ id: randomId(), type: "choice", choiceId: "menu:emergency" })).status).toBe(202);
    const chat = (await chatOf(client))!;
    await eventually(async () => (await t.db.outboxMessage.count({ where: { chatId: chat.id, status: "sent" } })) === 3);

    const resumed = await client.events(lastSeen);
    await resumed.waitFor((s) => s.events.some((e) => e.event === "ready"));
    expect(resumed.messages().map((m) => m.text)).toEqual([expect.stringContaining("📞 113 — Công an")]);
    await resumed.close();

    // A fresh page gets the whole history, oldest first, each message once.
    const fresh = await client.events();
    await fresh.waitFor((s) => s.events.some((e) => e.event === "ready"));
    const ids = fresh.messages().map((m) => m.id);
    expect(ids).toHaveLength(3);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(fresh.messages()[0]!.text).toContain("Xin chào!");
    await fresh.close();
  });

  it("two sessions never see each other's messages", async () => {
    const alice = await WebClient.open(t.url);
    const bob = await WebClient.open(t.url);
    const aliceStream = await alice.events();
    const bobStream = await bob.events();
    await exchange(alice, aliceStream, { type: "start" });
    await exchange(alice, aliceStream, { type: "choice", choiceId: "lang:en" });
    await exchange(bob, bobStream, { type: "start" });
    expect(bobStream.messages()).toHaveLength(1);
    expect(bobStream.messages()[0]!.text).toContain("Xin chào!");
    expect(aliceStream.messages()).toHaveLength(2);
    await aliceStream.close();
    await bobStream.close();
    const bobAgain = await bob.events();
    await bobAgain.waitFor((s) => s.events.some((e) => e.event === "ready"));
    expect(bobAgain.messages().map((m) => m.text)).toEqual([expect.stringContaining("Xin chào!")]);
    await bobAgain.close();
    // A session without a cookie is a new, empty chat.
    const anonymous = await SseReader.open(`${t.url}/api/chat/events`, {});
    await anonymous.waitFor((s) => s.events.some((e) => e.event === "ready"));
    expect(anonymous.messages()).toEqual([]);
    expect(anonymous.headers.get("set-cookie")).toContain(`${WEB_COOKIE}=`);
    await anonymous.close();
  });

  it("the receipt (code and PIN) waits for an open page, is shown once, and later appears only as a placeholder", async () => {
    const client = await WebClient.open(t.url);
    const stream = await client.events();
    await exchange(client, stream, { type: "start" });
    await exchange(client, stream, { type: "choice", choiceId: "lang:vi" });
    await exchange(client, stream, { type: "choice", choiceId: "menu:report" });
    await exchange(client, stream, { type: "choice", choiceId: "cat:theft" });
    const place = await exchange(client, stream, { type: "choice", choiceId: "danger:no" });
    expect(place.ask).toBe("location");
    const when = await exchange(client, stream, { type: "location", latitude: 21.0287, longitude: 105.8524 });
    expect(when.text).toContain("Nơi xảy ra: Phường Hoàn Kiếm, Thành phố Hà Nội.");
    await exchange(client, stream, { type: "choice", choiceId: "when:today" });
    await exchange(client, stream, { type: "text", text: "Xe đạp bị lấy trộm trước cổng trường." });
    await exchange(client, stream, { type: "choice", choiceId: "what:done" });
    const review = await exchange(client, stream, { type: "choice", choiceId: "id:anonymous" });
    expect(review.text).toContain("Cách gửi: Ẩn danh");
    await stream.close();

    // Sent with no page open: the receipt is not delivered into the void.
    expect((await client.post({ id: randomId(), type: "choice", choiceId: "review:send" })).status).toBe(202);
    const chat = (await chatOf(client))!;
    await eventually(async () => (await t.db.outboxMessage.findFirst({ where: { chatId: chat.id, sensitive: true } })) !== null);
    // The sender has tried it and put it off (no page to show it to): it is still pending.
    const receiptRow = () => t.db.outboxMessage.findFirstOrThrow({ where: { chatId: chat.id, sensitive: true } });
    await eventually(async () => (await receiptRow()).rateLimitedCount > 0, 10_000, "the receipt tried and put off");
    await waitIdle(t);
    expect((await receiptRow()).status).toBe("pending");

    const reopened = await client.events();
    await reopened.waitFor((s) => s.messages().some((m) => m.text?.includes("Mã PIN")), 10_000, "the receipt");
    const receipt = reopened.messages().find((m) => m.text?.includes("Mã PIN"))!;
    const code = /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(receipt.text!)![1]!;
    // Marked as a secret, so the page keeps it for the tab only (the server scrubs it once sent).
    expect(receipt).toMatchObject({ secret: true });
    expect(reopened.messages().filter((m) => (m as { secret?: boolean }).secret)).toHaveLength(1);
    await reopened.close();
    await eventually(async () => (await t.db.outboxMessage.findFirstOrThrow({ where: { chatId: chat.id, sensitive: true } })).status === "sent");

    const later = await client.events();
    await later.waitFor((s) => s.events.some((e) => e.event === "ready"));
    const last = later.messages().at(-1)!;
    expect(last).toMatchObject({ id: receipt.id, scrubbed: true });
    expect(JSON.stringify(later.messages())).not.toContain(code);
    await later.close();

    // The stored tip holds nothing that leads back to the session.
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
    expect(tip).toMatchObject({ channel: "web", identityMode: "anonymous", contactSealed: null, communeCode: "00070" });
    const storedTip = JSON.stringify(tip);
    expect(storedTip).not.toContain(client.chatKey);
    expect(storedTip).not.toContain(client.sid);
  });
});

describe("web chat life-safety answers", () => {
  it("the emergency numbers and the «someone is in danger» step are marked urgent (the page shows «Gọi 113»); other answers are not", async () => {
    const client = await WebClient.open(t.url);
    const stream = await client.events();
    await exchange(client, stream, { type: "start" });
    const menu = (await exchange(client, stream, { type: "choice", choiceId: "lang:vi" })) as { urgent?: boolean };
    expect(menu.urgent).toBeUndefined();
    const numbers = (await exchange(client, stream, { type: "choice", choiceId: "menu:emergency" })) as { text?: string; urgent?: boolean };
    expect(numbers).toMatchObject({ urgent: true });
    expect(numbers.text).toContain("113");
    expect(await exchange(client, stream, { type: "text", text: "khẩn cấp" })).toMatchObject({ urgent: true });
    await exchange(client, stream, { type: "choice", choiceId: "menu:report" });
    const danger = (await exchange(client, stream, { type: "choice", choiceId: "cat:domestic_violence" })) as { urgent?: boolean };
    expect(danger.urgent).toBeUndefined();
    const call = await exchange(client, stream, { type: "choice", choiceId: "danger:yes" });
    expect(call).toMatchObject({ urgent: true, ask: "location" });
    expect(call.text).toContain("Hãy gọi ngay 113");
    await stream.close();
  });

  it("typed text is understood on the web too: an incident starts a tip with its words, a question is answered, other text is kept and offered", async () => {
    const client = await WebClient.open(t.url);
    const stream = await client.events();
    await exchange(client, stream, { type: "start" });
    await exchange(client, stream, { type: "choice", choiceId: "lang:vi" });
    const incident = "co nguoi ban ma tuy o hem 12 moi toi";
    const kept = (await exchange(client, stream, { type: "text", text: incident })) as { text?: string };
    expect(kept.text).toContain("Đã ghi lại nội dung bạn vừa viết");
    const chat = await chatOf(client);
    const draft = JSON.parse((await t.db.tipDraft.findUniqueOrThrow({ where: { chatId: chat!.id } })).data) as { description: string[] };
    expect(draft.description).toEqual([incident]);
    await exchange(client, stream, { type: "choice", choiceId: "flow:cancel" });
    const answer = (await exchange(client, stream, { type: "text", text: "bi lua dao qua mang thi lam sao" })) as { text?: string };
    expect(answer.text).toContain("📖 Nguồn:");
    await exchange(client, stream, { type: "choice", choiceId: "menu:main" });
    const offer = (await exchange(client, stream, { type: "text", text: "hôm nay trời đẹp quá" })) as { text?: string; choices?: Array<{ id: string }> };
    expect(offer.text).not.toMatch(/chưa hiểu ý bạn/);
    expect(offer.choices?.map((c) => c.id)).toEqual(expect.arrayContaining(["free:report", "free:ask"]));
    await stream.close();
  });

  it("an error is explained in Khmer to a browser that prefers it", async () => {
    const client = await WebClient.open(t.url);
    const res = await client.post({ id: randomId(), type: "text", text: "   " }, { "accept-language": "km-KH,km;q=0.9" });
    expect(res.status).toBe(400);
    expect((res.json as { message: string }).message).toBe(JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../locales/km/web.json"), "utf8")).error.empty);
  });
});

describe("web chat upload housekeeping", () => {
  it("deletes stale uploads nothing refers to, and keeps those attached to a tip or a draft", async () => {
    const old = new Date(Date.now() - 72 * 60 * 60_000);
    const make = () => t.db.upload.create({ data: { chatId: "sealed", mime: "image/png", size: 1, bytes: new Uint8Array([1]), createdAt: old } });
    const [stale, inDraft, attached, fresh] = [await make(), await make(), await make(), await t.db.upload.create({ data: { chatId: "sealed", mime: "image/png", size: 1, bytes: new Uint8Array([1]) } })];
    const chat = await t.db.chat.create({ data: { channel: "web", platformChatId: `w:${"ab".repeat(16)}`, kind: "private" } });
    await t.db.tipDraft.create({ data: { chatId: chat.id, data: JSON.stringify({ step: "what", trail: [], description: [], attachments: [{ kind: "photo", ref: `upload:${inDraft.id}` }] }) } });
    const tip = await t.db.tip.findFirstOrThrow(); // the receipt test above stored one
    await t.db.tipAttachment.create({ data: { tipId: tip.id, kind: "photo", ref: `upload:${attached.id}` } });

    await t.app.web.housekeeping();
    const left = new Set((await t.db.upload.findMany({ where: { id: { in: [stale.id, inDraft.id, attached.id, fresh.id] } }, select: { id: true } })).map((u) => u.id));
    expect(left).toEqual(new Set([inDraft.id, attached.id, fresh.id]));
  });
});

async function uploadsOf(client: WebClient) {
  const all = await t.db.upload.findMany({ orderBy: { createdAt: "asc" } });
  return all.filter((u) => t.sealer.open(u.chatId, "upload-chat") === client.chatKey);
}

async function latestUploadOf(client: WebClient) {
  const mine = await uploadsOf(client);
  expect(mine.length).toBeGreaterThan(0);
  return mine.at(-1)!;
}
