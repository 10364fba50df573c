import type { OutboxRef } from "../../../outbox/outbound.ts";
import { TipStateError, audit, beginMove, type TipCommandContext } from "./context.ts";

/** Adds an internal note to a tip (move `note`), shown under its working card; it never reaches the tipster. Event: `tip.note_added`. */
export async function addNote(ctx: TipCommandContext, props: { tipId: string; text: string }): Promise<OutboxRef[]> {
  const { tip, by } = await beginMove(ctx, props.tipId, "note");
  const text = props.text.trim().slice(0, 3000);
  if (!text) throw new TipStateError("state");
  await ctx.tx.tipNote.create({ data: { tipId: tip.id, officerId: by.officer!.id, text, createdAt: ctx.now } });
  return audit(ctx, by, tip.id, "tip.note_added", { length: text.length });
}
