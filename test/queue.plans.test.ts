import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORPHAN_UPDATES } from "../src/cluster/leases.ts";
import { TAKE_ROWS, takeRows } from "../src/inbox/processPg.ts";
import { createTestDatabase, createTestDatabaseUrl, PROVIDER, type TestDatabase } from "./helpers/db.ts";
import { eventually } from "./helpers/app.ts";
import { storedUpdateProcessor, type UpdateRoute } from "../src/inbox/process.ts";
import { findOrCreateChat, updateChatState } from "../src/core/chats/findOrCreateChat.ts";
import { enqueueCalls } from "../src/outbox/outbound.ts";

/*
 * PostgreSQL plans the queue statements well whatever its statistics say. Autovacuum analyses a
 * queue table mostly while it is drained: its statistics then say that no row is pending, and with
 * them the planner used the (status, id) index for every condition on pending rows — walking the
 * whole backlog to take a group of updates by id, or to find one chat's older updates (migration
 * queue_status_statistics keeps the status out of the statistics). Here the tables are analysed
 * drained, then a backlog is stored, and each statement's generic plan (the one its prepared
 * statement settles on) is read with what it touched.
 */

const CHATS = 300;
const BACKLOG = 3_000;

let url: string;
let remove: () => Promise<void>;
let client: pg.Client;

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  "Actual Loops"?: number;
  "Actual Rows"?: number;
  "Rows Removed by Join Filter"?: number;
  Plans?: PlanNode[];
}

