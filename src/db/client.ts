import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient, Prisma } from "../../generated/sqlite/client.ts";
import { PrismaClient as PgClient } from "../../generated/postgresql/client.ts";

/** The database client. Both generated clients have the same model API; the SQLite one names the type. */
export type Db = SqliteClient;
/** A client usable inside `db.$transaction(async (tx) => …)`. */
export type Tx = Prisma.TransactionClient;
export { Prisma };

export type Provider = "sqlite" | "postgresql";

/** Which database a DATABASE_URL points at. */
export function providerOf(url: string): Provider {
  return /^postgres(ql)?:\/\//.test(url) ? "postgresql" : "sqlite";
}

/** Absolute file path of a `file:` URL; relative paths are resolved against the working directory. */
export function sqlitePath(url: string): string {
  const file = url.replace(/^file:/, "").replace(/\?.*$/, "");
  return path.isAbsolute(file) ? file : path.resolve(process.cwd(), file);
}

/**
 * Opens the database named by `url`: SQLite (WAL, synchronous=NORMAL) through better-sqlite3, or
 * PostgreSQL through node-postgres. The SQLite file's folder is created when missing.
 */
export async function openDb(url: string): Promise<Db> {
  if (providerOf(url) === "postgresql") {
    const client = new PgClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) });
    await client.$connect();
    return client as unknown as Db;
  }
  const file = sqlitePath(url);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const client = new SqliteClient({ adapter: new PrismaBetterSqlite3({ url: file, timeout: 10_000 }) });
  await client.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await client.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await client.$queryRawUnsafe("PRAGMA foreign_keys = ON");
  return client;
}
