import type pg from "pg";
import type { Tx } from "../db/client.ts";
import { bindHotPg, hotQuery, transactionFailed, type BoundClient, type PgHot } from "../db/hotPg.ts";
import { sqliteDate } from "../db/hot.ts";
import type { OutboxRef } from "../outbox/outbound.ts";
import type { UpdateRoute } from "./updateRoute.ts";
import { RetryLater } from "../core/retryLater.ts";
import { offloadIn, startedIn } from "../core/offTransaction.ts";
import type { UpdateProcessor } from "./worker.ts";

/** How long one update may take inside a group (it is then failed, and the group redone without it). */
const UPDATE_TIMEOUT_MS = 30_000;
/** The most updates committed together. */
const GROUP_MAX = 16;
/** Groups open at once (each holds one pooled connection; the pool also serves ingest, the outbox and the leases). */
const GROUPS_AT_ONCE = 3;
/**
 * The longest a connection that runs groups keeps the plans of its prepared statements (the hot
 * statements, the foreign-key checks) before they are made again for the tables as they are then,
 * at its next group. PostgreSQL keeps the generic plan a prepared statement settled on at its sixth
 * execution until a table it reads is next vacuumed or analysed (autovacuum: once a fifth of it has
 * changed, looked at once a minute) or the connection closes (under steady load, never). Made while a
 * table was small (a fresh service, a quiet night), a plan reads it whole: a benchmark run read all
 * 1,469 chats for every message on some connections, and PostgreSQL's CPU per update moved by a third
 * between identical runs. Re-planning costs a few milliseconds a connection each time. (Connections
 * used only for the leases, the sender and the bus are not renewed here; idle for 10 s, the pool
 * closes them.)
 */
export const PLAN_MAX_AGE_MS = 10_000;

