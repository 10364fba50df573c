import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import { reportRejected, valueTooDeep, type UpdateVerdict } from "./boundary.ts";
import type { InboxIngest } from "./ingest.ts";

/** Fetches the next batch of updates (parsed bodies) from a platform; [] when a long poll ended empty. */
export type FetchUpdates = (signal: AbortSignal) => Promise<unknown[]>;

/**
 * Development mode without a public URL: long-polls a platform and stores each update through the
 * same durable inbox as the webhook (so dedupe, ordering and retries are identical). `afterStored`
 * runs once a batch is committed (Telegram confirms it by advancing its offset). Each update is
 * checked as on the webhook: one nested too deeply or not fitting the platform's schema is
 * refused (counted, logged once, not stored) and the poll moves on past it.
 */
export class Poller {
  private readonly abort = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly fetch: FetchUpdates,
    private readonly toIncoming: (raw: string, body: unknown) => UpdateVerdict,
    private readonly ingest: InboxIngest,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    this.log.info(`${this.name}: long polling for updates (development mode)`);
    while (!signal.aborted) {
      try {
        for (const body of await this.fetch(signal)) {
          // Checked before serialising: JSON.stringify recurses and would overflow on a hostile depth.
          const verdict: UpdateVerdict = valueTooDeep(body) ? { ok: false, reason: "too_deep" } : this.toIncoming(JSON.stringify(body), body);
          if (verdict.ok) await this.ingest.store(verdict.update);
          else reportRejected({ metrics: this.metrics, log: this.log }, this.name, verdict);
        }
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn({ err, channel: this.name }, "polling failed; retrying in 5 s");
        await new Promise((r) => setTimeout(r, 5_000));
      }
    }
  }
}
