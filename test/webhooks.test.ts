import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi, tgCommand, tgPrivateText } from "./fakes/telegramApi.ts";
import { FakeZaloApi, zaloText } from "./fakes/zaloApi.ts";
import { eventually, waitIdle, startTestApp, TG_SECRET, ZALO_SECRET, type TestApp } from "./helpers/app.ts";

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  return { status: res.status, body: await res.text() };
}

function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe("webhook requests that must be refused change nothing", () => {
  let tg: FakeTelegramApi;
  let zalo: FakeZaloApi;
  let t: TestApp;
  beforeAll(async () => {
    tg = new FakeTelegramApi();
    zalo = new FakeZaloApi();
    await tg.listen();
    await zalo.listen();
    t = await startTestApp({ telegram: tg, zalo });
  });
  afterAll(async () => {
    await t.close();
    await tg.close();
    await zalo.close();
  });
  const rows = () => t.db.inboxUpdate.count();
  const update = JSON.stringify(tgPrivateText(900, "hello"));
  const zaloEvent = JSON.stringify(zaloText("u-900", "hello"));

  it("a missing or wrong secret gets 401 and stores nothing", async () => {
    expect((await post(`${t.url}/webhooks/telegram`, update, {})).status).toBe(401);
    expect((await post(`${t.url}/webhooks/telegram`, update, { "x-telegram-bot-api-secret-token": "wrong" })).status).toBe(401);
    expect((await post(`${t.url}/webhooks/telegram`, update, { "x-telegram-bot-api-secret-token": TG_SECRET + "x" })).status).toBe(401);
    expect((await post(`${t.url}/webhooks/zalo`, zaloEvent, {})).status).toBe(401);
    // Zalo's header name, not Telegram's, is the one checked on the Zalo route.
    expect((await post(`${t.url}/webhooks/zalo`, zaloEvent, { "x-telegram-bot-api-secret-token": ZALO_SECRET })).status).toBe(401);
    expect(await rows()).toBe(0);
  });

  it("a body over the limit gets 413 and stores nothing", async () => {
    const big = JSON.stringify({ ...tgPrivateText(901, "x"), padding: "a".repeat(1_100_000) });
    expect((await post(`${t.url}/webhooks/telegram`, big, { "x-telegram-bot-api-secret-token": TG_SECRET })).status).toBe(413);
    const bigZalo = JSON.stringify({ ...zaloText("u-901", "x"), padding: "a".repeat(1_100_000) });
    expect((await post(`${t.url}/webhooks/zalo`, bigZalo, { "x-bot-api-secret-token": ZALO_SECRET })).status).toBe(413);
    expect(await rows()).toBe(0);
  });

  it("malformed JSON gets 400 and stores nothing", async () => {
    const h = { "x-telegram-bot-api-secret-token": TG_SECRET };
    expect((await post(`${t.url}/webhooks/telegram`, "{not json", h)).status).toBe(400);
    const hz = { "x-bot-api-secret-token": ZALO_SECRET };
    expect((await post(`${t.url}/webhooks/zalo`, "{\"event_name\":", hz)).status).toBe(400);
    expect(await rows()).toBe(0);
  });

  it("JSON that is not an update is acknowledged (the platform would only resend it), refused and stores nothing", async () => {
    const h = { "x-telegram-bot-api-secret-token": TG_SECRET };
    for (const body of [JSON.stringify({ message: { text: "no update_id" } }), "[1,2]", "null", JSON.stringify({ update_id: "7" })]) {
      const res = await post(`${t.url}/webhooks/telegram`, body, h);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ ok: true, rejected: "not_an_update" });
    }
    const hz = { "x-bot-api-secret-token": ZALO_SECRET };
    const res = await post(`${t.url}/webhooks/zalo`, JSON.stringify({ event_name: "message.text.received" }), hz);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, rejected: "not_an_update" });
    expect(await rows()).toBe(0);
  });

  it("counts refusals in /metrics", async () => {
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/taimat_updates_rejected_total\{channel="telegram",reason="bad_secret"\} 3/);
    expect(metrics).toMatch(/taimat_updates_rejected_total\{channel="telegram",reason="too_large"\} 1/);
  });
});

describe("a channel without a token", () => {
  it("answers 503 on its webhook and stores nothing, while the rest of the service runs", async () => {
    const t = await startTestApp({});
    try {
      const res = await post(`${t.url}/webhooks/telegram`, JSON.stringify(tgPrivateText(1, "hi")), { "x-telegram-bot-api-secret-token": "anything" });
      expect(res.status).toBe(503);
      expect(res.body).toContain("not configured");
      expect(await t.db.inboxUpdate.count()).toBe(0);
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe("repeated and out-of-order deliveries", () => {
  it("Telegram: each update delivered 3 times, shuffled, gets exactly one reply", async () => {
    const fake = new FakeTelegramApi({ privatePerSecond: 50, privateBurst: 50 });
    await fake.listen();
    const t = await startTestApp({ telegram: fake, env: { TELEGRAM_RATE_PRIVATE_PER_SECOND: "50", TELEGRAM_RATE_PRIVATE_BURST: "50" } });
    try {
      const updates = [
        tgCommand(801, "/start"),
        tgPrivateText(801, "113"),
        tgPrivateText(801, "xyz"),
        tgCommand(802, "/start"),
        tgPrivateText(802, "khẩn cấp"),
        tgCommand(802, "/help"),
      ];
      const deliveries = shuffle([...updates, ...updates, ...updates], 7);
      const results = await Promise.all(deliveries.map((u) => fake.pushUpdate(u)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      await eventually(() => fake.delivered("801").length >= 3 && fake.delivered("802").length >= 3, 10_000, "replies");
      await eventually(async () => (await t.db.inboxUpdate.count({ where: { status: "pending" } })) === 0);
      await waitIdle(t); // every stored update processed and every reply sent: a duplicate would be here
      expect(fake.delivered("801")).toHaveLength(3);
      expect(fake.delivered("802")).toHaveLength(3);
      expect(await t.db.inboxUpdate.count()).toBe(6);
      expect(await t.db.outboxMessage.count()).toBe(6);
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      expect(metrics).toMatch(/taimat_updates_received_total\{channel="telegram"\} 6/);
      expect(metrics).toMatch(/taimat_updates_deduplicated_total\{channel="telegram"\} 12/);
    } finally {
      await t.close();
      await fake.close();
    }
  });

  it("Zalo: each message delivered 3 times (wrapped and bare), shuffled, gets exactly one reply", async () => {
    const fake = new FakeZaloApi({ perChatPerSecond: 50, perChatBurst: 50 });
    await fake.listen();
    const t = await startTestApp({ zalo: fake, env: { ZALO_RATE_CHAT_PER_SECOND: "50", ZALO_RATE_CHAT_BURST: "50" } });
    try {
      const events = [zaloText("u-811", "hi"), zaloText("u-811", "1"), zaloText("u-811", "113"), zaloText("u-812", "hi"), zaloText("u-812", "2")];
      const deliveries = shuffle([...events, ...events, ...events], 11);
      const results = await Promise.all(deliveries.map((e, i) => fake.pushEvent(e, { wrapped: i % 2 === 0 })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      await eventually(() => fake.delivered("u-811").length >= 3 && fake.delivered("u-812").length >= 2, 10_000, "replies");
      await waitIdle(t);
      expect(fake.delivered("u-811")).toHaveLength(3);
      expect(fake.delivered("u-812")).toHaveLength(2);
      expect(await t.db.inboxUpdate.count()).toBe(5);
    } finally {
      await t.close();
      await fake.close();
    }
  });
});
