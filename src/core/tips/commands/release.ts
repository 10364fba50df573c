import type { OutboxRef } from "../../../outbox/outbound.ts";
import { nextState } from "../tipStates.ts";
import { audit, beginMove, type TipCommandContext } from "./context.ts";

/** The officer holding a tip (or a commander) gives it back to the queue (move `release`). Event: `tip.released`. */
export async function releaseTip(ctx: TipCommandContext, props: { tipId: string }): Promise<OutboxRef[]> {
  const { tip, by } = await beginMove(ctx, props.tipId, "release");
  await ctx.tx.tip.update({ where: { id: tip.id }, data: { status: nextState("release", "claimed"), claimedById: null, claimedAt: null } });
  return audit(ctx, by, tip.id, "tip.released", { heldBy: tip.claimedById });
}
