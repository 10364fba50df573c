import type { Tx } from "../../db/client.ts";
import { enqueueIntents, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import { quoted } from "../reply.ts";
import { groupFor } from "../tips/cards.ts";
import { authorizeStaff, type CommandActor, type StaffAuthorization } from "../officers/staffAuth.ts";
import type { StaffAction } from "../officers/authorize.ts";

/** The queue whose group is the legal staff's. */
export const LEGAL_QUEUE_ID = "legal:VN";

/** Short public id of a legal question, e.g. "Q-7K3M9Q". */
export const questionLabel = (id: string) => `Q-${id.slice(-6).toUpperCase()}`;

/**
 * Shows an open legal question in the legal staff's group, as a message they answer by replying to
 * it. Returns [] when no group is bound yet (the question waits and is posted when one is).
 */
export async function postQuestionCard(tx: Tx, renderer: ReplyRenderer, questionId: string): Promise<OutboxRef[]> {
  const question = await tx.legalQuestion.findUniqueOrThrow({ where: { id: questionId } });
  const group = await groupFor(tx, LEGAL_QUEUE_ID);
  if (!group) return [];
  // Answered by replying to it: the channel opens the answer field for anyone in the group.
  const card = { key: "qa:staff.card", params: { id: questionLabel(question.id), text: quoted(question.text), lang: question.locale } };
  const refs = await enqueueIntents(tx, group, renderer, "vi", [{ kind: "message", reply: card, answerFrom: "anyone" }]);
  await tx.legalQuestion.update({ where: { id: question.id }, data: { cardOutboxId: refs[0]!.id } });
  return refs;
}

/**
 * The scope rule of legal staff's actions on a question: from a group, only the group that holds
 * the question's card (or, before it has one, the group the legal queue is bound to) — a button's
 * data can be forged in another group; from no group (the CLI, a console), anywhere.
 */
export async function legalGroupCheck(tx: Tx, groupChatId: string | null, questionId: string): Promise<boolean> {
  if (!groupChatId) return true;
  const question = await tx.legalQuestion.findUnique({ where: { id: questionId }, select: { cardOutboxId: true } });
  if (question?.cardOutboxId) {
    const card = await tx.outboxMessage.findUnique({ where: { id: question.cardOutboxId }, select: { chatId: true } });
    if (card) return card.chatId === groupChatId;
  }
  const queue = await tx.queue.findUnique({ where: { id: LEGAL_QUEUE_ID }, select: { groupChatId: true } });
  return queue?.groupChatId === groupChatId;
}

/**
 * A legal staff action on one question by `actor`, from group `via` (null: the CLI or a console):
 * the role check and the question's group (see `legalGroupCheck`); a refusal is recorded naming
 * `auditAction` and the question.
 */
export function authorizeOnQuestion(
  tx: Tx,
  props: { actor: CommandActor; action: StaffAction; auditAction: string; questionId: string; via: string | null },
): Promise<StaffAuthorization> {
  return authorizeStaff(tx, {
    actor: props.actor,
    action: props.action,
    auditAction: props.auditAction,
    via: props.via,
    data: { questionId: props.questionId },
    inScope: () => legalGroupCheck(tx, props.via, props.questionId),
  });
}
