import type { OutboxRef } from "../../../outbox/outbound.ts";
import { nextState } from "../tipStates.ts";
import { TipStateError, audit, beginMove, type TipCommandContext } from "./context.ts";

/** Lawful outcomes a tip can be closed with. */
export const OUTCOMES = ["khoi_to", "khong_khoi_to", "tam_dinh_chi", "chuyen_co_quan_khac", "xu_ly_hanh_chinh", "khong_co_so"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Closes a tip with an outcome (move `close`). Only the officer holding it (or a commander) may
 * close it; the tipster is told the outcome in plain words on their channel (BLTTHS Art. 56: the
 * right to learn it). Event: `tip.closed` (cards updated, the tipster told: src/core/tips/reactions.ts).
 */
export async function closeTip(ctx: TipCommandContext, props: { tipId: string; outcome: Outcome }): Promise<OutboxRef[]> {
  if (!(OUTCOMES as readonly string[]).includes(props.outcome)) throw new TipStateError("bad_input");
  const { tip, by } = await beginMove(ctx, props.tipId, "close");
  await ctx.tx.tip.update({ where: { id: tip.id }, data: { status: nextState("close", "claimed"), outcome: props.outcome, closedAt: ctx.now } });
  return audit(ctx, by, tip.id, "tip.closed", { outcome: props.outcome });
}
