import type { Db } from "../db/client.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { InboxRef } from "./ingest.ts";
import { RETRY_LATER_FOR_MS } from "../core/retryLater.ts";
import type { ChatClaims } from "../cluster/cluster.ts";

/**
 * Processes one stored update completely (its effects and marking the row done, in one
 * transaction). Throws to have the update retried.
 */
export type UpdateProcessor = ((inboxId: number) => Promise<void>) & {
  /**
   * True when the processor itself refuses an update while an older one of its chat is pending
   * (RetryLater; inbox/processPg.ts): then a worker holding the chat (several instances) need not
   * read the chat's pending updates again before each one, only after such a refusal.
   */
  refusesOutOfOrder?: boolean;
};

/** Thrown by an `UpdateProcessor` when no retry can help (e.g. no channel of that name): the update is parked at once. */
export class UnprocessableUpdate extends Error {}

export interface InboxWorkerOptions {
  db: Db;
  process: UpdateProcessor;
  concurrency: number;
  maxAttempts: number;
  metrics: Metrics;
  log: Logger;
  /** Backoff before retry n (1-based); defaults to 1 s, 2 s, 4 s … capped at 60 s. */
  backoffMs?: (attempt: number) => number;
  /** Acknowledgements first: see `FloodControl`. Without it the worker never holds back. */
  flood?: FloodControl;
  /** Applied to every stored error (an error may name a platform API URL, token included). */
  redact?: (text: string) => string;
  /**
   * Several instances (PostgreSQL, see src/cluster/): a chat is processed only under its lease, and
   * the periodic sweep takes the updates of chats nobody holds instead of every pending one.
   */
  claims?: ChatClaims;
}

/**
 * During a flood of webhooks (more than `rate` updates a second arriving, e.g. a platform
 * redelivering its backlog after an outage), processing takes at most `share` of the event loop so
 * that acknowledgements — each one an update made durable — keep their pace; the stored backlog is
 * worked off at full speed once the flood has been over for two seconds. Below `rate` the worker
 * runs unhindered.
 */
export interface FloodControl {
  /**
   * Updates per second arriving now. By default the worker's own count: the updates handed to
   * `add` over the last second (see ArrivalMeter).
   */
  arrivalRate?: () => number;
  rate: number;
  share: number;
}

/**
 * Counts the updates handed over by the ingest over the last second (ten buckets of 100 ms). A
 * whole second, not the last few milliseconds: when the event loop has been busy for a while (a
 * group of first contacts, a GC pause, a slow client), the webhook requests that waited meanwhile are
 * all read at once, and a short window saw that bunch as a flood of twice the real rate — which
 * held processing back to its flood share for seconds while a steady 500 a second came in.
 */
export class ArrivalMeter {
  private readonly buckets = new Array<number>(ARRIVAL_BUCKETS).fill(0);
  /** The 100 ms slot the newest bucket is for. */
  private slot = 0;

  /** `count` updates arrived now. */
  count(count: number, now = performance.now()): void {
    this.advance(now);
    this.buckets[this.slot % ARRIVAL_BUCKETS]! += count;
  }

  /** Updates a second over the last second. */
  rate(now = performance.now()): number {
    this.advance(now);
    let sum = 0;
    for (const n of this.buckets) sum += n;
    return (sum * 1000) / (ARRIVAL_BUCKETS * ARRIVAL_BUCKET_MS);
  }

  private advance(now: number): void {
    const slot = Math.floor(now / ARRIVAL_BUCKET_MS);
    if (slot - this.slot >= ARRIVAL_BUCKETS) this.buckets.fill(0);
    else for (let s = this.slot + 1; s <= slot; s++) this.buckets[s % ARRIVAL_BUCKETS] = 0;
    this.slot = Math.max(this.slot, slot);
  }
}

const ARRIVAL_BUCKET_MS = 100;
const ARRIVAL_BUCKETS = 10;

/** The periodic sweep for unknown pending rows is skipped while more updates than this are queued. */
const SWEEP_BUSY_LIMIT = 1_000;

/** Most processing time (ms) saved up while idle, spent at the start of a flood. */
const FLOOD_BURST_MS = 20;
/** A flood is over once updates have arrived below the flood rate for this long (no flapping between waves). */
const FLOOD_LINGER_MS = 2_000;

