import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openDb, type Db } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";

/** A fresh, migrated database for one test: a temp SQLite file, or a new PostgreSQL database. */
export interface TestDatabase {
  url: string;
  db: Db;
  /** Closes the client and deletes the database. */
  drop(): Promise<void>;
}

/** PostgreSQL server to create test databases on (e.g. postgresql://postgres:postgres@127.0.0.1:5432/postgres). */
export const PG_BASE_URL = process.env.TEST_DATABASE_URL;
export const PROVIDER = PG_BASE_URL ? "postgresql" : "sqlite";

/** Creates an empty migrated database (no connection opened when `open` is false). */
export async function createTestDatabaseUrl(): Promise<{ url: string; remove(): Promise<void> }> {
  if (PG_BASE_URL) {
    const name = `taimat_test_${crypto.randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: PG_BASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const u = new URL(PG_BASE_URL);
    u.pathname = `/${name}`;
    const url = u.toString();
    await migrate(url);
    return {
      url,
      async remove() {
        const c = new pg.Client({ connectionString: PG_BASE_URL });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "taimat-test-"));
  const url = `file:${path.join(dir, "test.db")}`;
  await migrate(url);
  return { url, remove: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh migrated database with an open client. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { url, remove } = await createTestDatabaseUrl();
  const db = await openDb(url);
  return {
    url,
    db,
    async drop() {
      await db.$disconnect().catch(() => {});
      await remove();
    },
  };
}
