import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Db } from "../src/db/client.ts";
import { InboxIngest } from "../src/inbox/ingest.ts";
import { InboxWorker } from "../src/inbox/worker.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/metrics.ts";

/**
 * Flood pacing, on a virtual clock: each update "costs" 5 ms of event-loop time (the clock is moved
 * on while it is processed), webhooks arrive at whatever rate the test sets. No database: rows are
 * handed to the worker directly, as the ingest does after a commit.
 */
const COST_MS = 5;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "setInterval", "clearInterval", "performance"] });
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(share: number) {
  let arriving = 0;
  let processed = 0;
  const metrics = new Metrics();
  const worker = new InboxWorker({
    db: {} as Db,
    concurrency: 2,
    maxAttempts: 3,
    metrics,
    log: createLogger("silent", []),
    flood: { arrivalRate: () => arriving, rate: 1_000, share },
    process: async () => {
      vi.advanceTimersByTime(COST_MS); // the update's own processing time
      processed++;
    },
  });
  worker.add(Array.from({ length: 5_000 }, (_, i) => ({ id: i + 1, channel: "telegram", chatKey: `chat-${i % 500}`, seq: BigInt(i + 1) })));
  return {
    worker,
    metrics,
    setArrivals: (perSecond: number) => void (arriving = perSecond),
    /** Updates processed during `ms` of virtual time, and the virtual time that really passed. */
    async run(ms: number): Promise<{ processed: number; elapsed: number }> {
      const before = processed;
      const t0 = performance.now();
      await vi.advanceTimersByTimeAsync(ms);
      return { processed: processed - before, elapsed: performance.now() - t0 };
    },
  };
}

describe("inbox worker during a webhook flood", () => {
  it("keeps to its share of the event loop while updates pour in, then drains at full pace", async () => {
    const w = setup(0.1);
    w.setArrivals(12_000);
    // 10 % of the time, plus the 20 ms saved up before the flood and the update that overdraws it.
    const during = await w.run(2_000);
    expect(during.processed * COST_MS).toBeLessThanOrEqual(0.1 * during.elapsed + 20 + COST_MS);
    expect(during.processed * COST_MS).toBeGreaterThanOrEqual(0.08 * during.elapsed); // held back, not stopped
    expect(await w.metrics.registry.getSingleMetricAsString("taimat_inbox_flood_waits_total")).toMatch(/ [1-9]\d*$/m);

    w.setArrivals(0);
    // For two seconds after the last wave the flood still counts (waves come and go)…
    const lingering = await w.run(1_500);
    expect(lingering.processed * COST_MS).toBeLessThanOrEqual(0.1 * lingering.elapsed + 20 + COST_MS);
    // …then the backlog drains at full pace: every stored update processed.
    const after = await w.run(2_000);
    expect((after.processed - 1) * COST_MS).toBeGreaterThanOrEqual(0.9 * (after.elapsed - 500));
    expect(during.processed + lingering.processed + after.processed).toBe(5_000);
    await w.worker.stop();
  });

  it("does not hold back when webhooks arrive below the flood rate", async () => {
    const w = setup(0.1);
    w.setArrivals(500);
    const run = await w.run(1_000);
    expect(run.processed * COST_MS).toBeGreaterThanOrEqual(0.9 * Math.min(run.elapsed, 5_000 * COST_MS));
    await w.worker.stop();
  });

  it("gives processing a larger slice when INBOX_FLOOD_SHARE is raised", async () => {
    const low = setup(0.1);
    low.setArrivals(12_000);
    const atLow = await low.run(2_000);
    await low.worker.stop();
    const high = setup(0.5);
    high.setArrivals(12_000);
    const atHigh = await high.run(2_000);
    await high.worker.stop();
    expect(atHigh.processed).toBeGreaterThan(atLow.processed * 3);
    expect(atHigh.processed * COST_MS).toBeLessThanOrEqual(0.5 * atHigh.elapsed + 20 + COST_MS);
  });
});