interface Item {
  inboxId: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One update's try inside a group: its view of the transaction, and whether it ran out of time. */
interface Attempt {
  tx?: Tx;
  timedOut?: boolean;
}

/** The outcome of an update not taken because an older one of its chat is pending (it wrote nothing). */
const OLDER_PENDING = Symbol("older update pending");

/** An update of the group failed: the group is rolled back, that update rejected, the others redone. */
/** An update of the group started slow work outside the transaction (core/offTransaction.ts): rolled back with the group, handed over again once the work is done. */
class UpdateOffloaded extends Error {
  constructor(
    readonly index: number,
    readonly later: Promise<unknown>,
  ) {
    super("an update of the group started slow work outside the transaction");
  }
}

class UpdateFailed extends Error {
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {
    super("an update of the group failed");
  }
}

/**
 * The inbox worker's processor on PostgreSQL (see process.ts for SQLite): group commit. The updates
 * handed over while the groups are busy (the worker runs one update per chat, many chats at once)
 * are processed one after the other in ONE transaction, opened by hand on a pooled connection and
 * committed together: one BEGIN/COMMIT and one wait for the log's flush for the group instead of one
 * each. The group's rows
 * are taken first — marked done with their bodies and chat keys cleared, their bodies read, locked,
 * in ONE statement for the whole group (TAKE_ROWS), so that another instance processing one of them
 * meanwhile waits and then finds it done — and each update's hot reads and writes run as prepared
 * statements on the transaction's connection (db/hotPg.ts); a step that needs a Prisma model is
 * handed a Prisma client bound to that connection (`boundClient`), refused once the step's part is
 * over (so a step that timed out but still runs cannot write into a later transaction).
 *
 * No savepoints (two more round trips an update): when an update fails — its error, or a database
 * error it caught (the connection tells that the transaction has failed once its step is over) —
 * the whole group is rolled back, that update rejected (the worker retries or parks it) and the
 * others redone as a new group. Nothing is acknowledged to the worker before its group has committed.
 */
export function pgGroupProcessor(opts: { hot: PgHot; route: UpdateRoute; notify: (refs: OutboxRef[]) => void; planMaxAgeMs?: number; updateTimeoutMs?: number }): UpdateProcessor {
  const { hot } = opts;
  const planMaxAgeMs = opts.planMaxAgeMs ?? PLAN_MAX_AGE_MS;
  const updateTimeoutMs = opts.updateTimeoutMs ?? UPDATE_TIMEOUT_MS;
  const waiting: Item[] = [];
  let running = 0;
  /** When each connection's plans were made from (first seen, or last discarded). */
  const plannedAt = new WeakMap<pg.ClientBase, number>();

  /** Makes `conn`'s cached plans again once they are older than planMaxAgeMs (DISCARD PLANS keeps the prepared statements). */
  const freshPlans = async (conn: pg.ClientBase): Promise<void> => {
    const now = Date.now();
    const since = plannedAt.get(conn);
    if (since === undefined) plannedAt.set(conn, now);
    else if (now - since >= planMaxAgeMs) {
      await conn.query("DISCARD PLANS");
      plannedAt.set(conn, now);
    }
  };

  /**
   * Runs `work` in a transaction of our own on a pooled connection, `client` bound to it (BEGIN …
   * COMMIT, rolled back when `work` throws). Waits at most an update's time limit for the connection.
   */
  const inTransaction = async (client: BoundClient, work: (conn: pg.PoolClient) => Promise<void>): Promise<void> => {
    const conn = await connectWithin(updateTimeoutMs);
    let broken = false;
    client.bind(conn);
    try {
      await conn.query("BEGIN");
      await work(conn);
      // A transaction that failed answers its COMMIT with ROLLBACK, without an error.
      const done = await conn.query("COMMIT");
      if (done.command !== "COMMIT") throw new Error(`the group's transaction had failed; its COMMIT rolled back (${done.command})`);
    } catch (err) {
      await conn.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.bind(undefined);
      // A connection that could not roll back is closed, not handed to the next user.
      conn.release(broken || undefined);
    }
  };

  /** A pooled connection, or an error once `ms` have passed (the connection, if it comes later, goes back to the pool). */
  const connectWithin = (ms: number): Promise<pg.PoolClient> =>
    new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new Error(`no database connection free within ${ms / 1000} s`));
      }, ms);
      timer.unref?.();
      hot.connect().then(
        (conn) => {
          clearTimeout(timer);
          if (late) conn.release();
          else resolve(conn);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });

  /** One update inside the group's transaction (its row already taken by TAKE_ROWS): its outbox rows. */
  const processOne = async (tx: Tx, conn: pg.ClientBase, row: TakenRow, attempt: Attempt): Promise<OutboxRef[]> => {
    const inboxId = row.id;
    let alive = true;
    // This update's own view of the transaction: refused once its part is over (a timed-out callback still running).
    const mine = new Proxy(tx, {
      get(target, prop) {
        if (!alive && prop !== "then") throw new Error(`inbox update ${inboxId}: its part of the transaction is over (timed out)`);
        return Reflect.get(target, prop);
      },
    });
    bindHotPg(mine, conn, () => alive);
    offloadIn(mine);
    attempt.tx = mine;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          attempt.timedOut = true;
          reject(new Error(`processing inbox update ${inboxId} took more than ${updateTimeoutMs / 1000} s; rolled back`));
        }, updateTimeoutMs);
        timer.unref?.();
      });
      const refs = await Promise.race([opts.route(mine, row), timedOut]);
      // A database error the step caught has failed the transaction: this update is the one to blame.
      if (transactionFailed(conn) ?? (await conn.query("SELECT 1").then(() => false, () => true))) {
        throw new Error(`inbox update ${inboxId}: a statement failed (the error was caught); rolled back`);
      }
      return refs;
    } finally {
      alive = false;
      clearTimeout(timer);
    }
  };

  /**
   * Prisma clients bound to a group's connection while it runs (one per group at once; made when
   * needed, then reused). A client whose group had a step time out is never bound again: that step,
   * still running, may hold its model objects, and must not reach a later transaction.
   */
  const spareClients: BoundClient[] = [];

  /** Runs `group` in one transaction; a failing update is rejected and the rest run again. */
  const runGroup = async (group: Item[]): Promise<void> => {
    let client = spareClients.pop() ?? hot.boundClient();
    while (group.length > 0) {
      const outcomes: Array<OutboxRef[] | null | typeof OLDER_PENDING> = [];
      const attempts: Attempt[] = [];
      try {
        await inTransaction(client, async (conn) => {
          const tx = client.db as unknown as Tx;
          await freshPlans(conn);
          // Every row of the group taken at once (one statement for the group, not one an update).
          const { rows } = await takeRows(conn, group.map((item) => item.inboxId), new Date());
          const taken = new Map(rows.map((r) => [Number(r.id), r]));
          for (const [i, item] of group.entries()) {
            const row = taken.get(item.inboxId);
            // Not pending (done elsewhere): nothing to do; an older update of its chat pending: it waits.
            if (!row || row.older) {
              outcomes.push(row ? OLDER_PENDING : null);
              continue;
            }
            const attempt: Attempt = {};
            attempts.push(attempt);
            try {
              outcomes.push(await processOne(tx, conn, row, attempt));
            } catch (err) {
              const later = attempt.tx && startedIn(attempt.tx);
              throw later ? new UpdateOffloaded(i, later) : new UpdateFailed(i, err);
            }
            // Slow work started (the error that stopped the step perhaps caught on the way): this attempt does not count.
            const later = attempt.tx && startedIn(attempt.tx);
            if (later) throw new UpdateOffloaded(i, later);
          }
        });
      } catch (err) {
        if (attempts.some((a) => a.timedOut)) client = hot.boundClient();
        if (err instanceof UpdateOffloaded) {
          // The group is rolled back (no savepoints): the others are redone now; the worker puts this
          // one off until its work is done (its chat waits; its place goes to others).
          group[err.index]!.reject(new RetryLater(`inbox update ${group[err.index]!.inboxId}: slow work started outside the transaction; processed again once it is done`, 0, err.later));
          group = group.filter((_, i) => i !== err.index);
          continue;
        }
        if (err instanceof UpdateFailed) {
          group[err.index]!.reject(err.error);
          group = group.filter((_, i) => i !== err.index);
          continue;
        }
        // BEGIN or COMMIT failed (connection lost, the group's commit refused): every update is retried by the worker.
        for (const item of group) item.reject(err);
        spareClients.push(client);
        return;
      }
      for (const [i, item] of group.entries()) {
        const outcome = outcomes[i];
        if (outcome === OLDER_PENDING) {
          item.reject(new RetryLater(`inbox update ${item.inboxId}: an older update of its chat is pending; processed after it`, 0));
          continue;
        }
        if (outcome) opts.notify(outcome);
        item.resolve();
      }
      break;
    }
    spareClients.push(client);
  };

  const next = (): void => {
    if (running >= GROUPS_AT_ONCE || waiting.length === 0) return;
    running++;
    // One turn of the event loop first, so that the updates handed over meanwhile join the group.
    setImmediate(() => {
      const group = waiting.splice(0, GROUP_MAX);
      // (runGroup settles every update itself; this only covers an error outside its transactions.)
      void runGroup(group)
        .catch((err: unknown) => {
          for (const item of group) item.reject(err);
        })
        .finally(() => {
          running--;
          next();
        });
    });
  };

  const processor: UpdateProcessor = (inboxId) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ inboxId, resolve, reject });
      next();
    });
  // Taking a row checks that no older update of its chat is pending (TAKE_ROW).
  processor.refusesOutOfOrder = true;
  return processor;
}

