import http from "node:http";
import type { AddressInfo } from "node:net";
import axios from "axios";
import { Bot, GrammyError, HttpError } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeTelegramApi, TG_TEST_TOKEN, tgCallback, tgPrivateText } from "./fakes/telegramApi.js";
import { FakeZaloApi, ZALO_TEST_TOKEN, zaloImage, zaloText } from "./fakes/zaloApi.js";

/** A webhook receiver that records what it got and answers with the queued statuses (then 200). */
async function startReceiver(statuses: number[] = []) {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(statuses.shift() ?? 200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { url, received, close };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

describe("FakeTelegramApi", () => {
  let fake: FakeTelegramApi;
  let bot: Bot;

  beforeEach(async () => {
    fake = new FakeTelegramApi();
    bot = new Bot(TG_TEST_TOKEN, { client: { apiRoot: await fake.listen() } });
  });
  afterEach(() => fake.close());

  it("answers grammY's sendMessage with a Message and records the delivery", async () => {
    const keyboard = { inline_keyboard: [[{ text: "Nhận", callback_data: "t:claim:1" }]] };
    const message = await bot.api.sendMessage(1001, "Xin chào", { reply_markup: keyboard });
    expect(message).toMatchObject({ text: "Xin chào", chat: { id: 1001, type: "private" }, reply_markup: keyboard });
    expect(message.date).toBeLessThan(Date.now() / 100);
    const second = await bot.api.sendMessage(1001, "Lần hai");
    expect(second.message_id).toBe(message.message_id + 1);
    expect(fake.delivered("1001")).toHaveLength(2);
    expect(fake.callsTo("sendMessage")[0]?.payload.text).toBe("Xin chào");
  });

  it("lets three quick sends to a private chat through and answers the fourth with 429 retry_after", async () => {
    for (let i = 0; i < 3; i++) await bot.api.sendMessage(1002, `tin ${i}`);
    const error = await rejection(bot.api.sendMessage(1002, "tin 3"));
    expect(error).toBeInstanceOf(GrammyError);
    const grammyError = error as GrammyError;
    expect(grammyError.error_code).toBe(429);
    expect(grammyError.parameters.retry_after).toBeGreaterThanOrEqual(1);
    expect(grammyError.description).toBe(`Too Many Requests: retry after ${grammyError.parameters.retry_after}`);
    expect(fake.calls.at(-1)?.status).toBe(429);
    await expect(bot.api.sendMessage(1003, "chat khác")).resolves.toBeTruthy();
    await expect(bot.api.sendMessage(1002, "paid", { allow_paid_broadcast: true })).rejects.toThrow(/retry after/);
    expect(fake.delivered(1002)).toHaveLength(3);
  });

  it("paces paid broadcasts (allow_paid_broadcast) on their own overall limit, apart from the free 30/s", async () => {
    fake.limits.paidPerSecond = 5;
    fake.limits.globalPerSecond = 2;
    for (let i = 0; i < 5; i++) await bot.api.sendMessage(2000 + i, "paid", { allow_paid_broadcast: true });
    const error = (await rejection(bot.api.sendMessage(2010, "paid", { allow_paid_broadcast: true }))) as GrammyError;
    expect([error.error_code, error.parameters.retry_after]).toEqual([429, 1]);
    // The free pace is untouched by the paid sends, and the paid one by free sends.
    await expect(bot.api.sendMessage(2020, "free")).resolves.toBeTruthy();
    await expect(bot.api.sendMessage(2021, "free")).resolves.toBeTruthy();
    await expect(bot.api.sendMessage(2022, "free")).rejects.toThrow(/retry after/);
    expect(fake.callsTo("sendMessage").filter((c) => c.status === 200)).toHaveLength(7);
  });

  it("answers 403 for a blocked chat until it is unblocked", async () => {
    fake.block(1004);
    const error = (await rejection(bot.api.sendMessage(1004, "hi"))) as GrammyError;
    expect([error.error_code, error.description]).toEqual([403, "Forbidden: bot was blocked by the user"]);
    fake.unblock(1004);
    await expect(bot.api.sendMessage(1004, "hi")).resolves.toBeTruthy();
  });

  it("rejects texts over 4096 UTF-16 units and callback_data over 64 bytes", async () => {
    const tooLong = (await rejection(bot.api.sendMessage(1005, "a".repeat(4097)))) as GrammyError;
    expect([tooLong.error_code, tooLong.description]).toEqual([400, "Bad Request: message is too long"]);
    await expect(bot.api.sendMessage(1006, "😀".repeat(2049))).rejects.toThrow(/too long/);
    await expect(bot.api.sendMessage(1007, "a".repeat(4096))).resolves.toBeTruthy();
    const button = (data: string) => ({ reply_markup: { inline_keyboard: [[{ text: "x", callback_data: data }]] } });
    const badData = (await rejection(bot.api.sendMessage(1008, "x", button("a".repeat(65))))) as GrammyError;
    expect([badData.error_code, badData.description]).toEqual([400, "Bad Request: BUTTON_DATA_INVALID"]);
    await expect(bot.api.sendMessage(1008, "x", button("đ".repeat(33)))).rejects.toThrow(/BUTTON_DATA_INVALID/);
    await expect(bot.api.sendMessage(1008, "x", button("a".repeat(64)))).resolves.toBeTruthy();
  });

  it("parses HTML like Telegram: entities for good markup, 400 \"can't parse entities\" for bad markup", async () => {
    const sent = await bot.api.sendMessage(1010, '<b>Loại:</b> a &amp; b &lt;i&gt; · <a href="https://x.example/?a=1&amp;b=2">bản đồ</a>', { parse_mode: "HTML" });
    expect(sent.text).toBe("Loại: a & b <i> · bản đồ");
    expect(sent.entities).toEqual([
      { type: "bold", offset: 0, length: 5 },
      { type: "text_link", offset: 18, length: 6, url: "https://x.example/?a=1&b=2" },
    ]);
    const parseError = async (text: string) => ((await rejection(bot.api.sendMessage(1010, text, { parse_mode: "HTML" }))) as GrammyError).description;
    expect(await parseError("<b>open")).toBe(`Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`);
    expect(await parseError("<b>x</i>")).toBe(`Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`);
    expect(await parseError("x</a>")).toBe("Bad Request: can't parse entities: Unexpected end tag at byte offset 1");
    expect(await parseError("<script>x</script>")).toBe(`Bad Request: can't parse entities: Unsupported start tag "script" at byte offset 0`);
    expect(await parseError("a < b")).toMatch(/^Bad Request: can't parse entities: Unclosed start tag/);
    // Without parse_mode the same texts are plain; counted after parsing for the length limit.
    expect((await bot.api.sendMessage(1011, "<b>open")).text).toBe("<b>open");
    await expect(bot.api.sendMessage(1012, `<b>${"a".repeat(4096)}</b>`, { parse_mode: "HTML" })).resolves.toBeTruthy();
    await expect(bot.api.sendMessage(1013, `<b>${"a".repeat(4097)}</b>`, { parse_mode: "HTML" })).rejects.toThrow(/too long/);
    const edit = (await rejection(bot.api.editMessageText(1010, sent.message_id, "<u>x", { parse_mode: "HTML" }))) as GrammyError;
    expect(edit.description).toMatch(/can't parse entities/);
  });

  it("answers 401 for a wrong token and 404 for an unknown method", async () => {
    const stranger = new Bot("999:WRONG", { client: { apiRoot: fake.apiRoot } });
    const error = (await rejection(stranger.api.getMe())) as GrammyError;
    expect([error.error_code, error.description]).toEqual([401, "Unauthorized"]);
    const res = await fetch(`${fake.apiRoot}/bot${TG_TEST_TOKEN}/sendTelepathy`, { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ ok: false, error_code: 404, description: "Not Found" });
  });

  it("reports 'message is not modified', migrated groups and injected failures", async () => {
    const sent = await bot.api.sendMessage(1009, "Thẻ #1");
    const notModified = (await rejection(bot.api.editMessageText(1009, sent.message_id, "Thẻ #1"))) as GrammyError;
    expect(notModified.description).toMatch(/^Bad Request: message is not modified/);
    const edited = await bot.api.editMessageText(1009, sent.message_id, "Thẻ #1 (đã nhận)");
    expect(edited).toMatchObject({ message_id: sent.message_id, text: "Thẻ #1 (đã nhận)" });

    fake.migrate(-4001, -1002000004001);
    const migrated = (await rejection(bot.api.sendMessage(-4001, "x"))) as GrammyError;
    expect(migrated.parameters.migrate_to_chat_id).toBe(-1002000004001);

    fake.failNext("sendMessage", 1, "network");
    fake.failNext("sendMessage", 1, { status: 500, description: "Internal Server Error" });
    expect(await rejection(bot.api.sendMessage(1010, "x"))).toBeInstanceOf(HttpError);
    expect(((await rejection(bot.api.sendMessage(1010, "x"))) as GrammyError).error_code).toBe(500);
    await expect(bot.api.sendMessage(1010, "x")).resolves.toBeTruthy();
    expect(fake.callsTo("sendMessage").slice(-3).map((c) => c.status)).toEqual([0, 500, 200]);
  });

  it("refuses getUpdates with 409 while a webhook is set and long-polls otherwise", async () => {
    await bot.api.setWebhook("http://127.0.0.1:9/tg", { secret_token: "s3cret_Token-1" });
    const error = (await rejection(bot.api.getUpdates())) as GrammyError;
    expect(error.error_code).toBe(409);
    expect(error.description).toMatch(/^Conflict: can't use getUpdates method while webhook is active/);
    await expect(bot.api.setWebhook("http://127.0.0.1:9/tg", { secret_token: "bad=secret" })).rejects.toThrow(
      /secret token contains unallowed characters/,
    );
    await bot.api.deleteWebhook();

    const started = Date.now();
    const poll = bot.api.getUpdates({ timeout: 2 });
    setTimeout(() => fake.queueUpdate(tgPrivateText(1011, "tố giác")), 50);
    const [update] = await poll;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(update?.message?.text).toBe("tố giác");
    expect(await bot.api.getUpdates({ offset: (update?.update_id ?? 0) + 1, timeout: 0 })).toEqual([]);
  });

  it("pushes updates to the webhook with the secret header and an update_id", async () => {
    const receiver = await startReceiver();
    try {
      await bot.api.setWebhook(receiver.url, { secret_token: "TaiMat_secret-1" });
      const result = await fake.pushUpdate({ message: { message_id: 1, date: 1, chat: { id: 1, type: "private" }, text: "x" } });
      expect(result.status).toBe(200);
      expect(receiver.received[0]?.headers["x-telegram-bot-api-secret-token"]).toBe("TaiMat_secret-1");
      expect(JSON.parse(receiver.received[0]?.body ?? "{}").update_id).toBeGreaterThan(100_000_000);
      await fake.pushUpdate(tgCallback(1012, "t:claim:1", 1), { secret: null });
      expect(receiver.received[1]?.headers["x-telegram-bot-api-secret-token"]).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});

describe("FakeZaloApi", () => {
  let fake: FakeZaloApi;
  let base: string;
  const call = (method: string, body: object, token = ZALO_TEST_TOKEN) =>
    axios.post(`${base}/bot${token}/${method}`, body, { validateStatus: () => true });

  beforeEach(async () => {
    fake = new FakeZaloApi();
    base = await fake.listen();
  });
  afterEach(() => fake.close());

  it("sends a message and answers with a 20-hex message_id and a date in ms", async () => {
    const res = await call("sendMessage", { chat_id: "a1b2c3", text: "Xin chào" });
    expect(res.status).toBe(200);
    expect(res.data.ok).toBe(true);
    expect(res.data.result.message_id).toMatch(/^[0-9a-f]{20}$/);
    expect(res.data.result.date).toBeGreaterThan(1e12);
    expect(fake.delivered("a1b2c3")).toHaveLength(1);
  });

  it("rejects texts over 2000 characters, wrong tokens and unknown methods", async () => {
    const long = await call("sendMessage", { chat_id: "a1", text: "x".repeat(2001) });
    expect([long.status, long.data.ok, long.data.error_code]).toEqual([400, false, 400]);
    const wrong = await call("getMe", {}, "1:nope");
    expect(wrong.data).toEqual({ ok: false, error_code: 401, description: "Unauthorized" });
    expect((await call("sendmessage", { chat_id: "a1", text: "x" })).status).toBe(400);
    fake.errorHttpStatus = 200;
    const mirrored = await call("sendMessage", { chat_id: "a1", text: "" });
    expect([mirrored.status, mirrored.data.error_code]).toEqual([200, 400]);
  });

  it("answers 'Quota exceeded' once a chat's burst is spent", async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call("sendMessage", { chat_id: "q1", text: `tin ${i}` })).data);
    expect(statuses.map((s) => s.ok)).toEqual([true, true, false]);
    expect(statuses[2]).toEqual({ ok: false, error_code: 429, description: "Quota exceeded" });
    fake.block("q2");
    expect((await call("sendMessage", { chat_id: "q2", text: "x" })).data.error_code).toBe(403);
  });

  it("pushes events unwrapped by default, wrapped on request, with the secret header and resends", async () => {
    const receiver = await startReceiver([500]);
    try {
      const set = await call("setWebhook", { url: receiver.url, secret_token: "zalo-secret-1" });
      expect(set.data.result.url).toBe(receiver.url);
      fake.resendOnError = 1;
      const event = zaloText("0f1e2d3c4b5a69788796", "xin chào");
      const first = await fake.pushEvent(event);
      expect([first.status, first.attempts]).toEqual([200, 2]);
      expect(receiver.received.map((r) => JSON.parse(r.body))).toEqual([event, event]);
      expect(receiver.received[0]?.headers["x-bot-api-secret-token"]).toBe("zalo-secret-1");
      await fake.pushEvent(zaloImage("0f1e2d3c4b5a69788796", "https://photo.zdn.vn/1.jpg"), { wrapped: true });
      const wrapped = JSON.parse(receiver.received[2]?.body ?? "{}");
      expect(wrapped).toMatchObject({ ok: true, result: { event_name: "message.image.received", message: { caption: "" } } });
      expect((await call("getUpdates", {})).data.error_code).toBe(400);
      expect((await call("setWebhook", { url: receiver.url, secret_token: "short" })).status).toBe(400);
    } finally {
      await receiver.close();
    }
  });

  it("long-polls one event per getUpdates call and answers 408 after the timeout", async () => {
    const started = Date.now();
    const empty = await call("getUpdates", { timeout: "0.2" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(empty.data).toEqual({ ok: false, error_code: 408, description: "Request timeout" });
    const first = zaloText("u1", "một");
    const second = zaloText("u1", "hai");
    expect(second.message.date).toBeGreaterThan(first.message.date);
    fake.queueEvent(first);
    fake.queueEvent(second);
    expect((await call("getUpdates", { timeout: 1 })).data.result).toEqual(first);
    expect((await call("getUpdates", { timeout: 1 })).data.result).toEqual(second);
  });
});
