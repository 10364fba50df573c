import { afterAll, describe, expect, it } from "vitest";
import { FakeTelegramApi, tgCommand, tgPrivateText } from "./fakes/telegramApi.ts";
import { FakeZaloApi, zaloText } from "./fakes/zaloApi.ts";
import type { PushResult } from "./fakes/common.ts";
import { createTestDatabaseUrl } from "./helpers/db.ts";
import { describeExit, killAllServices, killService, startService, type ServiceProcess } from "./helpers/child.ts";
import { openDb, type Db } from "../src/db/client.ts";

// The service runs as a real child process (`node dist/src/main.js`, as `npm start` runs it), is killed with
// SIGKILL or stopped with SIGTERM in the middle of a stream of webhook updates, and restarted on the
// same database. The platform fakes stand in for Telegram and Zalo; like the real platforms, the
// tests re-deliver every update that did not get a 200.

const TG_SECRET = "crash_test-secret";
const ZALO_SECRET = "zalo-crash-secret";
/** A single webhook request taking longer than this is a hang, not a crash symptom. */
const REQUEST_TIMEOUT_MS = 15_000;
/** Every input the streams use (/start, "113", "xyz") produces exactly one reply message. */
const REPLIES_PER_UPDATE = 1;

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  await killAllServices();
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

/** One update of a stream: its dedupe key, its chat, and how to POST it to a service. */
interface StreamItem {
  key: string;
  chat: string;
  push(url: string): Promise<PushResult>;
}

type Outcome = { kind: "ack"; duplicate: boolean } | { kind: "refused"; status: number } | { kind: "error"; error: string };