/** The indexes a plan reads, and the buffers it touched. */
async function explain(sql: string, types: string[], params: unknown[]): Promise<{ indexes: string[]; blocks: number; top: PlanNode }> {
  await client.query("BEGIN");
  try {
    await client.query("SET LOCAL plan_cache_mode = force_generic_plan");
    let n = 0;
    await client.query(`PREPARE planned(${types.join(", ")}) AS ${sql.replace(/\?/g, () => `$${++n}`)}`);
    const values = params.map((p) => (Array.isArray(p) ? `ARRAY[${p.join(",")}]::int[]` : typeof p === "number" ? String(p) : `'${String(p)}'`));
    const { rows } = await client.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE planned(${values.join(", ")})`);
    const top = rows[0]!["QUERY PLAN"][0]!.Plan;
    const indexes: string[] = [];
    const walk = (n: PlanNode) => {
      if (n["Index Name"]) indexes.push(n["Index Name"]);
      for (const c of n.Plans ?? []) walk(c);
    };
    walk(top);
    return { indexes, blocks: (top["Shared Hit Blocks"] ?? 0) + (top["Shared Read Blocks"] ?? 0), top };
  } finally {
    await client.query("ROLLBACK");
    await client.query("DEALLOCATE ALL");
  }
}

describe.runIf(PROVIDER === "postgresql")("the queue statements' plans on PostgreSQL", () => {
  beforeAll(async () => {
    ({ url, remove } = await createTestDatabaseUrl());
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`INSERT INTO "Chat" ("id", "channel", "platformChatId", "kind", "createdAt", "updatedAt")
      SELECT 'chat' || g, 'telegram', 'p' || g, 'private', now(), now() FROM generate_series(1, ${CHATS}) g`);
    // A drained queue, analysed: thousands of processed updates and sent messages, nothing pending.
    await client.query(`INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload", "status", "processedAt")
      SELECT 'telegram', 'd' || g, '', g, '', 'done', now() FROM generate_series(1, 20000) g`);
    await client.query(`INSERT INTO "OutboxMessage" ("channel", "chatId", "method", "payload", "status")
      SELECT 'telegram', 'chat' || (1 + g % ${CHATS}), 'sendMessage', '{}', 'sent' FROM generate_series(1, 20000) g`);
    await client.query(`ANALYZE "InboxUpdate"`);
    await client.query(`ANALYZE "OutboxMessage"`);
    // Then a backlog: ten pending updates and replies for each chat.
    await client.query(`INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload")
      SELECT 'telegram', 'b' || g, 'p' || (1 + g % ${CHATS}), 100000 + g, repeat('x', 300) FROM generate_series(1, ${BACKLOG}) g`);
    await client.query(`INSERT INTO "OutboxMessage" ("channel", "chatId", "method", "payload")
      SELECT 'telegram', 'chat' || (1 + g % ${CHATS}), 'sendMessage', repeat('x', 200) FROM generate_series(1, ${BACKLOG}) g`);
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await remove?.();
  });

  it("a group of updates is taken by id, each chat's older updates found through the chat's index", async () => {
    // The newest pending update of 16 chats: each has nine older ones pending.
    const { rows } = await client.query<{ id: number }>(`SELECT max("id") AS "id" FROM "InboxUpdate" WHERE "status" = 'pending' GROUP BY "chatKey" ORDER BY 1 LIMIT 16`);
    const plan = await explain(TAKE_ROWS, ["int[]", "timestamp"], [rows.map((r) => r.id), "2026-12-05 00:00:00"]);
    expect(plan.indexes).toContain("InboxUpdate_pkey");
    expect(plan.indexes).toContain("InboxUpdate_chatKey_status_idx");
    expect(plan.indexes).not.toContain("InboxUpdate_status_id_idx");
    // A walk over the backlog touches hundreds of pages; 16 updates and their chats, a few dozen.
    expect(plan.blocks).toBeLessThan(BACKLOG / 10);
  });

  it("a chat's lease is given up after looking for its pending updates through the chat's index", async () => {
    const plan = await explain(
      `DELETE FROM "Lease" WHERE "name" = ? AND "holder" = ? AND NOT EXISTS (SELECT 1 FROM "InboxUpdate" WHERE "chatKey" = ? AND "status" = 'pending' AND "channel" = ?)`,
      ["text", "text", "text", "text"],
      ["chat:x", "holder", "p7", "telegram"],
    );
    expect(plan.indexes).not.toContain("InboxUpdate_status_id_idx");
  });

  it("the sender finds a chat's older pending messages through the chat's index", async () => {
    const { rows } = await client.query<{ id: number }>(`SELECT max("id") AS "id" FROM "OutboxMessage" WHERE "chatId" = 'chat7'`);
    const plan = await explain(
      `SELECT "id" FROM "OutboxMessage" WHERE "chatId" = ? AND "status" = ? AND "id" < ? AND "method" NOT IN ('answerCallbackQuery') ORDER BY "id" ASC`,
      ["text", "text", "int"],
      ["chat7", "pending", rows[0]!.id],
    );
    expect(plan.indexes).toContain("OutboxMessage_chatId_status_idx");
    expect(plan.indexes).not.toContain("OutboxMessage_status_id_idx");
    expect(plan.blocks).toBeLessThan(BACKLOG / 10);
  });

  it("the sweep for chats nobody holds reads the live leases once, whatever the statistics say of them", async () => {
    // Analysed while every lease had lapsed (between bursts): the statistics say no lease is live.
    await client.query(`INSERT INTO "Lease" ("name", "holder", "expiresAt", "epoch") SELECT 'chat:old' || g, 'gone', now() - interval '1 hour', 1 FROM generate_series(1, 2000) g`);
    await client.query(`ANALYZE "Lease"`);
    // Now half the chats are held by a live instance.
    await client.query(`INSERT INTO "Lease" ("name", "holder", "expiresAt", "epoch")
      SELECT 'chat:' || md5('telegram:p' || g), 'live', (now() AT TIME ZONE 'UTC') + interval '1 minute', 1 FROM generate_series(1, ${CHATS / 2}) g`);
    try {
      const plan = await explain(ORPHAN_UPDATES, ["int", "int"], [0, 2000]);
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM (${ORPHAN_UPDATES}) o`, [0, 100000]);
      expect(rows[0]!.n).toBe(BACKLOG / 2); // the chats not held
      // Every node that reads the Lease table runs once (not once per pending update), and no join
      // compares each pending update with every lease.
      const overLease = (n: PlanNode): boolean => n["Relation Name"] === "Lease" || (n.Plans ?? []).some(overLease);
      const check = (n: PlanNode) => {
        if (overLease(n)) expect({ node: n["Node Type"], loops: n["Actual Loops"] }).toEqual({ node: n["Node Type"], loops: 1 });
        expect(n["Rows Removed by Join Filter"] ?? 0).toBeLessThan(BACKLOG);
        for (const c of n.Plans ?? []) check(c);
      };
      check(plan.top);
    } finally {
      await client.query(`DELETE FROM "Lease"`);
    }
  });

  it("the leases are kept out of the write-ahead log: taking or giving up a chat waits for no flush of it", async () => {
    const { rows } = await client.query<{ persistence: string }>(`SELECT relpersistence AS "persistence" FROM pg_class WHERE relname = 'Lease' AND relkind = 'r'`);
    expect(rows).toEqual([{ persistence: "u" }]); // unlogged (p: permanent)
  });
});

