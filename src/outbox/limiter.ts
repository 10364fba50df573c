import Bottleneck from "bottleneck";
import type { RateLimits } from "../config.ts";

const SAFETY = 1.05;
/** How often idle chat limiters are looked for, and how long past a full bucket they are kept. */
const SWEEP_MS = 2_000;
const IDLE_MARGIN_MS = 2_000;
/** Bottleneck's own expiry, as a backstop only (a day; see the constructor). */
const BACKSTOP_TIMEOUT_MS = 86_400_000;

/** The kind of chat a message goes to: limits differ for one-to-one chats and groups. */
export type ChatKind = "private" | "group";

/**
 * One platform's outbound pace, built on bottleneck: a global limiter (evenly spaced at
 * `globalPerSecond`) behind per-chat token buckets (`chatPerSecond` with bursts of `chatBurst`
 * for private chats, `groupPerMinute` for groups). Higher-priority jobs (replies) overtake queued
 * bulk jobs at the global stage. Bottleneck's Redis mode can later share these limits across instances.
 */
export class PlatformLimiter {
  private readonly global: Bottleneck;
  /** Paid bulk messages' own pace (see `RateLimits.paidPerSecond`); none when the platform has no paid pace. */
  private readonly paid?: Pace;
  private readonly privateChats: Bottleneck.Group;
  private readonly groups: Bottleneck.Group;
  /** When each chat's limiter was last used (scheduled on, or finished a job), per group. */
  private readonly lastUsed = new Map<Bottleneck.Group, Map<string, number>>();
  /** Idle time after which a chat's limiter holds nothing a fresh one would not (its bucket is full). */
  private readonly idleMs = new Map<Bottleneck.Group, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(limits: RateLimits) {
    this.global = new Bottleneck({ minTime: Math.ceil(1000 / limits.globalPerSecond), maxConcurrent: null });
    if (limits.paidPerSecond) this.paid = new Pace(limits.paidPerSecond);
    const chatInterval = Math.max(1, Math.round((1000 / limits.chatPerSecond) * SAFETY));
    this.privateChats = new Bottleneck.Group({
      maxConcurrent: 1,
      reservoir: limits.chatBurst,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseInterval: chatInterval,
      reservoirIncreaseMaximum: limits.chatBurst,
      // Bottleneck's own expiry looks only at when a job last started, so it could drop a limiter
      // whose queue is still waiting for its bucket to refill (those jobs would never run): idle
      // limiters are dropped by dropIdle() below instead, and this is only a backstop.
      timeout: BACKSTOP_TIMEOUT_MS,
    } as Bottleneck.ConstructorOptions);
    const groupBurst = Math.max(1, Math.min(5, Math.floor(limits.groupPerMinute)));
    const groupInterval = Math.max(1, Math.round((60_000 / limits.groupPerMinute) * SAFETY));
    this.groups = new Bottleneck.Group({
      maxConcurrent: 1,
      reservoir: groupBurst,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseInterval: groupInterval,
      reservoirIncreaseMaximum: groupBurst,
      timeout: BACKSTOP_TIMEOUT_MS,
    } as Bottleneck.ConstructorOptions);
    for (const group of [this.privateChats, this.groups]) {
      group.on("created", (limiter: Bottleneck) => limiter.chain(this.global));
      this.lastUsed.set(group, new Map());
    }
    // A broadcast touches thousands of chats a minute; keeping every chat's limiter (and its timer)
    // for long cost ~20 MB at 30 messages a second. A bucket is full again after `burst` intervals.
    this.idleMs.set(this.privateChats, limits.chatBurst * chatInterval + IDLE_MARGIN_MS);
    this.idleMs.set(this.groups, groupBurst * groupInterval + IDLE_MARGIN_MS);
    this.sweeper = setInterval(() => this.dropIdle(), SWEEP_MS);
    this.sweeper.unref();
  }

