import type { Prisma, Tx } from "../../db/client.ts";

/*
 * "Awaiting the tipster's answer" — the one definition every page and command uses.
 *
 * A tip awaits the tipster from the moment an officer asks them a question (ask.ts) until the
 * tipster answers it in any form: words, a photo, video, voice note or file with or without a
 * caption, a shared location, on any channel (tipsterAnswer.ts, the only place an answer is
 * recorded). Asking again after an answer starts a new wait; asking again while waiting keeps the
 * earliest question's time. Information added after a look-up ("add information") is not an answer.
 * A closed tip awaits nothing (a reopened one whose question was never answered awaits it again).
 *
 * The state is one column, `Tip.awaitingAnswerSince`, written in the same transaction as the
 * question's or the answer's audit event (`tip.question_sent`, `tip.answer_received`). The console's
 * live queue and tip list read it through `isAwaitingTipster` and `AWAITING_TIPSTER_WHERE`, the tip
 * page likewise: the relay thread is never re-read to decide it (a media answer leaves no relay
 * message).
 */

/** The open statuses (a closed tip awaits nothing). */
const OPEN_STATUSES = ["new", "claimed"];

/** The tips awaiting the tipster's answer, as a database filter (served by `Tip(awaitingAnswerSince)`). */
export const AWAITING_TIPSTER_WHERE = { status: { in: OPEN_STATUSES }, awaitingAnswerSince: { not: null } } satisfies Prisma.TipWhereInput;

/** Whether a tip (its status and `awaitingAnswerSince`, as read) awaits the tipster's answer. */
export const isAwaitingTipster = (tip: { status: string; awaitingAnswerSince: Date | null }): boolean =>
  OPEN_STATUSES.includes(tip.status) && tip.awaitingAnswerSince !== null;

/** Starts the wait when an officer's question is sent (kept at the earliest unanswered question). Call in the question's transaction. */
export async function markQuestionAsked(tx: Tx, tipId: string, at: Date): Promise<void> {
  await tx.tip.updateMany({ where: { id: tipId, awaitingAnswerSince: null }, data: { awaitingAnswerSince: at } });
}

/** Ends the wait when the tipster's answer (any kind) is recorded (`tip` as read in the answer's transaction; nothing written when it was not waiting). */
export async function markAnswered(tx: Tx, tip: { id: string; awaitingAnswerSince: Date | null }): Promise<void> {
  if (tip.awaitingAnswerSince !== null) await tx.tip.update({ where: { id: tip.id }, data: { awaitingAnswerSince: null } });
}
