import { Prisma, type Tx } from "../../db/client.ts";
import type { OutboxRef, RenderedReply } from "../../outbox/outbound.ts";
import { enqueueBulk, type BulkItem } from "../../outbox/enqueueBulk.ts";
import type { Renderers } from "../tips/notifyTipster.ts";
import { campaignMessage } from "./message.ts";

/** Ids per `IN (…)` list (a CASE entry takes two parameters more). */
const ID_CHUNK = 500;

/** A run as `queueDeliveries` needs it: its campaign with the content. */
export interface RunToQueue {
  id: number;
  campaign: { id: string; paidBroadcast: boolean; content: { bodies: string; source: string; quiz: string } };
}

/** What one call of `queueDeliveries` did. */
export interface QueuedBatch {
  /** Pending deliveries looked at (fewer than asked: the run has no more). */
  found: number;
  /** Deliveries queued (their messages recorded in the outbox). */
  queued: number;
  /** The outbox rows recorded, for the sender. */
  refs: OutboxRef[];
}

/**
 * Queues the next `take` pending deliveries of a run, inside the caller's transaction: each
 * subscriber's campaign message (rendered once per channel and language) is recorded in the outbox
 * as bulk — paid bulk for a paid campaign — and the delivery marked queued with its message; a
 * subscriber whose chat is gone, unreachable or on a channel without a renderer is skipped. The quiz
 * options become the menu a typed number answers, unless the person is in the middle of something
 * (a flow or a tip draft). A fixed number of statements per batch, whatever its size: a paid
 * broadcast queues up to 1,000 messages a second.
 */
export async function queueDeliveries(tx: Tx, props: { run: RunToQueue; take: number; renderers: Renderers; now?: Date }): Promise<QueuedBatch> {
  const { run, take, renderers } = props;
  const now = props.now ?? new Date();
  const deliveries = await tx.$queryRaw<Array<{ id: number | bigint; chatId: string; channel: string | null; locale: string | null; unreachableAt: Date | null }>>(Prisma.sql`
    SELECT d."id", d."chatId", c."channel", c."locale", c."unreachableAt"
    FROM "Delivery" d LEFT JOIN "Chat" c ON c."id" = d."chatId"
    WHERE d."runId" = ${run.id} AND d."status" = 'pending'
    ORDER BY d."id" LIMIT ${take}`);
  // The message for each channel and language, rendered once.
  const rendered = new Map<string, RenderedReply | null>();
  const renderFor = (channel: string, locale: string) => {
    const key = `${channel}\u0000${locale}`;
    if (!rendered.has(key)) {
      const renderer = renderers[channel];
      rendered.set(key, renderer ? renderer.render(campaignMessage(run.campaign, locale), locale) : null);
    }
    return rendered.get(key)!;
  };
  const skipped: number[] = [];
  const items: Array<BulkItem & { deliveryId: number; menu: string | null }> = [];
  for (const d of deliveries) {
    const message = d.channel !== null && d.unreachableAt === null ? renderFor(d.channel, d.locale ?? "vi") : null;
    if (!message || message.calls.length === 0) {
      skipped.push(Number(d.id));
      continue;
    }
    items.push({ deliveryId: Number(d.id), chatId: d.chatId, channel: d.channel!, calls: message.calls, menu: message.offered.length ? JSON.stringify(message.offered) : null });
  }

  const byChat = items.length ? await enqueueBulk(tx, items, { bulkPaid: run.campaign.paidBroadcast }) : new Map<string, OutboxRef[]>();
  // Quiz options as the chat's menu, one statement per distinct menu (one per language).
  const menus = new Map<string, string[]>();
  for (const item of items) {
    if (!item.menu) continue;
    const chats = menus.get(item.menu);
    if (chats) chats.push(item.chatId);
    else menus.set(item.menu, [item.chatId]);
  }
  for (const [menu, chatIds] of menus) {
    for (let i = 0; i < chatIds.length; i += ID_CHUNK) {
      await tx.$executeRaw(Prisma.sql`
        UPDATE "Chat" SET "menu" = ${menu}, "updatedAt" = ${now}
        WHERE "id" IN (${Prisma.join(chatIds.slice(i, i + ID_CHUNK))}) AND "flow" IS NULL
          AND NOT EXISTS (SELECT 1 FROM "TipDraft" t WHERE t."chatId" = "Chat"."id")`);
    }
  }
  // Each delivery points at its chat's last message (the one whose outcome counts).
  const queued = items.map((item) => ({ id: item.deliveryId, outboxId: byChat.get(item.chatId)!.at(-1)!.id }));
  for (let i = 0; i < queued.length; i += ID_CHUNK) {
    const chunk = queued.slice(i, i + ID_CHUNK);
    await tx.$executeRaw(Prisma.sql`
      UPDATE "Delivery" SET "status" = 'queued', "updatedAt" = ${now},
        "outboxId" = CASE "id" ${Prisma.join(chunk.map((q) => Prisma.sql`WHEN ${q.id} THEN CAST(${q.outboxId} AS INTEGER)`), " ")} END
      WHERE "id" IN (${Prisma.join(chunk.map((q) => q.id))})`);
  }
  for (let i = 0; i < skipped.length; i += ID_CHUNK) {
    await tx.$executeRaw(Prisma.sql`UPDATE "Delivery" SET "status" = 'skipped', "updatedAt" = ${now} WHERE "id" IN (${Prisma.join(skipped.slice(i, i + ID_CHUNK))})`);
  }
  return { found: deliveries.length, queued: items.length, refs: [...byChat.values()].flat().sort((a, b) => a.id - b.id) };
}
