import { sqliteConnection, type Db, type Tx } from "../db/client.ts";
import { bindHot, hotOf, sqliteDate } from "../db/hot.ts";
import { OffTransaction, offloadIn, startedIn } from "../core/offTransaction.ts";
import { pgHotOf } from "../db/hotPg.ts";
import { pgGroupProcessor } from "./processPg.ts";
import type { OutboxRef } from "../outbox/outbound.ts";
import type { UpdateProcessor } from "./worker.ts";
import { RetryLater } from "../core/retryLater.ts";
import type { UpdateRoute } from "./updateRoute.ts";
export type { UpdateRoute } from "./updateRoute.ts";

interface PendingRow {
  id: number;
  channel: string;
  payload: string;
  status: string;
}

/** How long one update's transaction may stay open (its callback is then rolled back and the update retried). */
const TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * The inbox worker's processor: reads a pending row, hands it to `route` (the channel registry) and
 * marks it done in the same transaction, then tells the outbox about the rows created. The row's
 * body and chat key are cleared once processed: the raw update can identify a tipster, and a
 * processed row naming the chat, timed next to a tip's receipt, would link the two; dedupe only
 * needs the key.
 *
 * On SQLite the updates handed over together share one transaction (group commit, below), a
 * savepoint each: the row is read and marked, and the core's hot reads and writes made, with
 * prepared statements on the raw connection (see db/hot.ts); a step that needs a query hot.ts does
 * not have (first contact, a tip sent, a place looked up …) uses Prisma's `tx` in the same savepoint.
 */
export function storedUpdateProcessor(opts: { db: Db; route: UpdateRoute; notify: (refs: OutboxRef[]) => void; planMaxAgeMs?: number; updateTimeoutMs?: number }): UpdateProcessor {
  const { db } = opts;
  const sqlite = sqliteConnection(db);

  /** The update in a Prisma interactive transaction of its own (PostgreSQL). */
  const viaPrisma = async (inboxId: number): Promise<void> => {
    let refs: OutboxRef[] = [];
    await db.$transaction(
      async (tx) => {
        bindHot(tx, sqlite);
        const hot = hotOf(tx);
        const row = hot ? (hot.stmt(READ_ROW).get(inboxId) as PendingRow | undefined) : await tx.inboxUpdate.findUnique({ where: { id: inboxId } });
        if (!row || row.status !== "pending") return;
        refs = await opts.route(tx, row);
        const marked = hot
          ? hot.stmt(MARK_DONE).run(sqliteDate(new Date()), row.id).changes
          : (
              await tx.inboxUpdate.updateMany({
                where: { id: row.id, status: "pending" },
                data: { status: "done", processedAt: new Date(), attempts: { increment: 1 }, payload: "", chatKey: "" },
              })
            ).count;
        if (marked !== 1) throw new Error(`inbox update ${row.id} was processed concurrently`);
      },
      { timeout: TRANSACTION_TIMEOUT_MS, maxWait: TRANSACTION_TIMEOUT_MS },
    );
    opts.notify(refs);
  };
  if (!sqlite) {
    // PostgreSQL: group commit with hot statements on the transaction's connection (processPg.ts).
    const hot = pgHotOf(db);
    return hot ? pgGroupProcessor({ hot, route: opts.route, notify: opts.notify, planMaxAgeMs: opts.planMaxAgeMs, updateTimeoutMs: opts.updateTimeoutMs }) : viaPrisma;
  }
  const conn = sqlite;

  // Group commit: the updates handed over while a transaction is open (the worker runs one update
  // per chat, several chats at once) wait, and are then processed one after the other in ONE
  // transaction, each in a savepoint of its own — a failing update is rolled back to its
  // savepoint alone — and committed together: one commit (and its write to the log) for the
  // group instead of one each. Nothing is acknowledged to the worker before that commit.
  //
  // The group's transaction is a Prisma interactive transaction: the hot statements run on its
  // raw connection (db/hot.ts), and a step that needs a Prisma model (first contact, a place looked
  // up, a tip sent …) uses it in place, in its savepoint. (An earlier version opened the group
  // without Prisma and processed such an update again afterwards in a Prisma transaction of its
  // own: under a steady stream those redone updates — a fifth of the mix — queued one by one for
  // the connection behind the groups and the webhook inserts, and the bot answered seconds late.)
  const waiting: Array<{ inboxId: number; resolve: () => void; reject: (err: unknown) => void }> = [];
  let running = false;

  const runGroup = async (): Promise<void> => {
    const group = waiting.splice(0, GROUP_MAX);
    const outcomes: Array<Outcome> = [];
    try {
      await db.$transaction(
        async (tx) => {
          for (const [i, item] of group.entries()) outcomes.push(await inSavepoint(tx, `u${i}`, item.inboxId));
        },
        // Each update is bounded by TRANSACTION_TIMEOUT_MS (rolled back to its savepoint past it); the group by all of them.
        { timeout: TRANSACTION_TIMEOUT_MS * (group.length + 1), maxWait: TRANSACTION_TIMEOUT_MS },
      );
    } catch (err) {
      // The group could not be committed (or a savepoint failed): all of it is rolled back and retried.
      for (const item of group) item.reject(err);
      return;
    }
    for (const [i, item] of group.entries()) {
      const outcome = outcomes[i];
      if (outcome && "refs" in outcome) opts.notify(outcome.refs);
      if (outcome && "err" in outcome) item.reject(outcome.err);
      else if (outcome && "later" in outcome) {
        // Slow work started outside the transaction (see core/offTransaction.ts): the worker puts
        // the update off until it is done (its chat's next updates wait; its place goes to others).
        item.reject(new RetryLater(`inbox update ${item.inboxId}: slow work started outside the transaction; processed again once it is done`, 0, outcome.later));
      } else item.resolve();
    }
  };

  /** One update of a group, in a savepoint of the group's transaction `tx`: its replies, its error (rolled back), or null (not pending). */
  const inSavepoint = async (tx: Tx, point: string, inboxId: number): Promise<Outcome> => {
    conn.statement(`SAVEPOINT ${point}`).run();
    // Closed once the update is rolled back: the statements of a callback still running (timed
    // out) refuse from then on, raw or through Prisma.
    let alive = true;
    const own = guarded(tx, () => alive);
    let timer: NodeJS.Timeout | undefined;
    try {
      bindHot(own, conn, () => alive);
      offloadIn(own);
      const hot = hotOf(own)!;
      const row = hot.stmt(READ_ROW).get(inboxId) as PendingRow | undefined;
      let outcome: { refs: OutboxRef[] } | null = null;
      if (row && row.status === "pending") {
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`processing inbox update ${inboxId} took more than ${TRANSACTION_TIMEOUT_MS / 1000} s; rolled back`)), TRANSACTION_TIMEOUT_MS);
          timer.unref?.();
        });
        const refs = await Promise.race([opts.route(own, row), timedOut]);
        // Slow work started (and the error that stopped the step perhaps caught on the way): this attempt does not count.
        if (startedIn(own)) throw new OffTransaction();
        const marked = hot.stmt(MARK_DONE).run(sqliteDate(new Date()), row.id).changes;
        if (marked !== 1) throw new Error(`inbox update ${row.id} was processed concurrently`);
        outcome = { refs };
      }
      conn.statement(`RELEASE ${point}`).run();
      return outcome;
    } catch (err) {
      alive = false;
      conn.statement(`ROLLBACK TO ${point}`).run();
      conn.statement(`RELEASE ${point}`).run();
      const later = startedIn(own);
      return later ? { later } : { err };
    } finally {
      clearTimeout(timer);
    }
  };

  const next = (): void => {
    if (running || waiting.length === 0) return;
    running = true;
    // One turn of the event loop first, so that the updates handed over meanwhile join the group.
    setImmediate(() => {
      void runGroup().finally(() => {
        running = false;
        next();
      });
    });
  };

  return (inboxId) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ inboxId, resolve, reject });
      next();
    });
}

