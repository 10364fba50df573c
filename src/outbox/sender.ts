import type { Db, Tx } from "../db/client.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { ChatKind, PlatformLimiter } from "./limiter.ts";
import { PRIORITY_BULK, type OutboundCall, type OutboxRef } from "./outbound.ts";
import { NOT_CHAT_LIMITED, OutboxBatches, type SenderRow } from "./batch.ts";
import { secretRedactor, type Redactor } from "../security/redact.ts";
import type { WorkerActivity } from "../inbox/worker.ts";

/** What a platform answered to one call, as the outbox needs to know it. */
export type SendOutcome =
  | { kind: "sent"; messageId?: string }
  /** 429: wait (retryAfterMs when the platform said how long) and resend. */
  | { kind: "rate_limited"; retryAfterMs?: number; reason: string }
  /** The person blocked the bot (Telegram 403): stop sending to the chat. */
  | { kind: "blocked"; reason: string }
  /** The group became a supergroup: re-key the chat and resend. */
  | { kind: "migrated"; newChatId: string }
  /** The platform refused this call (400 and the like): record and skip. */
  | { kind: "rejected"; reason: string }
  /** 5xx or network trouble: retry with backoff, a bounded number of times. */
  | { kind: "transient"; reason: string };

/** Sends one call to one chat on one platform. Implemented by each channel. */
export interface ChannelSender {
  send(chat: { platformChatId: string; kind: ChatKind }, call: OutboundCall): Promise<SendOutcome>;
}

/** A platform the outbox can deliver to: its sender and its limiter. */
export interface OutboxChannel {
  sender: ChannelSender;
  limiter: PlatformLimiter;
  /**
   * What a finished message to a person keeps of its payload (e.g. the web chat, whose outbox rows
   * are the page's history, keeps it sealed). Without it the payload is replaced by a marker.
   */
  keepDelivered?: (payload: string) => string;
}

export interface OutboxSenderOptions {
  db: Db;
  channels: Partial<Record<string, OutboxChannel>>;
  maxAttempts: number;
  metrics: Metrics;
  log: Logger;
  /** Give up on a message after this many 429s in a row. */
  maxRateLimited?: number;
  /** Runs in the same transaction that marks a chat unreachable (e.g. a block counts as opting out of campaigns). */
  onBlocked?: (tx: Tx, chatId: string) => Promise<void>;
  /** Applied to every error stored on a row (platform errors may name the API URL, token included). */
  redact?: Redactor;
  /**
   * Several instances (PostgreSQL, see src/cluster/): each channel is sent by one elected instance.
   * `sends(channel)`: this instance holds the channel's sender lease; rows of the other channels
   * are handed to `elsewhere` (which wakes their sender) instead of being delivered here.
   */
  cluster?: { sends(channel: string): boolean; elsewhere(refs: OutboxRef[]): void };
}

interface ChatQueue {
  /** Our chat id (a chat may have two lanes, see laneKey). */
  chatId: string;
  channel: string;
  /** The lane of calls not counted against the chat (answers to button presses): never parked. */
  fast: boolean;
  ids: number[];
  busy: boolean;
  /** Waiting for one of its channel's delivery slots (see MAX_IN_FLIGHT_PER_CHANNEL). */
  parked?: boolean;
  timer?: NodeJS.Timeout;
}

const MAX_BACKOFF_MS = 5 * 60_000;
/**
 * Chats of one channel delivered at once. Every delivery reads and writes the database (one
 * connection on SQLite, first come first served): without a cap, a burst of replies on one channel
 * (a web chat flood) would queue hundreds of statements ahead of a Telegram resident's reply.
 */
const MAX_IN_FLIGHT_PER_CHANNEL = 16;
/**
 * Paid bulk messages of one channel delivered at once, apart from the slots above (a paid broadcast
 * goes at up to 1,000 a second: with 16 at a time, each waiting for its platform's answer, it could
 * not). Their rows are read and recorded in batches (see OutboxBatches), so many in flight cost few
 * statements. A crash can repeat at most this many messages the platform had accepted.
 */
