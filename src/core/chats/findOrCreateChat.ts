import type { Tx } from "../../db/client.ts";
import { hotSqlOf, newRowId, readDate, sqliteDate } from "../../db/hot.ts";
import type { InboundEvent } from "../inbound.ts";
import type { TipDraftData } from "../tips/draft.ts";
import type { AlongsideWrite } from "../../outbox/outbound.ts";

/** A chat row as the core uses it. */
export type ChatRecord = Awaited<ReturnType<Tx["chat"]["findUniqueOrThrow"]>>;

type RawChat = Omit<ChatRecord, "unreachableAt" | "createdAt" | "updatedAt"> & { unreachableAt: string | null; createdAt: string; updatedAt: string };

/** A chat's row read raw with its tip draft's data (null: none): `SELECT c.*, d."data" AS "draftData"` (see `primeChat`). */
export type RawChatWithDraft = RawChat & { draftData: string | null };

/** The columns of a chat read with its draft, Chat as `c` LEFT JOIN TipDraft as `d` (see `primeChat`). */
export const CHAT_WITH_DRAFT = `c.*, d."data" AS "draftData"`;

const primed = new WeakMap<object, { channel: string; platformChatId: string; raw: RawChatWithDraft | null }>();

/**
 * Hands the next `findOrCreateChat` of this chat in `tx` its row and draft, read by the caller in a
 * statement it makes anyway (null: no such chat yet): one round trip less. Used once; the caller must
 * not change the chat or its draft in between.
 */
export function primeChat(tx: Tx, channel: string, platformChatId: string, raw: RawChatWithDraft | null): void {
  primed.set(tx, { channel, platformChatId, raw });
}

/**
 * Finds the chat an inbound event came from, creating it on first contact. A person who writes to
 * us again is reachable again, so a stale "unreachable" mark is cleared. With `withDraft`, the chat's
 * tip draft is read in the same statement where the raw statements serve (`draft`: null when it has
 * none; undefined when not read — use loadDraft).
 */
export async function findOrCreateChat(
  tx: Tx,
  event: Pick<InboundEvent, "channel" | "chat">,
  opts: { withDraft?: boolean } = {},
): Promise<{ chat: ChatRecord; created: boolean; draft?: TipDraftData | null }> {
  const hot = hotSqlOf(tx);
  if (hot) {
    let raw: RawChatWithDraft | RawChat | undefined;
    let draftData: string | null | undefined;
    const ahead = primed.get(tx);
    if (ahead && ahead.channel === event.channel && ahead.platformChatId === event.chat.platformChatId) {
      primed.delete(tx);
      if (ahead.raw) ({ draftData, ...raw } = ahead.raw);
      else draftData = null;
    } else if (opts.withDraft) {
      const row = await hot.get<RawChatWithDraft>(
        `SELECT ${CHAT_WITH_DRAFT} FROM "Chat" c LEFT JOIN "TipDraft" d ON d."chatId" = c."id" WHERE c."channel" = ? AND c."platformChatId" = ?`,
        event.channel,
        event.chat.platformChatId,
      );
      if (row) ({ draftData, ...raw } = row);
      else draftData = null;
    } else {
      raw = await hot.get<RawChat>(`SELECT * FROM "Chat" WHERE "channel" = ? AND "platformChatId" = ?`, event.channel, event.chat.platformChatId);
    }
    const draft = draftData === undefined ? undefined : draftData === null ? null : (JSON.parse(draftData) as TipDraftData);
    if (raw) {
      const chat: ChatRecord = { ...raw, unreachableAt: readDate(raw.unreachableAt), createdAt: readDate(raw.createdAt)!, updatedAt: readDate(raw.updatedAt)! };
      if (chat.unreachableAt) {
        const now = new Date();
        await hot.run(`UPDATE "Chat" SET "unreachableAt" = NULL, "updatedAt" = ? WHERE "id" = ?`, sqliteDate(now), chat.id);
        return { chat: { ...chat, unreachableAt: null, updatedAt: now }, created: false, draft };
      }
      return { chat, created: false, draft };
    }
    // First contact: the row Prisma would write (defaults included), without its per-query cost.
    const now = new Date();
    const chat: ChatRecord = { id: newRowId(), channel: event.channel, platformChatId: event.chat.platformChatId, kind: event.chat.kind, locale: null, menu: null, flow: null, unreachableAt: null, createdAt: now, updatedAt: now };
    await hot.run(
      `INSERT INTO "Chat" ("id", "channel", "platformChatId", "kind", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)`,
      chat.id,
      chat.channel,
      chat.platformChatId,
      chat.kind,
      sqliteDate(now),
      sqliteDate(now),
    );
    return { chat, created: true, draft: null };
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
  // A new chat has no draft.
  return { chat, created: true, draft: null };
}

/** The chat's state as `updateChatState` writes it. */
export interface ChatState {
  locale: string | null;
  menu: string | null;
  flow: string | null;
}

const STATE_WRITE = `UPDATE "Chat" SET "locale" = ?, "menu" = ?, "flow" = ?, "updatedAt" = ? WHERE "id" = ?`;

/** Records a chat's language, last menu and exchange in progress (inside the caller's transaction). */
export async function updateChatState(tx: Tx, chatId: string, state: ChatState): Promise<void> {
  const hot = hotSqlOf(tx);
  if (hot) {
    await hot.run(STATE_WRITE, state.locale, state.menu, state.flow, sqliteDate(new Date()), chatId);
    return;
  }
  await tx.chat.update({ where: { id: chatId }, data: state });
}

/** `updateChatState` as a write made with the turn's replies (enqueueCalls `alongside`: one statement on PostgreSQL). */
export function chatStateWrite(tx: Tx, chatId: string, state: ChatState): AlongsideWrite {
  return { sql: STATE_WRITE, params: [state.locale, state.menu, state.flow, sqliteDate(new Date()), chatId], run: () => updateChatState(tx, chatId, state) };
}