/** What became of one update of a group: its replies (committed), its error (rolled back), to do again once slow work is done, or nothing (not pending). */
type Outcome = { refs: OutboxRef[] } | { err: unknown } | { later: Promise<unknown> } | null;

/** The most updates committed together (the worker's concurrency bounds it too). */
const GROUP_MAX = 64;

/**
 * `tx` for one update of a group: the same transaction, but every Prisma method (a model's, or
 * `$queryRaw` …) refuses once `alive()` is false — the update was rolled back to its savepoint (timed
 * out) and its callback must not write into its neighbours' part of the transaction.
 */
function guarded(tx: Tx, alive: () => boolean): Tx {
  const check = () => {
    if (!alive()) throw new Error("inbox update rolled back (timed out): its transaction is closed to it");
  };
  const wrap = <T extends object>(target: T, deep: boolean): T => {
    const inner = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get(t, prop) {
        const value = Reflect.get(t, prop) as unknown;
        if (typeof prop === "symbol" || prop === "then") return value;
        if (typeof value === "function") {
          let f = inner.get(prop);
          if (!f) {
            const fn = value as (...args: unknown[]) => unknown;
            inner.set(prop, (f = (...args: unknown[]) => (check(), fn.apply(t, args))));
          }
          return f;
        }
        // A model (tx.chat): its methods are checked too.
        if (deep && value && typeof value === "object") {
          let m = inner.get(prop);
          if (!m) inner.set(prop, (m = wrap(value, false)));
          return m;
        }
        return value;
      },
    });
  };
  return wrap(tx, true);
}

const READ_ROW = `SELECT "id", "channel", "payload", "status" FROM "InboxUpdate" WHERE "id" = ?`;
const MARK_DONE = `UPDATE "InboxUpdate" SET "status" = 'done', "processedAt" = ?, "attempts" = "attempts" + 1, "payload" = '', "chatKey" = '' WHERE "id" = ? AND "status" = 'pending'`;
