import type { Logger } from "./logger.ts";

/**
 * When the service runs its heap fast instead of lean (src/runtime.ts `setHeapFast`): the process
 * idles lean (the idle memory goal, a broadcast's peak), and a burst of inbox work — a backlog, or
 * updates processed at a rate only a flood brings — switches it to fast, where the same updates cost
 * ~20 % less CPU (README, "PostgreSQL, eighth pass"). Back to lean once the inbox has been calm for
 * `calmMs`, so the extra heap of the burst is given back (measured: ~35–50 MB more per instance at the
 * end of a 10,000-update backlog).
 *
 * Read once a second from the inbox worker: updates waiting (`pending`) and processed so far
 * (`processed`, cumulative). Busy: `pending` ≥ BUSY_PENDING, or more than BUSY_RATE processed in the
 * last second. Calm: `pending` < CALM_PENDING and fewer than CALM_RATE processed in the last second.
 * Between the two nothing changes (no back and forth around one threshold).
 */
export const BUSY_PENDING = 200;
export const BUSY_RATE = 100;
export const CALM_PENDING = 20;
export const CALM_RATE = 20;
/** How long the inbox stays calm before the heap goes back to lean. */
export const CALM_MS = 30_000;

export interface InboxLoad {
  /** Updates stored and not yet processed. */
  pending: number;
  /** Updates processed since the start (cumulative). */
  processed: number;
}

export class HeapMode {
  private fast = false;
  private lastProcessed: number | undefined;
  private calmSince: number | undefined;
  /** Switches made, both ways (metrics, tests). */
  switches = 0;

  constructor(
    private readonly opts: {
      /** Applies a mode; false when the process cannot switch (its V8 flags are the operator's). */
      apply: (fast: boolean) => boolean;
      log?: Logger;
      /** Told of each switch made (e.g. a metric). */
      onSwitch?: (fast: boolean) => void;
      calmMs?: number;
    },
  ) {}

  get isFast(): boolean {
    return this.fast;
  }

  /** One reading of the inbox (about once a second); `now` in ms. */
  observe(load: InboxLoad, now: number): void {
    const rate = this.lastProcessed === undefined ? 0 : load.processed - this.lastProcessed;
    this.lastProcessed = load.processed;
    const busy = load.pending >= BUSY_PENDING || rate >= BUSY_RATE;
    const calm = load.pending < CALM_PENDING && rate < CALM_RATE;
    if (busy) {
      this.calmSince = undefined;
      if (!this.fast) this.switchTo(true, load, rate);
      return;
    }
    if (!this.fast) return;
    if (!calm) {
      this.calmSince = undefined;
      return;
    }
    this.calmSince ??= now;
    if (now - this.calmSince >= (this.opts.calmMs ?? CALM_MS)) {
      this.calmSince = undefined;
      this.switchTo(false, load, rate);
    }
  }

  private switchTo(fast: boolean, load: InboxLoad, rate: number): void {
    if (!this.opts.apply(fast)) return;
    this.fast = fast;
    this.switches++;
    this.opts.onSwitch?.(fast);
    this.opts.log?.info({ pending: load.pending, processedLastSecond: rate }, fast ? "heap: fast while the inbox is busy" : "heap: back to lean, the inbox is calm");
  }
}

/** Reads `load` every second (an unref'd timer) into a HeapMode; returns a stop function. */
export function watchInboxLoad(mode: HeapMode, load: () => InboxLoad): () => void {
  const timer = setInterval(() => mode.observe(load(), performance.now()), 1000);
  timer.unref();
  return () => clearInterval(timer);
}
