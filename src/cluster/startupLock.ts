import pg from "pg";
import { providerOf } from "../db/client.ts";

/** Advisory lock id held while an instance loads the reference data and the knowledge base at start. */
const STARTUP_LOCK_ID = 72707370;

/**
 * Runs `fn` while holding a PostgreSQL advisory lock (on a connection of its own), so instances
 * starting together load the reference data, tip queues and knowledge base one after the other
 * instead of inserting the same rows at once. On SQLite (one instance) `fn` just runs.
 */
export async function withStartupLock<T>(databaseUrl: string, fn: () => Promise<T>): Promise<T> {
  if (providerOf(databaseUrl) !== "postgresql") return fn();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(${STARTUP_LOCK_ID})`);
    return await fn();
  } finally {
    await client.end().catch(() => {});
  }
}