/** A row taken by TAKE_ROWS. */
export interface TakenRow {
  id: number;
  channel: string;
  payload: string;
  older: boolean;
}

/**
 * Takes the pending updates of a group (ids as an array): marks each done (its body and chat key
 * cleared, as once processed) and returns its body as received — one statement for the group;
 * nothing for an update that is not pending (processed by another instance meanwhile: the row lock,
 * taken in id order, makes this wait for that one's commit, then finds it done). When an older
 * update of the same chat is pending (stored by another instance while this one held the chat), the
 * row is left as it is and `older` is true: the worker reads the chat's updates again. A group holds
 * one update per chat (the worker runs one update of a chat at a time).
 *
 * Written so that no plan can walk the pending rows by their status, whatever the planner believes
 * of them (a prepared statement keeps the plan made at its sixth execution until the table is next
 * analysed, perhaps made while the queue was nearly empty — test/queue.plans.test.ts): the rows are found
 * by id alone (the primary key; their status is checked once locked), and the older-update check is
 * a subquery of each row's own (never turned into a join), which reads the chat's index. It is
 * planned at each execution (`takeRows`, once a group): a plan made on a small table reads it
 * whole, which on a backlog costs hundreds of buffers a group.
 */
export const TAKE_ROWS =
  `WITH locked AS MATERIALIZED (SELECT "id", "channel", "chatKey", "seq", "payload", "status" FROM "InboxUpdate" WHERE "id" = ANY(?::int[]) ORDER BY "id" FOR UPDATE), ` +
  `target AS MATERIALIZED (SELECT l."id", l."channel", l."payload", EXISTS (SELECT 1 FROM "InboxUpdate" o WHERE o."chatKey" = l."chatKey" AND o."channel" = l."channel" AND o."status" = 'pending' AND (o."seq", o."id") < (l."seq", l."id")) AS "older" ` +
  `FROM locked l WHERE l."status" = 'pending'), ` +
  `taken AS (UPDATE "InboxUpdate" u SET "status" = 'done', "processedAt" = ?, "attempts" = u."attempts" + 1, "payload" = '', "chatKey" = '' ` +
  `FROM target t WHERE u."id" = t."id" AND NOT t."older" RETURNING u."id") ` +
  `SELECT t."id", t."channel", t."payload", t."older" FROM target t`;

/** Takes the pending updates `ids` (TAKE_ROWS) in the transaction open on `conn`, planned for the table as it is now. */
export function takeRows(conn: pg.ClientBase, ids: number[], now: Date): Promise<pg.QueryResult<TakenRow>> {
  return hotQuery<TakenRow>(conn, TAKE_ROWS, [ids, sqliteDate(now)], { planEachTime: true });
}
