import crypto from "node:crypto";
import type { Db } from "../db/client.ts";
import { pgQueryOf } from "../db/hotPg.ts";
import type { InboxRef } from "../inbox/ingest.ts";

/**
 * The `Lease` table on PostgreSQL (several instances on one database). Times are the database's
 * clock (`now()`), never an instance's, so clock skew between machines cannot make two instances
 * hold one lease. A lease is taken when it is free (absent or expired) or already ours; `epoch`
 * grows each time it changes hands.
 */

/** Rows of a statement: on the pool as a prepared statement (db/hotPg.ts: several of these run per update processed), else through Prisma. */
async function rowsOf<T>(db: Db, sql: string, ...params: unknown[]): Promise<T[]> {
  const query = pgQueryOf(db);
  return query ? (await query<T>(sql, params)).rows : db.$queryRawUnsafe<T[]>(sql, ...params);
}

/** The rows a statement changed (see `rowsOf`). */
async function changed(db: Db, sql: string, ...params: unknown[]): Promise<number> {
  const query = pgQueryOf(db);
  return query ? ((await query(sql, params)).rowCount ?? 0) : db.$executeRawUnsafe(sql, ...params);
}

/** The database's current time as stored by Prisma (UTC, `timestamp(3)` without time zone). */
const NOW = `(now() AT TIME ZONE 'UTC')`;

/** The lease name of a chat being processed: a hash, so the table never holds a platform chat id. */
export function chatLeaseName(channel: string, chatKey: string): string {
  return `chat:${crypto.createHash("md5").update(`${channel}:${chatKey}`).digest("hex")}`;
}

/** Takes or renews the lease $1 for holder $2 for $3 ms, returning its epoch (no row when another live holder has it). */
const TAKE_LEASE = `INSERT INTO "Lease" ("name", "holder", "expiresAt", "epoch") VALUES ($1, $2, ${NOW} + $3::int * interval '1 millisecond', 1)
     ON CONFLICT ("name") DO UPDATE SET "holder" = EXCLUDED."holder", "expiresAt" = EXCLUDED."expiresAt",
       "epoch" = CASE WHEN "Lease"."holder" = EXCLUDED."holder" THEN "Lease"."epoch" ELSE "Lease"."epoch" + 1 END
     WHERE "Lease"."holder" = EXCLUDED."holder" OR "Lease"."expiresAt" < ${NOW}
     RETURNING "epoch"`;

/** Takes or renews `name` for `holder` for `ttlMs`; returns its epoch, or undefined when another live holder has it. */
export async function takeLease(db: Db, name: string, holder: string, ttlMs: number): Promise<number | undefined> {
  const rows = await rowsOf<{ epoch: number }>(db, TAKE_LEASE, name, holder, Math.round(ttlMs));
  return rows[0]?.epoch;
}

/**
 * Takes (or renews) a chat's lease and reads its pending updates in processing order, in one
 * statement; undefined when another live instance holds the chat. An update stored by another
 * instance while this runs (not in its snapshot, and that instance found the chat held) is found
 * when the chat is given up (`releaseChatLease` refuses while any is pending).
 */
export async function takeChatLease(db: Db, holder: string, channel: string, chatKey: string, ttlMs: number): Promise<InboxRef[] | undefined> {
  const rows = await rowsOf<{ epoch: number | null; id: number | null; channel: string; chatKey: string; seq: bigint }>(
    db,
    `WITH "lease" AS (${TAKE_LEASE})
     SELECT (SELECT "epoch" FROM "lease") AS "epoch", u."id", u."channel", u."chatKey", u."seq" FROM (SELECT 1 AS "one") one
     LEFT JOIN "InboxUpdate" u ON u."chatKey" = $4 AND u."status" = 'pending' AND u."channel" = $5 AND EXISTS (SELECT 1 FROM "lease")
     ORDER BY u."seq", u."id"`,
    chatLeaseName(channel, chatKey),
    holder,
    Math.round(ttlMs),
    chatKey,
    channel,
  );
  if (rows.length === 0 || rows[0]!.epoch === null) return undefined;
  return rows.filter((r) => r.id !== null).map((r) => ({ id: Number(r.id), channel: r.channel, chatKey: r.chatKey, seq: BigInt(r.seq) }));
}

