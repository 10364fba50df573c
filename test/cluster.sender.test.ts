import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { Cluster, LEADER } from "../src/cluster/cluster.ts";
import { createLogger } from "../src/logger.ts";
import { Metrics } from "../src/metrics.ts";
import { PlatformLimiter } from "../src/outbox/limiter.ts";
import { enqueueCalls, type OutboundCall, type OutboxRef } from "../src/outbox/outbound.ts";
import { OutboxSender, type ChannelSender, type SendOutcome } from "../src/outbox/sender.ts";
import { eventually, startTestApp } from "./helpers/app.ts";
import { createTestDatabase, PROVIDER, type TestDatabase } from "./helpers/db.ts";

// The elected sender of several instances (src/cluster/) learns of a chat's rows from several
// sources at once — announcements from the instance that recorded them, its own processing, and
// the read of every pending row when it takes over from a dead sender — in any order. Whatever the
// order, a chat's messages leave in the order recorded, and a sender that lost its role sends nothing more.

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

/** A platform that records what it was sent, and when. */
class RecordingPlatform implements ChannelSender {
  readonly sent: string[] = [];
  /** When each call reached the platform. */
  readonly at: number[] = [];
  async send(_chat: { platformChatId: string }, call: OutboundCall): Promise<SendOutcome> {
    this.sent.push(String(call.payload.text));
    this.at.push(Date.now());
    return { kind: "sent", messageId: String(this.sent.length) };
  }
}

async function setup(role: { sends: boolean }, chatPerSecond = 100) {
  const database: TestDatabase = await createTestDatabase();
  cleanups.push(() => database.drop());
  const platform = new RecordingPlatform();
  const limiter = new PlatformLimiter({ globalPerSecond: 1_000, chatPerSecond, chatBurst: chatPerSecond < 5 ? 1 : 100, groupPerMinute: 20 });
  cleanups.push(() => limiter.stop());
  const sender = new OutboxSender({
    db: database.db,
    channels: { telegram: { sender: platform, limiter } },
    maxAttempts: 5,
    metrics: new Metrics(),
    log: createLogger("silent", []),
    cluster: { sends: () => role.sends, elsewhere: () => {} },
  });
  cleanups.push(() => sender.stop());
  const chat = await database.db.chat.create({ data: { channel: "telegram", platformChatId: "5551", kind: "private" } });
  const record = async (n: number, from = 1): Promise<OutboxRef[]> =>
    enqueueCalls(database.db, { chatId: chat.id, channel: "telegram" }, Array.from({ length: n }, (_, i) => ({ method: "sendMessage", payload: { text: `reply ${from + i}` } })));
  return { db: database.db, platform, sender, record };
}

describe("the elected sender keeps each chat's order whatever order it hears of the rows in", () => {
  it("a later row announced first, the earlier ones read while it is being looked at: the earlier ones go first", async () => {
    const { platform, sender, record } = await setup({ sends: true });
    const refs = await record(7);
    // The newest row is announced (another instance recorded it) and its delivery starts; the take-over's
    // read of every pending row arrives while that delivery is reading the row.
    sender.notify([refs[6]!]);
    sender.notify(refs.slice(0, 6));
    await eventually(() => platform.sent.length === 7, 10_000, "7 messages sent");
    expect(platform.sent).toEqual(refs.map((_, i) => `reply ${i + 1}`));
  });

  it("a later row announced alone (the earlier ones never announced): the earlier ones, read from the database, go first", async () => {
    const { platform, sender, record } = await setup({ sends: true });
    const refs = await record(4);
    sender.notify([refs[3]!]);
    await eventually(() => platform.sent.length === 4, 10_000, "4 messages sent");
    expect(platform.sent).toEqual(["reply 1", "reply 2", "reply 3", "reply 4"]);
  });

  it("a newly elected sender sends nothing for a second (the platform counts the previous sender's last second too), then everything pending", async () => {
    const { platform, sender, record } = await setup({ sends: true });
    const refs = await record(3);
    const tookOverAt = Date.now();
    await sender.takeOver("telegram");
    // Held by the pause, and still work due: a wait for the service to be idle is not fooled by it.
    expect(sender.idle()).toBe(false);
    await eventually(() => platform.sent.length === 3, 10_000, "3 messages sent");
    expect(platform.sent).toEqual(refs.map((_, i) => `reply ${i + 1}`));
    expect(platform.at[0]! - tookOverAt).toBeGreaterThanOrEqual(1_000);
  });

  it("a sender that lost its role while a message waited for the platform's pace does not send it (the new sender will)", async () => {
    const role = { sends: true };
    // One message a second to the chat: the second waits in the limiter for about a second.
    const { db, platform, sender, record } = await setup(role, 1);
    const refs = await record(3);
    sender.notify(refs);
    await eventually(() => platform.sent.length === 1 && sender.activity().running === 1, 5_000, "the second message waiting for the chat's pace");
    // The role passes to another instance meanwhile.
    role.sends = false;
    sender.handOver("telegram");
    await eventually(() => sender.activity().running === 0, 5_000, "the waiting delivery given up");
    expect(platform.sent).toEqual(["reply 1"]);
    const rows = await db.outboxMessage.findMany({ where: { id: { in: refs.map((r) => r.id) } }, orderBy: { id: "asc" } });
    expect(rows.map((r) => r.status)).toEqual(["sent", "pending", "pending"]);
    // Announcements reaching it now are not taken.
    sender.receive(refs.slice(1));
    expect(sender.activity()).toEqual({ running: 0, due: 0, later: 0 });
  });
});

