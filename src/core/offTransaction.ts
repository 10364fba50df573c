import crypto from "node:crypto";
import type { Tx } from "../db/client.ts";

/**
 * Slow work an update's transaction should not wait for: a PIN's scrypt (~8 ms of CPU on the thread
 * pool). On SQLite the inbox worker processes several updates in ONE transaction (group commit,
 * src/inbox/process.ts), and while it is open nothing else reaches the database — neither the next
 * group nor the webhook's inserts. So a step there that needs such work does not wait for it inside
 * the transaction: `offTransaction` starts it and marks the attempt; the worker rolls the update back
 * to its savepoint (its few writes so far), commits the others, and processes the update again once
 * the work is done, when `offTransaction` hands the result over at once (never a result still being
 * made: an attempt that finds the same work under way is put off until it is done as well). On PostgreSQL the group
 * (src/inbox/processPg.ts, no savepoints) is rolled back and the others redone at once, that update
 * once the work is done. Outside a group (the CLI, tests) the work simply runs in place.
 */
interface Attempt {
  /** The work this attempt started (the update is processed again once it has settled). */
  started?: Promise<unknown>;
}

const attempts = new WeakMap<object, Attempt>();
/** Work started by an earlier attempt, by key, until its result is taken (or `KEEP_MS` passed). */
const results = new Map<string, { work: Promise<unknown>; settled: boolean; done: Promise<void> }>();
const KEEP_MS = 60_000;

/** Marks `tx` as one update's attempt in a group transaction (see above). */
export function offloadIn(tx: Tx): void {
  attempts.set(tx, {});
}

/** The work started by the attempt in `tx` (it must be rolled back and made again once this settles), if any. */
export function startedIn(tx: Tx): Promise<unknown> | undefined {
  return attempts.get(tx)?.started;
}

/**
 * `compute()`, run outside the transaction when `tx` is an attempt of a group (see above): the result
 * of an earlier attempt's run under the same `key` if there is one (taken: a key serves once),
 * otherwise the work is started and this attempt ends here (the error thrown is only to stop it;
 * the worker processes the update again, whatever the step made of the error). `key` names the work
 * and its inputs; it is kept in memory only as a digest.
 */
export async function offTransaction<T>(tx: Tx, key: string, compute: () => Promise<T>): Promise<T> {
  const attempt = attempts.get(tx);
  if (!attempt) return compute();
  const id = crypto.createHash("sha256").update(key).digest("base64url");
  const earlier = results.get(id);
  if (earlier?.settled) {
    results.delete(id);
    return earlier.work as Promise<T>;
  }
  if (earlier) {
    // Started by another attempt under the same key and not done yet: never waited for inside the
    // transaction; this attempt too is processed again once it is done.
    attempt.started = earlier.done;
    throw new OffTransaction();
  }
  const work = compute();
  const entry = {
    work,
    settled: false,
    done: work.then(
      () => void (entry.settled = true),
      () => void (entry.settled = true),
    ),
  };
  results.set(id, entry);
  setTimeout(() => {
    if (results.get(id) === entry) results.delete(id);
  }, KEEP_MS).unref?.();
  attempt.started = entry.done;
  throw new OffTransaction();
}

/** Ends an attempt that started slow work (see `offTransaction`); the update is processed again. */
export class OffTransaction extends Error {
  constructor() {
    super("slow work started outside the transaction: this update is processed again once it is done");
    this.name = "OffTransaction";
  }
}
