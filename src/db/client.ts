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

/** Prisma's parameterization schema as a generated client holds it (Prisma internals): strings and a base64url graph. */
export interface ParameterSchema {
  strings: string[];
  graph: string;
}

/**
 * V8 stores an object's integer-keyed properties in a flat array sized past its largest key,
 * unless the first key lies 1,024 or more beyond the array's end (JSObject::kMaxGap): then in a
 * small hash table for good.
 */
const ELEMENT_GAP = 1_024;

/**
 * The graph, decoded the way Prisma's runtime reads it and written back with every string index
 * moved up by `shift` (the edges' names, enum names and roots' names); undefined if it does not
 * read exactly as expected (another Prisma version). Layout: varint counts of input nodes, output
 * nodes and roots; an input node is a varint edge count and per edge a varint name index, a u16
 * scalar mask, varint child node + 1 (0: none), varint enum name index + 1 (0: none), a u8 flags; an
 * output node is a varint edge count and per edge a varint name index, varint args node + 1,
 * varint output node + 1; a root is a varint name index, varint args node + 1, varint output node + 1.
 */
function shiftGraphStrings(graph: string, strings: number, shift: number): string | undefined {
  const bytes = Buffer.from(graph, "base64url");
  const out: number[] = [];
  let at = 0;
  const read = (): number => {
    let value = 0;
    let bits = 0;
    let byte: number;
    do {
      if (at >= bytes.length || bits > 28) throw new RangeError("graph ends inside a number");
      byte = bytes[at++]!;
      value += (byte & 127) * 2 ** bits;
      bits += 7;
    } while (byte >= 128);
    return value;
  };
  const write = (value: number): void => {
    while (value >= 128) {
      out.push((value % 128) | 128);
      value = Math.floor(value / 128);
    }
    out.push(value);
  };
  const copy = (count: number): void => {
    if (at + count > bytes.length) throw new RangeError("graph ends inside a field");
    for (let i = 0; i < count; i++) out.push(bytes[at++]!);
  };
  const name = (): void => {
    const index = read();
    if (index >= strings) throw new RangeError("string index out of range");
    write(index + shift);
  };
  const optionalName = (): void => {
    const plusOne = read();
    if (plusOne > strings) throw new RangeError("string index out of range");
    write(plusOne === 0 ? 0 : plusOne + shift);
  };
  try {
    const inputs = read();
    const outputs = read();
    const roots = read();
    write(inputs), write(outputs), write(roots);
    for (let n = 0; n < inputs; n++) {
      const edges = read();
      write(edges);
      for (let e = 0; e < edges; e++) {
        name();
        copy(2); // scalar mask
        write(read()); // child node + 1
        optionalName(); // enum name + 1
        copy(1); // flags
      }
    }
    for (let n = 0; n < outputs; n++) {
      const edges = read();
      write(edges);
      for (let e = 0; e < edges; e++) {
        name();
        write(read()); // args node + 1
        write(read()); // output node + 1
      }
    }
    for (let r = 0; r < roots; r++) {
      name();
      write(read());
      write(read());
    }
  } catch {
    return undefined;
  }
  if (at !== bytes.length) return undefined;
  return Buffer.from(out).toString("base64url");
}

const compactSchemas = new WeakMap<ParameterSchema, ParameterSchema | null>();
const compacted = new WeakSet<ParameterSchema>();

/**
 * Prisma's query parameterization graph (one object per input and output type of the schema,
 * its edges keyed by the index of the field's name among ~900 strings) is decoded at each client's
 * start into objects whose integer keys V8 stores in arrays sized past the largest key — ~10 KB
 * for a few edges, 5–7 MB in all (or ~2 MB, from one start to the next, when V8 happened to
 * allocate them in the old generation). Putting 1,024 unused strings first moves every key past
 * V8's gap, so each object keeps its edges in a small hash table (~1.5 MB in all); the client
 * reads the same edges by the same names. Left as it is when the graph does not read as expected.
 */
export function compactParameterSchema(schema: ParameterSchema): ParameterSchema {
  // The constructor keeps the config its hook returned for the clients made after (Prisma's
  // getPrismaClient reassigns it): a schema made here is already compact.
  if (compacted.has(schema)) return schema;
  let compact = compactSchemas.get(schema);
  if (compact === undefined) {
    const graph = Array.isArray(schema.strings) && typeof schema.graph === "string" ? shiftGraphStrings(schema.graph, schema.strings.length, ELEMENT_GAP) : undefined;
    // The padding is one string (never a field's name) repeated: its lookups are by name, last index wins.
    compact = graph === undefined ? null : { strings: [...new Array<string>(ELEMENT_GAP).fill("\u0000"), ...schema.strings], graph };
    compactSchemas.set(schema, compact);
    if (compact) compacted.add(compact);
  }
  return compact ?? schema;
}

/** PrismaClient's constructor hook (`__internal.configOverride`): the generated config with a compact parameterization graph. */
function compactConfig<C extends { parameterizationSchema?: ParameterSchema }>(config: C): C {
  return config.parameterizationSchema ? { ...config, parameterizationSchema: compactParameterSchema(config.parameterizationSchema) } : config;
}

/** Constructor options every client gets (`__internal` is not in the generated types). */
const internalOptions = { __internal: { configOverride: compactConfig } } as object;

/**
 * Opens the database named by `url`: SQLite (WAL, synchronous=NORMAL) through better-sqlite3, or
 * PostgreSQL through node-postgres. The SQLite file's folder is created when missing.
 */
export async function openDb(url: string): Promise<Db> {
  if (providerOf(url) === "postgresql") {
    // Loaded only for PostgreSQL: an SQLite instance need not carry the second client in memory.
    const [{ PrismaPg }, { PrismaClient: PgClient }, { pgPool }] = await Promise.all([import("@prisma/adapter-pg"), import("../../generated/postgresql/client.ts"), import("./hotPg.ts")]);
    // Our own pool (ended with the client), so the inbox worker can reach its transaction's connection (db/hotPg.ts).
    const { pool, register } = pgPool({ connectionString: url, max: 10 }, (one) => {
      // A client on one connection at a time (the inbox's own transactions: db/hotPg.ts boundClient).
      const bound = new PgClient({ adapter: new PrismaPg(one), ...internalOptions });
      releaseCompilerSource(bound);
      return bound as unknown as Db;
    });
    const client = new PgClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }), ...internalOptions });
    releaseCompilerSource(client);
    await client.$connect();
    register(client as unknown as Db);
    return client as unknown as Db;
  }
  const file = sqlitePath(url);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let conn: SqliteConnection | undefined;
  const factory = serializeStatements(new PrismaBetterSqlite3({ url: file, timeout: 10_000 }), (c) => (conn = c));
  const client = new SqliteClient({ adapter: factory, ...internalOptions });
  releaseCompilerSource(client);
  await client.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await client.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await client.$queryRawUnsafe("PRAGMA foreign_keys = ON");
  if (conn) sqliteConnections.set(client, conn);
  return client;
}
