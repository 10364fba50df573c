import pg from "pg";
import type { Db, Tx } from "./client.ts";
import { bindHotSql, type HotSql } from "./hot.ts";

/**
 * The hot path of processing updates on PostgreSQL (see db/hot.ts for SQLite): the inbox worker
 * opens its transaction itself on a connection of the client's pool (`connect`, BEGIN … COMMIT);
 * the handful of reads and writes every update makes run there as named prepared statements,
 * without Prisma's per-query cost (building and interpreting the query plan, ~0.2 ms of CPU each),
 * and a step that needs a Prisma model is handed a Prisma client bound to that connection
 * (`boundClient`) — so everything runs in the one transaction. (A Prisma interactive
 * transaction for the group cost ~0.3 ms of node's CPU more than BEGIN and COMMIT sent raw.)
 */

const pools = new WeakMap<object, PgHot>();

/** Transactions of our own on a PostgreSQL client's pool, and Prisma inside them. */
export interface PgHot {
  /** A connection of the client's pool, for a transaction of our own (BEGIN … COMMIT); release it after. */
  connect(): Promise<pg.PoolClient>;
  /**
   * A Prisma client of the same schema whose queries run on one connection at a time, the one
   * `bind` names — for the steps of a transaction opened there by hand.
   */
  boundClient(): BoundClient;
}

/** A Prisma client that runs every query on the connection it is bound to (see `PgHot.boundClient`). */
export interface BoundClient {
  /** The client, usable as the `tx` of the transaction open on the connection bound. */
  readonly db: Db;
  /** The connection its queries run on from now (undefined: none; every query is refused). */
  bind(conn: pg.ClientBase | undefined): void;
}

/**
 * A stand-in for the pool of a Prisma client that must run on one connection (PrismaPg takes a
 * `pg.Pool`): each query goes to the bound connection, and is refused while none is bound; a
 * transaction Prisma opens of its own (a write with nested writes) is a
 * savepoint inside the one open on the connection — its BEGIN, COMMIT and ROLLBACK (the adapter's
 * only transaction statements, @prisma/adapter-pg 7.10) become SAVEPOINT, RELEASE and ROLLBACK TO.
 */
function boundPool(): { pool: pg.Pool; bind: (conn: pg.ClientBase | undefined) => void } {
  let bound: pg.ClientBase | undefined;
  let savepoints = 0;
  const current = (): pg.ClientBase => {
    if (!bound) throw new Error("a query of the inbox transaction's Prisma client while it is bound to no transaction (its step timed out, or its transaction ended)");
    return bound;
  };
  const pool = new pg.Pool({ max: 1 });
  const query = (...args: unknown[]) => (current().query as (...a: unknown[]) => unknown)(...args);
  const connect = async () => {
    current();
    const name = `prisma_inner_${++savepoints}`;
    const asSavepoint: Record<string, string> = { BEGIN: `SAVEPOINT ${name}`, COMMIT: `RELEASE SAVEPOINT ${name}`, ROLLBACK: `ROLLBACK TO SAVEPOINT ${name}` };
    const client = {
      query: (config: string | { text?: string }, ...rest: unknown[]) => {
        const text = typeof config === "string" ? config : config.text;
        return query(text !== undefined && asSavepoint[text] ? asSavepoint[text] : config, ...rest);
      },
      release: () => {},
      on: () => client,
      removeListener: () => client,
    };
    return client;
  };
  Object.assign(pool, { query, connect, end: async () => {} });
  return { pool, bind: (conn) => (bound = conn) };
}

/**
 * The pool for a PostgreSQL Prisma client (pass it to PrismaPg), its connections watched for their
 * transaction's status; `clientOn` makes a client of the same schema on a stand-in pool (for
 * `boundClient`); `register` ties the pool to the client once made, for `pgHotOf`.
 */
export function pgPool(config: pg.PoolConfig, clientOn: (pool: pg.Pool) => Db): { pool: pg.Pool; register: (db: Db) => void } {
  const pool = new pg.Pool(config);
  pool.on("connect", (client) => {
    // The server tells after each statement whether the transaction is still good ('E': failed).
    const conn = (client as { connection?: { on?: (event: string, fn: (msg: { status?: string }) => void) => void } }).connection;
    if (typeof conn?.on === "function") {
      statuses.set(client, "I");
      conn.on("readyForQuery", (msg) => statuses.set(client, String(msg.status ?? "")));
    }
  });
  const hot: PgHot = {
    connect: () => pool.connect(),
    boundClient() {
      const { pool: stand, bind } = boundPool();
      return { db: clientOn(stand), bind };
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