interface ChatLine {
  channel: string;
  items: InboxRef[];
  busy: boolean;
  queued: boolean;
  timer?: NodeJS.Timeout;
  /** Put off until slow work it started is done (RetryLater `until`): counted as being processed. */
  working?: boolean;
}

/** See `InboxWorker.activity()` and `OutboxSender.activity()`. */
export interface WorkerActivity {
  /** Items being worked on now. */
  running: number;
  /** Items that would be worked on now (or as soon as a slot is free). */
  due: number;
  /** Items scheduled for later (a retry's backoff, a platform's rate-limit wait). */
  later: number;
}

const byOrder = (a: InboxRef, b: InboxRef) => (a.seq === b.seq ? a.id - b.id : a.seq < b.seq ? -1 : 1);

/** A first-in first-out queue of chat lines (an array with a moving head: shift() on large arrays copies). */
class LineQueue {
  private items: string[] = [];
  private head = 0;

  push(key: string): void {
    this.items.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const key = this.items[this.head++]!;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  get length(): number {
    return this.items.length - this.head;
  }
}

/**
 * Chat lines ready to be processed, one queue per channel, served in turn (round-robin): a backlog
 * of thousands of web chat updates (a flood) delays a Telegram or Zalo resident's update by at
 * most one update per channel ahead of it, never by the whole backlog.
 */
class ReadyLines {
  private readonly queues = new Map<string, LineQueue>();
  private channels: string[] = [];
  private turn = 0;
  private count = 0;

  push(channel: string, key: string): void {
    let queue = this.queues.get(channel);
    if (!queue) {
      this.queues.set(channel, (queue = new LineQueue()));
      this.channels.push(channel);
    }
    queue.push(key);
    this.count++;
  }

  /** The next ready line, taking the channels in turn. */
  shift(): string | undefined {
    for (let tried = 0; tried < this.channels.length; tried++) {
      const channel = this.channels[this.turn % this.channels.length]!;
      this.turn = (this.turn + 1) % this.channels.length;
      const key = this.queues.get(channel)!.shift();
      if (key !== undefined) {
        this.count--;
        return key;
      }
    }
    return undefined;
  }

  get length(): number {
    return this.count;
  }
}

/**
 * Works through the inbox: one chat's updates strictly in order, different chats in parallel (up to
 * `concurrency`), the channels taking turns (see ReadyLines). A failing update is retried with backoff and, after `maxAttempts`, parked (status
 * "parked", visible to administrators) so the chat moves on; one that no retry can help (`UnprocessableUpdate`) is parked at once. Rows left pending by a crash are loaded
 * again by `start()`.
 */
export class InboxWorker {
  private readonly lines = new Map<string, ChatLine>();
  private readonly ready = new ReadyLines();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly known = new Set<number>();
  private active = 0;
  private stopping = false;
  /** Updates put off with RetryLater: when first. */
  private readonly putOff = new Map<number, number>();
  private paused = false;
  /** Processing time (ms) the worker may still spend during a flood; refills at `share` per ms. */
  private credit = FLOOD_BURST_MS;
  private creditAt = performance.now();
  /** An update is being processed under flood pacing (one at a time then, so its time is its own). */
  private floodBusy = false;
  /** Until when the current flood counts as on (see FLOOD_LINGER_MS). */
  private floodUntil = 0;
  /** Updates handed to `add` lately (the default FloodControl.arrivalRate). */
  private readonly arrivals = new ArrivalMeter();
  /** Ends the pacing waits at once (stop, or the flood slot freed). */
  private readonly paceWakers = new Set<() => void>();

  constructor(private readonly opts: InboxWorkerOptions) {}

  private sweepTimer?: NodeJS.Timeout;

  /**
   * Loads every pending update (oldest first) and starts processing. Every `sweepMs` the database
   * is checked again for pending rows this worker does not know (e.g. parked updates an
   * administrator released with `npm run admin -- inbox:retry`).
   */
  async start(sweepMs = 10_000): Promise<void> {
    await this.loadPending(true);
    this.sweepTimer = setInterval(() => {
      // While a large backlog is being worked off (a flood), rows released meanwhile wait for the
      // next sweep: re-reading tens of thousands of known rows every few seconds cost more than
      // the acknowledgements themselves.
      if (this.known.size > SWEEP_BUSY_LIMIT && !this.opts.claims) return;
      this.loadPending().catch((err: unknown) => this.opts.log.error({ err }, "inbox sweep failed"));
    }, sweepMs);
    this.sweepTimer.unref?.();
  }

