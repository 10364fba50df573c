import { sqliteConnection, type Db, type RawTransaction, type Tx } from "../db/client.ts";
import { bindHot, hotOf, sqliteDate } from "../db/hot.ts";
import { pgHotOf } from "../db/hotPg.ts";
import { pgGroupProcessor } from "./processPg.ts";
import type { OutboxRef } from "../outbox/outbound.ts";
import type { UpdateProcessor } from "./worker.ts";

/** Runs one stored update through its channel inside `tx`; returns the outbox rows it created. */
export type UpdateRoute = (tx: Tx, row: { id: number; channel: string; payload: string }) => Promise<OutboxRef[]>;

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
 * On SQLite the transaction is first opened on the raw connection (see db/hot.ts), without Prisma:
 * the row is read and marked, and the core's hot reads and writes made, with prepared statements.
 * A step that needs a query hot.ts does not have (first contact, a tip sent, a place looked up …)
 * reaches for a Prisma model on `tx`: that attempt is rolled back whole and the update processed
 * again in a Prisma interactive transaction, as a retry would — the same rows, nothing counted twice.
 */
export function storedUpdateProcessor(opts: { db: Db; route: UpdateRoute; notify: (refs: OutboxRef[]) => void }): UpdateProcessor {
  const { db } = opts;
  const sqlite = sqliteConnection(db);

  /** The update in a Prisma interactive transaction (PostgreSQL; SQLite when a step needs Prisma). */
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
    return hot ? pgGroupProcessor({ db, hot, route: opts.route, notify: opts.notify }) : viaPrisma;
  }
  const conn = sqlite;

  // Group commit: the updates handed over while a transaction is open (the worker runs one update
  // per chat, several chats at once) wait, and are then processed one after the other in ONE
  // transaction, each in a savepoint of its own — a failing update is rolled back to its
  // savepoint alone — and committed together: one commit (and its write to the log) for the
  // group instead of one each. Nothing is acknowledged to the worker before that commit.
  const waiting: Array<{ inboxId: number; resolve: () => void; reject: (err: unknown) => void }> = [];
  let running = false;

  const runGroup = async (): Promise<void> => {
    const group = waiting.splice(0, GROUP_MAX);
    const outcomes: Array<{ refs: OutboxRef[] } | { err: unknown } | { prisma: true } | null> = [];
    let txn: RawTransaction;
    try {
      txn = await conn.begin();
    } catch (err) {
      for (const item of group) item.reject(err);
      return;
    }
    try {
      for (const [i, item] of group.entries()) {
        const point = `u${i}`;
        conn.statement(`SAVEPOINT ${point}`).run();
        let alive = true;
        const { tx, asked } = withoutPrisma();
        let timer: NodeJS.Timeout | undefined;
        let outcome: (typeof outcomes)[number] = null;
        try {
          bindHot(tx, conn, () => alive);
          const hot = hotOf(tx)!;
          const row = hot.stmt(READ_ROW).get(item.inboxId) as PendingRow | undefined;
          if (row && row.status === "pending") {
            const timedOut = new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`processing inbox update ${item.inboxId} took more than ${TRANSACTION_TIMEOUT_MS / 1000} s; rolled back`)), TRANSACTION_TIMEOUT_MS);
              timer.unref?.();
            });
            const refs = await Promise.race([opts.route(tx, row), timedOut]);
            // A Prisma model asked for (and the error perhaps caught on the way): this attempt does not count.
            if (asked()) throw new NeedsPrisma();
            const marked = hot.stmt(MARK_DONE).run(sqliteDate(new Date()), row.id).changes;
            if (marked !== 1) throw new Error(`inbox update ${row.id} was processed concurrently`);
            outcome = { refs };
          }
          conn.statement(`RELEASE ${point}`).run();
        } catch (err) {
          // Closed first: the statements of a callback still running (timed out) refuse from now on.
          alive = false;
          conn.statement(`ROLLBACK TO ${point}`).run();
          conn.statement(`RELEASE ${point}`).run();
          outcome = asked() ? { prisma: true } : { err };
        } finally {
          clearTimeout(timer);
        }
        outcomes.push(outcome);
      }
      txn.commit();
    } catch (err) {
      // The group could not be committed (or a savepoint failed): all of it is rolled back and retried.
      txn.rollback();
      for (const item of group) item.reject(err);
      return;
    }
    for (const [i, item] of group.entries()) {
      const outcome = outcomes[i];
      if (outcome && "refs" in outcome) opts.notify(outcome.refs);
      if (outcome && "err" in outcome) item.reject(outcome.err);
      else if (outcome && "prisma" in outcome) viaPrisma(item.inboxId).then(item.resolve, item.reject);
      else item.resolve();
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

/** The most updates committed together (the worker's concurrency bounds it too). */
const GROUP_MAX = 64;

/** Thrown when a step asked for a Prisma model inside a transaction opened without Prisma. */
class NeedsPrisma extends Error {
  constructor() {
    super("this step needs Prisma: processed again in a Prisma transaction");
  }
}

/**
 * A stand-in for Prisma's transaction client in a transaction opened on the raw connection: the
 * hot statements are bound to it (db/hot.ts), and any Prisma model or method asked for is noted
 * (`asked`) and refused (NeedsPrisma), so that the update is processed again through Prisma.
 */
function withoutPrisma(): { tx: Tx; asked: () => boolean } {
  let asked = false;
  const refuse = (): never => {
    asked = true;
    throw new NeedsPrisma();
  };
  const tx = new Proxy(
    {},
    {
      // Awaiting or inspecting the object is not using Prisma.
      get: (_t, prop) => (typeof prop === "symbol" || prop === "then" || prop === "toJSON" ? undefined : refuse()),
      has: refuse,
      set: refuse,
      ownKeys: refuse,
    },
  ) as Tx;
  return { tx, asked: () => asked };
}

const READ_ROW = `SELECT "id", "channel", "payload", "status" FROM "InboxUpdate" WHERE "id" = ?`;
const MARK_DONE = `UPDATE "InboxUpdate" SET "status" = 'done', "processedAt" = ?, "attempts" = "attempts" + 1, "payload" = '', "chatKey" = '' WHERE "id" = ? AND "status" = 'pending'`;
