import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { providerOf, sqlitePath, type Provider } from "./client.ts";
import { fromRoot } from "../paths.ts";

/** prisma/migrations/<provider>/ in this checkout. */
export const MIGRATIONS_ROOT = fromRoot("prisma", "migrations");

// Prisma's own DDL for its history table, so `prisma migrate status` on an online machine accepts ours.
const HISTORY_DDL: Record<Provider, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
};
const PRISMA_LOCK_ID = 72707369;

interface Conn {
  all(sql: string, args?: unknown[]): Promise<Array<Record<string, unknown>>>;
  run(sql: string, args?: unknown[]): Promise<void>;
  script(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function connect(url: string, provider: Provider): Promise<Conn> {
  if (provider === "postgresql") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`SELECT pg_advisory_lock(${PRISMA_LOCK_ID})`);
    return {
      all: async (sql, args = []) => (await client.query(sql, args)).rows,
      run: async (sql, args = []) => void (await client.query(sql, args)),
      // One simple-protocol query: PostgreSQL runs the whole file as one implicit transaction.
      script: async (sql) => void (await client.query(sql)),
      close: async () => {
        await client.query(`SELECT pg_advisory_unlock(${PRISMA_LOCK_ID})`);
        await client.end();
      },
    };
  }
  const file = sqlitePath(url);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  const q = (sql: string) => sql.replace(/\$\d+/g, "?");
  return {
    all: async (sql, args = []) => db.prepare(q(sql)).all(...args) as Array<Record<string, unknown>>,
    run: async (sql, args = []) => void db.prepare(q(sql)).run(...args),
    script: async (sql) => void db.exec(sql),
    close: async () => void db.close(),
  };
}

/**
 * Applies every migration in prisma/migrations/<provider>/ not yet applied, in name order, recording
 * each in `_prisma_migrations` exactly as `prisma migrate deploy` does. Refuses to run over a failed
 * migration. Returns the names applied.
 */
export async function migrate(url: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  const provider = providerOf(url);
  const dir = path.join(MIGRATIONS_ROOT, provider);
  const names = fs.existsSync(dir)
    ? fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
    : [];
  const conn = await connect(url, provider);
  const now = () => new Date().toISOString().replace("Z", "+00:00");
  try {
    await conn.script(HISTORY_DDL[provider]);
    const rows = await conn.all(`SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`);
    const failed = rows.filter((r) => !r.finished_at && !r.rolled_back_at);
    if (failed.length) {
      throw new Error(`failed migration(s) in the database: ${failed.map((r) => r.migration_name).join(", ")}; repair them first`);
    }
    const done = new Map(rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => [String(r.migration_name), String(r.checksum)]));
    const applied: string[] = [];
    for (const name of names) {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      const checksum = crypto.createHash("sha256").update(sql).digest("hex");
      if (done.has(name)) {
        if (done.get(name) !== checksum) log(`warning: migration ${name} was edited after it was applied`);
        continue;
      }
      const id = crypto.randomUUID();
      await conn.run(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, $4, 0)`,
        [id, checksum, name, now()],
      );
      try {
        await conn.script(sql);
      } catch (e) {
        await conn.run(`UPDATE "_prisma_migrations" SET logs = $1 WHERE id = $2`, [String((e as Error).stack ?? e), id]);
        throw new Error(`migration ${name} failed: ${(e as Error).message}`);
      }
      await conn.run(`UPDATE "_prisma_migrations" SET finished_at = $1, applied_steps_count = 1 WHERE id = $2`, [now(), id]);
      applied.push(name);
    }
    return applied;
  } finally {
    await conn.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL ?? "file:./data/taimat.db";
  migrate(url, console.warn)
    .then((applied) => console.log(`${providerOf(url)}: applied ${applied.length} migration(s)${applied.length ? ": " + applied.join(", ") : ""}`))
    .catch((e: Error) => {
      console.error(e.message);
      process.exit(1);
    });
}
