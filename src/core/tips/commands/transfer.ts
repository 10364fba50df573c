import type { OutboxRef } from "../../../outbox/outbound.ts";
import { noticeOnCards, postCard, refreshCards } from "../cards.ts";
import { notifyTipster } from "../notifyTipster.ts";
import { nextState } from "../tipStates.ts";
import { TipStateError, audit, beginMove, type TipCommandContext } from "./context.ts";

/**
 * Moves a tip to another unit's queue (move `transfer`: a commune, or a province duty queue). The
 * legal clock keeps running from the original receipt; the new unit gets a fresh card, the old
 * cards are closed with a notice, and the tipster is told which unit now handles it. Event:
 * `tip.transferred`.
 */
export async function transferTip(ctx: TipCommandContext, props: { tipId: string; toQueueId: string }): Promise<OutboxRef[]> {
  const { tip, by } = await beginMove(ctx, props.tipId, "transfer");
  const target = await ctx.tx.queue.findUnique({ where: { id: props.toQueueId } });
  if (!target || target.id === tip.queueId || target.kind === "cyber") throw new TipStateError("unknown_place");

  const refs: OutboxRef[] = await noticeOnCards(ctx.tx, ctx.officerRenderer, tip.id, {
    key: "officer:done.transferred",
    params: { officer: by.name, code: tip.code, unit: target.name },
  }, { mainOnly: true });
  await ctx.tx.tip.update({
    where: { id: tip.id },
    data: { queueId: target.id, previousQueueId: tip.queueId, status: nextState("transfer", "claimed"), claimedById: null, claimedAt: null, transferredAt: ctx.now },
  });
  // Old working cards show the final state, then stop being working cards.
  refs.push(...(await refreshCards(ctx.tx, ctx.officerRenderer, tip.id)));
  await ctx.tx.tipCard.updateMany({ where: { tipId: tip.id, kind: "main", active: true }, data: { active: false } });
  await audit(ctx, by, tip.id, "tip.transferred", { from: tip.queueId, to: target.id });
  refs.push(...(await postCard(ctx.tx, ctx.officerRenderer, tip.id, target.id, "main")));
  refs.push(...(await notifyTipster(ctx.tx, ctx, tip, { key: "officer:tipster.transferred", params: { code: tip.code, unit: target.name } })));
  return refs;
}
