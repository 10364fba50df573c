import type { Tx } from "../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../outbox/outbound.ts";
import type { Reaction, ReactionTable } from "../events/reaction.ts";
import { postCard } from "../tips/cards.ts";
import { postWaiting } from "../tips/waiting.ts";

/**
 * What a group shows once a queue is bound to it: the cards of the queue's open tips that have no
 * working card there yet (a card shown in a fall-back group before is retired), then everything else
 * that waited for a reader and can now be shown (tips falling back to this group, info-only copies,
 * legal questions), so nothing received before the binding stays invisible.
 */
export async function showInBoundGroup(tx: Tx, renderer: ReplyRenderer, props: { queueId: string; groupChatId: string }): Promise<OutboxRef[]> {
  const open = await tx.tip.findMany({
    where: { queueId: props.queueId, status: { not: "closed" }, cards: { none: { chatId: props.groupChatId, kind: "main", active: true } } },
    orderBy: { receivedAt: "asc" },
  });
  const refs: OutboxRef[] = [];
  for (const tip of open) {
    await tx.tipCard.updateMany({ where: { tipId: tip.id, kind: "main", active: true }, data: { active: false } });
    refs.push(...(await postCard(tx, renderer, tip.id, props.queueId, "main")));
  }
  refs.push(...(await postWaiting(tx, renderer)));
  return refs;
}

const cardsInBoundGroup: Reaction = async (tx, event, deps) => {
  const { queueId, chatId } = event.data;
  if (!deps.officerRenderer || typeof queueId !== "string" || typeof chatId !== "string") return [];
  return showInBoundGroup(tx, deps.officerRenderer, { queueId, groupChatId: chatId });
};

/** The queue events that have consequences, and what follows each, in order. */
export const QUEUE_REACTIONS: ReactionTable = {
  "queue.bound": [cardsInBoundGroup],
};