/*
 * A named prepared statement keeps the generic plan PostgreSQL made at its sixth execution until the
 * table is next analysed (or the connection closes: under steady load, never). Made
 * while the queue was nearly empty (a fresh service: the benchmark's warm-up), TAKE_ROWS' plan walked
 * the pending rows by status on some connections (~1,000 buffers for a group of 12 on a backlog of
 * 10,000; 192 to 534 buffers a group on average over four otherwise identical benchmark runs), and
 * the same statement written by id alone reads the table whole once planned on a few hundred rows.
 * Here the inbox processor's statement runs on a nearly empty queue, then on a backlog, and what it
 * read there is counted (pg_stat_xact_*: this transaction's own reads).
 */
describe.runIf(PROVIDER === "postgresql")("taking a group of updates on a backlog after running on a nearly empty queue", () => {
  let small: pg.Client;
  let removeSmall: () => Promise<void>;

  beforeAll(async () => {
    const made = await createTestDatabaseUrl();
    removeSmall = made.remove;
    small = new pg.Client({ connectionString: made.url });
    await small.connect();
    // A quiet start: a few hundred processed updates and a few pending, analysed.
    await small.query(`INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload", "status", "processedAt")
      SELECT 'telegram', 'd' || g, '', g, '', 'done', now() FROM generate_series(1, 200) g`);
    await small.query(`INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload")
      SELECT 'telegram', 'a' || g, 'p' || g, 1000 + g, repeat('x', 300) FROM generate_series(1, 10) g`);
    await small.query(`ANALYZE "InboxUpdate"`);
  }, 60_000);
  afterAll(async () => {
    await small?.end();
    await removeSmall?.();
  });

  /** What this session has read of the queue table (counted at the end of its transactions: read twice within one, the difference is what ran between). */
  async function reads(): Promise<{ seqScans: number; statusIndexScans: number; tuplesRead: number }> {
    const { rows } = await small.query<{ seq: string; tup: string; status: string }>(
      `SELECT coalesce(t.seq_scan, 0) AS "seq",
         coalesce(t.seq_tup_read, 0) + coalesce(t.idx_tup_fetch, 0) AS "tup", pg_stat_get_xact_numscans('"InboxUpdate_status_id_idx"'::regclass) AS "status"
       FROM pg_stat_xact_user_tables t WHERE t.relname = 'InboxUpdate'`,
    );
    return { seqScans: Number(rows[0]!.seq), statusIndexScans: Number(rows[0]!.status), tuplesRead: Number(rows[0]!.tup) };
  }

  /** Takes `ids` as the processor does, in a transaction rolled back; what that read of the queue table. */
  async function take(ids: number[]): Promise<{ taken: number; seqScans: number; statusIndexScans: number; tuplesRead: number }> {
    await small.query("BEGIN");
    try {
      const before = await reads();
      const { rows } = await takeRows(small, ids, new Date());
      const after = await reads();
      return {
        taken: rows.length,
        seqScans: after.seqScans - before.seqScans,
        statusIndexScans: after.statusIndexScans - before.statusIndexScans,
        tuplesRead: after.tuplesRead - before.tuplesRead,
      };
    } finally {
      await small.query("ROLLBACK");
    }
  }

  it("reads the rows by id and each chat's pending updates through the chat's index, not the whole queue", async () => {
    const few = await small.query<{ id: number }>(`SELECT "id" FROM "InboxUpdate" WHERE "status" = 'pending' ORDER BY "id" LIMIT 4`);
    // More than the five executions after which a prepared statement settles on a generic plan.
    for (let i = 0; i < 8; i++) expect((await take(few.rows.map((r) => r.id))).taken).toBe(4);
    // The backlog: ten pending updates for each of 300 chats.
    await small.query(`INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload")
      SELECT 'telegram', 'b' || g, 'p' || (1 + g % ${CHATS}), 100000 + g, repeat('x', 300) FROM generate_series(1, ${BACKLOG}) g`);
    // Eight chats' oldest pending update (taken: marked done) and eight other chats' newest (an older one pending: left).
    const { rows } = await small.query<{ first: number; last: number }>(
      `SELECT min("id") AS "first", max("id") AS "last" FROM "InboxUpdate" WHERE "status" = 'pending' AND "chatKey" LIKE 'p%' GROUP BY "chatKey" ORDER BY 1 LIMIT 16`,
    );
    const ids = rows.map((r, i) => (i % 2 === 0 ? r.first : r.last));
    await small.query("BEGIN");
    let olderFlags: boolean[];
    try {
      olderFlags = (await takeRows(small, ids, new Date())).rows.sort((a, b) => Number(a.id) - Number(b.id)).map((r) => r.older);
    } finally {
      await small.query("ROLLBACK");
    }
    expect(olderFlags.filter((o) => o).length).toBe(8);
    expect(olderFlags.filter((o) => !o).length).toBe(8);
    const read = await take(ids);
    expect(read.taken).toBe(16);
    expect(read.seqScans).toBe(0);
    expect(read.statusIndexScans).toBe(0);
    // 16 rows, their chats' ten pending updates each, and the rows updated: a few hundred tuples, not the backlog.
    expect(read.tuplesRead).toBeLessThan(BACKLOG / 5);
  });
});

