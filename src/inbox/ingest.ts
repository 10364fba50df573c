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
const MAX_BATCH = 500; // 7 parameters a row, well under SQLite's 32,766

/**
 * Stores incoming updates durably before they are acknowledged. Concurrent requests are written
 * together (group commit): a write starts on the next `setImmediate`, after every request already
 * readable in this turn of the event loop has been parsed and queued, and while one INSERT is
 * running the next batch gathers. So under load many updates share one INSERT, and no request
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
    const now = new Date();
    const unique = new Map<string, IncomingUpdate>();
    for (const w of batch) unique.set(`${w.update.channel}\u0000${w.update.updateKey}`, w.update);
    let inserted: InsertedRow[];
    try {
      inserted = this.sqlite ? await this.insertSqlite([...unique.values()], now) : await this.insertSql([...unique.values()], now);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    const fresh = new Set(inserted.map((r) => `${r.channel}\u0000${r.updateKey}`));
    const claimed = new Set<string>();
    for (const w of batch) {
      const key = `${w.update.channel}\u0000${w.update.updateKey}`;
      if (fresh.has(key) && !claimed.has(key)) {
        claimed.add(key);
        this.metrics.updatesReceived.inc({ channel: w.update.channel });
        w.resolve("stored");
      } else {
        this.metrics.updatesDeduplicated.inc({ channel: w.update.channel });
        w.resolve("duplicate");
      }
    }
    if (inserted.length) {
      this.onStored(inserted.map((r) => ({ id: Number(r.id), channel: r.channel, chatKey: r.chatKey, seq: BigInt(r.seq) })));
    }
  }

  /** One multi-row INSERT through Prisma (PostgreSQL). */
  private insertSql(updates: IncomingUpdate[], now: Date): Promise<InsertedRow[]> {
    const values = updates.map((u) => Prisma.sql`(${u.channel}, ${u.updateKey}, ${u.chatKey}, ${u.seq}, ${u.payload}, ${now}, ${now})`);
    return this.db.$queryRaw<InsertedRow[]>`
      INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload", "nextAttemptAt", "receivedAt")
      VALUES ${Prisma.join(values)}
      ON CONFLICT ("channel", "updateKey") DO NOTHING
      RETURNING "id", "channel", "updateKey", "chatKey", "seq"`;
  }

  /**
   * SQLite: multi-row prepared INSERTs (chunks of 64, 16, 4 and 1 rows, each statement prepared
   * once) inside one transaction on the raw connection — the same rows and encoding Prisma writes
   * (DateTime as ISO 8601 with "+00:00"), without its per-query cost, which dominated the
   * acknowledgement path.
   */
  private insertSqlite(updates: IncomingUpdate[], now: Date): Promise<InsertedRow[]> {
    const sqlite = this.sqlite!;
    const at = now.toISOString().replace("Z", "+00:00");
    return sqlite.run((raw) => {
      const inserted: InsertedRow[] = [];
      raw.transaction(() => {
        let i = 0;
        while (i < updates.length) {
          const size = SQLITE_CHUNKS.find((n) => n <= updates.length - i)!;
          const sql = SQLITE_INSERTS.get(size)!;
          const args: unknown[] = [];
          for (const u of updates.slice(i, i + size)) args.push(u.channel, u.updateKey, u.chatKey, u.seq, u.payload, at, at);
          const rows = sqlite.statement(sql).all(args) as Array<{ id: bigint; channel: string; updateKey: string; chatKey: string; seq: bigint }>;
          for (const r of rows) inserted.push({ id: Number(r.id), channel: r.channel, updateKey: r.updateKey, chatKey: r.chatKey, seq: BigInt(r.seq) });
          i += size;
        }
      }).immediate();
      return inserted;
    });
  }
}

const SQLITE_CHUNKS = [64, 16, 4, 1];
/** The INSERT for each chunk size. */
const SQLITE_INSERTS = new Map(
  SQLITE_CHUNKS.map((rows) => [
    rows,
    `INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload", "nextAttemptAt", "receivedAt")
      VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}
      ON CONFLICT ("channel", "updateKey") DO NOTHING
      RETURNING "id", "channel", "updateKey", "chatKey", "seq"`,
  ]),
);

interface InsertedRow {
  id: number | bigint;
  channel: string;
  updateKey: string;
  chatKey: string;
  seq: bigint;
}
