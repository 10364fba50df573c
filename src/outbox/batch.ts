import { Prisma, sqliteConnection, type Db, type SqliteConnection } from "../db/client.ts";

/** An outbox row as the sender reads it before a delivery, with the fields of its chat it needs. */
export interface SenderRow {
  id: number;
  channel: string;
  chatId: string;
  method: string;
  payload: string;
  priority: number;
  sensitive: boolean;
  status: string;
  attempts: number;
  rateLimitedCount: number;
  nextAttemptAt: Date;
  bulkPaid: boolean;
  chat: { platformChatId: string; kind: string; unreachableAt: Date | null };
}

/** Rows per statement: well under SQLite's and PostgreSQL's parameter limits (a row takes up to 3). */
const CHUNK = 500;

/** A DateTime as the Prisma SQLite adapter stores it (ISO 8601, "+00:00"). */
const sqliteTime = (d: Date) => d.toISOString().replace("Z", "+00:00");

/** The row columns read, and the chat's (SQLite: the ids as one JSON array parameter, so the statement text never changes). */
const SELECT_ROWS = `SELECT o."id", o."channel", o."chatId", o."method", o."payload", o."priority", o."sensitive", o."status", o."attempts",
  o."rateLimitedCount", o."nextAttemptAt", o."bulkPaid", c."platformChatId", c."kind", c."unreachableAt"
  FROM "OutboxMessage" o JOIN "Chat" c ON c."id" = o."chatId"`;
const SQLITE_READ = `${SELECT_ROWS} WHERE o."id" IN (SELECT value FROM json_each(?))`;
/** Each element of the JSON parameter: [id, platform message id or null, final payload or null]. */
const SQLITE_SENT = `UPDATE "OutboxMessage" SET "status" = 'sent', "attempts" = "attempts" + 1, "sentAt" = ?, "lastError" = NULL,
  "platformMessageId" = j.value ->> '$[1]', "payload" = COALESCE(j.value ->> '$[2]', "payload")
  FROM json_each(?) j WHERE "OutboxMessage"."id" = j.value ->> '$[0]'`;

type RawRow = Omit<SenderRow, "chat" | "sensitive" | "bulkPaid" | "nextAttemptAt"> & {
  sensitive: boolean | number;
  bulkPaid: boolean | number;
  nextAttemptAt: Date | string;
  platformChatId: string;
  kind: string;
  unreachableAt: Date | string | null;
};

function senderRow(r: RawRow): SenderRow {
  return {
    id: Number(r.id),
    channel: r.channel,
    chatId: r.chatId,
    method: r.method,
    payload: r.payload,
    priority: Number(r.priority),
    sensitive: Boolean(r.sensitive),
    status: r.status,
    attempts: Number(r.attempts),
    rateLimitedCount: Number(r.rateLimitedCount),
    nextAttemptAt: new Date(r.nextAttemptAt),
    bulkPaid: Boolean(r.bulkPaid),
    chat: { platformChatId: r.platformChatId, kind: r.kind, unreachableAt: r.unreachableAt === null ? null : new Date(r.unreachableAt) },
  };
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

/**
 * Coalesces calls made while a batch is being written or read into the next batch: one statement
 * for many rows instead of one each. Only one batch runs at a time; calls arriving meanwhile form
 * the next one, so batches grow with the load and a lone call waits for nothing but its own query.
 */
class Coalescer<K, V, R> {
  private queued = new Map<K, { value: V; waiters: Array<Waiter<R>> }>();
  private running = false;
  private scheduled = false;

  constructor(private readonly run: (batch: Map<K, V>) => Promise<Map<K, R>>) {}

  /** Adds `key` (with `value`; a later value for a queued key replaces it) to the next batch. */
  add(key: K, value: V): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const entry = this.queued.get(key);
      if (entry) {
        entry.value = value;
        entry.waiters.push({ resolve, reject });
      } else this.queued.set(key, { value, waiters: [{ resolve, reject }] });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // Every call made in this turn of the event loop (e.g. the platform's answers read together) joins.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.queued.size === 0) return;
    this.running = true;
    const batch = this.queued;
    this.queued = new Map();
    try {
      const results = await this.run(new Map([...batch].map(([k, e]) => [k, e.value])));
      for (const [key, entry] of batch) for (const w of entry.waiters) w.resolve(results.get(key) as R);
    } catch (err) {
      for (const entry of batch.values()) for (const w of entry.waiters) w.reject(err);
    } finally {
      this.running = false;
      if (this.queued.size) this.schedule();
    }
  }
}

