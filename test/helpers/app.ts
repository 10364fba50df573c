import net from "node:net";
import { App, type AppOptions } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { openDb, type Db } from "../../src/db/client.ts";
import { createLogger } from "../../src/logger.ts";
import { configuredSecrets } from "../../src/security/redact.ts";
import type { Writable } from "node:stream";
import { createTestDatabaseUrl } from "./db.ts";
import crypto from "node:crypto";
import { loadReferenceData } from "../../src/db/referenceData.ts";
import { ensureQueues } from "../../src/core/tips/queues.ts";
import { loadKnowledge } from "../../src/core/qa/knowledge.ts";
import type { PlaceFinder } from "../../src/core/tips/places.ts";
import { Sealer } from "../../src/security/sealing.ts";
import { loadPlaces } from "../../src/services.ts";

let placesOnce: Promise<PlaceFinder> | undefined;
/** Commune routing, loaded once per test process. */
export const testPlaces = () => (placesOnce ??= loadPlaces());
import type { FakeTelegramApi } from "../fakes/telegramApi.ts";
import type { FakeZaloApi } from "../fakes/zaloApi.ts";

export const TG_SECRET = "tg-secret_123";
export const ZALO_SECRET = "zalo-secret-123";

export interface TestApp {
  app: App;
  sealer: Sealer;
  /** Base URL of the running service. */
  url: string;
  databaseUrl: string;
  db: Db;
  /** Stops the app and drops its database. */
  close(): Promise<void>;
  /** Stops the app, keeping the database (to restart on it). */
  stopOnly(): Promise<void>;
}

/**
 * Starts the service in-process on a fresh database, wired to the given fakes, listening on a
 * random loopback port. Rate limits default to the platforms' real ones; pass env to change them.
 */
export async function startTestApp(opts: {
  telegram?: FakeTelegramApi;
  zalo?: FakeZaloApi;
  env?: Record<string, string>;
  databaseUrl?: string;
  /** Long-poll the fakes instead of registering webhooks (development mode). */
  polling?: boolean;
  /** Load the administrative units and tip queues (needed by the tip journey). */
  referenceData?: boolean;
  /** Sealing key (random per app unless given: pass the same one to restart on the same data). */
  sealingKey?: Buffer;
  /** Telegram group id to bind as the national fall-back group (so every tip has a reader, as in a configured deployment). */
  fallbackGroup?: number;
  /** Receives every log line (level debug) instead of standard output. */
  logSink?: Writable;
  /** Receives the service's log lines (JSON, one per call) at `info` and above, instead of muting them. */
  logLines?: (line: string) => void;
  /** Stores what arrives but holds processing until `app.worker.resume()` (to see the state before the bot answers). */
  holdInbox?: boolean;
  /** Port to listen on (a free one unless given: pass the stopped app's to restart it where its clients are). */
  port?: number;
  /** How Zalo's file fetcher resolves and reaches hosts (a local TLS server playing Zalo's CDN). */
  zaloMediaSeams?: AppOptions["zaloMediaSeams"];
}): Promise<TestApp> {
  const created = opts.databaseUrl ? undefined : await createTestDatabaseUrl();
  const databaseUrl = opts.databaseUrl ?? created!.url;
  const port = opts.port ?? (await freePort());
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    ...(opts.polling ? { TELEGRAM_POLLING: "true", ZALO_POLLING: "true" } : { PUBLIC_URL: `http://127.0.0.1:${port}` }),
    HOST: "127.0.0.1",
    LOG_LEVEL: opts.logLines ? "info" : (process.env.TEST_LOG_LEVEL ?? "silent"),
    ...(opts.telegram
      ? { TELEGRAM_BOT_TOKEN: opts.telegram.token, TELEGRAM_WEBHOOK_SECRET: TG_SECRET, TELEGRAM_API_ROOT: opts.telegram.apiRoot }
      : {}),
    ...(opts.zalo ? { ZALO_BOT_TOKEN: opts.zalo.token, ZALO_WEBHOOK_SECRET: ZALO_SECRET, ZALO_API_BASE: opts.zalo.apiRoot } : {}),
    ...opts.env,
  };
  const config = loadConfig(env);
  const lines = opts.logLines;
  const destination = opts.logSink ?? (lines ? { write: (line: string) => void lines(line) } : undefined);
  const log = createLogger(opts.logSink ? "debug" : config.logLevel, configuredSecrets(config), destination);
  const db = await openDb(databaseUrl);
  if (opts.referenceData) {
    await loadReferenceData(db);
    await ensureQueues(db);
    await loadKnowledge(db);
  }
  if (opts.fallbackGroup !== undefined) {
    const group = await db.chat.create({ data: { channel: "telegram", platformChatId: String(opts.fallbackGroup), kind: "group" } });
    await db.queue.update({ where: { id: "national:VN" }, data: { groupChatId: group.id } });
  }
  const sealer = new Sealer([opts.sealingKey ?? crypto.randomBytes(32)]);
  const app = new App({ config, log, db, sealer, places: await testPlaces(), zaloMediaSeams: opts.zaloMediaSeams });
  if (opts.holdInbox) app.worker.pause();
  await app.start();
  const url = await app.listen();
  await app.registerWebhooks();
  await app.startPolling();
  let stopped = false;
  const stopOnly = async () => {
    if (stopped) return;
    stopped = true;
    await app.stop();
  };
  return {
    app,
    sealer,
    url,
    databaseUrl,
    db,
    stopOnly,
    async close() {
      await stopOnly();
      await created?.remove();
    },
  };
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value (then returns it) or `timeoutMs` passes. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = "condition"): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Something that can tell whether it has work in hand or due: the service (`App`), an `InboxWorker`, an `OutboxSender`. */
export interface Idler {
  idle(): boolean | Promise<boolean>;
}

