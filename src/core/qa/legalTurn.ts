import type { Tx } from "../../db/client.ts";
import type { OutboxRef } from "../../outbox/outbound.ts";
import { officerName } from "../officers/authorize.ts";
import { sendToGroup, type GroupActor, type OfficerDeps, type PressResult } from "../officers/groupContext.ts";
import { answerQuestion } from "./commands/answerQuestion.ts";
import { saveAnswerToKnowledge } from "./commands/saveAnswerToKnowledge.ts";
import { questionLabel } from "./legalOps.ts";

/** The reply for a refused legal-staff action. */
const refusalKey = (reason: string) =>
  reason === "scope" ? "officer:refuse.wrong_group" : reason === "already" || reason === "not_answered" ? `qa:staff.${reason}` : "qa:staff.not_staff";

/**
 * "Save to the knowledge base" (the action table's `question.save`, its button decoded by
 * actions/buttons.ts) pressed under an answered question in the legal staff group: the
 * `saveAnswerToKnowledge` command, then the group is told (or the presser, when refused).
 */
export async function legalPress(tx: Tx, deps: OfficerDeps, actor: GroupActor & { questionId: string }): Promise<PressResult> {
  const t = (key: string, params?: Record<string, unknown>) => deps.t(actor.group.locale ?? "vi", key, params);
  const questionId = actor.questionId;
  const saved = await saveAnswerToKnowledge(tx, {
    actor: { kind: "telegram-user", telegramUserId: actor.telegramUserId },
    questionId,
    sourceText: deps.t("vi", "qa:staff.source"),
    groupChatId: actor.group.id,
  });
  if (!saved.ok) return { refs: [], answer: t(refusalKey(saved.reason)), alert: true };
  const officer = await tx.officer.findUnique({ where: { telegramUserId: actor.telegramUserId } });
  const refs = await sendToGroup(tx, deps, actor.group, {
    key: "qa:staff.saved",
    params: { staff: officer ? officerName(officer) : actor.displayName, id: questionLabel(questionId).slice(2), entry: saved.entryId },
  });
  return { refs };
}

/**
 * A legal officer's reply to a question's card in the legal staff group: the `answerQuestion`
 * command; a refusal is answered under the reply.
 */
export async function legalReply(tx: Tx, deps: OfficerDeps, actor: GroupActor & { replyToMessageId?: number }, questionId: string, text: string): Promise<OutboxRef[]> {
  const answered = await answerQuestion(tx, deps, {
    actor: { kind: "telegram-user", telegramUserId: actor.telegramUserId },
    questionId,
    answer: text,
    groupChatId: actor.group.id,
  });
  if (answered.ok) return answered.refs;
  if (answered.reason === "empty") return [];
  return sendToGroup(tx, deps, actor.group, { key: refusalKey(answered.reason) }, actor.replyToMessageId === undefined ? {} : { under: { platform: actor.replyToMessageId } });
}
