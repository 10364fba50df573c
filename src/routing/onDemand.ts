/**
 * A large, rarely used object built on first use and dropped again after `idleMs` without use (the
 * next use builds it anew). The commune polygons and the typed-place index take ~40 MB together and
 * serve only residents sharing a location or typing a place: a started service that nobody has
 * asked for a place holds neither (README, "Performance": idle memory).
 */
export class OnDemand<T> {
  private value?: T;
  private timer?: NodeJS.Timeout;
  private lastUsed = 0;
  /** Times the object was built (for logs and tests). */
  builds = 0;

  constructor(
    private readonly build: () => T,
    private readonly idleMs: number,
    private readonly onBuild?: (ms: number) => void,
  ) {}

  /** The object, built now if it is not held. */
  get(): T {
    this.lastUsed = Date.now();
    if (this.value === undefined) {
      const started = performance.now();
      this.value = this.build();
      this.builds++;
      this.onBuild?.(performance.now() - started);
      this.arm(this.idleMs);
    }
    return this.value;
  }

  /** Whether the object is held now. */
  get held(): boolean {
    return this.value !== undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const idle = Date.now() - this.lastUsed;
      if (idle >= this.idleMs) {
        this.value = undefined;
        this.timer = undefined;
      } else this.arm(this.idleMs - idle);
    }, ms);
    this.timer.unref();
  }
}
