import type { Tx } from "../../db/client.ts";
import { hotSqlOf, readDate, sqliteDate } from "../../db/hot.ts";
import type { InboundEvent } from "../inbound.ts";

/** A chat row as the core uses it. */
export type ChatRecord = Awaited<ReturnType<Tx["chat"]["findUniqueOrThrow"]>>;

type RawChat = Omit<ChatRecord, "unreachableAt" | "createdAt" | "updatedAt"> & { unreachableAt: string | null; createdAt: string; updatedAt: string };

/**
 * Finds the chat an inbound event came from, creating it on first contact. A person who writes to
 * us again is reachable again, so a stale "unreachable" mark is cleared.
 */
export async function findOrCreateChat(
  tx: Tx,
  event: Pick<InboundEvent, "channel" | "chat">,
): Promise<{ chat: ChatRecord; created: boolean }> {
  const hot = hotSqlOf(tx);
  if (hot) {
    const raw = await hot.get<RawChat>(`SELECT * FROM "Chat" WHERE "channel" = ? AND "platformChatId" = ?`, event.channel, event.chat.platformChatId);
    if (raw) {
      const chat: ChatRecord = { ...raw, unreachableAt: readDate(raw.unreachableAt), createdAt: readDate(raw.createdAt)!, updatedAt: readDate(raw.updatedAt)! };
      if (chat.unreachableAt) {
        const now = new Date();
        await hot.run(`UPDATE "Chat" SET "unreachableAt" = NULL, "updatedAt" = ? WHERE "id" = ?`, sqliteDate(now), chat.id);
        return { chat: { ...chat, unreachableAt: null, updatedAt: now }, created: false };
      }
      return { chat, created: false };
    }
  } else {
    const where = { channel_platformChatId: { channel: event.channel, platformChatId: event.chat.platformChatId } };
    const existing = await tx.chat.findUnique({ where });
    if (existing) {
      if (existing.unreachableAt) {
        const chat = await tx.chat.update({ where: { id: existing.id }, data: { unreachableAt: null } });
        return { chat, created: false };
      }
      return { chat: existing, created: false };
    }
  }
  const chat = await tx.chat.create({
    data: { channel: event.channel, platformChatId: event.chat.platformChatId, kind: event.chat.kind },
  });
  return { chat, created: true };
}

/** Records a chat's language, last menu and exchange in progress (inside the caller's transaction). */
export async function updateChatState(tx: Tx, chatId: string, state: { locale: string | null; menu: string | null; flow: string | null }): Promise<void> {
  const hot = hotSqlOf(tx);
  if (hot) {
    await hot.run(`UPDATE "Chat" SET "locale" = ?, "menu" = ?, "flow" = ?, "updatedAt" = ? WHERE "id" = ?`, state.locale, state.menu, state.flow, sqliteDate(new Date()), chatId);
    return;
  }
  await tx.chat.update({ where: { id: chatId }, data: state });
}
