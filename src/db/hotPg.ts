import crypto from "node:crypto";
import pg from "pg";
import type { Db, Tx } from "./client.ts";
import { bindHotSql, type HotSql } from "./hot.ts";

/**
 * The hot path of processing updates on PostgreSQL (see db/hot.ts for SQLite): the inbox worker's
 * transaction is a Prisma interactive transaction — steps that need a Prisma model use it as
 * anywhere else — and the handful of reads and writes every update makes run as named prepared
 * statements straight on that transaction's connection, without Prisma's per-query cost (building
 * and interpreting the query plan, ~0.2 ms of CPU each, most of an update's time): the same
 * connection, so the same transaction.
 *
 * Prisma does not tell which pooled connection a transaction runs on. The pool under the client is
 * ours (`pgPool`); each of its connections recognises a marker statement (`connectionOf` sends one
 * through the transaction) and answers it itself, without a round trip, noting that it is the one.
 */

/** The text of the marker statement; a random token follows. Never sent to the server. */
const MARKER = "SELECT 'tai-mat:hot-connection' AS marker, ";

const pools = new WeakMap<object, PgHot>();

/** The connection a Prisma transaction of one client runs on, and hot statements on it. */
export interface PgHot {
  /** The connection `tx` (a Prisma interactive transaction of this client) runs on; undefined if it cannot be told. */
  connectionOf(tx: Tx): Promise<pg.ClientBase | undefined>;
}

/**
 * The pool for a PostgreSQL Prisma client (pass it to PrismaPg), its connections made to recognise
 * the marker statement; `register` ties it to the client once made, for `pgHotOf`.
 */
export function pgPool(config: pg.PoolConfig): { pool: pg.Pool; register: (db: Db) => void } {
  const pool = new pg.Pool(config);
  const found = new Map<string, pg.ClientBase>();
  pool.on("connect", (client) => {
    // The server tells after each statement whether the transaction is still good ('E': failed).
    const conn = (client as { connection?: { on?: (event: string, fn: (msg: { status?: string }) => void) => void } }).connection;
    if (typeof conn?.on === "function") {
      statuses.set(client, "I");
      conn.on("readyForQuery", (msg) => statuses.set(client, String(msg.status ?? "")));
    }
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: unknown } | undefined;
      const text = typeof first === "string" ? first : first?.text;
      if (typeof text === "string" && text.startsWith(MARKER)) {
        found.set(text.slice(MARKER.length), client);
        return Promise.resolve({ command: "SELECT", rowCount: 0, oid: 0, rows: [], fields: [] });
      }
      return query(...args);
    };
  });
  const hot: PgHot = {
    async connectionOf(tx) {
      const token = `'${crypto.randomBytes(12).toString("hex")}'`;
      await tx.$executeRawUnsafe(`${MARKER}${token}`);
      const conn = found.get(token);
      found.delete(token);
      return conn;
    },
  };
  return {
    pool,
    register: (db) => {
      pools.set(db, hot);
      poolOf.set(db, pool);
    },
  };
}

const poolOf = new WeakMap<object, pg.Pool>();

/**
 * Frequent small statements outside any transaction (the cluster's chat leases: several per update
 * processed) straight on the pool, as named prepared statements — without Prisma's per-query cost.
 * Undefined for SQLite. Parameters as `?` or $1, $2 …; the rows as node-postgres reads them
 * (bigint as text, timestamps as text).
 */
export function pgQueryOf(db: Db): (<T>(sql: string, params: unknown[]) => Promise<pg.QueryResult<T & pg.QueryResultRow>>) | undefined {
  const pool = poolOf.get(db);
  if (!pool) return undefined;
  return <T>(sql: string, params: unknown[]) => {
    const p = statementOf(sql);
    return pool.query<T & pg.QueryResultRow>({ name: p.name, text: p.text, values: params, types } as pg.QueryConfig);
  };
}

const statuses = new WeakMap<object, string>();

/**
 * Whether the transaction open on `conn` has failed (a statement of it raised an error, which a
 * caller may have caught: everything after is refused, and its COMMIT only rolls back, silently).
 * Undefined when the connection does not tell (then ask the server).
 */
export function transactionFailed(conn: pg.ClientBase): boolean | undefined {
  // A statement's error can reach its caller before the server's ReadyForQuery that follows it
  // (another TCP read): until that has arrived the status is stale — then ask the server.
  if ((conn as { readyForQuery?: boolean }).readyForQuery === false) return undefined;
  const status = statuses.get(conn);
  return status === undefined ? undefined : status === "E";
}

/** The hot access of a PostgreSQL client opened by `openDb`; undefined for SQLite. */
export function pgHotOf(db: Db): PgHot | undefined {
  return pools.get(db);
}

/** Timestamps read as text ("2026-01-02 03:04:05.678", UTC as Prisma stores them: `readDate` reads them), the rest as node-postgres does. */
const types = {
  getTypeParser: (oid: number, format?: string) => (oid === pg.types.builtins.TIMESTAMP || oid === pg.types.builtins.TIMESTAMPTZ ? (v: string) => v : pg.types.getTypeParser(oid, format as "text")),
};

/** A statement's name and PostgreSQL text ($1, $2 … for ?), by its SQL text: the same names on every connection. */
const prepared = new Map<string, { name: string; text: string }>();

/**
 * Runs `sql` (`?` parameters) on `conn` as a named prepared statement — or, with `planEachTime`,
 * unnamed: planned at each execution for the tables as they are then. A named statement keeps the
 * generic plan PostgreSQL made at its sixth execution until the tables it reads are next analysed
 * (or the connection closes), perhaps made while a queue table was nearly empty; a statement whose
 * every good plan depends on the table's size (one that would be a sequential scan on a small
 * table) is planned each time (~0.15 ms).
 */
export async function hotQuery<T>(conn: pg.ClientBase, sql: string, params: unknown[], opts?: { planEachTime?: boolean }): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
  const p = statementOf(sql);
  return conn.query<T & pg.QueryResultRow>((opts?.planEachTime ? { text: p.text, values: params, types } : { name: p.name, text: p.text, values: params, types }) as pg.QueryConfig);
}

function statementOf(sql: string): { name: string; text: string } {
  let p = prepared.get(sql);
  if (!p) {
    let n = 0;
    p = { name: `tai_mat_hot_${prepared.size + 1}`, text: sql.replace(/\?/g, () => `$${++n}`) };
    prepared.set(sql, p);
  }
  return p;
}

/**
 * Binds `tx` (one update's view of the worker's transaction) to hot statements on `conn`, the
 * transaction's connection. `alive` must stay true for them to run: false once that update's part
 * is over (e.g. timed out while its callback still runs).
 */
export function bindHotPg(tx: Tx, conn: pg.ClientBase, alive: () => boolean): void {
  const check = () => {
    if (!alive()) throw new Error("hot statement outside the transaction it was bound to (closed, e.g. timed out)");
  };
  const hot: HotSql = {
    dialect: "postgresql",
    async get<T>(sql: string, ...params: unknown[]) {
      check();
      return (await hotQuery<T>(conn, sql, params)).rows[0];
    },
    async all<T>(sql: string, ...params: unknown[]) {
      check();
      return (await hotQuery<T>(conn, sql, params)).rows;
    },
    async run(sql, ...params) {
      check();
      return (await hotQuery(conn, sql, params)).rowCount ?? 0;
    },
  };
  bindHotSql(tx, hot);
}