/**
 * Waits until the service (or a worker) is idle — nothing being stored, processed or sent, and
 * nothing due (see `App.idle()`) — on two checks in a row 20 ms apart, so a step handing work
 * to the next one is not taken for the end. Tests use it instead of fixed sleeps: after it, anything
 * the bot would still have sent (a duplicate reply, a repeated reminder) has been sent, so asserting
 * that nothing more arrived is meaningful. Work scheduled for later (a retry's backoff, a rate-limit
 * wait) is not waited for: wait for its outcome with `eventually`. Throws after `timeoutMs`, saying
 * what was still busy.
 */
export async function waitIdle(target: TestApp | App | Idler, timeoutMs = 20_000): Promise<void> {
  const subject: Idler = "app" in target ? target.app : target;
  const until = Date.now() + timeoutMs;
  let streak = 0;
  for (;;) {
    streak = (await subject.idle()) ? streak + 1 : 0;
    if (streak >= 2) return;
    if (Date.now() > until) {
      const busy = subject instanceof App ? `: ${JSON.stringify(await subject.activity())}` : "";
      throw new Error(`not idle within ${timeoutMs} ms${busy}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Rate settings that keep conversations fast in tests (the limits themselves are tested elsewhere). */
export const FAST_RATES = {
  TELEGRAM_RATE_PRIVATE_PER_SECOND: "50",
  TELEGRAM_RATE_PRIVATE_BURST: "50",
  TELEGRAM_RATE_GROUP_PER_MINUTE: "3000",
  ZALO_RATE_CHAT_PER_SECOND: "50",
  ZALO_RATE_CHAT_BURST: "50",
};

/** The national fall-back group bound by `startWithFakes`: every tip has a reader. */
export const FALLBACK_GROUP = -9999;

/** The service with both fakes, with generous platform limits, for conversation tests; a national fall-back group is bound. */
export async function startWithFakes(opts: { env?: Record<string, string>; zaloMediaSeams?: AppOptions["zaloMediaSeams"] } = {}) {
  const { FakeTelegramApi } = await import("../fakes/telegramApi.ts");
  const { FakeZaloApi } = await import("../fakes/zaloApi.ts");
  const tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  const zalo = new FakeZaloApi({ perChatPerSecond: 100, perChatBurst: 100, globalPerSecond: 1000 });
  await tg.listen();
  await zalo.listen();
  const t = await startTestApp({ telegram: tg, zalo, env: { ...FAST_RATES, ...opts.env }, referenceData: true, fallbackGroup: FALLBACK_GROUP, zaloMediaSeams: opts.zaloMediaSeams });
  return {
    tg,
    zalo,
    t,
    async close() {
      await t.close();
      await tg.close();
      await zalo.close();
    },
  };
}
