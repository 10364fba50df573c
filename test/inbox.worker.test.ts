import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InboxIngest } from "../src/inbox/ingest.ts";
import { InboxWorker, type UpdateProcessor } from "../src/inbox/worker.ts";
import { RetryLater } from "../src/core/retryLater.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/metrics.ts";
import { eventually, waitIdle } from "./helpers/app.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

let tdb: TestDatabase;
beforeEach(async () => {
  tdb = await createTestDatabase();
});
afterEach(async () => {
  await tdb.drop();
});

const log = createLogger("silent", []);

/** A processor that records what it processed and marks the row done, like the real one. */
function recorder(hooks: { before?: (id: number, chatKey: string) => Promise<void> | void } = {}) {
  const seen: Array<{ id: number; chatKey: string; updateKey: string }> = [];
  const process: UpdateProcessor = async (id) => {
    const row = await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id } });
    await hooks.before?.(id, row.chatKey);
    seen.push({ id, chatKey: row.chatKey, updateKey: row.updateKey });
    await tdb.db.inboxUpdate.update({ where: { id }, data: { status: "done", processedAt: new Date() } });
  };
  return { seen, process };
}

function setup(process: UpdateProcessor, opts: { concurrency?: number; maxAttempts?: number; backoffMs?: (attempt: number) => number } = {}) {
  const metrics = new Metrics();
  const worker = new InboxWorker({
    db: tdb.db,
    process,
    concurrency: opts.concurrency ?? 4,
    maxAttempts: opts.maxAttempts ?? 3,
    metrics,
    log,
    backoffMs: opts.backoffMs ?? (() => 30),
  });
  const ingest = new InboxIngest(tdb.db, metrics, (rows) => worker.add(rows));
  return { worker, ingest, metrics };
}

const upd = (chatKey: string, seq: number) => ({ channel: "telegram", updateKey: String(seq), chatKey, seq: BigInt(seq), payload: "{}" });

