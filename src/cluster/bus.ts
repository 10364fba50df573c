import pg from "pg";
import type { Db, Tx } from "../db/client.ts";
import { pgQueryOf } from "../db/hotPg.ts";
import type { Logger } from "../logger.ts";

/**
 * Topics on the bus. Every message is small JSON (PostgreSQL caps a notification at 8,000 bytes):
 * ids, never message text.
 * - `outbox.wake` `{ refs }`: outbox rows recorded by an instance that is not the channel's sender.
 * - `web.message` `{ c, id, ack? }`: web chat message `id` for the pages of chat `c` open on other instances.
 * - `web.ack` `{ ack }`: a page received the one-time secret the sender waits for.
 * - `tips.changed` `{ tipId, action }`: a tip changed (an audit event naming a tip was committed).
 *   On PostgreSQL a trigger on "AuditEvent" sends it at commit, whoever wrote it (bot, console,
 *   CLI); on SQLite the bus reads new audit events once a second while someone listens. For the
 *   console's live queue: `app.bus.subscribe(TOPICS.tipsChanged, …)`.
 * - `bus.reconnected` (local only): the PostgreSQL listener was re-established; messages may have
 *   been missed meanwhile, subscribers catch up from the database.
 */
export const TOPICS = {
  outboxWake: "outbox.wake",
  webMessage: "web.message",
  webAck: "web.ack",
  tipsChanged: "tips.changed",
  reconnected: "bus.reconnected",
} as const;

/** The PostgreSQL notification channel of the bus (one per database). */
export const BUS_CHANNEL = "taimat_bus";

/** A message as delivered: its topic, its body and the instance that sent it. */
export interface BusMessage {
  topic: string;
  body: unknown;
  /** The sending instance's holder id (`undefined`: the database itself, e.g. the tips trigger). */
  origin?: string;
}

/**
 * Messages between the instances of one deployment: in-process on SQLite (one instance), over
 * PostgreSQL `LISTEN/NOTIFY` otherwise. Delivery is at most once and only to instances listening
 * at the time; subscribers keep the database as the truth and use the bus to learn sooner.
 */
export interface Bus {
  /** This instance's id (the `origin` of what it publishes). */
  readonly origin: string;
  /** Sends to every instance, this one included. With `tx` (PostgreSQL), delivered when the transaction commits. */
  publish(topic: string, body: unknown, tx?: Tx): Promise<void>;
  /** Calls `handler` for each message on `topic`; returns the function that stops it. */
  subscribe(topic: string, handler: (message: BusMessage) => void): () => void;
  close(): Promise<void>;
}

class Handlers {
  private readonly byTopic = new Map<string, Set<(m: BusMessage) => void>>();

  add(topic: string, handler: (m: BusMessage) => void): () => void {
    let set = this.byTopic.get(topic);
    if (!set) this.byTopic.set(topic, (set = new Set()));
    set.add(handler);
    return () => void set.delete(handler);
  }

  has(topic: string): boolean {
    return (this.byTopic.get(topic)?.size ?? 0) > 0;
  }

  emit(message: BusMessage, log: Logger): void {
    for (const handler of [...(this.byTopic.get(message.topic) ?? [])]) {
      try {
        handler(message);
      } catch (err) {
        log.error({ err, topic: message.topic }, "bus subscriber failed");
      }
    }
  }
}

/** How often the SQLite bus looks for new audit events naming a tip (only while `tips.changed` has subscribers). */
const TIPS_POLL_MS = 1_000;

/** One instance (SQLite): messages are handed to subscribers on the next turn of the event loop. */
export class LocalBus implements Bus {
  private readonly handlers = new Handlers();
  private tipsTimer?: NodeJS.Timeout;
  private lastAuditId?: number;

  constructor(
    readonly origin: string,
    private readonly log: Logger,
    private readonly db?: Db,
  ) {}

  async publish(topic: string, body: unknown): Promise<void> {
    const message: BusMessage = { topic, body, origin: this.origin };
    setImmediate(() => this.handlers.emit(message, this.log));
  }

  subscribe(topic: string, handler: (message: BusMessage) => void): () => void {
    const off = this.handlers.add(topic, handler);
    if (topic === TOPICS.tipsChanged) this.watchTips();
    return off;
  }