const MAX_IN_FLIGHT_PAID = 256;
/** The queue a row waits in: its chat's, or its chat's lane of calls that are not chat-limited. */
const laneKey = (chatId: string, method: string | undefined) => (method !== undefined && NOT_CHAT_LIMITED.has(method) ? `${chatId}\u0000fast` : chatId);
/** What a message's payload becomes once it has left (or will never leave), when nothing is kept of it. */
export const SCRUBBED = JSON.stringify({ scrubbed: true });
/** Several instances: how long a newly elected sender waits before its first call (platforms count their limits per second). */
const HAND_OVER_PAUSE_MS = 1_000;
/** What a call handed to the limiter returns when its instance stopped being the channel's sender meanwhile. */
const HANDED_OVER = Symbol("handed over");
/** Longest error text stored on a row. */
const MAX_ERROR_CHARS = 2_000;

/** A row as the sender reads it, with its chat. */
interface RowWithChat {
  channel: string;
  payload: string;
  priority: number;
  sensitive: boolean;
  chat: { kind: string };
}

/**
 * Delivers the outbox: one message at a time per chat, in the order recorded, through each
 * platform's limiter; every outcome is written back to the row. Pending rows survive a crash and
 * are delivered after restart (a message can be sent twice only if the process died between the
 * platform accepting it and us recording that).
 */
export class OutboxSender {
  private readonly queues = new Map<string, ChatQueue>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private pending = 0;
  /** Deliveries in flight per channel, and the chats waiting for a slot (in order). */
  private readonly channelBusy = new Map<string, number>();
  private readonly channelWaiting = new Map<string, string[]>();
  /** Bulk rows (campaign messages) waiting or in flight: true for paid ones (their own delivery slots). */
  private readonly bulk = new Map<number, boolean>();
  private readonly batches: OutboxBatches;
  /** Several instances: a channel just taken over is not sent to before this time (see takeOver). */
  private readonly resumeAt = new Map<string, number>();

  private readonly redact: Redactor;

  constructor(private readonly opts: OutboxSenderOptions) {
    this.redact = opts.redact ?? secretRedactor([]);
    this.batches = new OutboxBatches(opts.db);
  }

  /** An error as it may be stored: secrets redacted, bounded. */
  private errorText(reason: string): string {
    return this.redact(reason).slice(0, MAX_ERROR_CHARS);
  }

  /**
   * What a finished row (sent, failed, blocked) keeps of its payload; undefined: the payload stays.
   * A secret (code and PIN) keeps nothing. A message to a person's private chat — a resident's
   * replies, notices and relayed questions, which name their tip, or an officer's private copy — is
   * scrubbed (or kept sealed by a channel that needs it, the web chat's history), so that a reader of
   * the database cannot join a chat (a platform id) to a tip through the outbox. Messages in groups
   * (officers' cards, which later edits refer to by message id) and bulk campaign messages (the same
   * public text for every subscriber) stay as they are.
   */
  private finalPayload(row: RowWithChat): string | undefined {
    if (row.sensitive) return SCRUBBED;
    if (row.chat.kind === "group" || row.priority <= PRIORITY_BULK) return undefined;
    const keep = this.opts.channels[row.channel]?.keepDelivered;
    return keep ? keep(row.payload) : SCRUBBED;
  }

  /** `{ payload }` to write with a row's final status, or nothing when the payload stays. */
  private finalData(row: RowWithChat): { payload?: string } {
    const payload = this.finalPayload(row);
    return payload === undefined ? {} : { payload };
  }

  private sweepTimer?: NodeJS.Timeout;

  /**
   * Loads every pending row from the database and starts delivering; every `sweepMs` the database
   * is checked again for pending rows recorded by another process (e.g. the admin CLI).
   */
  async start(sweepMs = 10_000): Promise<void> {
    await this.loadPending();
    this.sweepTimer = setInterval(() => {
      this.loadPending().catch((err: unknown) => this.opts.log.error({ err }, "outbox sweep failed"));
    }, sweepMs);
    this.sweepTimer.unref?.();
  }

  private async loadPending(only?: string): Promise<void> {
    const cluster = this.opts.cluster;
    const channels = only ? [only] : cluster ? Object.keys(this.opts.channels).filter((c) => cluster.sends(c)) : undefined;
    if (channels && channels.length === 0) return;
    let after = 0;
    for (;;) {
      const rows = await this.opts.db.outboxMessage.findMany({
        where: { status: "pending", id: { gt: after }, ...(channels ? { channel: { in: channels } } : {}) },
        select: { id: true, chatId: true, channel: true, priority: true, method: true, bulkPaid: true },
        orderBy: { id: "asc" },
        take: 5000,
      });
      if (rows.length === 0) break;
      this.notify(rows.filter((r) => !this.queues.get(laneKey(r.chatId, r.method))?.ids.includes(r.id)));
      after = rows[rows.length - 1]!.id;
    }
  }

