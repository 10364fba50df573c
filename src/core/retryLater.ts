/**
 * Thrown by an update's processing when it cannot be understood YET and will be soon (e.g. an
 * officer answered a prompt whose delivery Telegram has not confirmed, so its message id is not
 * known): the inbox worker processes the update again after `retryAfterMs`, without counting a
 * failure, for at most `RETRY_LATER_FOR_MS` after it arrived.
 */
export class RetryLater extends Error {
  readonly retryAfterMs: number;
  /**
   * Processed again once this has settled (and `retryAfterMs` has passed): slow work the update
   * started outside its transaction (core/offTransaction.ts). Meanwhile the update holds none of
   * the worker's places, only its chat's turn.
   */
  readonly until?: Promise<unknown>;
  constructor(reason: string, retryAfterMs = 500, until?: Promise<unknown>) {
    super(reason);
    this.name = "RetryLater";
    this.retryAfterMs = retryAfterMs;
    if (until) this.until = until;
  }
}

/** How long after its arrival an update may still be put off with `RetryLater`; later it is processed as it stands. */
export const RETRY_LATER_FOR_MS = 5 * 60_000;
