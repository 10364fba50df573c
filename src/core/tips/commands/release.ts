import type { OutboxRef } from "../../../outbox/outbound.ts";
import { refreshCards } from "../cards.ts";
import { TipStateError, audit, isCommander, requireTip, type TipOpContext } from "./context.ts";

/** The officer holding a tip (or a commander) gives it back to the queue. */
export async function releaseTip(ctx: TipOpContext, props: { tipId: string }): Promise<OutboxRef[]> {
  const tip = await requireTip(ctx, props.tipId);
  if (tip.status !== "claimed") throw new TipStateError("state");
  if (tip.claimedById !== ctx.officer.id && !isCommander(ctx.officer)) throw new TipStateError("claimed_by_other");
  await ctx.tx.tip.update({ where: { id: tip.id }, data: { status: "new", claimedById: null, claimedAt: null } });
  await audit(ctx, tip.id, "tip.released", { heldBy: tip.claimedById });
  return refreshCards(ctx.tx, ctx.officerRenderer, tip.id);
}