  /**
   * Several instances: this instance became `channel`'s sender: delivers its pending rows (whoever
   * recorded them; a row the previous sender had in flight when it died may go twice), starting
   * HAND_OVER_PAUSE_MS from now — the previous sender may have sent up to the moment it stopped, and
   * the platform counts its limits per second across both.
   */
  async takeOver(channel: string): Promise<void> {
    this.resumeAt.set(channel, Date.now() + HAND_OVER_PAUSE_MS);
    await this.loadPending(channel);
  }

  /** Several instances: this instance is no longer `channel`'s sender: forgets its queued rows (calls in flight finish). */
  handOver(channel: string): void {
    for (const [key, q] of this.queues) {
      if (q.channel !== channel) continue;
      if (q.timer) clearTimeout(q.timer);
      q.timer = undefined;
      const dropped = q.ids.length - (q.busy ? 1 : 0);
      q.ids.splice(q.busy ? 1 : 0);
      this.pending = Math.max(0, this.pending - dropped);
      if (!q.busy) this.queues.delete(key);
    }
    this.channelWaiting.delete(channel);
    this.opts.metrics.outboxPending.set(this.pending);
  }

  /** Rows announced by another instance (bus): taken only for the channels this instance sends. */
  receive(refs: OutboxRef[]): void {
    const cluster = this.opts.cluster;
    this.notify(cluster ? refs.filter((r) => cluster.sends(r.channel)) : refs);
  }

  /** Hands newly committed rows to the sender. */
  notify(refs: OutboxRef[]): void {
    const cluster = this.opts.cluster;
    if (cluster && refs.some((r) => !cluster.sends(r.channel))) {
      cluster.elsewhere(refs.filter((r) => !cluster.sends(r.channel)));
      refs = refs.filter((r) => cluster.sends(r.channel));
    }
    const touched = new Set<string>();
    for (const ref of refs) {
      const key = laneKey(ref.chatId, ref.method);
      let q = this.queues.get(key);
      if (!q) this.queues.set(key, (q = { chatId: ref.chatId, channel: ref.channel, fast: key !== ref.chatId, ids: [], busy: false }));
      if (q.ids.length === 0 || q.ids[q.ids.length - 1]! < ref.id) q.ids.push(ref.id);
      else if (!q.ids.includes(ref.id)) q.ids.splice(Math.max(q.busy ? 1 : 0, sortedIndex(q.ids, ref.id)), 0, ref.id);
      else continue;
      if (ref.priority <= PRIORITY_BULK) this.bulk.set(ref.id, ref.bulkPaid === true);
      this.pending++;
      touched.add(key);
    }
    this.opts.metrics.outboxPending.set(this.pending);
    for (const key of touched) this.pump(key);
  }

  /** Messages waiting or in flight. */
  get pendingCount(): number {
    return this.pending;
  }

  /**
   * What the sender has to do: deliveries in flight (reading the row, waiting for the platform's
   * limiter, calling the platform, recording the outcome), messages due now (queued behind them or
   * waiting for a delivery slot), and messages whose next attempt is scheduled for later (a backoff,
   * a platform's rate-limit wait, a message waiting for the message it refers to). Messages held by
   * a take-over's pause (a second) are due.
   */
  activity(): WorkerActivity {
    let due = 0;
    let later = 0;
    const now = Date.now();
    for (const q of this.queues.values()) {
      const waiting = q.ids.length - (q.busy ? 1 : 0);
      // A channel just taken over is about to be sent to (see takeOver): due, not later.
      if (q.timer && (this.resumeAt.get(q.channel) ?? 0) <= now) later += waiting;
      else due += waiting;
    }
    return { running: this.inFlight.size, due, later };
  }

  /** Nothing in flight and nothing due now (messages scheduled for later do not count). */
  idle(): boolean {
    const a = this.activity();
    return a.running === 0 && a.due === 0;
  }

