import { describe, expect, it, vi } from "vitest";
import { PlatformLimiter } from "../src/outbox/limiter.ts";
import { eventually } from "./helpers/app.ts";

describe("per-chat limiters", () => {
  it("keep a long queue for one chat until every message went, then let idle chats go from memory", async () => {
    // 4 a second per chat, bursts of 1: 16 messages take ~4 s, longer than an idle chat is kept (~2.3 s).
    const limiter = new PlatformLimiter({ globalPerSecond: 1_000, chatPerSecond: 4, chatBurst: 1, groupPerMinute: 20 });
    try {
      const sent: number[] = [];
      const started = Date.now();
      const jobs = Array.from({ length: 16 }, (_, i) => limiter.schedule({ key: "chat-1", kind: "private" }, 0, async () => void sent.push(i)));
      await Promise.all(Array.from({ length: 40 }, (_, i) => limiter.schedule({ key: `chat-${i + 2}`, kind: "private" }, 0, async () => i)));
      expect(limiter.liveChats).toBe(41); // each chat has its own bucket while in use
      await Promise.all(jobs);
      expect(Date.now() - started).toBeGreaterThan(3_000); // the queue outlived the idle time…
      expect(sent).toEqual(Array.from({ length: 16 }, (_, i) => i)); // …and every message went, in order
      await eventually(() => limiter.liveChats === 0, 10_000, "idle chat limiters dropped");
      // A chat seen again gets a fresh limiter and is served as before.
      await limiter.schedule({ key: "chat-1", kind: "private" }, 0, async () => undefined);
      expect(limiter.liveChats).toBe(1);
    } finally {
      await limiter.stop();
    }
  });
});

describe("the paid pace", () => {
  it("lets out its calls at the configured rate from the clock, in order, even when its timer fires late", async () => {
    vi.useFakeTimers();
    const limiter = new PlatformLimiter({ globalPerSecond: 30, chatPerSecond: 1, chatBurst: 3, groupPerMinute: 20, paidPerSecond: 1_000 });
    try {
      const started: number[] = [];
      const jobs = Array.from({ length: 3_000 }, (_, i) => limiter.schedule({ key: `c${i}`, kind: "private" }, 0, async () => void started.push(i), true, true));
      await vi.advanceTimersByTimeAsync(1_000);
      // One second of the pace (and its 50 ms burst): not the free 30 a second, not a fifth of the paid pace (a timer-bound refill).
      expect(started.length).toBeGreaterThanOrEqual(1_000);
      expect(started.length).toBeLessThanOrEqual(1_050);
      // A timer that fires late (a busy event loop) loses nothing: the calls due meanwhile go when it fires.
      vi.setSystemTime(Date.now() + 40);
      await vi.advanceTimersByTimeAsync(10);
      expect(started.length).toBeGreaterThanOrEqual(1_040);
      await vi.advanceTimersByTimeAsync(2_000);
      await Promise.all(jobs);
      expect(started).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
    } finally {
      await limiter.stop();
      vi.useRealTimers();
    }
  });

  it("stopped, it rejects the calls still waiting (their outbox rows stay pending) and runs none of them", async () => {
    vi.useFakeTimers();
    try {
      const limiter = new PlatformLimiter({ globalPerSecond: 30, chatPerSecond: 1, chatBurst: 3, groupPerMinute: 20, paidPerSecond: 100 });
      let ran = 0;
      const jobs = Array.from({ length: 50 }, (_, i) => limiter.schedule({ key: `c${i}`, kind: "private" }, 0, async () => void ran++, true, true));
      const settled = Promise.allSettled(jobs);
      await limiter.stop();
      await vi.advanceTimersByTimeAsync(5_000);
      const outcomes = await settled;
      expect(ran).toBe(5); // the burst (50 ms of 100 a second) went at once; nothing after the stop
      expect(outcomes.filter((o) => o.status === "rejected")).toHaveLength(45);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("the free pace", () => {
  it("spaces calls at the platform's overall rate on the clock", async () => {
    vi.useFakeTimers();
    const limiter = new PlatformLimiter({ globalPerSecond: 30, chatPerSecond: 100, chatBurst: 100, groupPerMinute: 20 });
    try {
      let started = 0;
      const jobs = Array.from({ length: 60 }, (_, i) => limiter.schedule({ key: `b${i}`, kind: "private" }, 0, async () => void started++));
      await vi.advanceTimersByTimeAsync(1_000);
      // 30 a second (34 ms apart): one second lets out 30 of the 60 waiting.
      expect(started).toBeGreaterThanOrEqual(29);
      expect(started).toBeLessThanOrEqual(31);
      await vi.advanceTimersByTimeAsync(2_000);
      await Promise.all(jobs);
      expect(started).toBe(60);
    } finally {
      await limiter.stop();
      vi.useRealTimers();
    }
  });
});
