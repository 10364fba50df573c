import { Prisma, sqliteConnection, type Db, type SqliteConnection, type Tx } from "../db/client.ts";
import type { Metrics } from "../metrics.ts";

/** An update as received, ready to be stored. */
export interface IncomingUpdate {
  channel: string;
  /** Deduplication key: Telegram update_id, Zalo message_id. */
  updateKey: string;
  /** Platform chat id; one chat's updates are processed in order. */
  chatKey: string;
  /** Order within the chat. */
  seq: bigint;
  /** The raw body. */
  payload: string;
}

/** A stored inbox row, as the worker schedules it. */
export interface InboxRef {
  id: number;
  channel: string;
  chatKey: string;
  seq: bigint;
}

interface Waiter {
  update: IncomingUpdate;
  resolve: (result: "stored" | "duplicate") => void;
  reject: (err: unknown) => void;
}

const RATE_WINDOW_MS = 250;
const MAX_BATCH = 500; // PostgreSQL: 7 parameters a row, well under its 65,535

/**
 * Stores incoming updates durably before they are acknowledged. Concurrent requests are written
 * together (group commit): a write starts on the next `setImmediate`, after every request already
 * readable in this turn of the event loop has been parsed and queued, and while one write is
 * running the next batch gathers. So under load many updates share one commit, and no request
 * waits on a timer. (The deferral matters with SQLite: better-sqlite3 runs a statement
 * synchronously, so a write started at once would always hold just the one request that started
 * it.) A repeated update is recognised by its (channel, updateKey) and reported as a duplicate.
 */
export class InboxIngest {
  private queue: Waiter[] = [];
  private flushing = false;
  private scheduled = false;
  private readonly sqlite: SqliteConnection | undefined;

  constructor(
    private readonly db: Db,
    private readonly metrics: Metrics,
    /** Told about every newly stored row, after commit. */
    private readonly onStored: (rows: InboxRef[]) => void,
  ) {
    this.sqlite = sqliteConnection(db);
  }

  private windowStart = performance.now();
  private windowCount = 0;
  private lastRate = 0;

  /**
   * Updates a second received lately: over the current window once it is 50 ms old, else over
   * the previous one (windows of 250 ms; nothing for 500 ms means 0).
   */
  arrivalRate(): number {
    const elapsed = performance.now() - this.windowStart;
    if (elapsed > 2 * RATE_WINDOW_MS) return 0;
    if (elapsed >= 50) return Math.max(this.lastRate, (this.windowCount * 1000) / elapsed);
    return this.lastRate;
  }

  private countArrival(): void {
    const now = performance.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= RATE_WINDOW_MS) {
      this.lastRate = elapsed > 2 * RATE_WINDOW_MS ? 0 : (this.windowCount * 1000) / elapsed;
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount++;
  }

  /** Updates received and not yet committed (waiting for, or in, an INSERT, or in a `storeWith` transaction). */
  get storing(): number {
    return this.queue.length + (this.flushing || this.scheduled ? 1 : 0) + this.transactions;
  }

  /** `storeWith` transactions open now. */
  private transactions = 0;

  /**
   * Stores one update together with other rows, in one transaction: both exist or neither (a web
   * chat photo and the update that hands it to the conversation). `prepare` runs inside the
   * transaction once the update's key is known to be new; it writes its rows and returns the update
   * to store, or "refused" (nothing more is stored; what it wrote commits). Counted like `store`
   * (arrival rate, `storing`, received / deduplicated metrics) and handed to the worker after commit.
   */
  async storeWith(key: { channel: string; updateKey: string }, prepare: (tx: Tx) => Promise<IncomingUpdate | "refused">): Promise<"stored" | "duplicate" | "refused"> {
    this.countArrival();
    this.transactions++;
    let row: InboxRef | "duplicate" | "refused";
    try {
      row = await this.db.$transaction(async (tx): Promise<InboxRef | "duplicate" | "refused"> => {
        const existing = await tx.inboxUpdate.findUnique({ where: { channel_updateKey: key }, select: { id: true } });
        if (existing) return "duplicate";
        const update = await prepare(tx);
        if (update === "refused") return "refused";
        if (update.channel !== key.channel || update.updateKey !== key.updateKey) throw new Error("storeWith: the prepared update does not have the key it was checked under");
        const now = new Date();
        return tx.inboxUpdate.create({
          data: { ...update, nextAttemptAt: now, receivedAt: now },
          select: { id: true, channel: true, chatKey: true, seq: true },
        });
      });
    } catch (err) {
      // The same update stored concurrently (a retried request): the other one stored it.
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002")) throw err;
      row = "duplicate";
    } finally {
      this.transactions--;
    }
    if (row === "refused") return row;
    if (row === "duplicate") {
      this.metrics.updatesDeduplicated.inc({ channel: key.channel });
      return row;
    }
    this.metrics.updatesReceived.inc({ channel: key.channel });
    this.onStored([row]);
    return "stored";
  }

  /** Resolves once the update is committed ("stored") or known already ("duplicate"). */
  store(update: IncomingUpdate): Promise<"stored" | "duplicate"> {
    this.countArrival();
    return new Promise((resolve, reject) => {
      this.queue.push({ update, resolve, reject });
      this.schedule();
    });
  }

