import type { OutboxRef } from "../../../outbox/outbound.ts";
import { refreshCards } from "../cards.ts";
import { TipStateError, audit, isCommander, requireTip, type TipOpContext } from "./context.ts";

/**
 * Reopens a closed tip (a commander's or an administrator's decision): it goes back to the officer
 * who held it when it was closed, or to the queue when nobody held it; its outcome is cleared and
 * its deadlines stay as they were (they run from the original receipt). The tipster is not told
 * again until the tip is closed anew.
 */
export async function reopenTip(ctx: TipOpContext, props: { tipId: string }): Promise<OutboxRef[]> {
  const tip = await requireTip(ctx, props.tipId);
  if (!isCommander(ctx.officer)) throw new TipStateError("role");
  if (tip.status !== "closed") throw new TipStateError("state");
  const status = tip.claimedById ? "claimed" : "new";
  await ctx.tx.tip.update({ where: { id: tip.id }, data: { status, outcome: null, closedAt: null } });
  await audit(ctx, tip.id, "tip.reopened", { outcome: tip.outcome, closedAt: tip.closedAt?.toISOString() ?? null, status });
  return refreshCards(ctx.tx, ctx.officerRenderer, tip.id);
}
