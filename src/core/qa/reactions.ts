import type { Tx } from "../../db/client.ts";
import { enqueueCalls, type OutboxRef } from "../../outbox/outbound.ts";
import { actorName, type Reaction, type ReactionTable } from "../events/reaction.ts";
import { notifyTipster } from "../tips/notifyTipster.ts";
import { postQuestionCard, questionLabel } from "./legalOps.ts";
import { saveButton } from "../actions/buttons.ts";

/*
 * What follows each legal Q&A event: the question's card in the legal staff group, the answer
 * relayed to the asker (reached only through the question's sealed reply reference), the staff
 * group told who answered.
 */

const questionId = (data: Record<string, unknown>) => (typeof data.questionId === "string" ? data.questionId : "");

/** The question's card in the legal staff group (when one is bound; else it waits for one). */
const questionCardPosted: Reaction = async (tx, event, deps) => (deps.officerRenderer ? postQuestionCard(tx, deps.officerRenderer, questionId(event.data)) : []);

/** The answer relayed to the asker on their own channel, with the "general information" notice. */
const answerToAsker: Reaction = async (tx, event, deps) => {
  const question = await tx.legalQuestion.findUnique({ where: { id: questionId(event.data) } });
  if (!question?.answer) return [];
  if (!deps.sealer) throw new Error(`${event.action}: reaching the asker needs the sealer`);
  return notifyTipster(tx, { sealer: deps.sealer, renderers: deps.renderers ?? {} }, { replyRefSealed: question.replyRefSealed, locale: question.locale }, {
    key: "qa:ask.answer_from_staff",
    params: { question: question.text, answer: question.answer },
    more: [{ key: "qa:ask.disclaimer" }],
  });
};

/** The chat holding a question's card in the legal staff group, if it has one. */
async function cardChat(tx: Tx, cardOutboxId: number | null): Promise<string | null> {
  if (cardOutboxId === null) return null;
  return (await tx.outboxMessage.findUnique({ where: { id: cardOutboxId }, select: { chatId: true } }))?.chatId ?? null;
}

/**
 * The staff group sees who answered, with the button to keep the answer: the group the answer came
 * from, or — answered from no group (the web console) — the group holding the question's card, so
 * the card is not left looking unanswered.
 */
const answeredInGroup: Reaction = async (tx, event, deps) => {
  const question = await tx.legalQuestion.findUnique({ where: { id: questionId(event.data) } });
  const groupId = event.via ?? (question ? await cardChat(tx, question.cardOutboxId) : null);
  const group = groupId ? await tx.chat.findUnique({ where: { id: groupId } }) : null;
  if (!question?.answer || !group || !deps.officerRenderer) return [];
  const done = deps.officerRenderer.render(
    {
      key: "qa:staff.answered",
      params: { staff: event.actor.startsWith("officer:") ? await actorName(tx, event.actor) : event.actor, id: questionLabel(question.id), answer: question.answer },
      choices: [{ id: saveButton(question.id), labelKey: "qa:staff.save" }],
    },
    group.locale ?? "vi",
  );
  const refs: OutboxRef[] = await enqueueCalls(tx, { chatId: group.id, channel: group.channel }, done.calls);
  return refs;
};

/** The legal Q&A events that have consequences, and what follows each, in order. */
export const QA_REACTIONS: ReactionTable = {
  "question.handed_off": [questionCardPosted],
  "question.answered": [answerToAsker, answeredInGroup],
};
