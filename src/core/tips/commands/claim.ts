import type { OutboxRef } from "../../../outbox/outbound.ts";
import { nextState } from "../tipStates.ts";
import { audit, beginMove, type TipCommandContext } from "./context.ts";

/**
 * An officer takes a new tip (move `claim`). The first claim also sends the tipster the legal
 * receipt notice (TTLT 01/2017 Art. 14: due within 3 working days) and records when it was sent.
 * Event: `tip.claimed` (cards updated, the notice sent: src/core/tips/reactions.ts).
 */
export async function claimTip(ctx: TipCommandContext, props: { tipId: string }): Promise<OutboxRef[]> {
  const { tip, by } = await beginMove(ctx, props.tipId, "claim");
  const sendNotice = tip.receiptNoticeSentAt === null;
  await ctx.tx.tip.update({
    where: { id: tip.id },
    data: { status: nextState("claim", "new"), claimedById: by.officer!.id, claimedAt: ctx.now, ...(sendNotice ? { receiptNoticeSentAt: ctx.now } : {}) },
  });
  return audit(ctx, by, tip.id, "tip.claimed", { receiptNotice: sendNotice });
}
