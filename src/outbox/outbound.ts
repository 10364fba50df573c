import type { Tx } from "../db/client.ts";
import { hotSqlOf, sqliteDate } from "../db/hot.ts";
import type { Channel } from "../core/inbound.ts";
import type { OfferedChoice, Reply } from "../core/reply.ts";
import type { ChannelCaps, Intent } from "../core/intents.ts";

/** One platform API call, without the chat id (the sender adds it). */
export interface OutboundCall {
  method: string;
  payload: Record<string, unknown>;
  /** Scrub the payload from the outbox once delivered (it links the person to a secret). */
  sensitive?: boolean;
  /** A paid bulk message: the channel sends it at its paid pace, marked as paid (Telegram: allow_paid_broadcast). */
  bulkPaid?: boolean;
}

/** A reply turned into platform calls, and the choices it offered with their rendered labels. */
export interface RenderedReply {
  calls: OutboundCall[];
  offered: OfferedChoice[];
}

/** Turns channel-neutral replies and intents into one channel's API calls. Implemented in src/channels/<platform>/. */
export interface ReplyRenderer {
  /** What the channel can ask a person for and take from them. */
  readonly caps: ChannelCaps;
  render(reply: Reply, locale: string): RenderedReply;
  /** An intent (a message under another, a card shown again, choices taken away, a file passed on) as this channel's calls. */
  intent(intent: Intent, locale: string): RenderedReply;
}

/** Enough of an outbox row for the sender to schedule it. */
export interface OutboxRef {
  id: number;
  chatId: string;
  channel: string;
  priority: number;
  /** The platform method: calls not counted against the chat's limits are delivered in a lane of their own. */
  method?: string;
  /** A paid bulk message: delivered in the sender's paid lane (see `OutboxSender`). */
  bulkPaid?: boolean;
}

/** Priority of a direct answer to a person: always ahead of bulk sends. */
export const PRIORITY_REPLY = 10;
/** Priority of campaign / bulk messages. */
export const PRIORITY_BULK = 0;

/**
 * Records calls in the outbox (inside the caller's transaction, so they exist exactly when the
 * change that caused them does). The sender delivers them in order after commit.
 */
export async function enqueueCalls(
  tx: Tx,
  target: { chatId: string; channel: Channel | string },
  calls: OutboundCall[],
  opts: { priority?: number; sourceUpdateId?: number; sensitive?: boolean; bulkPaid?: boolean; alongside?: AlongsideWrite | AlongsideWrite[] } = {},
): Promise<OutboxRef[]> {
  const hot = hotSqlOf(tx);
  const alongside = opts.alongside === undefined ? [] : Array.isArray(opts.alongside) ? opts.alongside : [opts.alongside];
  // The other writes: in the same statement where PostgreSQL's raw statements serve, else first, each on its own.
  const fused = alongside.length > 0 && calls.length > 0 && hot?.dialect === "postgresql";
  if (!fused) for (const write of alongside) await write.run();
  if (calls.length === 0) return [];
  const data = calls.map((c) => ({
    channel: target.channel,
    chatId: target.chatId,
    method: c.method,
    payload: JSON.stringify(c.payload),
    priority: opts.priority ?? PRIORITY_REPLY,
    sourceUpdateId: opts.sourceUpdateId ?? null,
    sensitive: c.sensitive ?? opts.sensitive ?? false,
    // Only bulk messages can be paid ones: a reply to a person keeps its own pace and priority.
    bulkPaid: (c.bulkPaid ?? opts.bulkPaid ?? false) && (opts.priority ?? PRIORITY_REPLY) <= PRIORITY_BULK,
  }));
  if (hot) {
    // Raw on the inbox worker's transaction (see db/hot.ts): the columns Prisma would write, defaults included.
    // One statement for all the calls (one round trip on PostgreSQL); the ids are given in the rows' order.
    const insert =
      (fused ? `WITH ${alongside.map((w, i) => `"alongside${i + 1}" AS (${w.sql})`).join(", ")} ` : "") +
      `INSERT INTO "OutboxMessage" ("channel", "chatId", "method", "payload", "priority", "sourceUpdateId", "sensitive", "bulkPaid", "status", "attempts", "rateLimitedCount", "nextAttemptAt", "createdAt") VALUES ` +
      data.map(() => `(?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?)`).join(", ") +
      ` RETURNING "id"`;
    const now = sqliteDate(new Date());
    const ids = (await hot.all<{ id: number }>(insert, ...(fused ? alongside.flatMap((w) => w.params) : []), ...data.flatMap((d) => [d.channel, d.chatId, d.method, d.payload, d.priority, d.sourceUpdateId, d.sensitive ? 1 : 0, d.bulkPaid ? 1 : 0, now, now])))
      .map((r) => r.id)
      .sort((a, b) => a - b);
    return data.map((d, i) => ({ id: ids[i]!, chatId: d.chatId, channel: d.channel, priority: d.priority, method: d.method, bulkPaid: d.bulkPaid }));
  }
  const rows = await tx.outboxMessage.createManyAndReturn({
    data,
    select: { id: true, chatId: true, channel: true, priority: true, method: true, bulkPaid: true },
  });
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * A write made together with recording calls (`enqueueCalls` `alongside`): on PostgreSQL's raw
 * statements `sql` (one UPDATE or INSERT, `?` parameters, no RETURNING needed) runs in the same
 * statement as the INSERT, as a data-modifying WITH (one round trip; the writes of one statement must
 * touch different rows); elsewhere, or with no calls, `run` makes it first.
 */
export interface AlongsideWrite {
  sql: string;
  params: unknown[];
  run: () => Promise<void>;
}

/**
 * Records intents in the outbox as one channel's calls (inside the caller's transaction, like
 * `enqueueCalls`). The core says what should happen; the renderer decides how the channel does it.
 */
export async function enqueueIntents(
  tx: Tx,
  target: { chatId: string; channel: Channel | string },
  renderer: ReplyRenderer,
  locale: string,
  intents: Intent[],
  opts: { priority?: number; sourceUpdateId?: number; sensitive?: boolean } = {},
): Promise<OutboxRef[]> {
  return enqueueCalls(tx, target, intents.flatMap((i) => renderer.intent(i, locale).calls), opts);
}
