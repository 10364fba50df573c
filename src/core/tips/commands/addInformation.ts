import type { Tx } from "../../../db/client.ts";
import { recordAndReact } from "../../events/react.ts";
import { checkMove } from "../tipStates.ts";
import type { OutboxRef, ReplyRenderer } from "../../../outbox/outbound.ts";
import type { FollowUp } from "../cards.ts";
import { FOLLOW_UP_MAX_ATTACHMENTS, FOLLOW_UP_TEXT_CHARS, type FollowUpResult } from "./tipsterAnswer.ts";

/**
 * Adds information to a sent tip, from whoever opened it with its code and PIN ("Bổ sung thông
 * tin"): words are kept as a relay message ("addition"), a photo, video, voice note or file as one
 * of the tip's attachments; posted under every card of the tip, copied by the bot (never
 * forwarded); audited as `tip.information_added` in the same transaction. A closed tip takes no
 * more.
 */
export async function addInformation(tx: Tx, officerRenderer: ReplyRenderer | undefined, props: { tipId: string; item: FollowUp }): Promise<FollowUpResult> {
  const tip = await tx.tip.findUnique({ where: { id: props.tipId }, include: { queue: true } });
  if (!tip || checkMove("tipster_information", tip.status)) return { kind: "closed" };
  // The group messages follow from the event (src/core/tips/reactions.ts), when there is an officers' channel.
  const deps = { officerRenderer };
  let refs: OutboxRef[];
  let item = props.item;
  if ("text" in item) {
    item = { text: item.text.trim().slice(0, FOLLOW_UP_TEXT_CHARS) };
    await tx.relayMessage.create({ data: { tipId: tip.id, direction: "addition", text: item.text } });
    refs = await recordAndReact(tx, { tipId: tip.id, actor: { kind: "tipster" }, action: "tip.information_added", data: { length: item.text.length } }, deps);
  } else {
    if ((await tx.tipAttachment.count({ where: { tipId: tip.id } })) >= FOLLOW_UP_MAX_ATTACHMENTS) return { kind: "full", max: FOLLOW_UP_MAX_ATTACHMENTS };
    const caption = item.media.caption?.trim().slice(0, 1000) || undefined;
    item = { media: { ...item.media, caption } };
    await tx.tipAttachment.create({ data: { tipId: tip.id, kind: item.media.kind, ref: item.media.ref, caption: caption ?? null } });
    refs = await recordAndReact(tx, { tipId: tip.id, actor: { kind: "tipster" }, action: "tip.information_added", data: { media: item.media.kind, length: caption?.length ?? 0 } }, deps);
  }
  return { kind: "relayed", refs, unit: tip.queue.name };
}
