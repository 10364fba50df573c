import type { Tx } from "../../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../../outbox/outbound.ts";
import type { Sealer } from "../../../security/sealing.ts";
import { recordAndReact } from "../../events/react.ts";

/** The longest question handed to the legal staff (longer text is cut). */
export const MAX_HANDED_OFF_CHARS = 2000;

/**
 * Hands a resident's question to the legal staff: stored with only a sealed reference to the
 * asker's chat, and posted as a card in the legal staff group (when one is bound) that staff answer
 * by replying to it. Its one event is `question.handed_off` (by "resident", never named; the card
 * follows from it: src/core/qa/reactions.ts). Returns
 * null (nothing stored) for an empty question.
 */
export async function handOffQuestion(
  tx: Tx,
  deps: { sealer: Sealer; officerRenderer?: ReplyRenderer },
  props: { chatId: string; text: string; locale: string },
): Promise<OutboxRef[] | null> {
  const text = props.text.trim().slice(0, MAX_HANDED_OFF_CHARS);
  if (!text || !props.chatId) return null;
  const question = await tx.legalQuestion.create({
    data: { text, locale: props.locale, replyRefSealed: deps.sealer.seal(props.chatId, "tip-reply-ref") },
  });
  return recordAndReact(tx, { action: "question.handed_off", actor: { kind: "resident" }, data: { questionId: question.id } }, deps);
}
