import { describe, expect, it } from "vitest";
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