  /** Stops taking new work and waits for calls in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const q of this.queues.values()) if (q.timer) clearTimeout(q.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Delivers the next row of a queue (`chatId`: its lane key). */
  private pump(chatId: string): void {
    const q = this.queues.get(chatId);
    if (!q || q.busy || q.timer || q.parked || this.stopping) return;
    const id = q.ids[0];
    if (id === undefined) {
      this.queues.delete(chatId);
      return;
    }
    const paused = (this.resumeAt.get(q.channel) ?? 0) - Date.now();
    if (paused > 0) return this.wait(chatId, q, paused);
    if (q.fast) return this.pumpFast(chatId, q, id);
    const [pool, cap] = this.slotPool(q.channel, id);
    const busy = this.channelBusy.get(pool) ?? 0;
    if (busy >= cap) {
      q.parked = true;
      let waiting = this.channelWaiting.get(pool);
      if (!waiting) this.channelWaiting.set(pool, (waiting = []));
      waiting.push(chatId);
      return;
    }
    this.channelBusy.set(pool, busy + 1);
    q.busy = true;
    const run = this.deliver(chatId, q, id)
      .catch((err: unknown) => {
        this.opts.log.error({ err, outboxId: id }, "outbox delivery crashed; retrying later");
        this.wait(chatId, q, 5_000);
      })
      .finally(() => {
        this.inFlight.delete(run);
        q.busy = false;
        this.channelBusy.set(pool, (this.channelBusy.get(pool) ?? 1) - 1);
        // The slot goes to the chat that waited longest, then this chat queues again behind it.
        this.wakeWaiting(pool, cap);
        this.pump(chatId);
      });
    this.inFlight.add(run);
  }

  /**
   * The slots a delivery of row `id` takes: its channel's, or — a paid bulk message on a platform
   * with a paid pace — the channel's paid slots (their own pool, so a paid broadcast neither waits
   * for nor holds the slots replies need).
   */
  private slotPool(channel: string, id: number): [string, number] {
    if (this.bulk.get(id) && this.opts.channels[channel]?.limiter.hasPaidPace) return [`${channel}\u0000paid`, MAX_IN_FLIGHT_PAID];
    return [channel, MAX_IN_FLIGHT_PER_CHANNEL];
  }

  /** Hands free slots of `pool` to the chats waiting for one, longest waiting first. */
  private wakeWaiting(pool: string, cap: number): void {
    const waiting = this.channelWaiting.get(pool);
    while (waiting?.length && (this.channelBusy.get(pool) ?? 0) < cap) {
      const next = waiting.shift()!;
      const nq = this.queues.get(next);
      if (!nq || !nq.parked) continue;
      nq.parked = false;
      this.pump(next);
      // A chat whose first message changed meanwhile may have gone to another pool: keep handing out.
    }
  }

  /**
   * A lane of calls not counted against the chat: delivered without taking one of the channel's
   * slots (those may all be held by chats waiting for their buckets), so it never waits for them.
   */
  private pumpFast(key: string, q: ChatQueue, id: number): void {
    q.busy = true;
    const run = this.deliver(key, q, id)
      .catch((err: unknown) => {
        this.opts.log.error({ err, outboxId: id }, "outbox delivery crashed; retrying later");
        this.wait(key, q, 5_000);
      })
      .finally(() => {
        this.inFlight.delete(run);
        q.busy = false;
        this.pump(key);
      });
    this.inFlight.add(run);
  }

  private done(q: ChatQueue, id: number): void {
    const at = q.ids.indexOf(id);
    if (at >= 0) q.ids.splice(at, 1);
    this.bulk.delete(id);
    this.pending = Math.max(0, this.pending - 1);
    this.opts.metrics.outboxPending.set(this.pending);
  }

  private wait(chatId: string, q: ChatQueue, ms: number): void {
    if (this.stopping) return;
    q.timer = setTimeout(() => {
      q.timer = undefined;
      this.pump(chatId);
    }, Math.max(0, ms));
    q.timer.unref?.();
  }

