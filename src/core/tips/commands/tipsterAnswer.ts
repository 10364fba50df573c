import type { Tx } from "../../../db/client.ts";
import { recordAndReact } from "../../events/react.ts";
import { markAnswered } from "../awaiting.ts";
import { checkMove } from "../tipStates.ts";
import type { OutboxRef, ReplyRenderer } from "../../../outbox/outbound.ts";
import type { FollowUp } from "../cards.ts";

/** What became of a tipster's follow-up: passed on (refs: the group messages, none while no group shows the tip), or refused: the tip is closed or gone, or holds as many files as it may. */
export type FollowUpResult = { kind: "relayed"; refs: OutboxRef[]; unit: string } | { kind: "closed" } | { kind: "full"; max: number };

/** Longest follow-up text kept and relayed. */
export const FOLLOW_UP_TEXT_CHARS = 3000;
/** Most files one tip holds, those sent with it and after it together. */
export const FOLLOW_UP_MAX_ATTACHMENTS = 30;

/**
 * Passes one message of a tipster's answer to an officer's question (words, or a photo, video,
 * voice note or file) to the tip's working card, as a copy written by the bot (never a forward, so
 * the tipster's account stays unknown). Words are kept as a relay message, media as the tip's
 * attachments; each is an audit event `tip.answer_received`, in the same transaction, and ends the
 * tip's wait for the tipster (a location comes as words; a refused file — the tip full — does not).
 */
export async function relayFromTipster(tx: Tx, officerRenderer: ReplyRenderer | undefined, props: { tipId: string; item: FollowUp }): Promise<FollowUpResult> {
  const tip = await tx.tip.findUnique({ where: { id: props.tipId }, include: { queue: true } });
  if (!tip || checkMove("tipster_answer", tip.status)) return { kind: "closed" };
  // The group messages follow from the event (src/core/tips/reactions.ts), when there is an officers' channel.
  const deps = { officerRenderer };
  let refs: OutboxRef[];
  let item = props.item;
  if ("text" in item) {
    item = { text: item.text.trim().slice(0, FOLLOW_UP_TEXT_CHARS) };
    await markAnswered(tx, tip);
    await tx.relayMessage.create({ data: { tipId: tip.id, direction: "from_tipster", text: item.text } });
    refs = await recordAndReact(tx, { tipId: tip.id, actor: { kind: "tipster" }, action: "tip.answer_received", data: { length: item.text.length } }, deps);
  } else {
    if ((await tx.tipAttachment.count({ where: { tipId: tip.id } })) >= FOLLOW_UP_MAX_ATTACHMENTS) return { kind: "full", max: FOLLOW_UP_MAX_ATTACHMENTS };
    const caption = item.media.caption?.trim().slice(0, 1000) || undefined;
    item = { media: { ...item.media, caption } };
    // Any answer ends the wait (src/core/tips/awaiting.ts); a refused one (above) does not.
    await markAnswered(tx, tip);
    await tx.tipAttachment.create({ data: { tipId: tip.id, kind: item.media.kind, ref: item.media.ref, caption: caption ?? null } });
    refs = await recordAndReact(tx, { tipId: tip.id, actor: { kind: "tipster" }, action: "tip.answer_received", data: { media: item.media.kind, length: caption?.length ?? 0 } }, deps);
  }
  return { kind: "relayed", refs, unit: tip.queue.name };
}
