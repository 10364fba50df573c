import { sqliteConnection, type Db, type Tx } from "../db/client.ts";
import { bindHot, hotOf, sqliteDate } from "../db/hot.ts";
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

/**
 * The inbox worker's processor: reads a pending row, hands it to `route` (the channel registry) and
 * marks it done in the same transaction, then tells the outbox about the rows created. The row's
 * body and chat key are cleared once processed: the raw update can identify a tipster, and a
 * processed row naming the chat, timed next to a tip's receipt, would link the two; dedupe only
 * needs the key. On SQLite the transaction is bound to the raw connection (see db/hot.ts): the row
 * is read and marked with prepared statements, and the core's hot reads and writes skip Prisma.
 */
export function storedUpdateProcessor(opts: { db: Db; route: UpdateRoute; notify: (refs: OutboxRef[]) => void }): UpdateProcessor {
  const { db } = opts;
  const sqlite = sqliteConnection(db);
  return async (inboxId) => {
    let refs: OutboxRef[] = [];
    if (!sqlite) {
      const row = await db.inboxUpdate.findUnique({ where: { id: inboxId } });
      if (!row || row.status !== "pending") return;
      await db.$transaction(
        async (tx) => {
          refs = await opts.route(tx, row);
          const marked = await tx.inboxUpdate.updateMany({
            where: { id: row.id, status: "pending" },
            data: { status: "done", processedAt: new Date(), attempts: { increment: 1 }, payload: "", chatKey: "" },
          });
          if (marked.count !== 1) throw new Error(`inbox update ${row.id} was processed concurrently`);
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
      opts.notify(refs);
      return;
    }
    await db.$transaction(
      async (tx) => {
        bindHot(tx, sqlite);
        const hot = hotOf(tx)!;
        const row = hot.stmt(READ_ROW).get(inboxId) as PendingRow | undefined;
        if (!row || row.status !== "pending") return;
        refs = await opts.route(tx, row);
        const marked = hot.stmt(MARK_DONE).run(sqliteDate(new Date()), row.id).changes;
        if (marked !== 1) throw new Error(`inbox update ${row.id} was processed concurrently`);
      },
      { timeout: 30_000, maxWait: 30_000 },
    );
    opts.notify(refs);
  };
}

const READ_ROW = `SELECT "id", "channel", "payload", "status" FROM "InboxUpdate" WHERE "id" = ?`;
const MARK_DONE = `UPDATE "InboxUpdate" SET "status" = 'done', "processedAt" = ?, "attempts" = "attempts" + 1, "payload" = '', "chatKey" = '' WHERE "id" = ? AND "status" = 'pending'`;