/** What a delivered row is written with: the platform's message id, and its payload when that changes (scrubbed). */
export interface SentRecord {
  platformMessageId: string | null;
  payload?: string;
}

/**
 * Batched reads and writes of outbox rows for the sender's bulk deliveries (campaign messages):
 * a paid broadcast delivers up to 1,000 messages a second, and one query per message to read its row
 * and one more to record it would cost more than sending it. Rows are read together
 * (`SELECT … WHERE id IN (…)`) and the delivered ones recorded together (one `UPDATE … WHERE id IN
 * (…)`); every caller still gets its own row and waits until its own outcome is written, so a
 * message is recorded as sent before the sender counts it done (a crash can repeat only the messages
 * in flight, as before).
 */
export class OutboxBatches {
  private readonly reads: Coalescer<number, null, SenderRow | null>;
  private readonly sent: Coalescer<number, SentRecord, void>;

  /** SQLite: statements on the raw connection (Prisma's per-query cost is most of a small batch's). */
  private readonly sqlite?: SqliteConnection;

  constructor(private readonly db: Db) {
    this.sqlite = sqliteConnection(db);
    this.reads = new Coalescer((batch) => this.readRows([...batch.keys()]));
    this.sent = new Coalescer(async (batch) => {
      await this.writeSent(batch);
      return new Map();
    });
  }

  /** The pending row `id` with its chat (null when it is gone), read together with the other rows asked for now. */
  load(id: number): Promise<SenderRow | null> {
    return this.reads.add(id, null);
  }

  /** Records row `id` as sent (attempts + 1, sent now, no error), together with the other rows delivered now. */
  markSent(id: number, record: SentRecord): Promise<void> {
    return this.sent.add(id, record);
  }

  private async readRows(ids: number[]): Promise<Map<number, SenderRow | null>> {
    const found = new Map<number, SenderRow | null>(ids.map((id) => [id, null]));
    const sqlite = this.sqlite;
    if (sqlite) {
      const rows = await sqlite.run(() => sqlite.statement(SQLITE_READ).all(JSON.stringify(ids)) as RawRow[]);
      for (const r of rows) found.set(Number(r.id), senderRow(r));
      return found;
    }
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.db.$queryRaw<RawRow[]>(Prisma.sql`${Prisma.raw(SELECT_ROWS)} WHERE o."id" IN (${Prisma.join(ids.slice(i, i + CHUNK))})`);
      for (const r of rows) found.set(Number(r.id), senderRow(r));
    }
    return found;
  }

  private async writeSent(batch: Map<number, SentRecord>): Promise<void> {
    const now = new Date();
    const all = [...batch];
    const sqlite = this.sqlite;
    if (sqlite) {
      const json = JSON.stringify(all.map(([id, r]) => [id, r.platformMessageId, r.payload ?? null]));
      await sqlite.run(() => sqlite.statement(SQLITE_SENT).run(sqliteTime(now), json));
      return;
    }
    for (let i = 0; i < all.length; i += CHUNK) {
      const rows = all.slice(i, i + CHUNK);
      const ids = Prisma.join(rows.map(([id]) => id));
      const withId = rows.filter(([, r]) => r.platformMessageId !== null);
      const scrubbed = rows.filter(([, r]) => r.payload !== undefined);
      const messageId = withId.length
        ? Prisma.sql`CASE "id" ${Prisma.join(withId.map(([id, r]) => Prisma.sql`WHEN ${id} THEN ${r.platformMessageId}`), " ")} ELSE NULL END`
        : Prisma.sql`NULL`;
      const payload = scrubbed.length
        ? Prisma.sql`, "payload" = CASE "id" ${Prisma.join(scrubbed.map(([id, r]) => Prisma.sql`WHEN ${id} THEN ${r.payload}`), " ")} ELSE "payload" END`
        : Prisma.empty;
      await this.db.$executeRaw(Prisma.sql`
        UPDATE "OutboxMessage"
        SET "status" = 'sent', "attempts" = "attempts" + 1, "sentAt" = ${now}, "lastError" = NULL, "platformMessageId" = ${messageId}${payload}
        WHERE "id" IN (${ids})`);
    }
  }
}
