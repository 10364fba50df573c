/**
 * Per-session token buckets in memory: a session flooding the HTTP API is answered 429 at once,
 * before anything is parsed further or stored, and other sessions are not slowed. (The conversation
 * has its own per-chat limits on top; see RESIDENT_LIMITS.)
 */
export class SessionThrottle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Requests a session may make at once. */
    private readonly burst: number,
    /** Requests a second a session regains. */
    private readonly perSecond: number,
    /** Sessions tracked before idle ones are forgotten. */
    private readonly maxSessions = 50_000,
  ) {}

  /** Takes one token for `key`; false when the session must wait. */
  take(key: string, now = Date.now()): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxSessions) this.prune(now);
      this.buckets.set(key, (bucket = { tokens: this.burst, at: now }));
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets sessions whose bucket has refilled (they are indistinguishable from new ones). */
  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
    // Still full of active sessions: drop the oldest entries rather than grow without bound.
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxSessions) break;
      this.buckets.delete(key);
    }
  }
}
