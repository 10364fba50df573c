import type { OutboxRef } from "../../../outbox/outbound.ts";
import { markQuestionAsked } from "../awaiting.ts";
import { TipStateError, audit, beginMove, type TipCommandContext } from "./context.ts";

/**
 * Sends an officer's question to the tipster (move `ask`), signed only with the unit's name; the
 * tipster's next message becomes the answer (tipsterAnswer.ts). Neither side learns the other's
 * identity. Event: `tip.question_sent` (the tipster is asked: src/core/tips/reactions.ts).
 */
export async function relayToTipster(ctx: TipCommandContext, props: { tipId: string; text: string }): Promise<OutboxRef[]> {
  const { tip, by } = await beginMove(ctx, props.tipId, "ask");
  const text = props.text.trim().slice(0, 1500);
  if (!text) throw new TipStateError("state");
  await ctx.tx.relayMessage.create({ data: { tipId: tip.id, direction: "to_tipster", text, officerId: by.officer!.id, createdAt: ctx.now } });
  // The tip awaits the tipster's answer from its earliest unanswered question (src/core/tips/awaiting.ts).
  await markQuestionAsked(ctx.tx, tip.id, ctx.now);
  return audit(ctx, by, tip.id, "tip.question_sent", { length: text.length });
}