  private async deliver(key: string, q: ChatQueue, id: number): Promise<void> {
    const { db, metrics, log } = this.opts;
    // Several instances: an instance that is no longer the channel's sender leaves the row to the new one.
    if (!this.sends(q.channel)) return this.done(q, id);
    // The row is read (and, once delivered, recorded) together with the others in flight.
    const row: SenderRow | null = await this.batches.load(id);
    if (!row || row.status !== "pending") return this.done(q, id);
    // An older row of the lane learnt of while this one was being read goes first.
    if (this.olderQueued(q, id)) return;
    // Several instances: rows are announced by whichever instance recorded them, and announcements
    // can overtake each other; an older pending row of the lane (the read tells) goes first.
    if (this.opts.cluster && row.older !== false && (await this.olderFirst(key, q, row.chatId, id))) return;
    const delay = row.nextAttemptAt.getTime() - Date.now();
    if (delay > 0) return this.wait(key, q, delay);

    const channel = this.opts.channels[row.channel];
    if (!channel) {
      // The platform is not configured (no token): keep the message until it is.
      log.debug({ outboxId: id, channel: row.channel }, "channel not configured; message kept");
      return this.wait(key, q, 60_000);
    }
    if (row.chat.unreachableAt) {
      await db.outboxMessage.update({ where: { id }, data: { status: "blocked", lastError: "chat unreachable", ...this.finalData(row) } });
      metrics.messagesSent.inc({ channel: row.channel, outcome: "blocked" });
      return this.done(q, id);
    }

    const payload = JSON.parse(row.payload) as Record<string, unknown>;
    const resolved = await this.resolveReferences(payload);
    if (resolved === "wait") return this.wait(key, q, 1_000);
    if (resolved === "missing") return this.fail(q, row, "refers to a message that was never delivered");
    const call: OutboundCall = { method: row.method, payload, ...(row.bulkPaid ? { bulkPaid: true } : {}) };
    const kind: ChatKind = row.chat.kind === "group" ? "group" : "private";
    let outcome: SendOutcome;
    try {
      const result = await channel.limiter.schedule<SendOutcome | typeof HANDED_OVER>(
        { key: row.chat.platformChatId, kind },
        row.priority,
        // Several instances: the role may have passed to another instance while the call waited for its turn.
        () => (this.sends(row.channel) ? channel.sender.send({ platformChatId: row.chat.platformChatId, kind }, call) : Promise.resolve(HANDED_OVER)),
        !NOT_CHAT_LIMITED.has(row.method),
        row.bulkPaid,
      );
      if (result === HANDED_OVER) return this.done(q, id);
      outcome = result;
    } catch (err) {
      if (this.stopping) return; // limiter stopped at shutdown: the row stays pending
      outcome = { kind: "transient", reason: String((err as Error)?.message ?? err) };
    }
    metrics.messagesSent.inc({ channel: row.channel, outcome: outcome.kind });

    switch (outcome.kind) {
      case "sent": {
        const payload = this.finalPayload(row);
        await this.batches.markSent(id, { platformMessageId: outcome.messageId ?? null, ...(payload === undefined ? {} : { payload }) });
        return this.done(q, id);
      }
      case "rate_limited": {
        metrics.rateLimited.inc({ channel: row.channel });
        const count = row.rateLimitedCount + 1;
        if (count > (this.opts.maxRateLimited ?? 30)) return this.fail(q, row, `rate limited ${count} times: ${outcome.reason}`);
        const waitMs = outcome.retryAfterMs ?? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(count, 8));
        await db.outboxMessage.update({
          where: { id },
          data: { rateLimitedCount: count, nextAttemptAt: new Date(Date.now() + waitMs), lastError: this.errorText(outcome.reason) },
        });
        log.info({ outboxId: id, channel: row.channel, waitMs }, "rate limited by platform; waiting before resending");
        return this.wait(key, q, waitMs);
      }
      case "blocked": {
        const now = new Date();
        await db.$transaction(async (tx) => {
          await tx.chat.update({ where: { id: q.chatId }, data: { unreachableAt: now } });
          await tx.outboxMessage.update({ where: { id }, data: { status: "blocked", attempts: { increment: 1 }, lastError: this.errorText(outcome.reason) } });
          await tx.outboxMessage.updateMany({ where: { chatId: q.chatId, status: "pending" }, data: { status: "blocked", lastError: "chat unreachable" } });
          // Nothing more will leave for this chat: what would have been scrubbed after delivery is scrubbed now.
          const scrub = row.chat.kind === "group" ? [{ sensitive: true }] : [{ sensitive: true }, { priority: { gt: PRIORITY_BULK } }];
          await tx.outboxMessage.updateMany({ where: { chatId: q.chatId, status: "blocked", OR: scrub }, data: { payload: SCRUBBED } });
          await this.opts.onBlocked?.(tx, q.chatId);
        });
        log.info({ chatId: q.chatId, channel: row.channel }, "chat blocked the bot; marked unreachable");
        const dropped = q.ids.length;
        for (const dropId of q.ids) this.bulk.delete(dropId);
        q.ids.length = 0;
        this.pending = Math.max(0, this.pending - dropped);
        metrics.outboxPending.set(this.pending);
        return;
      }
      case "migrated": {
        const clash = await db.chat.findUnique({
          where: { channel_platformChatId: { channel: row.channel, platformChatId: outcome.newChatId } },
        });
        if (clash) return this.fail(q, row, `group migrated to ${outcome.newChatId}, which is already a known chat`);
        await db.chat.update({ where: { id: q.chatId }, data: { platformChatId: outcome.newChatId } });
        log.info({ chatId: q.chatId, channel: row.channel }, "group became a supergroup; chat re-keyed");
        return; // resend at once to the new id
      }
      case "rejected":
        return this.fail(q, row, outcome.reason);
      case "transient": {
        const attempts = row.attempts + 1;
        if (attempts >= this.opts.maxAttempts) return this.fail(q, row, `gave up after ${attempts} attempts: ${outcome.reason}`);
        const waitMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts) * (0.75 + Math.random() * 0.5);
        await db.outboxMessage.update({
          where: { id },
          data: { attempts, nextAttemptAt: new Date(Date.now() + waitMs), lastError: this.errorText(outcome.reason) },
        });
        return this.wait(key, q, waitMs);
      }
    }
  }

  /** Whether this instance sends `channel` now (always, with a single instance). */
  private sends(channel: string): boolean {
    return this.opts.cluster?.sends(channel) ?? true;
  }

  /**
   * Whether the lane holds a row older than `id` (queued behind it while it was being delivered:
   * `notify` never moves the row in flight); then the lane is put in order and the oldest goes next.
   */
  private olderQueued(q: ChatQueue, id: number): boolean {
    if (!q.ids.some((o) => o < id)) return false;
    q.ids.sort((a, b) => a - b);
    return true;
  }

  /**
   * Several instances: whether the lane has pending rows older than `id` in the database (the
   * sender may hear of a chat's rows in any order); then those it had not heard of join the lane,
   * which is put in order, and the oldest goes next. Rows it knows already count too: they may have
   * been queued behind `id` while `id` was being read.
   */
  private async olderFirst(key: string, q: ChatQueue, chatId: string, id: number): Promise<boolean> {
    const older = await this.opts.db.outboxMessage.findMany({
      where: { chatId, status: "pending", id: { lt: id }, method: q.fast ? { in: [...NOT_CHAT_LIMITED] } : { notIn: [...NOT_CHAT_LIMITED] } },
      select: { id: true },
      orderBy: { id: "asc" },
    });
    if (older.length === 0) return false;
    const missing = older.map((r) => r.id).filter((o) => !q.ids.includes(o));
    q.ids.push(...missing);
    q.ids.sort((a, b) => a - b);
    this.pending += missing.length;
    this.opts.metrics.outboxPending.set(this.pending);
    this.opts.log.debug({ outboxId: id, older: older.length, lane: key }, "outbox: older rows of the chat go first");
    return true;
  }

  /**
   * Replaces every `{ "$outbox": id }` in a payload by the platform message id of that outbox row
   * (e.g. editing a card, or replying to it). "wait" while that row is still pending; "missing" when
   * it will never be delivered.
   */
  private async resolveReferences(payload: Record<string, unknown>): Promise<"ok" | "wait" | "missing"> {
    for (const [key, value] of Object.entries(payload)) {
      if (value && typeof value === "object" && !Array.isArray(value)) {
        const ref = (value as { $outbox?: unknown }).$outbox;
        if (typeof ref === "number") {
          const target = await this.opts.db.outboxMessage.findUnique({ where: { id: ref }, select: { status: true, platformMessageId: true } });
          if (!target || (target.status !== "pending" && !target.platformMessageId)) return "missing";
          if (target.status === "pending") return "wait";
          payload[key] = Number(target.platformMessageId);
          continue;
        }
        const inner = await this.resolveReferences(value as Record<string, unknown>);
        if (inner !== "ok") return inner;
      }
    }
    return "ok";
  }

  private async fail(q: ChatQueue, row: RowWithChat & { id: number }, reason: string): Promise<void> {
    const lastError = this.errorText(reason);
    await this.opts.db.outboxMessage.update({
      where: { id: row.id },
      data: { status: "failed", attempts: { increment: 1 }, lastError, ...this.finalData(row) },
    });
    this.opts.log.warn({ outboxId: row.id, reason: lastError }, "outbound message failed");
    this.done(q, row.id);
  }
}

function sortedIndex(ids: number[], id: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
