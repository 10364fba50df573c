import { execFile } from "node:child_process";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InboxIngest } from "../src/inbox/ingest.ts";
import { InboxWorker } from "../src/inbox/worker.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/metrics.ts";
import { secretRedactor } from "../src/security/redact.ts";
import { FakeTelegramApi, tgPrivateText } from "./fakes/telegramApi.ts";
import { FakeZaloApi, zaloText } from "./fakes/zaloApi.ts";
import { FAST_RATES, eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { createTestDatabase } from "./helpers/db.ts";
import { dumpDatabase, dumpText } from "./helpers/dump.ts";

const run = promisify(execFile);

// Tokens shaped like the real ones ("<bot id>:<secret>"); the secret halves are what must never show.
const TG_TOKEN = "7012345678:AAH-Real_Looking_Secret-Token_0123456789";
const ZALO_TOKEN = "2851234567:zalo-Secret-Token-abcdefXYZ";
const SECRETS = [TG_TOKEN, ZALO_TOKEN, "AAH-Real_Looking_Secret-Token_0123456789", "zalo-Secret-Token-abcdefXYZ"];

let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
let t: TestApp;
const logLines: string[] = [];

beforeAll(async () => {
  tg = new FakeTelegramApi({ token: TG_TOKEN, privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  zalo = new FakeZaloApi({ token: ZALO_TOKEN, perChatPerSecond: 100, perChatBurst: 100, globalPerSecond: 1000 });
  await tg.listen();
  await zalo.listen();
  const logSink = new Writable({ write: (chunk, _enc, cb) => (logLines.push(String(chunk)), cb()) });
  t = await startTestApp({ telegram: tg, zalo, env: { ...FAST_RATES, OUTBOX_MAX_ATTEMPTS: "2" }, logSink });
});
afterAll(async () => {
  await t?.close();
  await tg?.close();
  await zalo?.close();
});

const failedRow = (chatKey: string) =>
  eventually(
    async () => {
      const chat = await t.db.chat.findFirst({ where: { platformChatId: chatKey } });
      return chat ? t.db.outboxMessage.findFirst({ where: { chatId: chat.id, status: "failed" } }) : null;
    },
    20_000,
    `failed message to ${chatKey}`,
  );

function expectNoToken(where: string, text: string): void {
  for (const secret of SECRETS) expect(text, `${where} holds a token`).not.toContain(secret);
}

describe("bot tokens with a failing platform", () => {
  it("never reach a stored error, a log line or the admin CLI (network errors and HTTP errors, Telegram and Zalo)", async () => {
    // Telegram, network failure: grammY's transport error names the request URL, token included.
    tg.failNext("sendMessage", 2, "network");
    await tg.pushUpdate(tgPrivateText(918_000_001, "/start"));
    const tgNetwork = await failedRow("918000001");
    expect(tgNetwork.lastError).toContain("network");
    expect(tgNetwork.lastError).toContain("/bot<redacted>/sendMessage"); // the URL was there, without its token
    // Telegram, HTTP error whose description echoes the URL and the bare token.
    tg.failNext("sendMessage", 1, { status: 400, description: `Bad Request: wrong call to https://api.telegram.org/bot${TG_TOKEN}/sendMessage (token ${TG_TOKEN})` });
    await tg.pushUpdate(tgPrivateText(918_000_002, "/start"));
    const tgHttp = await failedRow("918000002");
    expect(tgHttp.lastError).toContain("400 Bad Request: wrong call to https://api.telegram.org/bot<redacted>/sendMessage (token <redacted>)");

    // Zalo, network failure and an HTTP 500 that echoes the URL (retried, then given up).
    zalo.failNext("sendMessage", 2, "network");
    await zalo.pushEvent(zaloText("zalo-tok-1", "xin chào"));
    const zaloNetwork = await failedRow("zalo-tok-1");
    expect(zaloNetwork.lastError).toMatch(/gave up after 2 attempts: 0 /);
    zalo.failNext("sendMessage", 2, { error_code: 500, description: `upstream error at https://bot-api.zaloplatforms.com/bot${ZALO_TOKEN}/sendMessage` });
    await zalo.pushEvent(zaloText("zalo-tok-2", "xin chào"));
    const zaloHttp = await failedRow("zalo-tok-2");
    expect(zaloHttp.lastError).toContain("500 upstream error at https://bot-api.zaloplatforms.com/bot<redacted>/sendMessage");

    // The whole database, every table and column: no token anywhere.
    expectNoToken("the database", dumpText(await dumpDatabase(t.db, t.databaseUrl)));

    // The log lines (captured at debug level) carry the failures, never the tokens.
    const logs = logLines.join("");
    expect(logs).toContain("outbound message failed");
    expectNoToken("the logs", logs);

    // The admin CLI lists the failed messages without the tokens — even a row stored before the
    // redaction existed (written here by hand with the raw URL).
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "918000001" } });
    await t.db.outboxMessage.create({
      data: { channel: "telegram", chatId: chat.id, method: "sendMessage", payload: "{}", status: "failed", lastError: `request to https://api.telegram.org/bot${TG_TOKEN}/sendMessage failed` },
    });
    const env = { ...process.env, DATABASE_URL: t.databaseUrl, TELEGRAM_BOT_TOKEN: TG_TOKEN, ZALO_BOT_TOKEN: ZALO_TOKEN, LOG_LEVEL: "silent" };
    const cli = await run(process.execPath, ["--import", "tsx", "src/cli/admin.ts", "outbox:failed"], { env, cwd: process.cwd() });
    expect(cli.stdout.trim().split("\n")).toHaveLength(5);
    expect(cli.stdout).toContain("/bot<redacted>/sendMessage failed");
    expectNoToken("the CLI output", cli.stdout + cli.stderr);
  });
});

describe("the inbox worker", () => {
  it("stores a failing update's error with the tokens redacted", async () => {
    const tdb = await createTestDatabase();
    try {
      const metrics = new Metrics();
      const worker = new InboxWorker({
        db: tdb.db,
        process: async () => {
          throw new Error(`request to https://api.telegram.org/bot${TG_TOKEN}/getFile failed, reason: ECONNRESET`);
        },
        concurrency: 1,
        maxAttempts: 1,
        metrics,
        log: createLogger("silent", []),
        redact: secretRedactor([TG_TOKEN]),
      });
      const ingest = new InboxIngest(tdb.db, metrics, (rows) => worker.add(rows));
      await ingest.store({ channel: "telegram", updateKey: "1", chatKey: "1", seq: 1n, payload: "{}" });
      const row = await eventually(() => tdb.db.inboxUpdate.findFirst({ where: { status: "parked" } }), 10_000, "parked");
      expect(row.lastError).toContain("/bot<redacted>/getFile failed");
      expectNoToken("the inbox", row.lastError!);
      await worker.stop();
    } finally {
      await tdb.drop();
    }
  });
});