describe("webhook arrival rate (what the worker watches)", () => {
  it("follows the pace of incoming updates and falls to 0 half a second after they stop", async () => {
    // A database that stores nothing: only the counting in store() matters here.
    const db = { $queryRaw: async () => [] } as unknown as Db;
    const ingest = new InboxIngest(db, new Metrics(), () => {});
    expect(ingest.arrivalRate()).toBe(0);
    let id = 0;
    const arrive = async (perMs: number, ms: number) => {
      for (let t = 0; t < ms; t++) {
        for (let i = 0; i < perMs; i++) void ingest.store({ channel: "telegram", updateKey: String(++id), chatKey: "1", seq: BigInt(id), payload: "{}" });
        await vi.advanceTimersByTimeAsync(1);
      }
    };
    await arrive(12, 600); // 12,000 a second
    expect(ingest.arrivalRate()).toBeGreaterThan(10_000);
    expect(ingest.arrivalRate()).toBeLessThan(14_000);
    await arrive(0, 100); // a pause shorter than the window does not end the flood
    expect(ingest.arrivalRate()).toBeGreaterThan(1_000);
    await arrive(0, 500);
    expect(ingest.arrivalRate()).toBe(0);
    await arrive(1, 600); // 1,000 a second
    expect(ingest.arrivalRate()).toBeGreaterThan(800);
    expect(ingest.arrivalRate()).toBeLessThan(1_300);
  });
});

describe("the flood the worker watches: updates stored over the last second", () => {
  /**
   * The worker as the service builds it (no arrival rate given: it counts the updates handed to it);
   * each update costs `costMs` of virtual time. `bunch(n)` hands over n updates of other chats at once.
   */
  function stream(costMs: number) {
    let nextId = 1;
    const processedAt = new Map<number, number>();
    const metrics = new Metrics();
    const worker = new InboxWorker({
      db: {} as Db,
      concurrency: 16,
      maxAttempts: 3,
      metrics,
      log: createLogger("silent", []),
      flood: { rate: 1_000, share: 0.1 },
      process: async (id) => {
        vi.advanceTimersByTime(costMs);
        processedAt.set(id, performance.now());
      },
    });
    const rows = (n: number, chat: (i: number) => string) =>
      Array.from({ length: n }, (_, i) => {
        const id = nextId++;
        return { id, channel: "telegram", chatKey: chat(i), seq: BigInt(id) };
      });
    return {
      worker,
      metrics,
      processedAt,
      bunch: (n: number) => worker.add(rows(n, (i) => `other-${i}`)),
      resident: () => {
        const [row] = rows(1, () => "resident");
        worker.add([row!]);
        return row!.id;
      },
      floodWaits: async () => Number((await metrics.registry.getSingleMetricAsString("taimat_inbox_flood_waits_total")).match(/ (\d+)$/m)?.[1] ?? 0),
    };
  }

  it("a steady 500 updates a second arriving in bunches (requests read together after a busy moment) is no flood: a resident's update is answered within the bunch", async () => {
    const s = stream(0.5);
    // 100 updates every 200 ms: 500 a second, each bunch read at once as after 200 ms of a busy event loop.
    let resident = 0;
    let sentAt = 0;
    for (let tick = 0; tick < 25; tick++) {
      s.bunch(100);
      if (tick === 15) {
        resident = s.resident();
        sentAt = performance.now();
      }
      await vi.advanceTimersByTimeAsync(200);
    }
    // Processing was never held back, and the resident's update went through with its bunch: the
    // bunch's 100 updates at 0.5 ms each, 16 at a time.
    expect(await s.floodWaits()).toBe(0);
    expect(s.processedAt.get(resident)! - sentAt).toBeLessThanOrEqual(100 * 0.5 + 10);
    expect(s.processedAt.size).toBe(2_501);
    await s.worker.stop();
  });

  it("a real flood (2,500 a second for two seconds) is still paced to the flood share", async () => {
    const s = stream(0.2);
    const t0 = performance.now();
    for (let tick = 0; tick < 20; tick++) {
      s.bunch(250);
      await vi.advanceTimersByTimeAsync(100);
    }
    const busy = s.processedAt.size * 0.2;
    const elapsed = performance.now() - t0;
    expect(await s.floodWaits()).toBeGreaterThan(0);
    // Unpaced until the last second's count reaches the flood rate (4 bunches: 200 ms of processing), then 10 %
    // of the time (plus the 20 ms saved up and an update overdrawing it); unpaced it would have been 1,000 ms.
    expect(busy).toBeLessThanOrEqual(200 + 0.1 * elapsed + 20 + 0.2);
    await s.worker.stop();
  });
});
