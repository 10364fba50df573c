import os from "node:os";
import Database from "better-sqlite3";
import { providerOf, sqlitePath } from "./client.ts";

/** Raised when another instance already runs on the same SQLite database file. */
export class InstanceLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InstanceLockError";
  }
}

/** The right to run the service on one SQLite file, held until `release()`. */
export interface InstanceLock {
  /** The lock file (next to the database). */
  readonly file: string;
  release(): void;
}

/** The lock file of a SQLite database file: `<database>-lock` (removed with the database's folder; ignored by git like `-wal`). */
export function instanceLockFile(databaseFile: string): string {
  return `${databaseFile}-lock`;
}

interface Owner {
  pid: number;
  host: string;
  started: string;
}

function isBusy(err: unknown): boolean {
  return typeof (err as { code?: unknown })?.code === "string" && (err as { code: string }).code.startsWith("SQLITE_BUSY");
}

function refusal(databaseFile: string, owner: Owner | undefined): InstanceLockError {
  const who = owner ? ` (pid ${owner.pid} on ${owner.host}, started ${owner.started})` : "";
  return new InstanceLockError(
    `Another Tai Mắt instance is already running on the SQLite database ${databaseFile}${who}. ` +
      `SQLite allows one instance per database file: stop the other instance first, ` +
      `or use PostgreSQL (DATABASE_URL=postgresql://…) to run several instances on one database.`,
  );
}

/**
 * Claims the SQLite database named by `databaseUrl` for this service instance, for as long as the
 * returned lock is held; undefined for PostgreSQL, where several instances may run. The lock is a
 * write lock (`BEGIN IMMEDIATE`, never committed) on a small SQLite file next to the database,
 * held by an open connection: the operating system drops it when the process ends, so a crashed
 * instance (even SIGKILLed) never blocks a restart, and a second instance in the same process is
 * refused too (SQLite tracks its locks per file across connections). The file also records the
 * holder (pid, host, start time) for the refusal message. Throws `InstanceLockError` when held.
 */
export function acquireInstanceLock(databaseUrl: string): InstanceLock | undefined {
  if (providerOf(databaseUrl) === "postgresql") return undefined;
  const databaseFile = sqlitePath(databaseUrl);
  const file = instanceLockFile(databaseFile);
  const conn = new Database(file, { timeout: 0 });
  const owner = (): Owner | undefined => {
    try {
      return conn.prepare("SELECT pid, host, started FROM owner WHERE id = 1").get() as Owner | undefined;
    } catch {
      return undefined;
    }
  };
  try {
    conn.exec("CREATE TABLE IF NOT EXISTS owner (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, started TEXT NOT NULL)");
    conn.exec("BEGIN IMMEDIATE");
    conn.prepare("INSERT OR REPLACE INTO owner (id, pid, host, started) VALUES (1, ?, ?, ?)").run(process.pid, os.hostname(), new Date().toISOString());
    conn.exec("COMMIT");
    // Held from here on: an instance that took the lock in the instant after the commit wins instead.
    conn.exec("BEGIN IMMEDIATE");
  } catch (err) {
    const held = isBusy(err);
    const error = held ? refusal(databaseFile, owner()) : err;
    conn.close();
    throw error;
  }
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      conn.close();
    },
  };
}