/** Extends every lease `holder` has (names starting with `prefix`); returns the names still held. */
export async function renewLeases(db: Db, holder: string, prefix: string, ttlMs: number): Promise<Set<string>> {
  const rows = await rowsOf<{ name: string }>(
    db,
    `UPDATE "Lease" SET "expiresAt" = ${NOW} + $2::int * interval '1 millisecond'
     WHERE "holder" = $1 AND "name" LIKE $3 AND "expiresAt" >= ${NOW} RETURNING "name"`,
    holder,
    Math.round(ttlMs),
    `${prefix}%`,
  );
  return new Set(rows.map((r) => r.name));
}

/** Ends every lease of `holder` now (a dead process's): free for the others at once. Returns how many. */
export async function expireLeasesOf(db: Db, holder: string): Promise<number> {
  return changed(db, `UPDATE "Lease" SET "expiresAt" = ${NOW} - interval '1 second' WHERE "holder" = $1 AND "expiresAt" >= ${NOW}`, holder);
}

/** Gives up every lease `holder` has (graceful stop): other instances take them at once. */
export async function dropLeases(db: Db, holder: string): Promise<void> {
  await changed(db, `DELETE FROM "Lease" WHERE "holder" = $1`, holder);
}

/**
 * Gives up a chat's lease unless the chat has pending updates (stored meanwhile by any instance):
 * one statement, so an update stored by an instance that found the lease held is never left behind.
 * Returns true when released.
 */
export async function releaseChatLease(db: Db, holder: string, channel: string, chatKey: string): Promise<boolean> {
  const n = await changed(
    db,
    `DELETE FROM "Lease" WHERE "name" = $1 AND "holder" = $2
     AND NOT EXISTS (SELECT 1 FROM "InboxUpdate" WHERE "chatKey" = $3 AND "status" = 'pending' AND "channel" = $4)`,
    chatLeaseName(channel, chatKey),
    holder,
    chatKey,
    channel,
  );
  return n > 0;
}

/** A chat's pending updates, in processing order. */
export async function pendingOfChat(db: Db, channel: string, chatKey: string): Promise<InboxRef[]> {
  const rows = await rowsOf<{ id: number; channel: string; chatKey: string; seq: bigint }>(
    db,
    `SELECT "id", "channel", "chatKey", "seq" FROM "InboxUpdate" WHERE "chatKey" = $1 AND "status" = 'pending' AND "channel" = $2 ORDER BY "seq", "id"`,
    chatKey,
    channel,
  );
  return rows.map((r) => ({ id: Number(r.id), channel: r.channel, chatKey: r.chatKey, seq: BigInt(r.seq) }));
}

/**
 * Pending updates of chats nobody holds, stored more than `olderThanMs` ago (younger ones are being
 * taken by the instance that stored them): a dead instance's work, or a busy one's backlog.
 *
 * The chats held are read once into a hashed set (`NOT IN` a subquery: PostgreSQL hashes its rows;
 * `name` is never null) rather than looked up per pending row: with an anti-join the planner, told by
 * the statistics that no lease is live (analysed between bursts) and that few updates are pending,
 * chose a nested loop over the whole Lease table for every pending row — with a backlog of 10,000,
 * seconds of the server's CPU per sweep, at every sweep of every instance (measured: the server's CPU
 * per update processed ×4 in one benchmark run in four).
 */
export const ORPHAN_UPDATES = `SELECT u."id", u."channel", u."chatKey", u."seq" FROM "InboxUpdate" u
     WHERE u."status" = 'pending' AND u."receivedAt" < ${NOW} - $1::int * interval '1 millisecond'
       AND 'chat:' || md5(u."channel" || ':' || u."chatKey") NOT IN (SELECT l."name" FROM "Lease" l WHERE l."name" LIKE 'chat:%' AND l."expiresAt" >= ${NOW})
     ORDER BY u."id" LIMIT $2::int`;

export async function orphanUpdates(db: Db, olderThanMs: number, limit: number): Promise<InboxRef[]> {
  const rows = await rowsOf<{ id: number; channel: string; chatKey: string; seq: bigint }>(db, ORPHAN_UPDATES, Math.round(olderThanMs), limit);
  return rows.map((r) => ({ id: Number(r.id), channel: r.channel, chatKey: r.chatKey, seq: BigInt(r.seq) }));
}