  private async loadPending(starting = false): Promise<void> {
    if (this.opts.claims) return this.enqueue(await this.opts.claims.orphans(starting ? 0 : undefined));
    let after = 0;
    for (;;) {
      const rows = await this.opts.db.inboxUpdate.findMany({
        where: { status: "pending", id: { gt: after } },
        select: { id: true, channel: true, chatKey: true, seq: true },
        orderBy: { id: "asc" },
        take: 5000,
      });
      if (rows.length === 0) break;
      this.enqueue(rows);
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Hands newly stored updates to the worker (counted as arrivals, see FloodControl). */
  add(rows: InboxRef[]): void {
    this.arrivals.count(rows.length);
    this.enqueue(rows);
  }

  /** Queues updates by chat (rows stored earlier, or just now). */
  private enqueue(rows: InboxRef[]): void {
    for (const row of rows) {
      if (this.known.has(row.id)) continue;
      this.known.add(row.id);
      const key = `${row.channel}\u0000${row.chatKey}`;
      let line = this.lines.get(key);
      if (!line) this.lines.set(key, (line = { channel: row.channel, items: [], busy: false, queued: false }));
      const last = line.items.at(-1);
      line.items.push(row);
      // Keep the item being processed at the head; order only what waits behind it (rows usually
      // arrive in order, so only a row that overtakes the previous one costs a sort).
      const from = line.busy ? 1 : 0;
      if (last && line.items.length - from > 1 && byOrder(last, row) > 0) {
        const waiting = line.items.splice(from).sort(byOrder);
        line.items.push(...waiting);
      }
      this.markReady(key, line);
    }
    this.opts.metrics.inboxPending.set(this.known.size);
    this.pump();
  }

  /** Updates processed by this worker since it started. */
  processedTotal = 0;

  /** Updates stored and not yet processed or parked. */
  get pendingCount(): number {
    return this.known.size;
  }

  /**
   * What the worker has to do: updates being processed now, updates due (ready to run, waiting for a
   * slot, or held by `pause()`), and updates whose retry is scheduled for later (backoff).
   */
  activity(): WorkerActivity {
    let due = 0;
    let later = 0;
    let working = 0;
    for (const line of this.lines.values()) {
      const waiting = line.items.length - (line.busy ? 1 : 0);
      if (line.working) {
        // Its head update waits for slow work it started (a PIN's check): as good as running.
        working++;
        due += waiting - 1;
      } else if (line.timer) later += waiting;
      else due += waiting;
    }
    return { running: this.active + working, due, later };
  }

  /** Nothing being processed and nothing due now (retries scheduled for later do not count). */
  idle(): boolean {
    const a = this.activity();
    return a.running === 0 && a.due === 0;
  }

  /** Stops taking new updates and waits for those being processed. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const line of this.lines.values()) if (line.timer) clearTimeout(line.timer);
    for (const wake of [...this.paceWakers]) wake();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Holds processing (updates are still stored and queued) until `resume()`: for maintenance, and for tests that must see the state before the bot answers. */
  pause(): void {
    this.paused = true;
  }

  /** Processes what was held by `pause()`, in order. */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  private markReady(key: string, line: ChatLine): void {
    if (line.busy || line.queued || line.timer || line.items.length === 0) return;
    line.queued = true;
    this.ready.push(line.channel, key);
  }

  private pump(): void {
    while (!this.stopping && !this.paused && this.active < this.opts.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const line = this.lines.get(key);
      if (!line) continue;
      line.queued = false;
      const head = line.items[0];
      if (!head || line.busy) continue;
      line.busy = true;
      this.active++;
      const run = this.runOne(key, line, head).finally(() => {
        this.inFlight.delete(run);
        this.active--;
        line.busy = false;
        if (line.items.length === 0 && !line.timer) this.lines.delete(key);
        else this.markReady(key, line);
        this.pump();
      });
      this.inFlight.add(run);
    }
  }

  private finish(line: ChatLine, head: InboxRef): void {
    const at = line.items.indexOf(head);
    if (at >= 0) line.items.splice(at, 1);
    this.known.delete(head.id);
    this.putOff.delete(head.id);
    this.opts.metrics.inboxPending.set(this.known.size);
  }

  private async runOne(key: string, line: ChatLine, head: InboxRef): Promise<void> {
    const { db, metrics, log } = this.opts;
    try {
      // Give the event loop a turn first: with a synchronous SQLite driver, processing would
      // otherwise run back to back and hold off webhook requests (acknowledgements) meanwhile.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.opts.claims && !(await this.claim(key, line, head))) return;
      const paced = await this.floodPace();
      const started = performance.now();
      try {
        if (this.stopping) return;
        await this.opts.process(head.id);
      } finally {
        this.credit = Math.max(-FLOOD_BURST_MS, this.credit - (performance.now() - started));
        if (paced) {
          this.floodBusy = false;
          for (const wake of [...this.paceWakers]) wake(); // the next waiting update may go
        }
      }
      metrics.updatesProcessed.inc({ channel: head.channel });
      this.processedTotal++;
      this.finish(line, head);
      await this.unclaim(line, head);
      return;
    } catch (err) {
      if (this.stopping) return; // left pending; processed after restart
      // Processed meanwhile by another instance (its lease lapsed while this one worked): nothing to retry.
      if (this.opts.claims && (await db.inboxUpdate.findUnique({ where: { id: head.id }, select: { status: true } }).catch(() => null))?.status !== "pending") {
        this.finish(line, head);
        await this.unclaim(line, head).catch(() => {});
        return;
      }
      // Not understood yet, soon will be (see core/retryLater.ts): again shortly, not a failure.
      const later = retryAfterMs(err);
      if (typeof later === "number") {
        const first = this.putOff.get(head.id) ?? Date.now();
        if (Date.now() - first < RETRY_LATER_FOR_MS) {
          this.putOff.set(head.id, first);
          metrics.updatesPutOff.inc({ channel: head.channel });
          log.debug({ inboxId: head.id, channel: head.channel, retryInMs: later }, "update put off");
          this.delay(key, line, later, retryUntil(err));
          return;
        }
      }
      this.putOff.delete(head.id);
      metrics.updatesFailed.inc({ channel: head.channel });
      const message = (this.opts.redact ?? String)(String((err as Error)?.stack ?? err)).slice(0, 4000);
      try {
        const row = await db.inboxUpdate.update({
          where: { id: head.id },
          data: { attempts: { increment: 1 }, lastError: message },
          select: { attempts: true },
        });
        const unprocessable = err instanceof UnprocessableUpdate;
        if (unprocessable || row.attempts >= this.opts.maxAttempts) {
          await db.inboxUpdate.update({ where: { id: head.id }, data: { status: "parked" } });
          metrics.updatesParked.inc({ channel: head.channel });
          log.error({ err, inboxId: head.id, channel: head.channel, attempts: row.attempts }, unprocessable ? "update parked: it cannot be processed" : "update parked after repeated failures");
          this.finish(line, head);
          await this.unclaim(line, head);
          return;
        }
        const wait = (this.opts.backoffMs ?? defaultBackoff)(row.attempts);
        await db.inboxUpdate.update({ where: { id: head.id }, data: { nextAttemptAt: new Date(Date.now() + wait) } });
        log.warn({ err, inboxId: head.id, channel: head.channel, attempts: row.attempts, retryInMs: wait }, "update failed; will retry");
        this.delay(key, line, wait);
      } catch (dbErr) {
        log.error({ err: dbErr, inboxId: head.id }, "could not record a failed update; retrying");
        this.delay(key, line, 5_000);
      }
    }
  }

  /**
   * Several instances: makes sure this instance holds the chat before its head is processed; the
   * chat's pending updates stored by any instance join the line in order;
   * returns false when the head is no longer first (run again) or another instance holds the chat
   * (it processes them all: the line is dropped here).
   */
  private async claim(key: string, line: ChatLine, head: InboxRef): Promise<boolean> {
    const claims = this.opts.claims!;
    const held = claims.holds(head.channel, head.chatKey);
    // Held, and the processor refuses an update whose chat has an older one pending: nothing to read.
    if (held && this.opts.process.refusesOutOfOrder && !this.putOff.has(head.id)) return true;
    // Held already: an older update may have been stored meanwhile by another instance (which left
    // it to this one), so the chat's pending updates are read again before each is processed.
    const rows = held ? await claims.pending(head.channel, head.chatKey) : await claims.acquire(head.channel, head.chatKey);
    if (!rows) {
      for (const item of line.items) {
        this.known.delete(item.id);
        this.putOff.delete(item.id);
      }
      line.items.length = 0;
      this.opts.metrics.inboxPending.set(this.known.size);
      return false;
    }
    for (const row of rows) {
      if (this.known.has(row.id)) continue;
      this.known.add(row.id);
      line.items.push(row);
    }
    line.items.sort(byOrder);
    this.opts.metrics.inboxPending.set(this.known.size);
    return line.items[0] === head;
  }

  /** Several instances: once the chat's line is empty, gives its lease up — or takes the updates that arrived meanwhile. */
  private async unclaim(line: ChatLine, head: InboxRef): Promise<void> {
    const claims = this.opts.claims;
    if (!claims || line.items.length > 0 || this.stopping) return;
    const more = await claims.release(head.channel, head.chatKey);
    if (more.length) this.enqueue(more);
  }

  /**
   * Waits while a flood is on until this worker may take its share of the event loop again; then
   * (returning true) holds the flood slot: during a flood updates are processed one at a time.
   */
  private async floodPace(): Promise<boolean> {
    const flood = this.opts.flood;
    if (!flood || flood.share >= 1) return false;
    for (;;) {
      const now = performance.now();
      this.credit = Math.min(FLOOD_BURST_MS, this.credit + (now - this.creditAt) * flood.share);
      this.creditAt = now;
      if ((flood.arrivalRate ? flood.arrivalRate() : this.arrivals.rate(now)) >= flood.rate) this.floodUntil = now + FLOOD_LINGER_MS;
      if (this.stopping || now >= this.floodUntil) return false;
      if (this.credit >= 0 && !this.floodBusy) {
        this.floodBusy = true;
        return true;
      }
      this.opts.metrics.inboxFloodWaits.inc();
      // Out of credit: until it has refilled. Another update holding the slot: until it is done
      // (it wakes the waiters), at most a second.
      const wait = this.credit < 0 ? Math.ceil(-this.credit / flood.share) : 1_000;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.paceWakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, wait));
        this.paceWakers.add(wake);
      });
    }
  }

  /** Runs the line's head update again after `ms` — once `until` has settled, when given (its place in the worker is free meanwhile). */
  private delay(key: string, line: ChatLine, ms: number, until?: Promise<unknown>): void {
    if (this.stopping) return;
    if (until) {
      // The line is held (a timer that never fires on its own) until the work is done.
      line.working = true;
      line.timer = setTimeout(() => {}, 2 ** 31 - 1);
      line.timer.unref?.();
      const resume = () => {
        line.working = false;
        if (line.timer) clearTimeout(line.timer);
        line.timer = undefined;
        this.delay(key, line, ms);
      };
      void until.then(resume, resume);
      return;
    }
    line.timer = setTimeout(() => {
      line.timer = undefined;
      this.markReady(key, line);
      this.pump();
    }, ms);
    line.timer.unref?.();
  }
}

function defaultBackoff(attempt: number): number {
  return Math.min(60_000, 1000 * 2 ** (attempt - 1));
}

/** The work a put-off update waits for (`RetryLater.until`), if any. */
function retryUntil(err: unknown): Promise<unknown> | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const until = (e as { until?: unknown }).until;
    if (until instanceof Promise) return until;
    e = (e as { error?: unknown; cause?: unknown }).error ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The delay asked by a `RetryLater` thrown while processing, also when a channel library wrapped it (grammY's BotError keeps it in `error`). */
function retryAfterMs(err: unknown): number | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; depth++) {
    const later = (e as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof later === "number") return later;
    e = (e as { error?: unknown; cause?: unknown }).error ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}
