import type { OutboxRef } from "../../../outbox/outbound.ts";
import { refreshCards } from "../cards.ts";
import { formatVnDate } from "../../vnTime.ts";
import { notifyTipster } from "../notifyTipster.ts";
import { nextState } from "../tipStates.ts";
import { audit, beginMove, type TipCommandContext } from "./context.ts";

/**
 * An officer takes a new tip (move `claim`). The first claim also sends the tipster the legal
 * receipt notice (TTLT 01/2017 Art. 14: due within 3 working days) and records when it was sent.
 * Event: `tip.claimed`.
 */
export async function claimTip(ctx: TipCommandContext, props: { tipId: string }): Promise<OutboxRef[]> {
  const { tip, by } = await beginMove(ctx, props.tipId, "claim");
  const sendNotice = tip.receiptNoticeSentAt === null;
  await ctx.tx.tip.update({
    where: { id: tip.id },
    data: { status: nextState("claim", "new"), claimedById: by.officer!.id, claimedAt: ctx.now, ...(sendNotice ? { receiptNoticeSentAt: ctx.now } : {}) },
  });
  await audit(ctx, by, tip.id, "tip.claimed", { receiptNotice: sendNotice });
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
