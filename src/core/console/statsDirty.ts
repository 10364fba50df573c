import { Prisma, type Tx } from "../../db/client.ts";

/**
 * Events about a tip that never change what the statistics count (its queue, claim, receipt
 * notice, closing, deadlines): refusals and the reminder job's escalations (every minute, for
 * every overdue tip). Every other event about a tip marks its month for rebuilding, so a new
 * command is counted without being listed anywhere.
 */
export const STATS_NEUTRAL_EVENTS: ReadonlySet<string> = new Set(["auth.refused", "tip.escalated", "tip.lookup_failed"]);

/**
 * Marks the statistics rollups of a tip's month as out of date, for the province of the queue now
 * handling it and of the queue it was last transferred from (a transfer moves its figures from one
 * province to the other). One INSERT in the caller's transaction, so the mark commits with the
 * change; the rollup job (src/core/console/statsRollup.ts) rebuilds each marked month × province.
 * Called by `recordEvent` for every event about a tip but those in `STATS_NEUTRAL_EVENTS`.
 */
export async function markTipForStats(tx: Tx, tipId: string): Promise<void> {
  await tx.$executeRaw(
    Prisma.sql`INSERT INTO "StatsDirty" ("month", "queueProvince") SELECT t."receivedMonth", q."provinceCode" FROM "Tip" t JOIN "Queue" q ON q."id" = t."queueId" OR q."id" = t."previousQueueId" WHERE t."id" = ${tipId}`,
  );
}
