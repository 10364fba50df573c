import type { OutboxRef } from "../../../outbox/outbound.ts";
import { refreshCards } from "../cards.ts";
import { TipStateError, audit, requireTip, type TipOpContext } from "./context.ts";

/** Sets a tip's priority (normal / high) or its life-safety mark. */
export async function setPriority(ctx: TipOpContext, props: { tipId: string; value: "normal" | "high" | "life_on" | "life_off" }): Promise<OutboxRef[]> {
  const tip = await requireTip(ctx, props.tipId);
  if (tip.status === "closed") throw new TipStateError("state");
  const data =
    props.value === "life_on" ? { lifeSafety: true } : props.value === "life_off" ? { lifeSafety: false } : { priority: props.value };
  await ctx.tx.tip.update({ where: { id: tip.id }, data });
  await audit(ctx, tip.id, "tip.priority_set", { from: { priority: tip.priority, lifeSafety: tip.lifeSafety }, to: data });
  return refreshCards(ctx.tx, ctx.officerRenderer, tip.id);
}
