import type { Tx } from "../../db/client.ts";
import type { Sealer } from "../../security/sealing.ts";
import { enqueueCalls, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import type { Reply } from "../reply.ts";

/** Renderers for every channel a tipster may be on. */
export type Renderers = Partial<Record<string, ReplyRenderer>>;

/**
 * Sends a message to a tip's tipster on their own channel, in their language. The chat is found
 * only by opening the tip's sealed reply reference; nothing about it is returned to the caller.
 * Returns no rows when the channel is not configured (the message cannot be delivered).
 */
export async function notifyTipster(
  tx: Tx,
  deps: { sealer: Sealer; renderers: Renderers },
  tip: { replyRefSealed: string; locale: string },
  reply: Reply,
  opts: { flow?: string | null } = {},
): Promise<OutboxRef[]> {
  const chatId = deps.sealer.open(tip.replyRefSealed, "tip-reply-ref");
  const chat = await tx.chat.findUnique({ where: { id: chatId } });
  const renderer = chat ? deps.renderers[chat.channel] : undefined;
  if (!chat || !renderer) return [];
  const rendered = renderer.render(reply, chat.locale ?? tip.locale);
  const data: { menu?: string | null; flow?: string | null } = {};
  if (rendered.offered.length) data.menu = JSON.stringify(rendered.offered);
  if (opts.flow !== undefined) data.flow = opts.flow;
  if (Object.keys(data).length) await tx.chat.update({ where: { id: chat.id }, data });
  return enqueueCalls(tx, { chatId: chat.id, channel: chat.channel }, rendered.calls);
}
