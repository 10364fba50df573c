import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import { PrismaClient as SqliteClient, Prisma } from "../../generated/sqlite/client.ts";

/** The database client. Both generated clients have the same model API; the SQLite one names the type. */
export type Db = SqliteClient;
/** A client usable inside `db.$transaction(async (tx) => …)`. */
export type Tx = Prisma.TransactionClient;
export { Prisma };

export type Provider = "sqlite" | "postgresql";

/**
 * Direct access to the SQLite connection under the Prisma client, for the few hot paths where
 * Prisma's per-query overhead matters (the webhook inbox INSERT). `run` waits for the same gate as
 * every top-level statement, so it never runs inside another task's open transaction.
 */
export interface SqliteConnection {
  run<T>(fn: (raw: BetterSqlite3.Database) => T): Promise<T>;
  /** A prepared statement kept for the connection's lifetime (created on first use). */
  statement(sql: string): BetterSqlite3.Statement;
  /** The number of the interactive transaction open now (each one gets the next), or undefined when none is. */
  openTransaction(): number | undefined;
  /**
   * Opens a transaction on the raw connection, without Prisma (its interactive transaction costs
   * more than the statements of a short one): waits for the gate like any transaction and holds it
   * until `commit` or `rollback`. Only statements run by the holder (`statement`, db/hot.ts) may
   * run inside it; every Prisma query waits for the gate.
   */
  begin(): Promise<RawTransaction>;
}

/** A transaction opened by `SqliteConnection.begin`. */
export interface RawTransaction {
  /** Its number, as `openTransaction()` tells while it is open. */
  readonly id: number;
  /** Commits (rolls back and throws if the commit fails) and frees the connection; nothing once ended. */
  commit(): void;
  /** Rolls back and frees the connection; nothing once ended. */
  rollback(): void;
}

const sqliteConnections = new WeakMap<object, SqliteConnection>();

/** The raw connection of a SQLite client opened by `openDb`; undefined for PostgreSQL. */
export function sqliteConnection(db: Db): SqliteConnection | undefined {
  return sqliteConnections.get(db);
}

const STATEMENT_CACHE_SIZE = 1_000;

/**
 * The better-sqlite3 adapter prepares every query anew (parsing and planning the SQL each time)
 * and binds its arguments permanently to that statement. This keeps prepared statements by SQL
 * text (least recently used dropped past STATEMENT_CACHE_SIZE) and hands the adapter a view that
 * takes the arguments per call instead, which is all the adapter uses: `bind(args)`, `reader`,
 * `columns()`, `raw().all()`, `run()`.
 */
function cacheStatements(raw: BetterSqlite3.Database): (sql: string) => BetterSqlite3.Statement {
  const prepare = raw.prepare.bind(raw);
  const cache = new Map<string, BetterSqlite3.Statement>();
  const cached = (sql: string): BetterSqlite3.Statement => {
    let stmt = cache.get(sql);
    if (stmt) {
      cache.delete(sql); // re-inserted below: most recently used last
    } else {
      stmt = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return stmt;
  };
  // A statement's result columns do not change while it is cached (SQLite re-prepares it itself
  // after a schema change, which only migrations make, before the client opens): asked once.
  const columns = new WeakMap<BetterSqlite3.Statement, BetterSqlite3.ColumnDefinition[]>();
  const view = (stmt: BetterSqlite3.Statement) => {
    let args: unknown[] = [];
    const v = {
      get reader() {
        return stmt.reader;
      },
      bind(bound: unknown[]) {
        args = bound;
        return v;
      },
      columns: () => {
        let c = columns.get(stmt);
        if (!c) columns.set(stmt, (c = stmt.columns()));
        return c;
      },
      raw: () => ({ all: () => stmt.raw(true).all(args) }),
      run: () => stmt.run(args),
    };
    return v;
  };
  (raw as { prepare: unknown }).prepare = (sql: string) => view(cached(sql));
  return cached;
}

/**
 * SQLite has one connection. The better-sqlite3 adapter makes interactive transactions wait for
 * each other, but a plain statement issued while a transaction is open runs inside that
 * transaction — and is rolled back with it. An inbox INSERT acknowledged to a platform could thus be
 * lost when an unrelated update's processing failed. This gate makes every top-level statement wait
 * until no transaction is open, and transactions wait for each other as before. It also installs
 * the statement cache and records the raw connection for `sqliteConnection`.
 */
function serializeStatements(factory: PrismaBetterSqlite3, onConnect: (conn: SqliteConnection) => void): PrismaBetterSqlite3 {
  let tail: Promise<void> = Promise.resolve();
  const acquire = (): Promise<() => void> => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const ready = tail.then(() => release);
    tail = tail.then(() => held);
    return ready;
  };
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const raw = (adapter as unknown as { client: BetterSqlite3.Database }).client;
    const statement = cacheStatements(raw);
    let transactions = 0;
    let open: number | undefined;
    onConnect({
      statement,
      openTransaction: () => open,
      async begin() {
        const release = await acquire();
        try {
          statement("BEGIN").run();
        } catch (err) {
          release();
          throw err;
        }
        const id = (open = ++transactions);
        let ended = false;
        const end = (commit: boolean) => {
          if (ended) return;
          ended = true;
          open = undefined;
          try {
            if (!commit) {
              if (raw.inTransaction) statement("ROLLBACK").run();
            } else {
              try {
                statement("COMMIT").run();
              } catch (err) {
                // Still open after a failed COMMIT (e.g. the file busy): undone, so the next transaction starts clean.
                if (raw.inTransaction) statement("ROLLBACK").run();
                throw err;
              }
            }
          } finally {
            release();
          }
        };
        return { id, commit: () => end(true), rollback: () => end(false) };
      },
      async run(fn) {
        const release = await acquire();
        try {
          return fn(raw);
        } finally {
          release();
        }
      },
    });
    const gated = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const release = await acquire();
        try {
          return await fn(...args);
        } finally {
          release();
        }
      };
    const startTransaction = adapter.startTransaction.bind(adapter);
    return Object.assign(adapter, {
      queryRaw: gated(adapter.queryRaw.bind(adapter)),
      executeRaw: gated(adapter.executeRaw.bind(adapter)),
      executeScript: gated(adapter.executeScript.bind(adapter)),
      async startTransaction(...args: Parameters<typeof adapter.startTransaction>) {
        const release = await acquire();
        try {
          const tx = await startTransaction(...args);
          open = ++transactions;
          const commit = tx.commit.bind(tx);
          const rollback = tx.rollback.bind(tx);
          return Object.assign(tx, {
            commit: async () => {
              open = undefined;
              try {
                return await commit();
              } finally {
                release();
              }
            },
            rollback: async () => {
              open = undefined;
              try {
                return await rollback();
              } finally {
                release();
              }
            },
          });
        } catch (err) {
          release();
          throw err;
        }
      },
    });
  };
  return factory;
}

