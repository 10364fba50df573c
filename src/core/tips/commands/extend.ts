import type { OutboxRef } from "../../../outbox/outbound.ts";
import { computeDeadlines } from "../../deadlines/tipDeadlines.ts";
import { officerName } from "../../officers/authorize.ts";
import { noticeOnCards, refreshCards } from "../cards.ts";
import { formatVnDate } from "../../vnTime.ts";
import { TipStateError, audit, requireTip, type TipOpContext } from "./context.ts";

/**
 * A commander records an extension of the time limit for a decision (BLTTHS Art. 147): to 2 months
 * from receipt, then — by the procuracy — up to 2 more months. The clock still runs from receipt.
 */
export async function recordExtension(ctx: TipOpContext, props: { tipId: string; extension: "two_months" | "procuracy" }): Promise<OutboxRef[]> {
  const tip = await requireTip(ctx, props.tipId);
  if (tip.status === "closed") throw new TipStateError("state");
  const order = ["none", "two_months", "procuracy"];
  if (order.indexOf(props.extension) <= order.indexOf(tip.extension)) throw new TipStateError("state");
  const { decisionDue } = computeDeadlines({ receivedAt: tip.receivedAt, extension: props.extension, procuracyMonths: 2 });
  await ctx.tx.tip.update({ where: { id: tip.id }, data: { extension: props.extension, decisionDueAt: decisionDue } });
  await audit(ctx, tip.id, "tip.extended", { from: tip.extension, to: props.extension, decisionDue: decisionDue.toISOString() });
  const refs = await refreshCards(ctx.tx, ctx.officerRenderer, tip.id);
  refs.push(
    ...(await noticeOnCards(ctx.tx, ctx.officerRenderer, tip.id, {
      key: "officer:done.extended",
      params: { officer: officerName(ctx.officer), code: tip.code, value: { $t: `officer:button.extend_${props.extension}` }, date: formatVnDate(decisionDue) },
    }, { mainOnly: true })),
  );
  return refs;
}