/*
 * Every statement of a group: the hot statements are prepared once per connection, and a fresh
 * service (or one after a quiet night) prepares them while its tables are small, where reading a
 * table whole is the cheapest plan — kept, without more, through thousands of chats (a benchmark
 * run read all 1,469 chats for every message on some connections). The processor has each
 * connection's plans made again once they are older than planMaxAgeMs (10 s in the service). Here it
 * runs on five chats, analysed as autovacuum does; then 5,000 chats arrive and, once the plans are
 * old, their updates are processed: no statement may have read the grown chat table whole (counted
 * by PostgreSQL once the pool's connections have closed and sent their statistics).
 */
describe.runIf(PROVIDER === "postgresql")("a group's statements before and after the tables have grown", () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    await tdb?.drop();
  });

  let seq = 0n;
  const stored = async (chat: string) => (await tdb.db.inboxUpdate.create({ data: { channel: "web", updateKey: `u${++seq}`, chatKey: chat, seq, payload: JSON.stringify({ chat }) } })).id;
  const route: UpdateRoute = async (tx, row) => {
    const { chat } = await findOrCreateChat(tx, { channel: "web", chat: { platformChatId: (JSON.parse(row.payload) as { chat: string }).chat, kind: "private" } });
    await updateChatState(tx, chat.id, { locale: "vi", menu: "main", flow: null });
    return enqueueCalls(tx, { chatId: chat.id, channel: "web" }, [{ method: "sendMessage", payload: { text: "ok" } }], { sourceUpdateId: row.id });
  };

  it("once the plans made on a handful of chats are old, every chat is found through an index among thousands", async () => {
    const planMaxAgeMs = 300;
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: () => undefined, planMaxAgeMs });
    // A quiet start: five chats, analysed as autovacuum does (a small table is then best read whole),
    // writing a few times each (every pooled connection settles its plans).
    const quiet = ["q1", "q2", "q3", "q4", "q5"];
    await Promise.all(quiet.map(async (c) => process(await stored(c))));
    await tdb.db.$executeRawUnsafe(`ANALYZE "Chat"`);
    for (let round = 0; round < 12; round++) await Promise.all(quiet.map(async (c) => process(await stored(c))));
    // Then the chats of a campaign's replies, and the plans' age passes.
    await tdb.db.$executeRawUnsafe(`INSERT INTO "Chat" ("id", "channel", "platformChatId", "kind", "createdAt", "updatedAt")
      SELECT 'grown' || g, 'web', 'grown' || g, 'private', now(), now() FROM generate_series(1, 5000) g`);
    const grownAt = Date.now();
    await eventually(() => Date.now() - grownAt > planMaxAgeMs, 5_000, "the plans to be older than planMaxAgeMs");
    for (let round = 0; round < 4; round++) await Promise.all(["q1", "q2", "grown17", "grown4242", `new${round}`].map(async (c) => process(await stored(c))));
    expect(await tdb.db.outboxMessage.count()).toBe(85);
    // A backend sends its statistics when it ends: close the pool, wait for its connections to be gone.
    await tdb.db.$disconnect();
    const dbName = new URL(tdb.url).pathname.slice(1);
    const stats = new pg.Client({ connectionString: tdb.url });
    await stats.connect();
    try {
      await eventually(async () => (await stats.query(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName])).rowCount === 0, 15_000, "the pool's connections to end");
      const { rows } = await stats.query<{ seq: string; idx: string }>(`SELECT seq_tup_read AS "seq", idx_scan AS "idx" FROM pg_stat_user_tables WHERE relname = 'Chat'`);
      // Reading five chats whole ~65 times is a few hundred rows; reading the grown table once, over 5,000.
      expect(Number(rows[0]!.seq)).toBeLessThan(5_000);
      expect(Number(rows[0]!.idx)).toBeGreaterThanOrEqual(20); // the statistics arrived: the last updates looked their chats up
    } finally {
      await stats.end();
    }
  });
});