  /** Starts a flush after the requests readable in this event-loop turn have been queued. */
  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.write(batch);
        // Let the requests that became readable meanwhile join the next batch.
        if (this.queue.length > 0 && this.queue.length < MAX_BATCH) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.flushing = false;
    }
  }

  private async write(batch: Waiter[]): Promise<void> {
    // Per request: its new row, or undefined when the update was known already (stored before, or
    // earlier in this batch).
    let rows: Array<InboxRef | undefined>;
    try {
      rows = this.sqlite ? await this.insertSqlite(batch) : await this.insertSql(batch);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    const fresh: InboxRef[] = [];
    // Counted once per channel and batch, not per row.
    const counts = new Map<string, { stored: number; duplicate: number }>();
    for (let i = 0; i < batch.length; i++) {
      const row = rows[i];
      const w = batch[i]!;
      let c = counts.get(w.update.channel);
      if (!c) counts.set(w.update.channel, (c = { stored: 0, duplicate: 0 }));
      if (row) {
        fresh.push(row);
        c.stored++;
        w.resolve("stored");
      } else {
        c.duplicate++;
        w.resolve("duplicate");
      }
    }
    for (const [channel, c] of counts) {
      if (c.stored) this.metrics.updatesReceived.inc({ channel }, c.stored);
      if (c.duplicate) this.metrics.updatesDeduplicated.inc({ channel }, c.duplicate);
    }
    if (fresh.length) this.onStored(fresh);
  }

  /** One multi-row INSERT through Prisma (PostgreSQL). */
  private async insertSql(batch: Waiter[]): Promise<Array<InboxRef | undefined>> {
    const now = new Date();
    const unique = new Map<string, IncomingUpdate>();
    for (const w of batch) unique.set(keyOf(w.update), w.update);
    const values = [...unique.values()].map((u) => Prisma.sql`(${u.channel}, ${u.updateKey}, ${u.chatKey}, ${u.seq}, ${u.payload}, ${now}, ${now})`);
    const inserted = await this.db.$queryRaw<InsertedRow[]>`
      INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload", "nextAttemptAt", "receivedAt")
      VALUES ${Prisma.join(values)}
      ON CONFLICT ("channel", "updateKey") DO NOTHING
      RETURNING "id", "channel", "updateKey", "chatKey", "seq"`;
    const fresh = new Map(inserted.map((r) => [keyOf(r), r]));
    // The first request with a new key gets its row; repeats of it (in this batch) are duplicates.
    return batch.map((w) => {
      const key = keyOf(w.update);
      const r = fresh.get(key);
      if (!r) return undefined;
      fresh.delete(key);
      return { id: Number(r.id), channel: r.channel, chatKey: r.chatKey, seq: BigInt(r.seq) };
    });
  }

  /** The batch's transaction on the raw SQLite connection (see insertSqlite), made once. */
  private sqliteInsert?: (batch: Waiter[], at: string) => Array<InboxRef | undefined>;

  /**
   * SQLite: one prepared single-row INSERT per update (prepared once, kept) inside one IMMEDIATE
   * transaction on the raw connection — the same rows and encoding Prisma writes (DateTime as ISO
   * 8601 with "+00:00"), without its per-query cost, which dominated the acknowledgement path. A
   * new row's id is `lastInsertRowid`; a known key changes nothing (`ON CONFLICT DO NOTHING`,
   * 0 changes). better-sqlite3 binds and runs a statement in ~1 µs, so this costs less than the
   * multi-row statements with RETURNING used before (no argument arrays, no result rows to read).
   */
  private insertSqlite(batch: Waiter[]): Promise<Array<InboxRef | undefined>> {
    const sqlite = this.sqlite!;
    const at = new Date().toISOString().replace("Z", "+00:00");
    return sqlite.run((raw) => {
      if (!this.sqliteInsert) {
        const insert = sqlite.statement(SQLITE_INSERT);
        this.sqliteInsert = raw.transaction((rows: Waiter[], when: string) => {
          const out = new Array<InboxRef | undefined>(rows.length);
          const seen = rows.length > 1 ? new Set<string>() : undefined;
          for (let i = 0; i < rows.length; i++) {
            const u = rows[i]!.update;
            if (seen) {
              const key = keyOf(u);
              if (seen.has(key)) continue; // a repeat within the batch: a duplicate
              seen.add(key);
            }
            const result = insert.run(u.channel, u.updateKey, u.chatKey, u.seq, u.payload, when, when);
            if (result.changes > 0) out[i] = { id: Number(result.lastInsertRowid), channel: u.channel, chatKey: u.chatKey, seq: u.seq };
          }
          return out;
        }).immediate;
      }
      return this.sqliteInsert(batch, at);
    });
  }
}

const keyOf = (u: { channel: string; updateKey: string }): string => `${u.channel}\u0000${u.updateKey}`;

const SQLITE_INSERT = `INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload", "nextAttemptAt", "receivedAt")
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT ("channel", "updateKey") DO NOTHING`;

interface InsertedRow {
  id: number | bigint;
  channel: string;
  updateKey: string;
  chatKey: string;
  seq: bigint;
}
