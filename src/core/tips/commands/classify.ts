import type { OutboxRef } from "../../../outbox/outbound.ts";
import { TipStateError, audit, beginMove, type TipCommandContext } from "./context.ts";

/** Classifications officers give a tip (BLTTHS 2015 distinguishes tố giác and tin báo). */
export const CLASSIFICATIONS = ["to_giac", "tin_bao", "administrative", "not_police", "duplicate", "false_report"] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** Classifies a tip (move `classify`); a duplicate names the tip it repeats (which must exist and differ). Event: `tip.classified`. */
export async function classifyTip(ctx: TipCommandContext, props: { tipId: string; classification: Classification; duplicateOfCode?: string }): Promise<OutboxRef[]> {
  if (!(CLASSIFICATIONS as readonly string[]).includes(props.classification)) throw new TipStateError("bad_input");
  const { tip, by } = await beginMove(ctx, props.tipId, "classify");
  let duplicateOf: string | null = null;
  if (props.classification === "duplicate") {
    const original = props.duplicateOfCode ? await ctx.tx.tip.findUnique({ where: { code: props.duplicateOfCode } }) : null;
    if (!original || original.id === tip.id) throw new TipStateError("bad_code");
    duplicateOf = original.code;
  }
  await ctx.tx.tip.update({ where: { id: tip.id }, data: { classification: props.classification, duplicateOf } });
  return audit(ctx, by, tip.id, "tip.classified", { from: tip.classification, to: props.classification, duplicateOf });
}
