import type { OutboxRef } from "../../../outbox/outbound.ts";
import { refreshCards } from "../cards.ts";
import { TipStateError, audit, requireTip, type TipOpContext } from "./context.ts";

/** Classifications officers give a tip (BLTTHS 2015 distinguishes tố giác and tin báo). */
export const CLASSIFICATIONS = ["to_giac", "tin_bao", "administrative", "not_police", "duplicate", "false_report"] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** Classifies a tip; a duplicate names the tip it repeats (which must exist and differ). */
export async function classifyTip(ctx: TipOpContext, props: { tipId: string; classification: Classification; duplicateOfCode?: string }): Promise<OutboxRef[]> {
  const tip = await requireTip(ctx, props.tipId);
  if (tip.status === "closed") throw new TipStateError("state");
  let duplicateOf: string | null = null;
  if (props.classification === "duplicate") {
    const original = props.duplicateOfCode ? await ctx.tx.tip.findUnique({ where: { code: props.duplicateOfCode } }) : null;
    if (!original || original.id === tip.id) throw new TipStateError("bad_code");
    duplicateOf = original.code;
  }
  await ctx.tx.tip.update({ where: { id: tip.id }, data: { classification: props.classification, duplicateOf } });
  await audit(ctx, tip.id, "tip.classified", { from: tip.classification, to: props.classification, duplicateOf });
  return refreshCards(ctx.tx, ctx.officerRenderer, tip.id);
}
