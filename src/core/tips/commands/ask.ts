import type { OutboxRef } from "../../../outbox/outbound.ts";
import { notifyTipster } from "../notifyTipster.ts";
import { answerFlow } from "../answerFlow.ts";
import { TipStateError, audit, requireTip, type TipOpContext } from "./context.ts";

/**
 * Sends an officer's question to the tipster, signed only with the unit's name; the tipster's next
 * message becomes the answer (relayed back by relayFromTipster). Neither side learns the other's identity.
 */
export async function relayToTipster(ctx: TipOpContext, props: { tipId: string; text: string }): Promise<OutboxRef[]> {
  const tip = await requireTip(ctx, props.tipId);
  if (tip.status === "closed") throw new TipStateError("state");
  const text = props.text.trim().slice(0, 1500);
  if (!text) throw new TipStateError("state");
  await ctx.tx.relayMessage.create({ data: { tipId: tip.id, direction: "to_tipster", text, officerId: ctx.officer.id, createdAt: ctx.now } });
  await audit(ctx, tip.id, "tip.question_sent", { length: text.length });
  return notifyTipster(
    ctx.tx,
    ctx,
    tip,
    { key: "officer:tipster.question", params: { unit: tip.queue.name, code: tip.code, text } },
    { flow: answerFlow(ctx.sealer, tip.id) },
  );
}
