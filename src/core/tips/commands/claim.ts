import type { OutboxRef } from "../../../outbox/outbound.ts";
import { refreshCards } from "../cards.ts";
import { formatVnDate } from "../../vnTime.ts";
import { notifyTipster } from "../notifyTipster.ts";
import { TipStateError, audit, requireTip, type TipOpContext } from "./context.ts";

/**
 * An officer takes a new tip. The first claim also sends the tipster the legal receipt notice
 * (TTLT 01/2017 Art. 14: due within 3 working days) and records when it was sent.
 */
export async function claimTip(ctx: TipOpContext, props: { tipId: string }): Promise<OutboxRef[]> {
  const tip = await requireTip(ctx, props.tipId);
  if (tip.status !== "new") throw new TipStateError(tip.status === "claimed" ? "claimed_by_other" : "state");
  const sendNotice = tip.receiptNoticeSentAt === null;
  await ctx.tx.tip.update({
    where: { id: tip.id },
    data: { status: "claimed", claimedById: ctx.officer.id, claimedAt: ctx.now, ...(sendNotice ? { receiptNoticeSentAt: ctx.now } : {}) },
  });
  await audit(ctx, tip.id, "tip.claimed", { receiptNotice: sendNotice });
  const refs = await refreshCards(ctx.tx, ctx.officerRenderer, tip.id);
  if (sendNotice) {
    refs.push(
      ...(await notifyTipster(ctx.tx, ctx, tip, {
        key: "officer:tipster.receipt_notice",
        params: { unit: tip.queue.name, code: tip.code, date: formatVnDate(tip.receivedAt) },
      })),
    );
  }
  return refs;
}