describe("inbox worker", () => {
  it("processes one chat's updates in update order even when they were stored out of order", async () => {
    const { seen, process } = recorder();
    const { worker } = setup(process);
    // Stored before the worker starts (as after a restart), in scrambled order.
    const offline = new InboxIngest(tdb.db, new Metrics(), () => {});
    for (const seq of [105, 101, 104, 102, 103]) await offline.store(upd("A", seq));
    await worker.start();
    await eventually(() => seen.length === 5);
    expect(seen.map((s) => Number(s.updateKey))).toEqual([101, 102, 103, 104, 105]);
    await worker.stop();
  });

  it("an earlier update arriving while a later one is being processed is processed next, once", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { seen, process } = recorder({ before: (id) => (id === 1 ? gate : undefined) });
    const { worker, ingest } = setup(process);
    await worker.start();
    await ingest.store(upd("A", 105)); // row id 1, held in processing
    await eventually(() => worker.pendingCount === 1);
    await ingest.store(upd("A", 101));
    await ingest.store(upd("A", 103));
    await ingest.store(upd("A", 102));
    release();
    await eventually(() => seen.length >= 4);
    await waitIdle(worker); // a repeat of any of them would have been processed by now
    expect(seen.map((s) => Number(s.updateKey))).toEqual([105, 101, 102, 103]);
    expect(await tdb.db.inboxUpdate.count({ where: { status: "done" } })).toBe(4);
    expect(worker.pendingCount).toBe(0);
    await worker.stop();
  });

  it("a slow chat does not hold up other chats", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { seen, process } = recorder({ before: (_id, chat) => (chat === "slow" ? gate : undefined) });
    const { worker, ingest } = setup(process);
    await worker.start();
    await Promise.all([ingest.store(upd("slow", 1)), ingest.store(upd("slow", 2)), ingest.store(upd("B", 3)), ingest.store(upd("C", 4))]);
    await eventually(() => seen.filter((s) => s.chatKey !== "slow").length === 2);
    expect(seen.some((s) => s.chatKey === "slow")).toBe(false);
    release();
    await eventually(() => seen.length === 4);
    expect(seen.filter((s) => s.chatKey === "slow").map((s) => s.updateKey)).toEqual(["1", "2"]);
    await worker.stop();
  });

  it("an update put off until slow work is done holds its chat, not one of the worker's places", async () => {
    let release!: () => void;
    const work = new Promise<void>((r) => (release = r));
    const tries = new Map<string, number>();
    const { seen, process: record } = recorder();
    // Chats S1 and S2 start slow work (a PIN's check) at their first try; the worker has two places.
    const process: UpdateProcessor = async (id) => {
      const row = await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id } });
      const n = (tries.get(row.updateKey) ?? 0) + 1;
      tries.set(row.updateKey, n);
      if (row.chatKey.startsWith("S") && n === 1) throw new RetryLater("slow work started", 0, work);
      await record(id);
    };
    const { worker, ingest } = setup(process, { concurrency: 2 });
    await worker.start();
    for (const [chat, seq] of [["S1", 1], ["S2", 2], ["S1", 3], ["Q", 4], ["Q", 5], ["Q", 6]] as const) await ingest.store(upd(chat, seq));
    // The quick chat's three updates go through while both slow ones wait (they hold no place)…
    await eventually(() => seen.filter((s) => s.chatKey === "Q").length === 3, 10_000, "the quick chat processed");
    expect(seen.filter((s) => s.chatKey.startsWith("S"))).toEqual([]);
    // …and the worker is not idle while they wait.
    expect(worker.idle()).toBe(false);
    release();
    await eventually(() => seen.length === 6, 10_000, "every update processed");
    // Each slow chat's updates still in order, each update once.
    expect(seen.filter((s) => s.chatKey === "S1").map((s) => s.updateKey)).toEqual(["1", "3"]);
    expect(seen.map((s) => s.updateKey).sort()).toEqual(["1", "2", "3", "4", "5", "6"]);
    await worker.stop();
  });

  it("retries a failing update with backoff, then parks it and lets the chat move on", async () => {
    let failures = 0;
    const { seen, process } = recorder({
      before: (_id, _chat) => undefined,
    });
    const failing: UpdateProcessor = async (id) => {
      const row = await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id } });
      if (row.updateKey === "2") {
        failures++;
        throw new Error("handler exploded");
      }
      return process(id);
    };
    const { worker, ingest, metrics } = setup(failing, { maxAttempts: 3 });
    await worker.start();
    for (const seq of [1, 2, 3]) await ingest.store(upd("A", seq));
    await ingest.store(upd("B", 10));
    await eventually(() => seen.length === 3);
    expect(seen.map((s) => s.updateKey)).toEqual(expect.arrayContaining(["1", "3", "10"]));
    // Order within A is kept: 3 only after 2 was given up on.
    expect(seen.filter((s) => s.chatKey === "A").map((s) => s.updateKey)).toEqual(["1", "3"]);
    expect(failures).toBe(3);
    const parked = await tdb.db.inboxUpdate.findFirstOrThrow({ where: { updateKey: "2" } });
    expect(parked.status).toBe("parked");
    expect(parked.attempts).toBe(3);
    expect(parked.lastError).toContain("handler exploded");
    expect(await metrics.registry.getSingleMetricAsString("taimat_updates_parked_total")).toContain('channel="telegram"} 1');
    await worker.stop();
  });

  it("is idle only with nothing processing and nothing due: held updates are due, a retry scheduled for later is not", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { seen, process } = recorder({ before: (_id, chat) => (chat === "slow" ? gate : undefined) });
    const failing: UpdateProcessor = async (id) => {
      const row = await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id } });
      if (row.chatKey === "bad") throw new Error("not now");
      return process(id);
    };
    const { worker, ingest } = setup(failing, { backoffMs: () => 60_000 });
    await worker.start();
    expect(worker.idle()).toBe(true);
    await ingest.store(upd("slow", 1));
    await eventually(() => worker.activity().running === 1);
    expect(worker.idle()).toBe(false);
    worker.pause();
    await ingest.store(upd("B", 2));
    release();
    await eventually(() => seen.length === 1 && worker.activity().running === 0);
    expect(worker.activity()).toEqual({ running: 0, due: 1, later: 0 });
    expect(worker.idle()).toBe(false);
    worker.resume();
    await waitIdle(worker);
    expect(seen.map((s) => s.updateKey)).toEqual(["1", "2"]);
    await ingest.store(upd("bad", 3));
    await eventually(() => worker.activity().later === 1);
    await waitIdle(worker);
    expect(worker.activity()).toEqual({ running: 0, due: 0, later: 1 });
    expect(worker.pendingCount).toBe(1);
    await worker.stop();
  });

  it("updates stored but not processed before a stop are processed after the next start", async () => {
    const first = recorder({ before: () => new Promise(() => {}) }); // never finishes: simulates dying mid-way
    const a = setup(first.process);
    for (const seq of [1, 2, 3]) await a.ingest.store(upd("A", seq));
    // (worker a never started: the rows are only in the database)
    const second = recorder();
    const b = setup(second.process);
    await b.worker.start();
    await eventually(() => second.seen.length === 3);
    await waitIdle(b.worker); // the third is marked done after its processing returns
    expect(await tdb.db.inboxUpdate.count({ where: { status: "done" } })).toBe(3);
    await b.worker.stop();
  });
});

describe("inbox ingest", () => {
  it("stores concurrent deliveries together and reports repeats as duplicates", async () => {
    const { ingest } = setup(async () => {});
    const results = await Promise.all([
      ingest.store(upd("A", 1)),
      ingest.store(upd("A", 1)),
      ingest.store(upd("A", 2)),
      ingest.store(upd("B", 3)),
      ingest.store(upd("A", 2)),
    ]);
    expect(results.filter((r) => r === "stored")).toHaveLength(3);
    expect(results.filter((r) => r === "duplicate")).toHaveLength(2);
    expect(await ingest.store(upd("B", 3))).toBe("duplicate");
    expect(await tdb.db.inboxUpdate.count()).toBe(3);
  });
});
