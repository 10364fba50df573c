import { Prisma, type Tx } from "../db/client.ts";
import { PRIORITY_BULK, type OutboundCall, type OutboxRef } from "./outbound.ts";

/** One chat's calls in a bulk recording. */
export interface BulkItem {
  chatId: string;
  channel: string;
  calls: OutboundCall[];
}

/** Rows per INSERT: 9 parameters each, well under SQLite's (32,766) and PostgreSQL's (65,535) limits. */
const ROWS_PER_INSERT = 500;

/**
 * Records bulk calls (a campaign's messages) for many chats at once, inside the caller's
 * transaction: multi-row INSERTs instead of one statement per message — what `enqueueCalls` does
 * with `priority: PRIORITY_BULK`, for a whole batch. Returns each chat's rows (in the order of its
 * calls); the sender delivers them after commit.
 */
export async function enqueueBulk(tx: Tx, items: BulkItem[], opts: { bulkPaid?: boolean } = {}): Promise<Map<string, OutboxRef[]>> {
  const now = new Date();
  const rows = items.flatMap((item) => item.calls.map((c) => ({ item, call: c, payload: JSON.stringify(c.payload) })));
  const byChat = new Map<string, OutboxRef[]>();
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const values = rows.slice(i, i + ROWS_PER_INSERT).map(
      ({ item, call, payload }) =>
        Prisma.sql`(${item.channel}, ${item.chatId}, ${call.method}, ${payload}, ${PRIORITY_BULK}, ${call.sensitive ?? false}, ${call.bulkPaid ?? opts.bulkPaid ?? false}, 'pending', ${now}, ${now})`,
    );
    const inserted = await tx.$queryRaw<Array<{ id: number | bigint; chatId: string; channel: string; method: string; bulkPaid: boolean | number }>>(Prisma.sql`
      INSERT INTO "OutboxMessage" ("channel", "chatId", "method", "payload", "priority", "sensitive", "bulkPaid", "status", "nextAttemptAt", "createdAt")
      VALUES ${Prisma.join(values)}
      RETURNING "id", "chatId", "channel", "method", "bulkPaid"`);
    for (const r of inserted) {
      const ref: OutboxRef = { id: Number(r.id), chatId: r.chatId, channel: r.channel, priority: PRIORITY_BULK, method: r.method, bulkPaid: Boolean(r.bulkPaid) };
      const list = byChat.get(ref.chatId);
      if (list) list.push(ref);
      else byChat.set(ref.chatId, [ref]);
    }
  }
  for (const list of byChat.values()) list.sort((a, b) => a.id - b.id);
  return byChat;
}
