import type { OutboxRef } from "../../../outbox/outbound.ts";
import { officerName } from "../../officers/authorize.ts";
import { noticeOnCards } from "../cards.ts";
import { TipStateError, audit, requireTip, type TipOpContext } from "./context.ts";

/** Adds an internal note to a tip, shown under its working card; it never reaches the tipster. */
export async function addNote(ctx: TipOpContext, props: { tipId: string; text: string }): Promise<OutboxRef[]> {
  const tip = await requireTip(ctx, props.tipId);
  const text = props.text.trim().slice(0, 3000);
  if (!text) throw new TipStateError("state");
  await ctx.tx.tipNote.create({ data: { tipId: tip.id, officerId: ctx.officer.id, text, createdAt: ctx.now } });
  await audit(ctx, tip.id, "tip.note_added", { length: text.length });
  return noticeOnCards(ctx.tx, ctx.officerRenderer, tip.id, { key: "officer:done.noted", params: { officer: officerName(ctx.officer), code: tip.code, text } }, { mainOnly: true });
}
