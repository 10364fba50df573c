import type { OutboxRef } from "../../../outbox/outbound.ts";
import { nextState } from "../tipStates.ts";
import { TipStateError, audit, beginMove, type TipCommandContext } from "./context.ts";

/**
 * Moves a tip to another unit's queue (move `transfer`: a commune, or a province duty queue). The
 * legal clock keeps running from the original receipt; the new unit gets a fresh card, the old
 * cards are closed with a notice, and the tipster is told which unit now handles it. Event:
 * `tip.transferred` (what follows: src/core/tips/reactions.ts).
 */
export async function transferTip(ctx: TipCommandContext, props: { tipId: string; toQueueId: string }): Promise<OutboxRef[]> {
  const { tip, by } = await beginMove(ctx, props.tipId, "transfer");
  const target = await ctx.tx.queue.findUnique({ where: { id: props.toQueueId } });
  if (!target || target.id === tip.queueId || target.kind === "cyber") throw new TipStateError("unknown_place");
  await ctx.tx.tip.update({
    where: { id: tip.id },
    data: { queueId: target.id, previousQueueId: tip.queueId, status: nextState("transfer", "claimed"), claimedById: null, claimedAt: null, transferredAt: ctx.now },
  });
  return audit(ctx, by, tip.id, "tip.transferred", { from: tip.queueId, to: target.id });
}