async function deliver(item: StreamItem, url: string): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`webhook request for ${item.key} hung for ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
  });
  try {
    const res = await Promise.race([item.push(url), hang]);
    if (res.status !== 200) return { kind: "refused", status: res.status };
    return { kind: "ack", duplicate: (JSON.parse(res.body) as { duplicate?: boolean }).duplicate === true };
  } catch (err) {
    if (String(err).includes("hung for")) throw err;
    return { kind: "error", error: String((err as Error)?.message ?? err) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * POSTs `items` with `concurrency` requests in flight, in order. `onAck` runs on every 200 and may
 * return true to stop taking new items (requests already in flight still complete). Returns the
 * outcome of every item attempted, and the index of the first item not attempted.
 */
async function stream(
  items: StreamItem[],
  url: string,
  concurrency: number,
  onAck?: (acked: number, inFlight: number) => boolean,
): Promise<{ outcomes: Map<string, Outcome>; next: number }> {
  const outcomes = new Map<string, Outcome>();
  let next = 0;
  let acked = 0;
  let inFlight = 0;
  let stop = false;
  const lane = async () => {
    while (!stop && next < items.length) {
      const item = items[next++]!;
      inFlight++;
      const outcome = await deliver(item, url);
      inFlight--;
      outcomes.set(item.key, outcome);
      if (outcome.kind === "ack" && onAck?.(++acked, inFlight)) stop = true;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { outcomes, next };
}

/** Re-delivers `items` until each got a 200 (a few rounds, as a platform would); returns how many were duplicates. */
async function redeliverUntilAcked(items: StreamItem[], url: string, concurrency: number, acked: Set<string>): Promise<{ duplicates: Set<string> }> {
  const duplicates = new Set<string>();
  let todo = items;
  for (let round = 0; todo.length > 0; round++) {
    if (round > 0) await new Promise((r) => setTimeout(r, 200 * round));
    if (round >= 5) {
      const { outcomes } = await stream(todo.slice(0, 1), url, 1);
      throw new Error(`updates still not acknowledged after ${round} rounds, e.g. ${todo[0]!.key}: ${JSON.stringify(outcomes.get(todo[0]!.key))}`);
    }
    const { outcomes } = await stream(todo, url, concurrency);
    for (const [key, o] of outcomes) {
      if (o.kind !== "ack") continue;
      acked.add(key);
      if (o.duplicate) duplicates.add(key);
    }
    todo = todo.filter((i) => outcomes.get(i.key)?.kind !== "ack");
  }
  return { duplicates };
}

interface DbState {
  inbox: Array<{ id: number; updateKey: string; status: string }>;
  outbox: Array<{ id: number; sourceUpdateId: number | null; status: string }>;
}

async function readState(db: Db, channel: string): Promise<DbState> {
  const [inbox, outbox] = await Promise.all([
    db.inboxUpdate.findMany({ where: { channel }, select: { id: true, updateKey: true, status: true }, orderBy: { id: "asc" } }),
    db.outboxMessage.findMany({ where: { channel }, select: { id: true, sourceUpdateId: true, status: true }, orderBy: { id: "asc" } }),
  ]);
  return { inbox, outbox };
}

/** Waits until the inbox holds `expectedRows` rows for the channel and neither inbox nor outbox has pending rows. */
async function waitForDrain(db: Db, channel: string, expectedRows: number, svc: ServiceProcess, timeoutMs = 40_000): Promise<DbState> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const state = await readState(db, channel);
    const inboxPending = state.inbox.filter((r) => r.status === "pending").length;
    const outboxPending = state.outbox.filter((r) => r.status === "pending").length;
    if (state.inbox.length >= expectedRows && inboxPending === 0 && outboxPending === 0) return state;
    if (svc.exit) throw new Error(`service exited (${describeExit(svc.exit)}) before the queues drained; output:\n${svc.output()}`);
    if (Date.now() > until) {
      throw new Error(
        `queues not drained within ${timeoutMs} ms: inbox ${state.inbox.length}/${expectedRows} rows, ${inboxPending} pending; ` +
          `outbox ${state.outbox.length} rows, ${outboxPending} pending; service output:\n${svc.output()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The "processed exactly once" checks on a drained database: every acknowledged update has one
 * inbox row, done; every done row produced exactly one processing's worth of outbox rows, all sent.
 */
function expectProcessedExactlyOnce(state: DbState, acked: Set<string>): void {
  const byKey = new Map<string, Array<{ id: number; status: string }>>();
  for (const r of state.inbox) byKey.set(r.updateKey, [...(byKey.get(r.updateKey) ?? []), r]);
  const missing = [...acked].filter((k) => !byKey.has(k));
  expect(missing, "acknowledged updates with no inbox row (lost)").toEqual([]);
  const notDone = state.inbox.filter((r) => r.status !== "done").map((r) => `${r.updateKey}:${r.status}`);
  expect(notDone, "inbox rows not done (pending or parked)").toEqual([]);
  const doubled = [...byKey].filter(([, rows]) => rows.length !== 1).map(([k]) => k);
  expect(doubled, "updates stored more than once").toEqual([]);
  const unacked = [...byKey.keys()].filter((k) => !acked.has(k));
  expect(unacked, "inbox rows for updates that never got a 200").toEqual([]);

  const perSource = new Map<number, number>();
  for (const m of state.outbox) perSource.set(m.sourceUpdateId ?? -1, (perSource.get(m.sourceUpdateId ?? -1) ?? 0) + 1);
  const wrongCount = state.inbox
    .filter((r) => (perSource.get(r.id) ?? 0) !== REPLIES_PER_UPDATE)
    .map((r) => `${r.updateKey}→${perSource.get(r.id) ?? 0}`);
  expect(wrongCount, `inbox updates without exactly ${REPLIES_PER_UPDATE} outbox row(s) (processed 0 or 2+ times)`).toEqual([]);
  const inboxIds = new Set(state.inbox.map((r) => r.id));
  expect(state.outbox.filter((m) => m.sourceUpdateId === null || !inboxIds.has(m.sourceUpdateId)), "outbox rows with no source update").toEqual([]);
  const unsent = state.outbox.filter((m) => m.status !== "sent").map((m) => `${m.id}:${m.status}`);
  expect(unsent, "outbox rows not sent").toEqual([]);
  expect(state.outbox.length).toBe(acked.size * REPLIES_PER_UPDATE);
}

/**
 * At the platform: every chat got at least one delivery per reply recorded for it; the surplus
 * (messages the platform accepted just before the kill, whose "sent" was never recorded, so they
 * are sent again) is at most one per chat, since the outbox has one call in flight per chat.
 */
function platformSurplus(items: StreamItem[], deliveredTo: (chat: string) => number): { total: number; perChat: Map<string, number> } {
  const expected = new Map<string, number>();
  for (const i of items) expected.set(i.chat, (expected.get(i.chat) ?? 0) + REPLIES_PER_UPDATE);
  const perChat = new Map<string, number>();
  let total = 0;
  for (const [chat, n] of expected) {
    const got = deliveredTo(chat);
    expect(got, `deliveries to chat ${chat}`).toBeGreaterThanOrEqual(n);
    perChat.set(chat, got - n);
    total += got - n;
  }
  return { total, perChat };
}

interface CrashScenario {
  channel: "telegram" | "zalo";
  items: StreamItem[];
  env: Record<string, string>;
  deliveredTo(chat: string): number;
  /** SIGKILL once this many updates got a 200. */
  killAfterAcks: number;
  concurrency: number;
  /** Re-deliver every n-th acknowledged update after the restart, to prove dedupe across it. */
  resendEvery: number;
}

/** Streams, SIGKILLs mid-stream, restarts, finishes the stream, and checks exactly-once processing. */
async function runCrashScenario(s: CrashScenario): Promise<void> {
  const database = await createTestDatabaseUrl();
  cleanups.push(() => database.remove());
  const env = { ...s.env, DATABASE_URL: database.url, LOG_LEVEL: "warn" };
  let db: Db | undefined;
  let svc: ServiceProcess | undefined;
  try {
    svc = await startService({ env });
    const first = svc;
    let inFlightAtKill = 0;
    const phase1 = await stream(s.items, first.url, s.concurrency, (acked, inFlight) => {
      if (acked < s.killAfterAcks) return false;
      inFlightAtKill = inFlight;
      first.child.kill("SIGKILL");
      return true;
    });
    const killed = await first.exited;
    expect(killed.signal, `first run should die of SIGKILL; output:\n${first.output()}`).toBe("SIGKILL");

    const acked = new Set<string>();
    for (const [key, o] of phase1.outcomes) if (o.kind === "ack") acked.add(key);
    const ackedBeforeKill = acked.size;
    const failed = s.items.filter((i) => phase1.outcomes.has(i.key) && phase1.outcomes.get(i.key)!.kind !== "ack");
    const resent = [...acked].filter((_, n) => n % s.resendEvery === 0);
    const resentItems = s.items.filter((i) => resent.includes(i.key));
    const unsent = s.items.slice(phase1.next);

    // What the kill left behind: rows stored, processed, replies sent or still pending.
    db = await openDb(database.url);
    const atKill = await readState(db, s.channel);
    const count = <T extends { status: string }>(rows: T[], status: string) => rows.filter((r) => r.status === status).length;
    const storedAtKill = new Set(atKill.inbox.map((r) => r.updateKey));
    expect([...acked].filter((k) => !storedAtKill.has(k)), "updates acknowledged before the kill but not in the database").toEqual([]);

    svc = await startService({ env });
    // Like Telegram: the failed deliveries first, then the rest of the stream; plus some already acknowledged.
    const again = await redeliverUntilAcked([...failed, ...resentItems], svc.url, s.concurrency, acked);
    await redeliverUntilAcked(unsent, svc.url, s.concurrency, acked);

    expect(acked.size, "every update of the stream is eventually acknowledged").toBe(s.items.length);
    const storedButUnacked = failed.filter((i) => again.duplicates.has(i.key)).length;
    const resentDuplicates = resentItems.filter((i) => again.duplicates.has(i.key)).length;
    expect(resentDuplicates, "re-delivered acknowledged updates are recognised as duplicates").toBe(resentItems.length);

    const state = await waitForDrain(db, s.channel, s.items.length, svc);
    expectProcessedExactlyOnce(state, acked);
    const surplus = platformSurplus(s.items, s.deliveredTo);
    const chats = surplus.perChat.size;
    console.log(
      `[crash ${s.channel}] ${s.items.length} updates / ${chats} chats; acknowledged before SIGKILL: ${ackedBeforeKill} ` +
        `(${inFlightAtKill} requests in flight at the kill); left by the kill: ${atKill.inbox.length} stored ` +
        `(${count(atKill.inbox, "done")} done, ${count(atKill.inbox, "pending")} pending), ${atKill.outbox.length} replies recorded ` +
        `(${count(atKill.outbox, "sent")} sent, ${count(atKill.outbox, "pending")} pending); not acknowledged: ${failed.length} ` +
        `(${storedButUnacked} of them already stored before the kill); re-delivered after restart: ${failed.length + resentItems.length} ` +
        `(${resentItems.length} acknowledged ones, all deduplicated); never sent before the kill: ${unsent.length}; ` +
        `duplicate deliveries at the fake: ${surplus.total} (max per chat ${Math.max(...surplus.perChat.values())})`,
    );
    expect(Math.max(...surplus.perChat.values()), "duplicate deliveries to one chat (one call in flight per chat at the kill)").toBeLessThanOrEqual(1);
    expect(surplus.total).toBeLessThanOrEqual(chats);

    const exit = await killService(svc, "SIGTERM");
    expect(exit, `output:\n${svc.output()}`).toEqual({ code: 0, signal: null });
  } finally {
    if (svc) await killService(svc);
    await db?.$disconnect();
  }
}

describe("crash safety with the service as a child process", () => {
  it("Telegram: SIGKILL mid-stream and restart — every update that got a 200 is processed exactly once, none is lost", async () => {
    const fake = new FakeTelegramApi({ globalPerSecond: 1000, privatePerSecond: 100, privateBurst: 100 });
    await fake.listen();
    cleanups.push(() => fake.close());
    const chats = Array.from({ length: 40 }, (_, i) => 7_300_001 + i);
    const items: StreamItem[] = [];
    for (let round = 0; round < 10; round++) {
      for (const chat of chats) {
        const update = round === 0 ? tgCommand(chat, "/start") : tgPrivateText(chat, round % 2 ? "113" : "xyz");
        items.push({ key: String(update.update_id), chat: String(chat), push: (url) => fake.pushUpdate(update, { url: `${url}/webhooks/telegram`, secret: TG_SECRET }) });
      }
    }
    await runCrashScenario({
      channel: "telegram",
      items,
      env: {
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
        TELEGRAM_API_ROOT: fake.apiRoot,
        TELEGRAM_RATE_GLOBAL_PER_SECOND: "1000",
        TELEGRAM_RATE_PRIVATE_PER_SECOND: "100",
        TELEGRAM_RATE_PRIVATE_BURST: "100",
      },
      deliveredTo: (chat) => fake.delivered(chat).length,
      killAfterAcks: 160,
      concurrency: 16,
      resendEvery: 5,
    });
    await fake.close();
  });

  it("Telegram: SIGTERM stops accepting, finishes work in flight and closes the database; nothing acknowledged is lost", async () => {
    const fake = new FakeTelegramApi({ globalPerSecond: 1000, privatePerSecond: 100, privateBurst: 100 });
    await fake.listen();
    cleanups.push(() => fake.close());
    const database = await createTestDatabaseUrl();
    cleanups.push(() => database.remove());
    const env = {
      DATABASE_URL: database.url,
      LOG_LEVEL: "info", // the test waits for the "shutting down" line
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_RATE_GLOBAL_PER_SECOND: "1000",
      TELEGRAM_RATE_PRIVATE_PER_SECOND: "100",
      TELEGRAM_RATE_PRIVATE_BURST: "100",
    };
    const chats = Array.from({ length: 30 }, (_, i) => 7_400_001 + i);
    const items: StreamItem[] = [];
    for (let round = 0; round < 8; round++) {
      for (const chat of chats) {
        const update = round === 0 ? tgCommand(chat, "/start") : tgPrivateText(chat, round % 2 ? "113" : "xyz");
        items.push({ key: String(update.update_id), chat: String(chat), push: (url) => fake.pushUpdate(update, { url: `${url}/webhooks/telegram`, secret: TG_SECRET }) });
      }
    }
    const late = tgPrivateText(chats[0]!, "113");
    const lateItem: StreamItem = { key: String(late.update_id), chat: String(chats[0]), push: (url) => fake.pushUpdate(late, { url: `${url}/webhooks/telegram`, secret: TG_SECRET }) };

    let db: Db | undefined;
    let svc: ServiceProcess | undefined;
    try {
      svc = await startService({ env });
      const first = svc;
      const { outcomes } = await stream(items, first.url, 30);
      const acked = new Set([...outcomes].filter(([, o]) => o.kind === "ack").map(([k]) => k));
      expect(acked.size, "the burst is acknowledged").toBe(items.length);

      const sigtermAt = Date.now();
      first.child.kill("SIGTERM");
      await first.waitForOutput("shutting down", 10_000);
      const lateOutcome = await deliver(lateItem, first.url);
      const exit = await Promise.race([
        first.exited,
        new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 25_000)),
      ]);
      const stopMs = Date.now() - sigtermAt;
      expect(exit, `SIGTERM must exit 0 within 25 s; output:\n${first.output()}`).toEqual({ code: 0, signal: null });
      expect(lateOutcome.kind === "refused" ? lateOutcome.status : lateOutcome.kind, "a request after SIGTERM is refused (503 or no connection)").toSatisfy(
        (v: unknown) => v === 503 || v === "error",
      );
      expect(first.output()).toContain("stopped cleanly");

      // Right after the exit: every acknowledged update is stored once; those done have their replies recorded.
      db = await openDb(database.url);
      const atExit = await readState(db, "telegram");
      expect(atExit.inbox.map((r) => r.updateKey).sort()).toEqual([...acked].sort());
      expect(atExit.inbox.filter((r) => r.status === "parked")).toEqual([]);
      const doneIds = new Set(atExit.inbox.filter((r) => r.status === "done").map((r) => r.id));
      const perSource = new Map<number, number>();
      for (const m of atExit.outbox) perSource.set(m.sourceUpdateId!, (perSource.get(m.sourceUpdateId!) ?? 0) + 1);
      expect([...doneIds].filter((id) => perSource.get(id) !== REPLIES_PER_UPDATE), "done updates without their reply recorded").toEqual([]);
      expect(atExit.outbox.filter((m) => !doneIds.has(m.sourceUpdateId!)), "replies of updates not marked done").toEqual([]);
      const sentAtExit = atExit.outbox.filter((m) => m.status === "sent").length;
      // Every message the platform accepted before the exit was recorded as sent (nothing left in flight).
      expect(fake.delivered().length, "platform deliveries before the exit = outbox rows marked sent").toBe(sentAtExit);
      const pendingAtExit = atExit.inbox.length - doneIds.size;

      // The next start processes what was left; every acknowledged update gets exactly one reply overall.
      svc = await startService({ env: { ...env, LOG_LEVEL: "warn" } });
      const state = await waitForDrain(db, "telegram", items.length, svc);
      expectProcessedExactlyOnce(state, acked);
      expect(state.inbox.find((r) => r.updateKey === lateItem.key), "the update sent after SIGTERM was not stored").toBeUndefined();
      for (const chat of chats) {
        expect(fake.delivered(chat).length, `deliveries to chat ${chat}: no loss, no duplicate after a graceful stop`).toBe(
          items.filter((i) => i.chat === String(chat)).length * REPLIES_PER_UPDATE,
        );
      }
      console.log(
        `[sigterm telegram] ${items.length} updates acknowledged, SIGTERM → exit 0 in ${stopMs} ms; at exit: ` +
          `${doneIds.size} done, ${pendingAtExit} still pending (processed at the next start), ${sentAtExit} replies sent, ` +
          `${atExit.outbox.length - sentAtExit} recorded and pending; request after SIGTERM: ${JSON.stringify(lateOutcome)}`,
      );
      const second = await killService(svc, "SIGTERM");
      expect(second, `output:\n${svc.output()}`).toEqual({ code: 0, signal: null });
    } finally {
      if (svc) await killService(svc);
      await db?.$disconnect();
      await fake.close();
    }
  });

  it("Telegram: SIGTERM with replies queued at the platform's pace exits promptly, leaving them for the next start", async () => {
    // The service paces itself at 2 sends/s here: 40 chats waiting is what ~750 chats are at Telegram's 30/s.
    // Shutdown must not wait for the whole queue to be sent (it would outlast the 25 s grace and exit 1 mid-send).
    const fake = new FakeTelegramApi({ globalPerSecond: 1000, privatePerSecond: 100, privateBurst: 100 });
    await fake.listen();
    cleanups.push(() => fake.close());
    const database = await createTestDatabaseUrl();
    cleanups.push(() => database.remove());
    const env = {
      DATABASE_URL: database.url,
      LOG_LEVEL: "warn",
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_RATE_GLOBAL_PER_SECOND: "2",
      TELEGRAM_RATE_PRIVATE_PER_SECOND: "100",
      TELEGRAM_RATE_PRIVATE_BURST: "100",
    };
    const chats = Array.from({ length: 40 }, (_, i) => 7_500_001 + i);
    const items: StreamItem[] = chats.map((chat) => {
      const update = tgPrivateText(chat, "113");
      return { key: String(update.update_id), chat: String(chat), push: (url) => fake.pushUpdate(update, { url: `${url}/webhooks/telegram`, secret: TG_SECRET }) };
    });
    let db: Db | undefined;
    let svc: ServiceProcess | undefined;
    try {
      svc = await startService({ env });
      const first = svc;
      const { outcomes } = await stream(items, first.url, 20);
      const acked = new Set([...outcomes].filter(([, o]) => o.kind === "ack").map(([k]) => k));
      expect(acked.size).toBe(items.length);
      db = await openDb(database.url);
      const dbNow = db;
      const until = Date.now() + 20_000;
      while ((await dbNow.inboxUpdate.count({ where: { status: "pending" } })) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));

      const sigtermAt = Date.now();
      const exit = await killService(first, "SIGTERM", 30_000);
      const stopMs = Date.now() - sigtermAt;
      expect(exit, `output:\n${first.output()}`).toEqual({ code: 0, signal: null });
      expect(stopMs, "SIGTERM → exit with a send queue waiting on the rate limiter").toBeLessThan(5_000);
      const atExit = await readState(db, "telegram");
      const sentAtExit = atExit.outbox.filter((m) => m.status === "sent").length;
      expect(fake.delivered().length, "platform deliveries before the exit = outbox rows marked sent").toBe(sentAtExit);
      expect(atExit.outbox.length).toBe(items.length * REPLIES_PER_UPDATE);

      svc = await startService({ env: { ...env, TELEGRAM_RATE_GLOBAL_PER_SECOND: "1000" } });
      const state = await waitForDrain(db, "telegram", items.length, svc);
      expectProcessedExactlyOnce(state, acked);
      for (const chat of chats) expect(fake.delivered(chat).length, `deliveries to chat ${chat}`).toBe(REPLIES_PER_UPDATE);
      console.log(
        `[sigterm backlog] ${items.length} replies queued at 2 sends/s; SIGTERM → exit 0 in ${stopMs} ms with ` +
          `${sentAtExit} sent and ${atExit.outbox.length - sentAtExit} left pending; all delivered once after restart`,
      );
      expect(await killService(svc, "SIGTERM"), `output:\n${svc.output()}`).toEqual({ code: 0, signal: null });
    } finally {
      if (svc) await killService(svc);
      await db?.$disconnect();
      await fake.close();
    }
  });

  it("Zalo: SIGKILL mid-stream and restart — every update that got a 200 is processed exactly once, none is lost", async () => {
    const fake = new FakeZaloApi({ perChatPerSecond: 100, perChatBurst: 100, globalPerSecond: 1000 });
    await fake.listen();
    cleanups.push(() => fake.close());
    const users = Array.from({ length: 10 }, (_, i) => `zcrash-user-${i + 1}`);
    const items: StreamItem[] = [];
    for (let round = 0; round < 6; round++) {
      for (const user of users) {
        const event = zaloText(user, "113");
        items.push({ key: event.message.message_id, chat: user, push: (url) => fake.pushEvent(event, { url: `${url}/webhooks/zalo`, secret: ZALO_SECRET }) });
      }
    }
    await runCrashScenario({
      channel: "zalo",
      items,
      env: {
        ZALO_BOT_TOKEN: fake.token,
        ZALO_WEBHOOK_SECRET: ZALO_SECRET,
        ZALO_API_BASE: fake.apiRoot,
        ZALO_RATE_GLOBAL_PER_SECOND: "1000",
        ZALO_RATE_CHAT_PER_SECOND: "100",
        ZALO_RATE_CHAT_BURST: "100",
      },
      deliveredTo: (chat) => fake.delivered(chat).length,
      killAfterAcks: 25,
      concurrency: 10,
      resendEvery: 4,
    });
    await fake.close();
  });
});
