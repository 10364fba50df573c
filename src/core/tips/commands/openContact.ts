import type { OutboxRef } from "../../../outbox/outbound.ts";
import { TipStateError, audit, beginMove, type TipCommandContext } from "./context.ts";

/**
 * A commander opens a confidential tipster's sealed contact (move `open_contact`), giving a written
 * reason. The contact goes only to the commander's private chat with the bot; the opening (who,
 * why — never the contact) is recorded (`tip.contact_opened`) and announced under the card
 * (src/core/tips/reactions.ts).
 */
export async function openContact(ctx: TipCommandContext, props: { tipId: string; reason: string }): Promise<OutboxRef[]> {
  const { tip, by } = await beginMove(ctx, props.tipId, "open_contact");
  const reason = props.reason.trim().slice(0, 500);
  if (tip.identityMode !== "confidential" || !tip.contactSealed || reason.length < 5) throw new TipStateError("state");
  const officer = by.officer!;
  const privateChat = officer.privateChatId ? await ctx.tx.chat.findUnique({ where: { id: officer.privateChatId } }) : null;
  if (!privateChat) throw new TipStateError("state");
  return audit(ctx, by, tip.id, "tip.contact_opened", { reason });
}
