import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORPHAN_UPDATES } from "../src/cluster/leases.ts";
import { TAKE_ROWS } from "../src/inbox/processPg.ts";
import { createTestDatabaseUrl, PROVIDER } from "./helpers/db.ts";

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
