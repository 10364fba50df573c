import crypto from "node:crypto";
import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { recordCommandRefusal, type CommandActor, type StaffRefusal } from "../../officers/staffAuth.ts";
import { fold } from "../../text.ts";
import { authorizeOnQuestion } from "../legalOps.ts";

/** Why saving was refused: the actor's right, a question with no answer (or gone), or (saving as a phrasing) no such active entry. */
export type SaveRefusal = StaffRefusal | "not_answered" | "no_entry";

/**
 * Saves an answered question into the knowledge base, so the next resident asking finds it: as a
 * new entry (the question and its answer), or — `intoEntryId` — as one more phrasing of an existing
 * active entry (in the question's language; the entry's answer stays). Legal
 * staff and administrators only (`ACTION_ROLES.save_answer`); from a group, only the group holding
 * the question's card. Saving twice returns the same entry and changes nothing. One event:
 * `knowledge.saved_answer` (none when already saved), or `auth.refused` with the reason (an unknown
 * or retired `intoEntryId` is bad input: refused with no event).
 *
 * `knowledgeChanged` tells the caller an entry was written: the in-memory knowledge base sees it
 * once this transaction has committed (`KnowledgeBase.fresh` compares the stored entries' stamp), so
 * nothing needs to be cleared here, inside a transaction that may still roll back.
 */
export async function saveAnswerToKnowledge(
  tx: Tx,
  props: { actor: CommandActor; questionId: string; sourceText: string; groupChatId?: string | null; intoEntryId?: string },
): Promise<{ ok: true; entryId: string; knowledgeChanged: boolean } | { ok: false; reason: SaveRefusal }> {
  const via = props.groupChatId ?? null;
  const auth = await authorizeOnQuestion(tx, { actor: props.actor, action: "save_answer", auditAction: "question.save", questionId: props.questionId, via });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  // The question may be gone (deleted by the retention job or the asker's "delete my data").
  const question = await tx.legalQuestion.findUnique({ where: { id: props.questionId } });
  if (!question || question.status !== "answered" || !question.answer) {
    await recordCommandRefusal(tx, { actor: auth.key, action: "question.save", reason: "not_answered", via, data: { questionId: props.questionId } });
    return { ok: false, reason: "not_answered" };
  }
  if (question.entryId) return { ok: true, entryId: question.entryId, knowledgeChanged: false };
  if (props.intoEntryId !== undefined) {
    const entry = await tx.knowledgeEntry.findUnique({ where: { id: props.intoEntryId } });
    if (!entry || !entry.active) return { ok: false, reason: "no_entry" };
    const questions = JSON.parse(entry.questions) as Record<string, string[] | undefined>;
    const lang = question.locale === "en" || question.locale === "km" ? question.locale : "vi";
    const list = questions[lang] ?? [];
    if (!list.some((q) => fold(q) === fold(question.text))) questions[lang] = [...list, question.text];
    await tx.knowledgeEntry.update({ where: { id: entry.id }, data: { questions: JSON.stringify(questions) } });
    await tx.legalQuestion.update({ where: { id: question.id }, data: { entryId: entry.id } });
    await recordEvent(tx, { action: "knowledge.saved_answer", actor: auth.key, via, data: { questionId: question.id, entryId: entry.id, as: "phrasing" } });
    return { ok: true, entryId: entry.id, knowledgeChanged: true };
  }
  const id = `kb-u-${crypto.createHash("sha256").update(question.id).digest("hex").slice(0, 8)}`;
  await tx.knowledgeEntry.create({
    data: {
      id,
      questions: JSON.stringify(question.locale === "en" ? { vi: [question.text], en: [question.text] } : { vi: [question.text] }),
      answers: JSON.stringify({ vi: question.answer }),
      source: JSON.stringify({ law: props.sourceText }),
      topics: "[]",
      lastReviewed: new Date().toISOString().slice(0, 10),
      createdBy: auth.key,
    },
  });
  await tx.legalQuestion.update({ where: { id: question.id }, data: { entryId: id } });
  await recordEvent(tx, { action: "knowledge.saved_answer", actor: auth.key, via, data: { questionId: question.id, entryId: id } });
  return { ok: true, entryId: id, knowledgeChanged: true };
}
