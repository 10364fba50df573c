/**
 * Token buckets in memory, one per key (a session, a client address, or "" for everyone): a key
 * flooding the HTTP API is answered 429 at once, before anything is parsed further or stored, and
 * other keys are not slowed. (The conversation has its own per-chat limits on top; see
 * RESIDENT_LIMITS.) In process: each instance of the service counts its own requests.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** Requests a key may make at once. */
    readonly burst: number,
    /** Requests a second a key regains. */
    readonly perSecond: number,
    /** Keys tracked before idle ones are forgotten. */
    private readonly maxKeys = 50_000,
  ) {}

  /** Milliseconds until `key` has a token (0: it has one now). Takes nothing. */
  waitMs(key: string, now = Date.now()): number {
    const tokens = this.tokensOf(key, now);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.perSecond) * 1000);
  }

  /** Takes one token for `key`; false (nothing taken) when the key must wait. */
  take(key: string, now = Date.now()): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.prune(now);
      this.buckets.set(key, (bucket = { tokens: this.burst, at: now }));
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private tokensOf(key: string, now: number): number {
    const bucket = this.buckets.get(key);
    return bucket ? Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond) : this.burst;
  }

  /** Forgets keys whose bucket has refilled (they are indistinguishable from new ones). */
  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
    // Still full of active keys: drop the oldest entries rather than grow without bound.
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * Takes one token from each bucket, or none: when any of them is empty, returns how long (ms) the
 * caller must wait and which bucket refused (its index), and nothing is counted anywhere.
 */
export function takeAll(checks: Array<[TokenBuckets, string]>, now = Date.now()): { ok: true } | { ok: false; waitMs: number; refusedBy: number } {
  let waitMs = 0;
  let refusedBy = -1;
  checks.forEach(([buckets, key], i) => {
    const w = buckets.waitMs(key, now);
    if (w > waitMs) [waitMs, refusedBy] = [w, i];
  });
  if (refusedBy >= 0) return { ok: false, waitMs, refusedBy };
  for (const [buckets, key] of checks) buckets.take(key, now);
  return { ok: true };
}

/**
 * Fixed one-hour windows counting events and an amount (bytes) per key: "60 uploads and 100 MB an
 * hour from one address". A key over either limit waits for its window to end.
 */
export class HourlyQuota {
  private readonly windows = new Map<string, { start: number; count: number; amount: number }>();

  constructor(
    readonly maxCount: number,
    readonly maxAmount: number,
    private readonly windowMs = 60 * 60_000,
    private readonly maxKeys = 50_000,
  ) {}

  /** Milliseconds until one more event of `amount` fits for `key` (0: it fits now). Counts nothing. */
  waitMs(key: string, amount: number, now = Date.now()): number {
    const w = this.current(key, now);
    if (!w) return 0;
    return w.count + 1 > this.maxCount || w.amount + amount > this.maxAmount ? w.start + this.windowMs - now : 0;
  }

  /** Counts one event of `amount` for `key`. */
  add(key: string, amount: number, now = Date.now()): void {
    let w = this.current(key, now);
    if (!w) {
      if (this.windows.size >= this.maxKeys) this.prune(now);
      this.windows.set(key, (w = { start: now, count: 0, amount: 0 }));
    }
    w.count += 1;
    w.amount += amount;
  }

  private current(key: string, now: number) {
    const w = this.windows.get(key);
    if (w && now - w.start >= this.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private prune(now: number): void {
    for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(key);
    for (const key of this.windows.keys()) {
      if (this.windows.size < this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}

/** Counts open things (event streams) per key and in total, refusing beyond the limits. */
export class OpenCounter {
  private readonly perKey = new Map<string, number>();
  private total = 0;

  constructor(
    readonly maxPerKey: number,
    readonly maxTotal: number,
  ) {}

  /** Opens one for `key`: "key" or "total" when a limit refuses it, else a function closing it (once). */
  open(key: string): "key" | "total" | (() => void) {
    if (this.total >= this.maxTotal) return "total";
    const n = this.perKey.get(key) ?? 0;
    if (n >= this.maxPerKey) return "key";
    this.perKey.set(key, n + 1);
    this.total++;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.total--;
      const left = (this.perKey.get(key) ?? 1) - 1;
      if (left <= 0) this.perKey.delete(key);
      else this.perKey.set(key, left);
    };
  }

  /** Open now, in total. */
  get size(): number {
    return this.total;
  }
}
