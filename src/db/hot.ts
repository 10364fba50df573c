import crypto from "node:crypto";
import type BetterSqlite3 from "better-sqlite3";
import type { SqliteConnection, Tx } from "./client.ts";

/**
 * The hot path of processing an update on SQLite: the handful of reads and writes every update
 * makes (its chat, its per-person rate counter, its tip draft, its replies in the outbox, the inbox
 * row) as prepared statements on the raw better-sqlite3 connection, without Prisma's per-query
 * cost (~0.1–0.3 ms each, most of an update's time). A transaction opened by the inbox worker is
 * bound to the connection (`bindHot`); inside it, `hotOf(tx)` returns the statements, which run on
 * the same single connection and so inside that transaction (SQLite has one connection, and the
 * gate in client.ts keeps every other statement out while it is open). Anywhere else — another
 * transaction, PostgreSQL — `hotOf` is undefined and the callers use Prisma as before: the same
 * rows, written the same way (DateTime as ISO 8601 with "+00:00", booleans as 0/1, `updatedAt` set).
 */
export interface Hot {
  /** A prepared statement returning plain numbers (not BigInt) for integer columns. */
  stmt(sql: string): BetterSqlite3.Statement;
}

const bound = new WeakMap<object, Hot>();
const plain = new WeakMap<SqliteConnection, Map<string, BetterSqlite3.Statement>>();

/**
 * Binds a transaction of the inbox worker to the raw SQLite connection it runs on. `alive`, when
 * given, must stay true for the statements to run (one update's part of a shared transaction: false
 * once that part is rolled back to its savepoint).
 */
export function bindHot(tx: Tx, conn: SqliteConnection | undefined, alive?: () => boolean): void {
  if (!conn) return;
  let cache = plain.get(conn);
  if (!cache) plain.set(conn, (cache = new Map()));
  const statements = cache;
  // The transaction this callback runs in: a statement asked for after it ended (rolled back on a
  // timeout while the callback still ran) would run outside it, or inside another update's.
  const mine = conn.openTransaction();
  bound.set(tx, {
    stmt(sql) {
      if (mine === undefined || conn.openTransaction() !== mine || (alive && !alive())) throw new Error("hot statement outside the transaction it was bound to (closed, e.g. timed out)");
      let s = statements.get(sql);
      if (!s) {
        // Statements of our own (the SQL text is ours, never the adapter's, so its cached
        // statements keep their settings): integers as numbers.
        s = conn.statement(`/* hot */ ${sql}`).safeIntegers(false);
        statements.set(sql, s);
      }
      return s;
    },
  });
}

/** The raw statements of a bound transaction; undefined outside one (use Prisma then). */
export function hotOf(tx: Tx): Hot | undefined {
  return bound.get(tx);
}

/**
 * A new row id shaped like Prisma's `cuid()` default (a "c" and 24 lowercase letters and digits),
 * for rows a raw statement inserts: random (120 bits), so ids from several instances never meet.
 */
export function newRowId(): string {
  const bytes = crypto.randomBytes(24);
  let id = "c";
  for (const b of bytes) id += ROW_ID_ALPHABET[b % 36];
  return id;
}
const ROW_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** `n` parameters for an IN list of a hot statement: "?, ?, ?". */
export function sqlList(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/** A DateTime as Prisma's SQLite adapter writes it ("2026-01-02T03:04:05.678+00:00"). */
export function sqliteDate(d: Date): string {
  // Most calls of an update ask for the same millisecond: the last answer is kept.
  const ms = d.getTime();
  if (ms !== lastDate.ms) lastDate = { ms, text: `${d.toISOString().slice(0, -1)}+00:00` };
  return lastDate.text;
}
let lastDate = { ms: Number.NaN, text: "" };

/** A DateTime column read raw (ISO 8601, a Unix time in ms, or a Date a driver made), as a Date; null stays null. */
export function readDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  if (typeof v === "number" || typeof v === "bigint") return new Date(Number(v));
  const text = String(v);
  // SQLite's CURRENT_TIMESTAMP ("2026-01-02 03:04:05") is UTC, as Prisma reads it.
  return new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(text) ? `${text.replace(" ", "T")}Z` : text);
}

/**
 * The hot statements of a bound transaction on either database, awaited: SQLite's run at once on
 * the connection (above); PostgreSQL's (db/hotPg.ts) on the connection of the inbox worker's
 * transaction, as prepared statements. The SQL is written once for both: `?` parameters, DateTime
 * values as `sqliteDate` text (PostgreSQL ignores the "+00:00" of a timestamp without time zone,
 * which Prisma stores in UTC), booleans as 0/1, DateTime columns read back with `readDate`.
 */
export interface HotSql {
  /** Which database: for the few statements written differently (e.g. one statement where SQLite needs two). */
  readonly dialect: "sqlite" | "postgresql";
  /** The first row, or undefined. */
  get<T>(sql: string, ...params: unknown[]): Promise<T | undefined>;
  /** Every row. */
  all<T>(sql: string, ...params: unknown[]): Promise<T[]>;
  /** Runs a write; returns the rows changed. */
  run(sql: string, ...params: unknown[]): Promise<number>;
}

const boundSql = new WeakMap<object, HotSql>();

/** Binds a transaction to hot statements of another database than SQLite (db/hotPg.ts). */
export function bindHotSql(tx: Tx, hot: HotSql): void {
  boundSql.set(tx, hot);
}

/** The hot statements of a bound transaction, SQLite or PostgreSQL; undefined outside one (use Prisma then). */
export function hotSqlOf(tx: Tx): HotSql | undefined {
  const sqlite = bound.get(tx);
  if (sqlite) {
    return {
      dialect: "sqlite",
      get: async <T>(sql: string, ...params: unknown[]) => sqlite.stmt(sql).get(...params) as T | undefined,
      all: async <T>(sql: string, ...params: unknown[]) => sqlite.stmt(sql).all(...params) as T[],
      run: async (sql, ...params) => sqlite.stmt(sql).run(...params).changes,
    };
  }
  return boundSql.get(tx);
}