/** Which database a DATABASE_URL points at. */
export function providerOf(url: string): Provider {
  return /^postgres(ql)?:\/\//.test(url) ? "postgresql" : "sqlite";
}

/** Absolute file path of a `file:` URL; relative paths are resolved against the working directory. */
export function sqlitePath(url: string): string {
  const file = url.replace(/^file:/, "").replace(/\?.*$/, "");
  return path.isAbsolute(file) ? file : path.resolve(process.cwd(), file);
}

/** The part of a generated client's engine settings that loads its query compiler (Prisma internals). */
interface CompilerWasm {
  getQueryCompilerWasmModule?: () => Promise<unknown>;
}

/** WebAssembly's compiler (a global of Node.js; not in this project's type libraries). */
const Wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;

/**
 * Prisma's generated client reads its query compiler's WebAssembly from an ES module that holds it
 * as one 4.4 MB base64 string, and an ES module is never unloaded: that string and the module's
 * source (2 × 4.4 MB) stayed in the heap for the process's life, two thirds of the idle service's
 * large objects. This makes the client read the same text from the CommonJS copy Prisma ships next to
 * it (`….wasm-base64.js`, same content), dropped from require's cache once decoded, so both are
 * collected. Same compiler, same bytes: the module name is taken from the generated loader itself;
 * when the client does not look as expected (another Prisma version), it is left as it is.
 */
function releaseCompilerSource(client: object): void {
  const wasm = (client as { _engineConfig?: { compilerWasm?: CompilerWasm } })._engineConfig?.compilerWasm;
  const load = wasm?.getQueryCompilerWasmModule;
  if (!wasm || typeof load !== "function") return;
  const base = /@prisma\/client\/runtime\/(query_compiler_[a-z]+_bg\.[a-z]+\.wasm-base64)\.mjs["']/.exec(load.toString())?.[1];
  if (!base) return;
  const name = `@prisma/client/runtime/${base}`;
  const releasable = async (): Promise<object> => {
    // A require of our own, dropped with this call: nothing keeps the loaded module once decoded.
    const require = createRequire(import.meta.url);
    const file = require.resolve(`${name}.js`);
    try {
      const { wasm: base64 } = require(file) as { wasm: string };
      return new Wasm.Module(Buffer.from(base64, "base64"));
    } finally {
      delete require.cache[file];
    }
  };
  wasm.getQueryCompilerWasmModule = Object.assign(releasable, { releasable: true as const });
}

/**
 * Opens the database named by `url`: SQLite (WAL, synchronous=NORMAL) through better-sqlite3, or
 * PostgreSQL through node-postgres. The SQLite file's folder is created when missing.
 */
export async function openDb(url: string): Promise<Db> {
  if (providerOf(url) === "postgresql") {
    // Loaded only for PostgreSQL: an SQLite instance need not carry the second client in memory.
    const [{ PrismaPg }, { PrismaClient: PgClient }, { pgPool }] = await Promise.all([import("@prisma/adapter-pg"), import("../../generated/postgresql/client.ts"), import("./hotPg.ts")]);
    // Our own pool (ended with the client), so the inbox worker can reach its transaction's connection (db/hotPg.ts).
    const { pool, register } = pgPool({ connectionString: url, max: 10 });
    const client = new PgClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    releaseCompilerSource(client);
    await client.$connect();
    register(client as unknown as Db);
    return client as unknown as Db;
  }
  const file = sqlitePath(url);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let conn: SqliteConnection | undefined;
  const factory = serializeStatements(new PrismaBetterSqlite3({ url: file, timeout: 10_000 }), (c) => (conn = c));
  const client = new SqliteClient({ adapter: factory });
  releaseCompilerSource(client);
  await client.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await client.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await client.$queryRawUnsafe("PRAGMA foreign_keys = ON");
  if (conn) sqliteConnections.set(client, conn);
  return client;
}
