import { afterEach, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { ZaloRenderer } from "../src/channels/zalo/render.ts";
import { enqueueCalls, type OutboundCall } from "../src/outbox/outbound.ts";
import { FakeTelegramApi, tgCommand } from "./fakes/telegramApi.ts";
import { FakeZaloApi } from "./fakes/zaloApi.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function telegramSetup(fakeOpts: ConstructorParameters<typeof FakeTelegramApi>[0] = {}, env: Record<string, string> = {}) {
  const fake = new FakeTelegramApi(fakeOpts);
  await fake.listen();
  const t = await startTestApp({ telegram: fake, env });
  cleanups.push(() => fake.close(), () => t.close());
  return { fake, t };
}

async function sendDirect(t: TestApp, channel: string, platformChatId: string, calls: OutboundCall[], kind = "private") {
  const chat = await t.db.chat.upsert({
    where: { channel_platformChatId: { channel, platformChatId } },
    create: { channel, platformChatId, kind },
    update: {},
  });
  const refs = await enqueueCalls(t.db, { chatId: chat.id, channel }, calls);
  t.app.sender.notify(refs);
  return { chat, refs };
}

const texts = (n: number, prefix = "message") => Array.from({ length: n }, (_, i) => ({ method: "sendMessage", payload: { text: `${prefix} ${i + 1}` } }));

describe("outbox against Telegram's limits and errors", () => {
  it("absorbs 429s: waits retry_after, resends, and delivers everything in order", async () => {
    // Our limiter is deliberately looser than the fake's 1/s (burst 3) so the fake answers 429.
    // The fake allows no burst at all, so our second message is refused however slow the machine is.
    const { fake, t } = await telegramSetup({ privateBurst: 1 }, { TELEGRAM_RATE_PRIVATE_PER_SECOND: "20", TELEGRAM_RATE_PRIVATE_BURST: "20" });
    const { refs } = await sendDirect(t, "telegram", "4242", texts(6));
    await eventually(() => fake.delivered("4242").length === 6, 20_000, "6 deliveries");
    expect(fake.delivered("4242").map((c) => c.payload.text)).toEqual(texts(6).map((c) => c.payload.text));

    const toChat = fake.callsTo("sendMessage").filter((c) => String(c.payload.chat_id) === "4242");
    const limited = toChat.filter((c) => c.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    // Never hot-loops: each resend comes no earlier than the retry_after the platform asked for.
    for (const call of limited) {
      const retryAfter = (call.response!.parameters as { retry_after: number }).retry_after;
      const next = toChat.find((c) => c.at > call.at);
      expect(next!.at - call.at).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
    }
    // The platform's answer is recorded just after it is received.
    const rows = await eventually(async () => {
      const found = await t.db.outboxMessage.findMany({ where: { id: { in: refs.map((r) => r.id) } } });
      return found.every((r) => r.status === "sent") ? found : undefined;
    });
    expect(rows.some((r) => r.rateLimitedCount > 0)).toBe(true);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/taimat_rate_limited_total\{channel="telegram"\} [1-9]/);
  });

  it("within the platform's pace, sends without a single 429", async () => {
    const { fake, t } = await telegramSetup();
    await sendDirect(t, "telegram", "4343", texts(5));
    await eventually(() => fake.delivered("4343").length === 5, 20_000, "5 deliveries");
    expect(fake.calls.filter((c) => c.status === 429)).toHaveLength(0);
  });

  it("a chat that blocked the bot is marked unreachable and not retried", async () => {
    const { fake, t } = await telegramSetup();
    fake.block(6001);
    expect((await fake.pushUpdate(tgCommand(6001, "/start"))).status).toBe(200);
    const chat = await eventually(() => t.db.chat.findFirst({ where: { platformChatId: "6001", unreachableAt: { not: null } } }));
    const rows = await t.db.outboxMessage.findMany({ where: { chatId: chat.id } });
    expect(rows.map((r) => r.status)).toEqual(["blocked"]);
    expect(rows[0]!.lastError).toContain("blocked by the user");
    // Later messages to the chat are not attempted while it stays unreachable.
    await sendDirect(t, "telegram", "6001", texts(2));
    await eventually(async () => (await t.db.outboxMessage.count({ where: { chatId: chat.id, status: "blocked" } })) === 3);
    expect(fake.callsTo("sendMessage").filter((c) => String(c.payload.chat_id) === "6001")).toHaveLength(1);
  });

  it("a 400 is recorded and skipped; later messages to the chat still go", async () => {
    const { fake, t } = await telegramSetup();
    fake.failNext("sendMessage", 1, { status: 400, description: "Bad Request: can't parse entities" });
    const { refs } = await sendDirect(t, "telegram", "6100", texts(2));
    await eventually(() => fake.delivered("6100").length === 1, 10_000);
    const rows = await t.db.outboxMessage.findMany({ where: { id: { in: refs.map((r) => r.id) } }, orderBy: { id: "asc" } });
    await eventually(async () => (await t.db.outboxMessage.count({ where: { id: refs[1]!.id, status: "sent" } })) === 1);
    expect(rows[0]!.status).toBe("failed");
    expect(rows[0]!.lastError).toContain("can't parse entities");
    expect(fake.delivered("6100")[0]!.payload.text).toBe("message 2");
  });

  it("5xx and network failures are retried with backoff until delivered", async () => {
    const { fake, t } = await telegramSetup();
    fake.failNext("sendMessage", 1, { status: 502, description: "Bad Gateway" });
    fake.failNext("sendMessage", 1, "network");
    const { refs } = await sendDirect(t, "telegram", "6200", texts(1));
    await eventually(() => fake.delivered("6200").length === 1, 15_000);
    const row = await eventually(() => t.db.outboxMessage.findFirst({ where: { id: refs[0]!.id, status: "sent" } }));
    expect(row.attempts).toBe(3);
  });

  it("gives up after the configured number of transient failures and records it", async () => {
    const { fake, t } = await telegramSetup({}, { OUTBOX_MAX_ATTEMPTS: "2" });
    fake.failNext("sendMessage", 5, { status: 500, description: "Internal Server Error" });
    const { refs } = await sendDirect(t, "telegram", "6300", texts(1));
    const row = await eventually(() => t.db.outboxMessage.findFirst({ where: { id: refs[0]!.id, status: "failed" } }), 10_000);
    expect(row.lastError).toContain("gave up after 2 attempts");
    expect(fake.callsTo("sendMessage").filter((c) => String(c.payload.chat_id) === "6300")).toHaveLength(2);
  });

  it("a group that became a supergroup is re-keyed and the message delivered there", async () => {
    const { fake, t } = await telegramSetup();
    fake.migrate(-4001, -1004001);
    const { chat } = await sendDirect(t, "telegram", "-4001", texts(1), "group");
    await eventually(() => fake.delivered("-1004001").length === 1, 10_000);
    expect((await t.db.chat.findUniqueOrThrow({ where: { id: chat.id } })).platformChatId).toBe("-1004001");
  });

  it("over-long text is split at paragraph boundaries into messages Telegram accepts, in order", async () => {
    const { fake, t } = await telegramSetup();
    const paragraphs = Array.from({ length: 30 }, (_, i) => `Đoạn ${i + 1}. ` + "Người dân có quyền tố giác tội phạm. ".repeat(8).trim());
    const long = paragraphs.join("\n\n");
    expect(long.length).toBeGreaterThan(8192);
    const renderer = new TelegramRenderer(() => long);
    const { calls } = renderer.render({ key: "x", choices: [{ id: "menu:help", labelKey: "x" }] }, "vi");
    expect(calls.length).toBe(3);
    await sendDirect(t, "telegram", "6400", calls);
    const got = await eventually(() => (fake.delivered("6400").length === 3 ? fake.delivered("6400") : undefined), 15_000);
    const parts = got.map((c) => String(c.payload.text));
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts.every((p) => /^Đoạn \d+\./.test(p))).toBe(true); // each part starts at a paragraph
    expect(parts.join("\n\n")).toBe(long);
    expect(got[2]!.payload.reply_markup).toBeTruthy(); // buttons ride on the last part
    expect(got[0]!.payload.reply_markup).toBeUndefined();
  });
});

