import type { Tx } from "../../db/client.ts";
import type { InboundEvent } from "../inbound.ts";

/** A chat row as the core uses it. */
export type ChatRecord = Awaited<ReturnType<Tx["chat"]["findUniqueOrThrow"]>>;

/**
 * Finds the chat an inbound event came from, creating it on first contact. A person who writes to
 * us again is reachable again, so a stale "unreachable" mark is cleared.
 */
export async function findOrCreateChat(
  tx: Tx,
  event: Pick<InboundEvent, "channel" | "chat">,
): Promise<{ chat: ChatRecord; created: boolean }> {
  const where = { channel_platformChatId: { channel: event.channel, platformChatId: event.chat.platformChatId } };
  const existing = await tx.chat.findUnique({ where });
  if (existing) {
    if (existing.unreachableAt) {
      const chat = await tx.chat.update({ where: { id: existing.id }, data: { unreachableAt: null } });
      return { chat, created: false };
    }
    return { chat: existing, created: false };
  }
  const chat = await tx.chat.create({
    data: { channel: event.channel, platformChatId: event.chat.platformChatId, kind: event.chat.kind },
  });
  return { chat, created: true };
}