describe.runIf(PROVIDER === "postgresql")("a role's lease on PostgreSQL", () => {
  it("an instance whose heartbeat is held up gives its role up before the lease can lapse, and takes it again once it renews", async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const cluster = new Cluster({ db: database.db, databaseUrl: database.url, log: createLogger("silent", []), instanceId: "fence", leaseMs: 3_000, heartbeatMs: 500 });
    cluster.want(LEADER);
    const changes: boolean[] = [];
    cluster.onRole((_role, held) => changes.push(held));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    cleanups.push(() => admin.end());
    await cluster.start();
    cleanups.push(() => cluster.stop());
    expect(cluster.has(LEADER)).toBe(true);
    // The heartbeat is held up: every statement on the lease table waits (a database or machine overloaded).
    // Once the lock is granted no renewal can run, so the lease's expiry read now is its last one.
    await admin.query("BEGIN");
    // Released before the cluster stops (cleanups run in reverse), even if an assertion fails.
    cleanups.push(() => admin.query("ROLLBACK"));
    await admin.query(`LOCK TABLE "Lease" IN ACCESS EXCLUSIVE MODE`);
    // Wait for the role change to be told (the listeners hear it after \`has\` turns false).
    await eventually(() => !cluster.has(LEADER) && changes.length >= 2, 5_000, "the role given up");
    const left = await admin.query(`SELECT EXTRACT(EPOCH FROM ("expiresAt" - (now() AT TIME ZONE 'UTC'))) * 1000 AS ms FROM "Lease" WHERE "name" = 'leader'`);
    // Given up while its lease was still valid in the database: no other instance could have held the role meanwhile.
    expect(Number(left.rows[0].ms)).toBeGreaterThan(0);
    expect(changes).toEqual([true, false]);
    await admin.query("COMMIT");
    // Renewed by the next heartbeat: the role is taken again.
    await eventually(() => cluster.has(LEADER) && changes.length >= 3, 5_000, "the role taken again");
    expect(changes).toEqual([true, false, true]);
  });
});

describe("the leader's housekeeping", () => {
  it("deletes the web chat's stale uploads (the job the leader alone runs every minute)", async () => {
    const t = await startTestApp({});
    cleanups.push(() => t.close());
    expect(t.app.cluster.has(LEADER)).toBe(true);
    const old = new Date(Date.now() - 72 * 60 * 60_000);
    const stale = await t.db.upload.create({ data: { chatId: "sealed", mime: "image/png", size: 1, bytes: new Uint8Array([1]), createdAt: old } });
    const fresh = await t.db.upload.create({ data: { chatId: "sealed", mime: "image/png", size: 1, bytes: new Uint8Array([1]) } });
    await t.app.runHousekeeping();
    const left = (await t.db.upload.findMany({ where: { id: { in: [stale.id, fresh.id] } }, select: { id: true } })).map((u) => u.id);
    expect(left).toEqual([fresh.id]);
  });
});