describe("outbox against Zalo", () => {
  it("splits at 2,000 characters, backs off on 429 and marks a refusing chat unreachable", async () => {
    const fake = new FakeZaloApi({ perChatPerSecond: 0.4, perChatBurst: 1 });
    await fake.listen();
    const t = await startTestApp({ zalo: fake, env: { ZALO_RATE_CHAT_PER_SECOND: "20", ZALO_RATE_CHAT_BURST: "20" } });
    cleanups.push(() => fake.close(), () => t.close());

    const long = Array.from({ length: 8 }, (_, i) => `Câu ${i + 1}: ` + "thông tin pháp luật ".repeat(20).trim() + ".").join(" ");
    const { calls } = new ZaloRenderer(() => long).render({ key: "x" }, "vi");
    expect(calls.length).toBe(2);
    const { refs } = await sendDirect(t, "zalo", "z-1", calls);
    const got = await eventually(() => (fake.delivered("z-1").length === 2 ? fake.delivered("z-1") : undefined), 20_000);
    expect(got.map((c) => String(c.payload.text)).join(" ")).toBe(long);
    expect(got.every((c) => String(c.payload.text).length <= 2000)).toBe(true);
    expect(fake.calls.some((c) => c.status === 429)).toBe(true); // the second part hit Zalo's quota first
    await eventually(async () => (await t.db.outboxMessage.findMany({ where: { id: { in: refs.map((r) => r.id) } } })).every((r) => r.status === "sent"));

    fake.block("z-2");
    const blocked = await sendDirect(t, "zalo", "z-2", texts(2));
    await eventually(() => t.db.chat.findFirst({ where: { id: blocked.chat.id, unreachableAt: { not: null } } }), 10_000);
    expect(fake.callsTo("sendMessage").filter((c) => c.payload.chat_id === "z-2")).toHaveLength(1);
  });
});

describe("photos from the web chat on officers' cards", () => {
  it("an upload reference is sent to Telegram as the file itself", async () => {
    const { fake, t } = await telegramSetup();
    const bytes = Buffer.from("ffd8ffe000104a46494600010100000100010000ffd9", "hex");
    const upload = await t.db.upload.create({ data: { chatId: "sealed", mime: "image/jpeg", size: bytes.length, bytes } });
    await sendDirect(t, "telegram", "-5001", [{ method: "sendPhoto", payload: { photo: `upload:${upload.id}`, caption: "ảnh từ trang web" } }], "group");
    const sent = await eventually(() => fake.delivered("-5001").find((c) => c.method === "sendPhoto"), 10_000);
    expect(sent.status).toBe(200);
    expect(JSON.stringify(sent.payload)).not.toContain("upload:");
  });
});
