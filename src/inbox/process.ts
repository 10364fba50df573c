import type { Db, Tx } from "../db/client.ts";
import type { OutboxRef } from "../outbox/outbound.ts";
import type { UpdateProcessor } from "./worker.ts";

/** Runs one stored update through its channel inside `tx`; returns the outbox rows it created. */
export type UpdateRoute = (tx: Tx, row: { id: number; channel: string; payload: string }) => Promise<OutboxRef[]>;

/**
 * The inbox worker's processor: reads a pending row, hands it to `route` (the channel registry) and
 * marks it done in the same transaction, then tells the outbox about the rows created. The row's
 * body and chat key are cleared once processed: the raw update can identify a tipster, and a
 * processed row naming the chat, timed next to a tip's receipt, would link the two; dedupe only
 * needs the key.
 */
export function storedUpdateProcessor(opts: { db: Db; route: UpdateRoute; notify: (refs: OutboxRef[]) => void }): UpdateProcessor {
  const { db } = opts;
  return async (inboxId) => {
    const row = await db.inboxUpdate.findUnique({ where: { id: inboxId } });
    if (!row || row.status !== "pending") return;
    let refs: OutboxRef[] = [];
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
  };
}
