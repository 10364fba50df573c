import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";

/**
 * Records an officer's private chat with the bot the first time they write to it (officers
 * registered from the CLI have none until then; alerts and opened contacts go there). Nothing
 * happens for someone who is not an officer or whose chat is known. One event when recorded:
 * `officer.private_chat` (by the officer).
 */
export async function recordPrivateChat(tx: Tx, props: { telegramUserId: string; chatId: string }): Promise<boolean> {
  const officer = await tx.officer.findUnique({ where: { telegramUserId: props.telegramUserId }, select: { id: true, privateChatId: true } });
  if (!officer || officer.privateChatId) return false;
  const { count } = await tx.officer.updateMany({ where: { id: officer.id, privateChatId: null }, data: { privateChatId: props.chatId } });
  if (count !== 1) return false;
  await recordEvent(tx, { action: "officer.private_chat", actor: { kind: "officer", officerId: officer.id } });
  return true;
}
