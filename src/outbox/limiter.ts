import Bottleneck from "bottleneck";
import type { RateLimits } from "../config.ts";

const SAFETY = 1.05;

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
  private readonly privateChats: Bottleneck.Group;
  private readonly groups: Bottleneck.Group;

  constructor(limits: RateLimits) {
    this.global = new Bottleneck({ minTime: Math.ceil(1000 / limits.globalPerSecond), maxConcurrent: null });
    // A few percent slower than the platform's refill, so timer phase jitter never causes a 429.
    const chatInterval = Math.max(1, Math.round((1000 / limits.chatPerSecond) * SAFETY));
    this.privateChats = new Bottleneck.Group({
      maxConcurrent: 1,
      reservoir: limits.chatBurst,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseInterval: chatInterval,
      reservoirIncreaseMaximum: limits.chatBurst,
      timeout: 60_000,
    } as Bottleneck.ConstructorOptions);
    const groupBurst = Math.max(1, Math.min(5, Math.floor(limits.groupPerMinute)));
    this.groups = new Bottleneck.Group({
      maxConcurrent: 1,
      reservoir: groupBurst,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseInterval: Math.max(1, Math.round((60_000 / limits.groupPerMinute) * SAFETY)),
      reservoirIncreaseMaximum: groupBurst,
      timeout: 120_000,
    } as Bottleneck.ConstructorOptions);
    for (const group of [this.privateChats, this.groups]) {
      group.on("created", (limiter: Bottleneck) => limiter.chain(this.global));
    }
  }

  /**
   * Runs `fn` when the chat's bucket and the platform's global pace allow it. Calls the platform
   * does not count against the chat (`chatLimited: false`, e.g. answering a button press) skip the
   * chat's bucket.
   */
  schedule<T>(chat: { key: string; kind: ChatKind }, priority: number, fn: () => Promise<T>, chatLimited = true): Promise<T> {
    // bottleneck: 0 is the highest priority, 9 the lowest.
    const p = priority >= 10 ? 1 : priority > 0 ? 4 : 7;
    if (!chatLimited) return this.global.schedule({ priority: p }, fn);
    const group = chat.kind === "group" ? this.groups : this.privateChats;
    return group.key(chat.key).schedule({ priority: p, expiration: undefined }, fn);
  }

  /** Stops the limiters' timers; queued jobs are dropped (the outbox still holds them). */
  async stop(): Promise<void> {
    const limiters = [...this.privateChats.limiters(), ...this.groups.limiters()].map((l) => l.limiter);
    await Promise.allSettled([...limiters, this.global].map((l) => l.stop({ dropWaitingJobs: true })));
    for (const group of [this.privateChats, this.groups]) {
      for (const key of group.keys()) void group.deleteKey(key);
    }
  }
}
