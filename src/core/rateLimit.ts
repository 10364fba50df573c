import type { Tx } from "../db/client.ts";
import { hotSqlOf, readDate, sqlList, sqliteDate } from "../db/hot.ts";
import type { Sealer } from "../security/sealing.ts";

/** PostgreSQL: counts one event as `takeRate` does, one statement (append `RETURNING r."count"`: a row when counted). */
function rateCountSql(key: string, limit: number, windowMs: number, now: Date): { sql: string; params: unknown[] } {
  const cutoff = sqliteDate(new Date(now.getTime() - windowMs));
  return {
    sql:
      `INSERT INTO "RateCounter" AS r ("key", "windowStart", "count") VALUES (?, ?, 1) ON CONFLICT ("key") DO UPDATE SET ` +
      `"windowStart" = CASE WHEN r."windowStart" <= ? THEN excluded."windowStart" ELSE r."windowStart" END, ` +
      `"count" = CASE WHEN r."windowStart" <= ? THEN 1 ELSE r."count" + 1 END ` +
      `WHERE r."windowStart" <= ? OR r."count" < ?`,
    params: [key, sqliteDate(now), cutoff, cutoff, cutoff, limit],
  };
}

/** A count made ahead by a caller's statement (see `rateCountAhead`), for the next `takeRate` of the same key in that transaction. */
const primed = new WeakMap<object, { key: string; limit: number; windowMs: number; counted: boolean }>();

/**
 * PostgreSQL: the count `takeRate(tx, key, limit, windowMs)` makes, as a data-modifying CTE named
 * `name` to put in front of a statement the caller runs anyway (one round trip less); `SELECT
 * COUNT(*) FROM name` in it is 1 when counted. Hand that to `primeRate`. Undefined on SQLite (there a
 * statement costs no round trip: `takeRate` counts as usual).
 */
export function rateCountAhead(tx: Tx, name: string, rate: { key: string; limit: number; windowMs: number }, now = new Date()): { cte: string; params: unknown[] } | undefined {
  if (hotSqlOf(tx)?.dialect !== "postgresql") return undefined;
  const count = rateCountSql(rate.key, rate.limit, rate.windowMs, now);
  return { cte: `"${name}" AS (${count.sql} RETURNING r."count")`, params: count.params };
}

/** The outcome of a count made by `rateCountAhead`'s CTE: the next `takeRate` of that key, limit and window in `tx` returns it without counting again (once). */
export function primeRate(tx: Tx, rate: { key: string; limit: number; windowMs: number }, counted: boolean): void {
  primed.set(tx, { ...rate, counted });
}

/**
 * Counts one event against a fixed-window limit (e.g. 5 tips an hour per chat). Returns false —
 * without counting — when the limit is already reached, so a refused attempt never extends the ban.
 */
export async function takeRate(tx: Tx, key: string, limit: number, windowMs: number, now = new Date()): Promise<boolean> {
  const ahead = primed.get(tx);
  if (ahead && ahead.key === key && ahead.limit === limit && ahead.windowMs === windowMs) {
    primed.delete(tx);
    return ahead.counted;
  }
  const hot = hotSqlOf(tx);
  if (hot?.dialect === "postgresql") {
    // One statement (one round trip): a new window, or one more in this one unless the limit is reached (no row then).
    const count = rateCountSql(key, limit, windowMs, now);
    return (await hot.get(`${count.sql} RETURNING r."count"`, ...count.params)) !== undefined;
  }
  // SQLite (or outside the inbox's transaction): read, then write what the window says.
  const counter = (await readRates(tx, [key])).get(key);
  if (!counter || now.getTime() - counter.windowStart.getTime() >= windowMs) {
    if (hot) {
      await hot.run(
        `INSERT INTO "RateCounter" ("key", "windowStart", "count") VALUES (?, ?, 1) ON CONFLICT ("key") DO UPDATE SET "windowStart" = excluded."windowStart", "count" = 1`,
        key,
        sqliteDate(now),
      );
    } else {
      await tx.rateCounter.upsert({ where: { key }, create: { key, windowStart: now, count: 1 }, update: { windowStart: now, count: 1 } });
    }
    return true;
  }
  if (counter.count >= limit) return false;
  if (hot) await hot.run(`UPDATE "RateCounter" SET "count" = "count" + 1 WHERE "key" = ?`, key);
  else await tx.rateCounter.update({ where: { key }, data: { count: { increment: 1 } } });
  return true;
}

/** A counter's current window as stored (see `takeRate`). */
export interface RateWindow {
  windowStart: Date;
  count: number;
}

/** The stored counters of `keys` (those that exist), read without counting: one statement. */
export async function readRates(tx: Tx, keys: readonly string[]): Promise<Map<string, RateWindow>> {
  const wanted = [...new Set(keys)];
  if (wanted.length === 0) return new Map();
  const hot = hotSqlOf(tx);
  if (hot) {
    const rows = await hot.all<{ key: string; windowStart: string; count: number }>(
      `SELECT "key", "windowStart", "count" FROM "RateCounter" WHERE "key" IN (${sqlList(wanted.length)})`,
      ...wanted,
    );
    return new Map(rows.map((r) => [r.key, { windowStart: readDate(r.windowStart)!, count: Number(r.count) }]));
  }
  const rows = await tx.rateCounter.findMany({ where: { key: { in: wanted } } });
  return new Map(rows.map((r) => [r.key, { windowStart: r.windowStart, count: r.count }]));
}

/** Whether a counter (undefined: none yet) has reached `limit` in a window still open at `now`. */
export function rateExhausted(counter: RateWindow | undefined, limit: number, windowMs: number, now: Date): boolean {
  return !!counter && now.getTime() - counter.windowStart.getTime() < windowMs && counter.count >= limit;
}

/** Whole minutes (at least 1) until a counter's window closes; a whole window when there is none. */
export function rateMinutesLeft(counter: RateWindow | undefined, windowMs: number, now: Date): number {
  const left = counter ? counter.windowStart.getTime() + windowMs - now.getTime() : windowMs;
  return Math.max(1, Math.ceil(left / 60_000));
}

/**
 * The rate counter key of one person's limit (`name`: "msg", "tips" …): the chat as a keyed handle.
 * A counter's window starts at the person's action — the first tip of the hour starts at the tip's
 * receipt — so a key naming the chat would link it to the tip for a reader of the database.
 */
export function personRateKey(sealer: Sealer, name: string, chatId: string): string {
  return `${name}:${sealer.handle(chatId, "rate")}`;
}
