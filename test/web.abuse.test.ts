import crypto from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webUpdateKey } from "../src/channels/web/inbound.ts";
import { chatKeyOf } from "../src/channels/web/session.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { SseReader, WEB_COOKIE } from "./helpers/webChat.ts";

const randomId = () => crypto.randomBytes(8).toString("hex");
const METRICS_TOKEN = "metrics-token-0123456789abcdef";

type Json = Record<string, unknown>;

/** The session cookie a response sets, if any. */
function cookieOf(res: { headers: Headers } | { headers: Record<string, unknown> }): string | undefined {
  const raw = res.headers instanceof Headers ? res.headers.get("set-cookie") : res.headers["set-cookie"];
  const text = Array.isArray(raw) ? raw.join("\n") : String(raw ?? "");
  return new RegExp(`${WEB_COOKIE}=([^;]+)`).exec(text)?.[1];
}

async function post(base: string, body: Json, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/chat/messages`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
}

describe("web chat sessions are issued by the service only", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: "127.0.0.1", METRICS_TOKEN } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("a client-chosen session id (43 × A, or a forged sealed-looking value) is replaced, never adopted", async () => {
    const chosen = "A".repeat(43);
    const forged = `v1.AAAAAAAA.${"B".repeat(16)}.${"C".repeat(22)}.${"D".repeat(58)}`;
    for (const value of [chosen, forged]) {
      const page = await fetch(`${t.url}/`, { headers: { cookie: `${WEB_COOKIE}=${value}` } });
      const issued = cookieOf(page);
      expect(issued, value).toBeDefined();
      expect(issued).not.toBe(value);

      const id = randomId();
      const res = await post(t.url, { id, type: "start" }, { cookie: `${WEB_COOKIE}=${value}` });
      expect(res.status).toBe(202);
      const replaced = cookieOf(res)!;
      expect(replaced).toMatch(/^v1\./);
      expect(replaced).not.toBe(value);
      // Stored under the new session, not under the chosen one (keys are keyed handles of session and message).
      expect(await t.db.inboxUpdate.count({ where: { updateKey: webUpdateKey(t.sealer, chatKeyOf(value), id) } })).toBe(0);
      expect(await t.db.inboxUpdate.count({ where: { updateKey: webUpdateKey(t.sealer, chatKeyOf(replaced), id) } })).toBe(1);
    }
  });

  it("an attacker who planted a cookie value in the victim's browser reads nothing of the victim's chat", async () => {
    const planted = "A".repeat(43);
    // The attacker listens with the planted value ...
    const attacker = await SseReader.open(`${t.url}/api/chat/events`, { cookie: `${WEB_COOKIE}=${planted}` });
    await attacker.waitFor((s) => s.events.some((e) => e.event === "ready"));
    // ... the victim's browser sends it; the service answers with a session of its own.
    const first = await post(t.url, { id: randomId(), type: "start" }, { cookie: `${WEB_COOKIE}=${planted}` });
    expect(first.status).toBe(202);
    const victimSid = cookieOf(first)!;
    const victim = await SseReader.open(`${t.url}/api/chat/events`, { cookie: `${WEB_COOKIE}=${victimSid}` });
    await victim.waitFor((s) => s.messages().length >= 1, 10_000, "the victim's greeting");
    expect(victim.messages()[0]!.text).toContain("Xin chào");
    // A second stream with the planted value is a new, empty chat too.
    const again = await SseReader.open(`${t.url}/api/chat/events`, { cookie: `${WEB_COOKIE}=${planted}` });
    await again.waitFor((s) => s.events.some((e) => e.event === "ready"));
    expect(attacker.messages()).toEqual([]);
    expect(again.messages()).toEqual([]);
    await Promise.all([attacker.close(), victim.close(), again.close()]);
  });

  it("the cookie is Secure when a trusted proxy says the request came over HTTPS, and not when anyone else says so", async () => {
    const viaProxy = await fetch(`${t.url}/`, { headers: { "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.20" } });
    expect(viaProxy.headers.get("set-cookie")).toMatch(/; Secure$/);
    const plain = await fetch(`${t.url}/`);
    expect(plain.headers.get("set-cookie")).not.toContain("Secure");
    // The same header from an address that is not the trusted proxy is ignored.
    const spoofed = await t.app.http.inject({ method: "GET", url: "/", remoteAddress: "203.0.113.9", headers: { "x-forwarded-proto": "https" } });
    expect(String(spoofed.headers["set-cookie"])).toMatch(new RegExp(`^${WEB_COOKIE}=`));
    expect(String(spoofed.headers["set-cookie"])).not.toContain("Secure");
  });

  it("/metrics answers loopback, or the bearer token; anyone else gets 401", async () => {
    const local = await fetch(`${t.url}/metrics`);
    expect(local.status).toBe(200);
    expect(await local.text()).toContain("taimat_updates_received_total");
    const outside = await t.app.http.inject({ method: "GET", url: "/metrics", remoteAddress: "203.0.113.9" });
    expect(outside.statusCode).toBe(401);
    expect(outside.headers["www-authenticate"]).toContain("Bearer");
    expect(outside.body).not.toContain("taimat_");
    const wrong = await t.app.http.inject({ method: "GET", url: "/metrics", remoteAddress: "203.0.113.9", headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.statusCode).toBe(401);
    const bearer = await t.app.http.inject({ method: "GET", url: "/metrics", remoteAddress: "203.0.113.9", headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.body).toContain("taimat_web_upload_bytes");
    // Relayed by the (local) proxy for an outside client: not local.
    const relayed = await fetch(`${t.url}/metrics`, { headers: { "x-forwarded-for": "198.51.100.20" } });
    expect(relayed.status).toBe(401);
  });
});

describe("without a trusted proxy or a metrics token", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WEB_ADDRESS_MESSAGE_BURST: "3", WEB_ADDRESS_MESSAGES_PER_SECOND: "0.01" } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("/metrics is refused (403) to any address but loopback, and forwarding headers are ignored", async () => {
    expect((await t.app.http.inject({ method: "GET", url: "/metrics", remoteAddress: "203.0.113.9", headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).statusCode).toBe(403);
    expect((await t.app.http.inject({ method: "GET", url: "/metrics", remoteAddress: "::ffff:127.0.0.1" })).statusCode).toBe(200);
    expect((await fetch(`${t.url}/metrics`, { headers: { "x-forwarded-for": "127.0.0.1" } })).status).toBe(403);
    const page = await fetch(`${t.url}/`, { headers: { "x-forwarded-proto": "https" } });
    expect(page.headers.get("set-cookie")).not.toContain("Secure");
  });

  it("X-Forwarded-For from a client does not buy it more addresses", async () => {
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await post(t.url, { id: randomId(), type: "start" }, { "x-forwarded-for": `198.51.100.${i + 1}` }));
    expect(results.map((r) => r.status)).toEqual([202, 202, 202, 429, 429, 429]);
  });
});

describe("web chat flood limits", () => {
  const ADDRESS_BURST = 10;
  const GLOBAL_BURST = 30;
  let t: TestApp;
  let accepted = 0;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        TRUST_PROXY: "127.0.0.1",
        WEB_ADDRESS_MESSAGE_BURST: String(ADDRESS_BURST),
        WEB_ADDRESS_MESSAGES_PER_SECOND: "0.01",
        WEB_GLOBAL_MESSAGE_BURST: String(GLOBAL_BURST),
        WEB_GLOBAL_MESSAGES_PER_SECOND: "0.01",
        WEB_STREAMS_PER_ADDRESS: "3",
        WEB_STREAMS_TOTAL: "5",
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("fresh sessions (no cookie) from one address share its budget: 429 with Retry-After and the translated reason", async () => {
    const inboxBefore = await t.db.inboxUpdate.count();
    const flood = await Promise.all(Array.from({ length: 25 }, () => post(t.url, { id: randomId(), type: "text", text: "spam" }, { "x-forwarded-for": "198.51.100.7" })));
    const ok = flood.filter((r) => r.status === 202);
    const refused = flood.filter((r) => r.status === 429);
    expect(ok).toHaveLength(ADDRESS_BURST);
    expect(refused).toHaveLength(25 - ADDRESS_BURST);
    // Every accepted request got a new session of its own, and still only the address's budget was
    // spent; a refused one is issued none.
    expect(new Set(ok.map((r) => cookieOf(r))).size).toBe(ADDRESS_BURST);
    for (const r of ok) expect(cookieOf(r)).toMatch(/^v1\./);
    for (const r of refused) expect(cookieOf(r)).toBeUndefined();
    for (const r of refused) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(60); // one token back at 0.01/s
      expect(r.json).toMatchObject({ ok: false, error: "too_fast" });
      expect(String(r.json.message)).toContain("Bạn gửi quá nhanh");
    }
    const en = await post(t.url, { id: randomId(), type: "start" }, { "x-forwarded-for": "198.51.100.7", "x-tm-lang": "en" });
    expect(en.status).toBe(429);
    expect(en.json.message).toBe("You are sending too fast. Please wait a moment, then continue.");
    // Another address is not affected; nothing refused was stored.
    expect((await post(t.url, { id: randomId(), type: "start" }, { "x-forwarded-for": "198.51.100.8" })).status).toBe(202);
    accepted += ADDRESS_BURST + 1;
    expect(await t.db.inboxUpdate.count()).toBe(inboxBefore + ADDRESS_BURST + 1);
  });

  it("an address not behind the trusted proxy is counted by its own address, whatever X-Forwarded-For says", async () => {
    const statuses = [];
    for (let i = 0; i < ADDRESS_BURST + 3; i++) {
      const res = await t.app.http.inject({
        method: "POST",
        url: "/api/chat/messages",
        remoteAddress: "203.0.113.50",
        headers: { "content-type": "application/json", "x-forwarded-for": `10.0.${i}.1` },
        payload: JSON.stringify({ id: randomId(), type: "start" }),
      });
      statuses.push(res.statusCode);
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(ADDRESS_BURST);
    expect(statuses.slice(ADDRESS_BURST)).toEqual([429, 429, 429]);
    accepted += ADDRESS_BURST;
  });

  it("a flood from many addresses meets the global limit (429 'busy', Retry-After)", async () => {
    const left = GLOBAL_BURST - accepted;
    expect(left).toBeGreaterThan(0);
    const flood = await Promise.all(Array.from({ length: left + 10 }, (_, i) => post(t.url, { id: randomId(), type: "start" }, { "x-forwarded-for": `192.0.2.${i + 1}` })));
    expect(flood.filter((r) => r.status === 202)).toHaveLength(left);
    const busy = flood.filter((r) => r.status === 429);
    expect(busy).toHaveLength(10);
    for (const r of busy) {
      expect(r.json.error).toBe("busy");
      expect(String(r.json.message)).toContain("Hiện có quá nhiều người gửi cùng lúc");
      expect(String(r.json.message)).toContain("113");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
  });

  it("event streams: at most 3 open per address and 5 in all; a closed one frees its place", async () => {
    const open = (address: string) => SseReader.open(`${t.url}/api/chat/events`, { "x-forwarded-for": address });
    const a = [await open("198.51.100.30"), await open("198.51.100.30"), await open("198.51.100.30")];
    for (const s of a) expect(s.status).toBe(200);
    const fourth = await fetch(`${t.url}/api/chat/events`, { headers: { "x-forwarded-for": "198.51.100.30" } });
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await fourth.json()) as Json).message).toContain("quá nhiều cửa sổ");
    // What the page asks after EventSource gave up: why, in its language.
    const probe = await fetch(`${t.url}/api/chat/events?probe=1`, { headers: { "x-forwarded-for": "198.51.100.30", "x-tm-lang": "en" } });
    expect(probe.status).toBe(429);
    expect(((await probe.json()) as Json).message).toContain("too many windows");
    const b = [await open("198.51.100.31"), await open("198.51.100.31")];
    for (const s of b) expect(s.status).toBe(200);
    const sixth = await fetch(`${t.url}/api/chat/events`, { headers: { "x-forwarded-for": "198.51.100.32" } });
    expect(sixth.status).toBe(429);
    expect(((await sixth.json()) as Json).error).toBe("busy");
    await a[0]!.close();
    await eventually(async () => (await fetch(`${t.url}/api/chat/events?probe=1`, { headers: { "x-forwarded-for": "198.51.100.30" } })).status === 204, 5_000, "the closed stream's place freed");
    await Promise.all([...a.slice(1), ...b].map((s) => s.close()));
  });
});

describe("web chat photos under a flood", () => {
  const QUOTA = 400_000;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WEB_UPLOAD_STORAGE_BYTES: String(QUOTA), WEB_IMAGE_MAX_PIXELS: "1000000" } });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function upload(bytes: Buffer, type = "image/jpeg") {
    const res = await fetch(`${t.url}/api/chat/uploads?id=${randomId()}`, { method: "POST", headers: { "content-type": type }, body: bytes });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
  }

  it("photos claiming huge dimensions (8 × 7071×7071, sent together) are refused by the pixel cap without being decoded", async () => {
    const small = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#888" } }).jpeg().toBuffer();
    const bomb = withJpegSize(small, 7071, 7071);
    expect((await sharp(bomb).metadata()).width).toBe(7071);
    const results = await Promise.all(Array.from({ length: 8 }, () => upload(bomb)));
    for (const r of results) {
      expect(r.status).toBe(422);
      expect(String(r.json.message)).toContain("Không đọc được ảnh này");
    }
    expect(await t.db.upload.count()).toBe(0);
  });

  it("photos sent together are decoded one at a time", async () => {
    const photo = await sharp({ create: { width: 900, height: 900, channels: 3, background: "#2a6" } }).jpeg({ quality: 95 }).toBuffer();
    let maxActive = 0;
    let maxWaiting = 0;
    const sampler = setInterval(() => {
      const load = t.app.web.images.load;
      maxActive = Math.max(maxActive, load.active);
      maxWaiting = Math.max(maxWaiting, load.waiting);
    }, 1);
    const results = await Promise.all(Array.from({ length: 8 }, () => upload(photo)));
    clearInterval(sampler);
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(202));
    expect(maxActive).toBe(1);
    expect(maxWaiting).toBeGreaterThan(0); // they did arrive together
  });

  it("over the storage quota the oldest photos nothing refers to are deleted first; a tip's or a draft's never", async () => {
    await eventually(async () => (await t.db.inboxUpdate.count({ where: { status: "pending" } })) === 0, 10_000, "the uploads processed");
    await t.app.web.storage.refresh();
    const stored = t.app.web.storage.bytes;
    const recent = await t.db.upload.findMany({ select: { id: true } });
    expect(recent.length).toBe(8);
    const size = Math.floor((QUOTA - stored - 10) / 4);
    const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 60 * 60_000);
    const make = (hoursAgo: number) => t.db.upload.create({ data: { chatId: "sealed", mime: "image/jpeg", size, bytes: new Uint8Array([1]), createdAt: at(hoursAgo) } });
    const ofTip = await make(30); // the oldest of all, but attached to a tip
    const oldest = await make(20); // unreferenced
    const inDraft = await make(15);
    const newer = await make(10); // unreferenced
    const queue = await t.db.queue.create({ data: { id: "test:q", kind: "commune", name: "Q", provinceCode: "01" } });
    const tip = await t.db.tip.create({
      data: { code: "TM-QUOTA1", pinHash: "x", category: "theft", channel: "web", queueId: queue.id, provinceCode: "01", placeSource: "unknown", occurredWhen: "today", description: "d", identityMode: "anonymous", replyRefSealed: "sealed", locale: "vi" },
    });
    await t.db.tipAttachment.create({ data: { tipId: tip.id, kind: "photo", ref: `upload:${ofTip.id}` } });
    const chat = await t.db.chat.create({ data: { channel: "web", platformChatId: `w:${"cd".repeat(16)}`, kind: "private" } });
    await t.db.tipDraft.create({ data: { chatId: chat.id, data: JSON.stringify({ step: "what", trail: [], description: [], attachments: [{ kind: "photo", ref: `upload:${inDraft.id}` }] }) } });

    await t.app.web.storage.refresh(); // as housekeeping does every minute (these rows did not come through the API)
    const photo = await sharp({ create: { width: 32, height: 32, channels: 3, background: "#a22" } }).jpeg().toBuffer();
    expect((await upload(photo)).status).toBe(202);
    const ids = async () => new Set((await t.db.upload.findMany({ select: { id: true } })).map((u) => u.id));
    const left = await ids();
    expect(left.has(oldest.id)).toBe(false); // made room
    for (const kept of [ofTip, inDraft, newer, ...recent]) expect(left.has(kept.id)).toBe(true);
    expect(left.size).toBe(8 + 3 + 1);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/taimat_web_uploads_deleted_total\{reason="quota"\} 1\b/);
    expect(metrics).toMatch(/taimat_web_upload_bytes \d+/);

    // Full of photos still in use: everything unreferenced goes, oldest first, and then new photos are refused.
    await t.db.upload.update({ where: { id: inDraft.id }, data: { size: QUOTA } });
    await t.app.web.storage.refresh();
    await eventually(async () => (await t.db.inboxUpdate.count({ where: { status: "pending" } })) === 0, 10_000, "the upload processed");
    const refused = await upload(photo);
    expect(refused.status).toBe(429);
    expect(refused.json.error).toBe("uploads_busy");
    expect(String(refused.json.message)).toContain("Hiện chưa nhận thêm ảnh được");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // What stays is exactly what a tip or a draft refers to (photos sent at the menu start a draft of their own).
    const inDrafts = (await t.db.tipDraft.findMany({ select: { data: true } })).flatMap((d) => [...d.data.matchAll(/upload:([A-Za-z0-9_-]+)/g)].map((m) => m[1]!));
    expect(await ids()).toEqual(new Set([ofTip.id, ...inDrafts]));
    expect(inDrafts).toContain(inDraft.id);
  });
});

/** A copy of a JPEG whose frame header claims other dimensions (a "decompression bomb"). */
function withJpegSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; ) {
    if (out[i] !== 0xff) throw new Error("not at a JPEG marker");
    const marker = out[i + 1]!;
    const length = out.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + length;
  }
  throw new Error("no frame header");
}
