import type { OutboxRef } from "../../../outbox/outbound.ts";
import { TipStateError, audit, beginMove, type TipCommandContext } from "./context.ts";

/** The values a priority press sets: the priority (normal / high) or the life-safety mark. */
export const PRIORITY_VALUES = ["normal", "high", "life_on", "life_off"] as const;
export type PriorityValue = (typeof PRIORITY_VALUES)[number];

/** Sets a tip's priority (normal / high) or its life-safety mark (move `priority`). Event: `tip.priority_set`. */
export async function setPriority(ctx: TipCommandContext, props: { tipId: string; value: PriorityValue }): Promise<OutboxRef[]> {
  if (!(PRIORITY_VALUES as readonly string[]).includes(props.value)) throw new TipStateError("bad_input");
  const { tip, by } = await beginMove(ctx, props.tipId, "priority");
  const data =
    props.value === "life_on" ? { lifeSafety: true } : props.value === "life_off" ? { lifeSafety: false } : { priority: props.value };
  await ctx.tx.tip.update({ where: { id: tip.id }, data });
  return audit(ctx, by, tip.id, "tip.priority_set", { from: { priority: tip.priority, lifeSafety: tip.lifeSafety }, to: data });
}
