import type { OutboxRef } from "../../../outbox/outbound.ts";
import { computeDeadlines } from "../../deadlines/tipDeadlines.ts";
import { TipStateError, audit, beginMove, type TipCommandContext } from "./context.ts";

/** The extensions, in the order they may be granted. */
const EXTENSIONS = ["none", "two_months", "procuracy"] as const;

/**
 * A commander records an extension of the time limit for a decision (move `extend`, BLTTHS Art.
 * 147): to 2 months from receipt, then — by the procuracy — up to 2 more months. The clock still
 * runs from receipt; an extension is never granted twice nor taken back. Event: `tip.extended`.
 */
export async function recordExtension(ctx: TipCommandContext, props: { tipId: string; extension: "two_months" | "procuracy" }): Promise<OutboxRef[]> {
  if (props.extension !== "two_months" && props.extension !== "procuracy") throw new TipStateError("bad_input");
  const { tip, by } = await beginMove(ctx, props.tipId, "extend");
  const order: readonly string[] = EXTENSIONS;
  if (order.indexOf(props.extension) <= order.indexOf(tip.extension)) throw new TipStateError("state");
  const { decisionDue } = computeDeadlines({ receivedAt: tip.receivedAt, extension: props.extension, procuracyMonths: 2 });
  await ctx.tx.tip.update({ where: { id: tip.id }, data: { extension: props.extension, decisionDueAt: decisionDue } });
  return audit(ctx, by, tip.id, "tip.extended", { from: tip.extension, to: props.extension, decisionDue: decisionDue.toISOString() });
}
