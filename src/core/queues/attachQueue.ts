import type { Tx } from "../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../outbox/outbound.ts";
import { postCard } from "../tips/cards.ts";
import { postWaiting } from "../tips/waiting.ts";

/**
 * Points a queue at an officers' group (a Chat row) and posts the cards of its open tips that have
 * no working card there yet, then everything else that waited for a reader and can now be shown
 * (tips falling back to this group, info-only copies, legal questions), so nothing received before
 * the binding stays invisible. Not a command: `bindQueue` and `bindGroupWithCode` authorise and
 * record the event.
 */
export async function attachQueue(tx: Tx, renderer: ReplyRenderer, props: { queueId: string; groupChatId: string }): Promise<OutboxRef[]> {
  const queue = await tx.queue.update({ where: { id: props.queueId }, data: { groupChatId: props.groupChatId } });
  const open = await tx.tip.findMany({
    where: { queueId: queue.id, status: { not: "closed" }, cards: { none: { chatId: props.groupChatId, kind: "main", active: true } } },
    orderBy: { receivedAt: "asc" },
  });
  const refs: OutboxRef[] = [];
  for (const tip of open) {
    await tx.tipCard.updateMany({ where: { tipId: tip.id, kind: "main", active: true }, data: { active: false } });
    refs.push(...(await postCard(tx, renderer, tip.id, queue.id, "main")));
  }
  refs.push(...(await postWaiting(tx, renderer)));
  return refs;
}
