import type { Tx } from "../../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../../outbox/outbound.ts";
import { quoted } from "../../reply.ts";
import { noticeOnCards } from "../cards.ts";

/**
 * Passes a tipster's answer to the tip's working card, as a copy written by the bot (never a
 * forward, so the tipster's account stays unknown). Returns the group messages, or [] when the tip
 * is gone or closed.
 */
export async function relayFromTipster(tx: Tx, officerRenderer: ReplyRenderer | undefined, props: { tipId: string; text: string }): Promise<{ refs: OutboxRef[]; unit: string | null }> {
  const tip = await tx.tip.findUnique({ where: { id: props.tipId }, include: { queue: true } });
  if (!tip || tip.status === "closed") return { refs: [], unit: null };
  const text = props.text.trim().slice(0, 3000);
  await tx.relayMessage.create({ data: { tipId: tip.id, direction: "from_tipster", text } });
  await tx.auditEvent.create({ data: { tipId: tip.id, actor: "tipster", action: "tip.answer_received", data: JSON.stringify({ length: text.length }) } });
  const refs = officerRenderer
    ? await noticeOnCards(tx, officerRenderer, tip.id, { key: "officer:done.answer", params: { code: tip.code, text: quoted(text) } }, { mainOnly: true })
    : [];
  return { refs, unit: tip.queue.name };
}
