import { Prisma, type Db } from "../db/client.ts";
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

  constructor(
    private readonly db: Db,
    private readonly metrics: Metrics,
    /** Told about every newly stored row, after commit. */
    private readonly onStored: (rows: InboxRef[]) => void,
  ) {}

  /** Resolves once the update is committed ("stored") or known already ("duplicate"). */
  store(update: IncomingUpdate): Promise<"stored" | "duplicate"> {
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
    const values = [...unique.values()].map(
      (u) => Prisma.sql`(${u.channel}, ${u.updateKey}, ${u.chatKey}, ${u.seq}, ${u.payload}, ${now}, ${now})`,
    );
    let inserted: Array<{ id: number; channel: string; updateKey: string; chatKey: string; seq: bigint }>;
    try {
      inserted = await this.db.$queryRaw`
        INSERT INTO "InboxUpdate" ("channel", "updateKey", "chatKey", "seq", "payload", "nextAttemptAt", "receivedAt")
        VALUES ${Prisma.join(values)}
        ON CONFLICT ("channel", "updateKey") DO NOTHING
        RETURNING "id", "channel", "updateKey", "chatKey", "seq"`;
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
}
