import { Prisma, sqliteConnection, type Db, type SqliteConnection } from "../db/client.ts";
import { readDate, sqliteDate } from "../db/hot.ts";
import { pgQueryOf } from "../db/hotPg.ts";

/**
 * Calls the platforms do not count against a chat's message limits. They go in a lane of their own
 * (see the sender's laneKey): an answer to a button press must not wait behind the group's card
 * edits, which Telegram lets out at 20 a minute, or the presser's button keeps spinning.
 */
export const NOT_CHAT_LIMITED: ReadonlySet<string> = new Set(["answerCallbackQuery"]);

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
  /**
   * PostgreSQL (several instances): whether an older row of the same lane (the chat's calls that
   * count against its limits, or those that do not) is pending — the sender may hear of a chat's
   * rows in any order. Undefined on SQLite, where one process records and sends in order.
   */
  older?: boolean;
}

/** Rows per statement: well under SQLite's and PostgreSQL's parameter limits (a row takes up to 3). */
const CHUNK = 500;


/** The row columns read, and the chat's (SQLite: the ids as one JSON array parameter, so the statement text never changes). */
const SELECT_ROWS = `SELECT o."id", o."channel", o."chatId", o."method", o."payload", o."priority", o."sensitive", o."status", o."attempts",
  o."rateLimitedCount", o."nextAttemptAt", o."bulkPaid", c."platformChatId", c."kind", c."unreachableAt"
  FROM "OutboxMessage" o JOIN "Chat" c ON c."id" = o."chatId"`;
const SQLITE_READ = `${SELECT_ROWS} WHERE o."id" IN (SELECT value FROM json_each(?))`;
/** The lane of a call: those not counted against the chat, or the others. */
const fastLane = (alias: string) => `${alias}."method" IN (${[...NOT_CHAT_LIMITED].map((m) => `'${m}'`).join(", ")})`;
/** PostgreSQL: the rows (ids as one array parameter) and whether an older row of each one's lane is pending. */
const PG_READ =
  `${SELECT_ROWS.replace(" FROM ", `, EXISTS (SELECT 1 FROM "OutboxMessage" p WHERE p."chatId" = o."chatId" AND p."status" = 'pending' AND p."id" < o."id" AND (${fastLane("p")}) = (${fastLane("o")})) AS "older" FROM `)}` +
  ` WHERE o."id" = ANY(?::int[])`;
/** PostgreSQL: the delivered rows as three arrays (id, platform message id, final payload or null). */
const PG_SENT = `UPDATE "OutboxMessage" o SET "status" = 'sent', "attempts" = o."attempts" + 1, "sentAt" = ?, "lastError" = NULL,
  "platformMessageId" = j."mid", "payload" = COALESCE(j."payload", o."payload")
  FROM unnest(?::int[], ?::text[], ?::text[]) AS j("id", "mid", "payload") WHERE o."id" = j."id"`;
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
  older?: boolean;
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
    nextAttemptAt: readDate(r.nextAttemptAt)!,
    bulkPaid: Boolean(r.bulkPaid),
    chat: { platformChatId: r.platformChatId, kind: r.kind, unreachableAt: readDate(r.unreachableAt) },
    ...(r.older === undefined ? {} : { older: Boolean(r.older) }),
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
 * Batched reads and writes of outbox rows for the sender's deliveries: a paid broadcast delivers up
 * to 1,000 messages a second, and the answers to button presses go as fast as the presses are
 * processed; one query per message to read its row and one more to record it would cost more than
 * sending it. Rows are read together (one statement for the rows asked for meanwhile, each with its
 * chat) and the delivered ones recorded together (one `UPDATE`); every caller still gets its own row
 * and waits until its own outcome is written, so a message is recorded as sent before the sender
 * counts it done (a crash can repeat only the messages in flight). Raw statements: on SQLite on its
 * connection, on PostgreSQL prepared on the pool — Prisma's per-query cost is most of a small batch's.
 */
export class OutboxBatches {
  private readonly reads: Coalescer<number, null, SenderRow | null>;
  private readonly sent: Coalescer<number, SentRecord, void>;

  /** SQLite: statements on the raw connection (Prisma's per-query cost is most of a small batch's). */
  private readonly sqlite?: SqliteConnection;
  /** PostgreSQL: prepared statements on the pool. */
  private readonly pg?: ReturnType<typeof pgQueryOf>;

  constructor(private readonly db: Db) {
    this.sqlite = sqliteConnection(db);
    this.pg = pgQueryOf(db);
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
    const pg = this.pg;
    if (pg) {
      for (const r of (await pg<RawRow>(PG_READ, [ids])).rows) found.set(Number(r.id), senderRow(r));
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
      await sqlite.run(() => sqlite.statement(SQLITE_SENT).run(sqliteDate(now), json));
      return;
    }
    const pg = this.pg;
    if (pg) {
      await pg(PG_SENT, [sqliteDate(now), all.map(([id]) => id), all.map(([, r]) => r.platformMessageId), all.map(([, r]) => r.payload ?? null)]);
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
