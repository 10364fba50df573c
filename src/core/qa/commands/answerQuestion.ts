import type { Tx } from "../../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../../outbox/outbound.ts";
import type { Sealer } from "../../../security/sealing.ts";
import { recordAndReact } from "../../events/react.ts";
import { recordCommandRefusal, type CommandActor, type StaffRefusal } from "../../officers/staffAuth.ts";
import type { Renderers } from "../../tips/notifyTipster.ts";
import { authorizeOnQuestion } from "../legalOps.ts";

/** The longest answer relayed to the asker (longer text is cut). */
export const MAX_ANSWER_CHARS = 3500;

/** Why an answer was refused: the actor's right (see `authorizeStaff`), an empty answer, or a question not open. */
export type AnswerRefusal = StaffRefusal | "empty" | "already";

/**
 * A legal officer's answer to an open question (a reply to its card in the legal staff group, or
 * from another surface): relayed to the asker on their channel, anonymously both ways, and shown in
 * the group with a button to save it into the knowledge base. Legal staff and administrators only
 * (`ACTION_ROLES.answer_question`); from a group, only the group holding the question's card. One event:
 * `question.answered` (what follows: src/core/qa/reactions.ts), or `auth.refused` with the reason
 * (an empty answer is refused before anything, with no event).
 */
export async function answerQuestion(
  tx: Tx,
  deps: { sealer: Sealer; officerRenderer: ReplyRenderer; renderers: Renderers },
  props: { actor: CommandActor; questionId: string; answer: string; groupChatId?: string | null },
): Promise<{ ok: true; refs: OutboxRef[] } | { ok: false; reason: AnswerRefusal }> {
  const via = props.groupChatId ?? null;
  // Bad input is answered and changes nothing (no event: nothing was attempted on the question).
  const answer = props.answer.trim().slice(0, MAX_ANSWER_CHARS);
  if (!answer) return { ok: false, reason: "empty" };
  const auth = await authorizeOnQuestion(tx, { actor: props.actor, action: "answer_question", auditAction: "question.answer", questionId: props.questionId, via });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  const refuse = async (reason: "already") => {
    await recordCommandRefusal(tx, { actor: auth.key, action: "question.answer", reason, via, data: { questionId: props.questionId } });
    return { ok: false as const, reason };
  };
  const question = await tx.legalQuestion.findUnique({ where: { id: props.questionId } });
  if (!question || question.status !== "open") return refuse("already");
  // Only an open question is answered, once: a concurrent second answer changes nothing.
  const { count } = await tx.legalQuestion.updateMany({
    where: { id: question.id, status: "open" },
    data: { status: "answered", answer, answeredBy: auth.officer?.id ?? auth.key, answeredAt: new Date() },
  });
  if (count !== 1) return refuse("already");
  const refs = await recordAndReact(tx, { action: "question.answered", actor: auth.key, via, data: { questionId: question.id } }, deps);
  return { ok: true, refs };
}
