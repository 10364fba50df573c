import type { Db } from "../../db/client.ts";
import { isLocale } from "../../i18n.ts";
import { enqueueCalls, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import { menuReply } from "../resident/converse.ts";

/** A draft untouched this long is dropped (the default of RETENTION_DRAFTS_HOURS). */
export const DRAFT_TTL_MS = 24 * 60 * 60_000;

/**
 * Drops tip drafts untouched for 24 hours and tells each person, in their language, that nothing
 * was sent. Each draft is dropped and its notice recorded in one transaction.
 */
export async function expireDrafts(db: Db, renderers: Partial<Record<string, ReplyRenderer>>, now = new Date(), ttlMs = DRAFT_TTL_MS): Promise<OutboxRef[]> {
  const stale = await db.tipDraft.findMany({ where: { updatedAt: { lt: new Date(now.getTime() - ttlMs) } }, take: 500 });
  const refs: OutboxRef[] = [];
  for (const draft of stale) {
    await db.$transaction(async (tx) => {
      const removed = await tx.tipDraft.deleteMany({ where: { chatId: draft.chatId, updatedAt: draft.updatedAt } });
      if (removed.count === 0) return; // touched meanwhile
      const chat = await tx.chat.findUnique({ where: { id: draft.chatId } });
      const renderer = chat ? renderers[chat.channel] : undefined;
      if (!chat || !renderer) return;
      const rendered = renderer.render(menuReply("tip:flow.expired", { prompt: false }), isLocale(chat.locale) ? chat.locale : "vi");
      await tx.chat.update({ where: { id: chat.id }, data: { menu: JSON.stringify(rendered.offered) } });
      refs.push(...(await enqueueCalls(tx, { chatId: chat.id, channel: chat.channel }, rendered.calls)));
    });
  }
  return refs;
}
