import type { OutboxRef } from "../../../outbox/outbound.ts";
import { nextState } from "../tipStates.ts";
import { audit, beginMove, type TipCommandContext } from "./context.ts";

/**
 * Reopens a closed tip (move `reopen`, a commander's or an administrator's decision): it goes back
 * to the officer who held it when it was closed, or to the queue when nobody held it; its outcome
 * is cleared and its deadlines stay as they were (they run from the original receipt). The tipster
 * is not told again until the tip is closed anew. Event: `tip.reopened`.
 */
export async function reopenTip(ctx: TipCommandContext, props: { tipId: string }): Promise<OutboxRef[]> {
  const { tip, by } = await beginMove(ctx, props.tipId, "reopen");
  const status = nextState("reopen", "closed", { heldBy: tip.claimedById });
  await ctx.tx.tip.update({ where: { id: tip.id }, data: { status, outcome: null, closedAt: null } });
  return audit(ctx, by, tip.id, "tip.reopened", { outcome: tip.outcome, closedAt: tip.closedAt?.toISOString() ?? null, status });
}