  /** Audit events are the one record of every change to a tip: new ones naming a tip become `tips.changed`. */
  private watchTips(): void {
    if (this.tipsTimer || !this.db) return;
    const db = this.db;
    const poll = async () => {
      if (!this.handlers.has(TOPICS.tipsChanged)) return;
      if (this.lastAuditId === undefined) {
        this.lastAuditId = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))?.id ?? 0;
        return;
      }
      const events = await db.auditEvent.findMany({ where: { id: { gt: this.lastAuditId } }, orderBy: { id: "asc" }, take: 500, select: { id: true, tipId: true, action: true } });
      for (const e of events) {
        this.lastAuditId = e.id;
        if (e.tipId) this.handlers.emit({ topic: TOPICS.tipsChanged, body: { tipId: e.tipId, action: e.action } }, this.log);
      }
    };
    void poll().catch(() => {});
    this.tipsTimer = setInterval(() => void poll().catch((err: unknown) => this.log.warn({ err }, "bus: reading tip changes failed")), TIPS_POLL_MS);
    this.tipsTimer.unref();
  }

  async close(): Promise<void> {
    if (this.tipsTimer) clearInterval(this.tipsTimer);
  }
}

/**
 * Several instances (PostgreSQL): `NOTIFY taimat_bus` carries `{ t: topic, m: body, o: origin }`;
 * each instance keeps one dedicated connection that LISTENs, reconnecting (with a growing pause, at
 * most 5 s) when it drops, and then tells its subscribers (`bus.reconnected`) so they catch up.
 */
export class PgBus implements Bus {
  private readonly handlers = new Handlers();
  private client?: pg.Client;
  private closed = false;
  private retryMs = 200;
  private retryTimer?: NodeJS.Timeout;
  private connected = false;

  constructor(
    readonly origin: string,
    private readonly opts: { url: string; db: Db; log: Logger },
  ) {}

  /** Opens the listening connection (resolves once listening; later drops reconnect on their own). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.url, keepAlive: true });
    client.on("notification", (n) => {
      if (n.channel !== BUS_CHANNEL || !n.payload) return;
      let parsed: { t?: unknown; m?: unknown; o?: unknown };
      try {
        parsed = JSON.parse(n.payload) as typeof parsed;
      } catch {
        return;
      }
      if (typeof parsed.t !== "string") return;
      this.handlers.emit({ topic: parsed.t, body: parsed.m, origin: typeof parsed.o === "string" ? parsed.o : undefined }, this.opts.log);
    });
    const lost = (err?: unknown) => {
      if (this.client !== client) return;
      this.client = undefined;
      const wasConnected = this.connected;
      this.connected = false;
      client.removeAllListeners("end");
      client.end().catch(() => {});
      if (this.closed) return;
      if (wasConnected) this.opts.log.warn({ err }, "bus: listening connection lost; reconnecting");
      this.retryTimer = setTimeout(() => void this.connect().catch(() => {}), this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(5_000, this.retryMs * 2);
    };
    client.on("error", lost);
    client.on("end", () => lost());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${BUS_CHANNEL}`);
    } catch (err) {
      lost(err);
      throw err;
    }
    const again = this.retryMs > 200;
    this.connected = true;
    this.retryMs = 200;
    if (again) {
      this.opts.log.info("bus: listening again");
      this.handlers.emit({ topic: TOPICS.reconnected, body: {}, origin: this.origin }, this.opts.log);
    }
  }

  async publish(topic: string, body: unknown, tx?: Tx): Promise<void> {
    const payload = JSON.stringify({ t: topic, m: body, o: this.origin });
    if (Buffer.byteLength(payload) > 7_900) throw new Error(`bus message on ${topic} too large (${payload.length} characters)`);
    const sql = `SELECT pg_notify('${BUS_CHANNEL}', $1)`;
    // Outside a transaction straight on the pool (a prepared statement, without Prisma's per-query cost: the outbox wakes are frequent).
    const raw = tx ? undefined : pgQueryOf(this.opts.db);
    if (raw) await raw(sql, [payload]);
    else await (tx ?? this.opts.db).$executeRawUnsafe(sql, payload);
  }

  subscribe(topic: string, handler: (message: BusMessage) => void): () => void {
    return this.handlers.add(topic, handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
