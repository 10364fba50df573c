import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InboxIngest } from "../src/inbox/ingest.ts";
import { InboxWorker, type UpdateProcessor } from "../src/inbox/worker.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/metrics.ts";
import { eventually } from "./helpers/app.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

let tdb: TestDatabase;
beforeEach(async () => {
  tdb = await createTestDatabase();
});
afterEach(async () => {
  await tdb.drop();
});

const WEB_BACKLOG = 3_000;

describe("inbox worker fairness across channels", () => {
  it(`a Telegram update is processed next to the web chat's turn, not after ${WEB_BACKLOG.toLocaleString("en")} pending web updates`, async () => {
    // The channels in the order the worker STARTS processing them (recorded before any await: the
    // order in which reads complete would let an update started after the Telegram one overtake it).
    const order: string[] = [];
    const webIds = new Set<number>();
    const process: UpdateProcessor = async (id) => {
      order.push(webIds.has(id) ? "web" : "telegram");
      await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id } });
      await tdb.db.inboxUpdate.update({ where: { id }, data: { status: "done", processedAt: new Date() } });
    };
    const metrics = new Metrics();
    const worker = new InboxWorker({ db: tdb.db, process, concurrency: 2, maxAttempts: 3, metrics, log: createLogger("silent", []) });
    const ingest = new InboxIngest(tdb.db, metrics, (rows) => worker.add(rows));
    // A web flood already stored (thousands of fresh sessions, one message each) ...
    const offline = new InboxIngest(tdb.db, new Metrics(), () => {});
    await Promise.all(
      Array.from({ length: WEB_BACKLOG }, (_, i) =>
        offline.store({ channel: "web", updateKey: `w:${i}:m`, chatKey: `w:${String(i).padStart(32, "0")}`, seq: BigInt(i), payload: "{}" }),
      ),
    );
    for (const r of await tdb.db.inboxUpdate.findMany({ select: { id: true } })) webIds.add(r.id);
    expect(webIds.size).toBe(WEB_BACKLOG);
    await worker.start();
    await eventually(() => order.length >= 20, 20_000, "the worker under way");
    // ... when a Telegram resident writes.
    await ingest.store({ channel: "telegram", updateKey: "900001", chatKey: "4242", seq: 900001n, payload: "{}" });
    const webBefore = order.length;
    await eventually(() => order.includes("telegram"), 20_000, "the Telegram update processed");
    const webAhead = order.indexOf("telegram") - webBefore;
    // With one queue for everyone it would wait behind the whole remaining web backlog; the
    // channels take turns, so at most the updates already given a slot when it arrived (concurrency
    // 2: taken, about to start) and one web turn start first.
    expect(webAhead).toBeLessThanOrEqual(3);
    // It really was a backlog: most of the web updates were still waiting then.
    expect(WEB_BACKLOG - order.indexOf("telegram")).toBeGreaterThan(1_000);
    // And the web chat's updates are all processed in the end.
    // (`order` grows as each update starts; its row is marked done just after: wait for the rows.)
    await eventually(async () => order.length === WEB_BACKLOG + 1 && (await tdb.db.inboxUpdate.count({ where: { status: "pending" } })) === 0, 30_000, "the backlog drained");
    expect(await tdb.db.inboxUpdate.count({ where: { status: "pending" } })).toBe(0);
    await worker.stop();
  }, 60_000);

  it("one chat's updates stay in order while channels take turns", async () => {
    const seen: Array<{ channel: string; key: string }> = [];
    const process: UpdateProcessor = async (id) => {
      const row = await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id } });
      seen.push({ channel: row.channel, key: row.updateKey });
      await tdb.db.inboxUpdate.update({ where: { id }, data: { status: "done", processedAt: new Date() } });
    };
    const metrics = new Metrics();
    const worker = new InboxWorker({ db: tdb.db, process, concurrency: 2, maxAttempts: 3, metrics, log: createLogger("silent", []) });
    const offline = new InboxIngest(tdb.db, new Metrics(), () => {});
    const stores: Array<Promise<unknown>> = [];
    for (let i = 0; i < 50; i++) {
      stores.push(offline.store({ channel: "web", updateKey: `w:one:${i}`, chatKey: "w:one", seq: BigInt(1000 + i), payload: "{}" }));
      stores.push(offline.store({ channel: "web", updateKey: `w:x${i}:m`, chatKey: `w:x${i}`, seq: BigInt(i), payload: "{}" }));
      stores.push(offline.store({ channel: "zalo", updateKey: `z${i}`, chatKey: "z-one", seq: BigInt(5000 + (50 - i)), payload: "{}" }));
    }
    await Promise.all(stores);
    await worker.start();
    await eventually(() => seen.length === 150, 20_000, "all processed");
    const keysOf = (prefix: string) => seen.filter((s) => s.key.startsWith(prefix)).map((s) => s.key);
    expect(keysOf("w:one:")).toEqual(Array.from({ length: 50 }, (_, i) => `w:one:${i}`));
    expect(keysOf("z")).toEqual(Array.from({ length: 50 }, (_, i) => `z${49 - i}`)); // by seq: z49 has the lowest
    await worker.stop();
  }, 60_000);
});