  /**
   * Runs `fn` when the chat's bucket and the platform's global pace allow it. Calls the platform
   * does not count against the chat (`chatLimited: false`, e.g. answering a button press) skip the
   * chat's bucket. A paid bulk message (`paid`, on a platform with a paid pace) goes at that pace
   * instead, apart from everything else, so it neither takes nor waits for the free pace that
   * replies use; it skips the chat's bucket (a campaign sends one message per chat, and the sender
   * sends one message at a time per chat).
   */
  schedule<T>(chat: { key: string; kind: ChatKind }, priority: number, fn: () => Promise<T>, chatLimited = true, paid = false): Promise<T> {
    if (paid && this.paid) return this.paid.schedule(fn);
    const p = priority >= 10 ? 1 : priority > 0 ? 4 : 7;
    if (!chatLimited) return this.global.schedule({ priority: p }, fn);
    const group = chat.kind === "group" ? this.groups : this.privateChats;
    const used = this.lastUsed.get(group)!;
    used.set(chat.key, Date.now());
    return group.key(chat.key).schedule({ priority: p, expiration: undefined }, async () => {
      try {
        return await fn();
      } finally {
        used.set(chat.key, Date.now());
      }
    });
  }

  /** Whether paid bulk messages have a pace of their own on this platform (see `schedule`). */
  get hasPaidPace(): boolean {
    return this.paid !== undefined;
  }

  /** Chats with a limiter in memory (private chats and groups). */
  get liveChats(): number {
    return this.privateChats.keys().length + this.groups.keys().length;
  }

  /** Drops the limiters of chats idle long enough for their bucket to be full, with nothing queued. */
  private dropIdle(): void {
    const now = Date.now();
    for (const group of [this.privateChats, this.groups]) {
      const used = this.lastUsed.get(group)!;
      const idleMs = this.idleMs.get(group)!;
      for (const { key, limiter } of group.limiters()) {
        const c = limiter.counts();
        if (c.RECEIVED + c.QUEUED + c.RUNNING + c.EXECUTING > 0) continue;
        if (now - (used.get(key) ?? 0) < idleMs) continue;
        used.delete(key);
        void group.deleteKey(key);
      }
    }
  }

  /** Stops the limiters' timers; queued jobs are dropped (the outbox still holds them). */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    const limiters = [...this.privateChats.limiters(), ...this.groups.limiters()].map((l) => l.limiter);
    await Promise.allSettled([...limiters, this.global].map((l) => l.stop({ dropWaitingJobs: true })));
    await this.paid?.stop();
    for (const group of [this.privateChats, this.groups]) {
      for (const key of group.keys()) void group.deleteKey(key);
    }
  }
}

/**
 * A pace of `perSecond` calls a second for paid bulk messages: a token bucket refilled from the clock
 * (holding at most `burst`, 50 ms of the pace), so a timer that fires late — a busy event loop, a
 * loaded machine — loses nothing: the tokens accrued meanwhile are there when it fires. (Bottleneck's
 * reservoir is refilled only on its heartbeat timer; at 1,000 a second that capped the pace at a
 * fifth of it, and late heartbeats lost more.) Calls run in the order scheduled.
 */
export class Pace {
  private tokens: number;
  private last = Date.now();
  private readonly waiting: Array<{ run: () => void; drop: (err: Error) => void }> = [];
  private head = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly burst: number;

  constructor(private readonly perSecond: number) {
    this.burst = Math.max(1, Math.floor(perSecond / 20));
    this.tokens = this.burst;
  }

  /** Runs `fn` when the pace allows; rejects if the pace is stopped first. */
  schedule<T>(fn: () => Promise<T>): Promise<T> {
    if (this.stopped) return Promise.reject(new Error("pace stopped"));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ run: () => void fn().then(resolve, reject), drop: reject });
      this.drain();
    });
  }

  /** Calls waiting for their turn. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  private drain(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    while (this.head < this.waiting.length && this.tokens >= 1) {
      this.tokens -= 1;
      const next = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as never;
      next.run();
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    if (this.head < this.waiting.length && !this.timer && !this.stopped) {
      // Wake when a few calls are due (not for every one: at 1,000 a second that would be a timer a millisecond).
      const wait = Math.max(10, Math.ceil(((1 - this.tokens) * 1000) / this.perSecond));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, wait);
    }
  }

  /** Stops: calls still waiting are rejected (the outbox keeps their rows). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const err = new Error("pace stopped");
    for (let i = this.head; i < this.waiting.length; i++) this.waiting[i]!.drop(err);
    this.waiting.length = 0;
    this.head = 0;
  }
}
