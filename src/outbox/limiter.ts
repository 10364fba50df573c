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
  private readonly paid?: Bottleneck;
  private readonly privateChats: Bottleneck.Group;
  private readonly groups: Bottleneck.Group;
  /** When each chat's limiter was last used (scheduled on, or finished a job), per group. */
  private readonly lastUsed = new Map<Bottleneck.Group, Map<string, number>>();
  /** Idle time after which a chat's limiter holds nothing a fresh one would not (its bucket is full). */
  private readonly idleMs = new Map<Bottleneck.Group, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(limits: RateLimits) {
    this.global = new Bottleneck({ minTime: Math.ceil(1000 / limits.globalPerSecond), maxConcurrent: null });
    if (limits.paidPerSecond) this.paid = paidPace(limits.paidPerSecond);
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
    await Promise.allSettled([...limiters, this.global, ...(this.paid ? [this.paid] : [])].map((l) => l.stop({ dropWaitingJobs: true })));
    for (const group of [this.privateChats, this.groups]) {
      for (const key of group.keys()) void group.deleteKey(key);
    }
  }
}

/**
 * A pace of `perSecond` calls a second. Bottleneck spaces jobs by whole milliseconds (`minTime`),
 * so above 1,000 a second (or for rates that do not divide 1,000) calls are let out in small
 * batches instead: a reservoir refilled every `interval` ms with the calls due in it.
 */
function paidPace(perSecond: number): Bottleneck {
  const interval = 50;
  const perInterval = Math.max(1, Math.floor((perSecond * interval) / 1000));
  return new Bottleneck({
    maxConcurrent: null,
    reservoir: perInterval,
    reservoirRefreshAmount: perInterval,
    reservoirRefreshInterval: Math.ceil((perInterval * 1000) / perSecond),
  });
}
