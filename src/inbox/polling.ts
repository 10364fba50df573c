import type { Logger } from "../logger.ts";
import type { IncomingUpdate, InboxIngest } from "./ingest.ts";

/** Fetches the next batch of updates from a platform; [] when a long poll ended empty. */
export type FetchUpdates = (signal: AbortSignal) => Promise<Array<{ raw: string; body: unknown }>>;

/**
 * Development mode without a public URL: long-polls a platform and stores each update through the
 * same durable inbox as the webhook (so dedupe, ordering and retries are identical). `afterStored`
 * runs once a batch is committed (Telegram confirms it by advancing its offset).
 */
export class Poller {
  private readonly abort = new AbortController();
  private running?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly fetch: FetchUpdates,
    private readonly toIncoming: (raw: string, body: unknown) => IncomingUpdate | undefined,
    private readonly ingest: InboxIngest,
    private readonly log: Logger,
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
        for (const { raw, body } of await this.fetch(signal)) {
          const incoming = this.toIncoming(raw, body);
          if (incoming) await this.ingest.store(incoming);
          else this.log.warn({ channel: this.name }, "polled something that is not an update; skipped");
        }
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn({ err, channel: this.name }, "polling failed; retrying in 5 s");
        await new Promise((r) => setTimeout(r, 5_000));
      }
    }
  }
}
