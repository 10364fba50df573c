import { afterAll, describe, expect, it } from "vitest";
import { App } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { openDb } from "../src/db/client.ts";
import { acquireInstanceLock, InstanceLockError } from "../src/db/instanceLock.ts";
import { createLogger } from "../src/logger.ts";
import { Sealer } from "../src/security/sealing.ts";
import crypto from "node:crypto";
import { FakeTelegramApi, tgCommand } from "./fakes/telegramApi.ts";
import { eventually, startTestApp, testPlaces, waitIdle, type TestApp } from "./helpers/app.ts";
import { createTestDatabaseUrl, PROVIDER } from "./helpers/db.ts";
import { dumpDatabase } from "./helpers/dump.ts";
import { killAllServices, killService, startService } from "./helpers/child.ts";

// SQLite is the single-instance set-up: a second service on the same database file is refused with
// a message saying what to do, and changes nothing; once the first has stopped — or died — a new one
// starts. PostgreSQL (several instances) is not locked.

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  await killAllServices();
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

/** A second service in this process on `databaseUrl`, with its own database client. */
async function secondApp(databaseUrl: string, tg?: FakeTelegramApi): Promise<App> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    ...(tg ? { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_WEBHOOK_SECRET: "tg-secret_123", TELEGRAM_API_ROOT: tg.apiRoot } : {}),
  });
  const db = await openDb(databaseUrl);
  return new App({ config, log: createLogger("silent", []), db, sealer: new Sealer([crypto.randomBytes(32)]), places: await testPlaces() });
}

describe.runIf(PROVIDER === "sqlite")("one service instance per SQLite file", () => {
  it("refuses a second instance on the same file with a clear message, changing nothing; a new one starts after the first stops", async () => {
    const tg = new FakeTelegramApi();
    await tg.listen();
    cleanups.push(() => tg.close());
    // The first instance holds an update it has stored and not processed: a second instance that
    // started would resume it (and answer the resident).
    const first: TestApp = await startTestApp({ telegram: tg, holdInbox: true });
    cleanups.push(() => first.close());
    expect((await tg.pushUpdate(tgCommand(7001, "/start"))).status).toBe(200);
    await eventually(async () => (await first.db.inboxUpdate.count()) === 1, 10_000, "the update stored");
    const before = await dumpDatabase(first.db, first.databaseUrl);

    const second = await secondApp(first.databaseUrl, tg);
    const refused = await second.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    await second.stop();
    expect(refused).toBeInstanceOf(InstanceLockError);
    const message = (refused as Error).message;
    expect(message).toContain("already running on the SQLite database");
    expect(message).toContain(`pid ${process.pid}`);
    expect(message).toMatch(/stop the other instance/);
    expect(message).toMatch(/PostgreSQL/);
    expect(await dumpDatabase(first.db, first.databaseUrl), "the refused instance changed nothing").toEqual(before);
    expect(tg.callsTo("sendMessage"), "nobody was answered by the refused instance").toHaveLength(0);

    // The first instance still works: it answers once resumed.
    first.app.worker.resume();
    await eventually(() => tg.callsTo("sendMessage").length === 1, 10_000, "the first instance's reply");
    await waitIdle(first);

    // Stopped: the file is free again, and a restart on it works (as test/helpers/app.ts restarts do).
    await first.stopOnly();
    const third = await startTestApp({ telegram: tg, databaseUrl: first.databaseUrl });
    cleanups.push(() => third.stopOnly());
    expect((await tg.pushUpdate(tgCommand(7001, "/start"))).status).toBe(200);
    await eventually(() => tg.callsTo("sendMessage").length === 2, 10_000, "the restarted instance's reply");
    await third.stopOnly();
  });

  it("a real service process: the second exits with the message; after the first is SIGKILLed (its lock left behind), a new one starts", async () => {
    const database = await createTestDatabaseUrl();
    cleanups.push(() => database.remove());
    const env = { DATABASE_URL: database.url, LOG_LEVEL: "warn", PUBLIC_URL: "", ENCRYPTION_KEYS: crypto.randomBytes(32).toString("base64") };
    const first = await startService({ env });
    const refused = await startService({ env }).then(
      () => undefined,
      (err: unknown) => String(err),
    );
    expect(refused, "the second service process did not become healthy").toBeDefined();
    expect(refused).toContain("exited (exit code 1)");
    expect(refused).toContain(`already running on the SQLite database`);
    expect(refused).toContain(`pid ${first.child.pid}`);
    expect(refused).toContain("stop the other instance first, or use PostgreSQL");
    const health = await fetch(`${first.url}/healthz`);
    expect(health.status, "the first instance is untouched").toBe(200);

    // A crash leaves the lock file (naming a dead pid) behind: it must not block the restart.
    await killService(first, "SIGKILL");
    const restarted = await startService({ env });
    expect((await fetch(`${restarted.url}/healthz`)).status).toBe(200);
    await killService(restarted, "SIGTERM");
    // And the lock is free again after a graceful stop: this process can take it.
    const lock = acquireInstanceLock(database.url);
    expect(lock).toBeDefined();
    lock!.release();
  });
});

describe.runIf(PROVIDER === "postgresql")("PostgreSQL: several instances", () => {
  it("takes no instance lock: a second service on the same database starts", async () => {
    const first = await startTestApp({});
    cleanups.push(() => first.close());
    expect(acquireInstanceLock(first.databaseUrl)).toBeUndefined();
    const second = await secondApp(first.databaseUrl);
    await second.start();
    await second.stop();
  });
});
