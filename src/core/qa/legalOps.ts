import crypto from "node:crypto";
import type { Tx } from "../../db/client.ts";
import { enqueueCalls, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import type { Sealer } from "../../security/sealing.ts";
import type { OfficerRecord } from "../officers/authorize.ts";
import { officerName } from "../officers/authorize.ts";
import { quoted } from "../reply.ts";
import { groupFor } from "../tips/cards.ts";
import { notifyTipster, type Renderers } from "../tips/notifyTipster.ts";

/** The queue whose group is the legal staff's. */
export const LEGAL_QUEUE_ID = "legal:VN";

/** Short public id of a legal question, e.g. "Q-7K3M9Q". */
export const questionLabel = (id: string) => `Q-${id.slice(-6).toUpperCase()}`;

/**
 * Hands a resident's question to the legal staff: stored with only a sealed reference to the
 * asker's chat, and posted as a card in the legal staff group (when one is bound) that staff answer
 * by replying to it.
 */
export async function handOffQuestion(
  tx: Tx,
  deps: { sealer: Sealer; officerRenderer?: ReplyRenderer },
  props: { chatId: string; text: string; locale: string },
): Promise<OutboxRef[]> {
  const question = await tx.legalQuestion.create({
    data: { text: props.text.slice(0, 2000), locale: props.locale, replyRefSealed: deps.sealer.seal(props.chatId, "tip-reply-ref") },
  });
  await tx.auditEvent.create({ data: { actor: "resident", action: "question.handed_off", data: JSON.stringify({ questionId: question.id }) } });
  return deps.officerRenderer ? postQuestionCard(tx, deps.officerRenderer, question.id) : [];
}

/**
 * Shows an open legal question in the legal staff's group, as a message they answer by replying to
 * it. Returns [] when no group is bound yet (the question waits and is posted when one is).
 */
export async function postQuestionCard(tx: Tx, renderer: ReplyRenderer, questionId: string): Promise<OutboxRef[]> {
  const question = await tx.legalQuestion.findUniqueOrThrow({ where: { id: questionId } });
  const group = await groupFor(tx, LEGAL_QUEUE_ID);
  if (!group) return [];
  const rendered = renderer.render({ key: "qa:staff.card", params: { id: questionLabel(question.id), text: quoted(question.text), lang: question.locale } }, "vi");
  const refs = await enqueueCalls(tx, group, rendered.calls.map((c) => ({ ...c, payload: { ...c.payload, reply_markup: { force_reply: true } } })));
  await tx.legalQuestion.update({ where: { id: question.id }, data: { cardOutboxId: refs[0]!.id } });
  return refs;
}

export class LegalOpError extends Error {
  constructor(readonly reason: "not_staff" | "already" | "not_answered") {
    super(reason);
  }
}

const isLegalStaff = (o: OfficerRecord | null): o is OfficerRecord => !!o && !o.revokedAt && (o.role === "legal" || o.role === "admin");

/** A legal officer's answer (a reply to the card): relayed to the asker on their channel, anonymously both ways. */
export async function answerQuestion(
  tx: Tx,
  deps: { sealer: Sealer; officerRenderer: ReplyRenderer; renderers: Renderers },
  props: { questionId: string; officer: OfficerRecord | null; answer: string; groupChatId: string },
): Promise<OutboxRef[]> {
  if (!isLegalStaff(props.officer)) throw new LegalOpError("not_staff");
  const question = await tx.legalQuestion.findUniqueOrThrow({ where: { id: props.questionId } });
  if (question.status !== "open") throw new LegalOpError("already");
  const answer = props.answer.trim().slice(0, 3500);
  await tx.legalQuestion.update({ where: { id: question.id }, data: { status: "answered", answer, answeredBy: props.officer.id, answeredAt: new Date() } });
  await tx.auditEvent.create({ data: { actor: `officer:${props.officer.id}`, action: "question.answered", data: JSON.stringify({ questionId: question.id }), via: props.groupChatId } });
  const refs = await notifyTipster(tx, deps, { replyRefSealed: question.replyRefSealed, locale: question.locale }, {
    key: "qa:ask.answer_from_staff",
    params: { question: question.text, answer },
    more: [{ key: "qa:ask.disclaimer" }],
  });
  const group = await tx.chat.findUniqueOrThrow({ where: { id: props.groupChatId } });
  const done = deps.officerRenderer.render(
    {
      key: "qa:staff.answered",
      params: { staff: officerName(props.officer), id: questionLabel(question.id), answer },
      choices: [{ id: `kb:save:${question.id}`, labelKey: "qa:staff.save" }],
    },
    group.locale ?? "vi",
  );
  refs.push(...(await enqueueCalls(tx, { chatId: group.id, channel: group.channel }, done.calls)));
  return refs;
}

/** Saves an answered question into the knowledge base, so the next resident asking finds it. */
export async function saveAnswerToKnowledge(tx: Tx, props: { questionId: string; officer: OfficerRecord | null; sourceText: string }): Promise<string> {
  if (!isLegalStaff(props.officer)) throw new LegalOpError("not_staff");
  // The question may be gone (deleted by the retention job or the asker's "delete my data").
  const question = await tx.legalQuestion.findUnique({ where: { id: props.questionId } });
  if (!question || question.status !== "answered" || !question.answer) throw new LegalOpError("not_answered");
  if (question.entryId) return question.entryId;
  const id = `kb-u-${crypto.createHash("sha256").update(question.id).digest("hex").slice(0, 8)}`;
  await tx.knowledgeEntry.create({
    data: {
      id,
      questions: JSON.stringify(question.locale === "en" ? { vi: [question.text], en: [question.text] } : { vi: [question.text] }),
      answers: JSON.stringify({ vi: question.answer }),
      source: JSON.stringify({ law: props.sourceText }),
      topics: "[]",
      lastReviewed: new Date().toISOString().slice(0, 10),
      createdBy: `officer:${props.officer.id}`,
    },
  });
  await tx.legalQuestion.update({ where: { id: question.id }, data: { entryId: id } });
  await tx.auditEvent.create({ data: { actor: `officer:${props.officer.id}`, action: "knowledge.saved_answer", data: JSON.stringify({ questionId: question.id, entryId: id }) } });
  return id;
}
