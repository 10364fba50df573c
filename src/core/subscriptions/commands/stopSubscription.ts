import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { authorizeSubscriber, type SubscriberActor } from "./authorizeSubscriber.ts";

/**
 * Stops every campaign message to a chat: a resident's stop word (their own chat), or the system when
 * the platform says the chat blocked the bot. Messages of running campaigns not yet sent to it are
 * dropped too. Records the consent change and `subscription.stopped`; `stopped` is false (and no event
 * is recorded) when the chat was not subscribed.
 */
export async function stopSubscription(tx: Tx, props: { actor: SubscriberActor; chatId: string; reason: "stop_word" | "blocked"; now?: Date }) {
  const auth = await authorizeSubscriber(tx, { actor: props.actor, chatId: props.chatId, action: "stop", also: props.reason === "blocked" ? ["system"] : [] });
  if (!auth.ok) return auth;
  const now = props.now ?? new Date();
  const { count } = await tx.subscription.updateMany({
    where: { chatId: props.chatId, active: true },
    data: { active: false, stoppedReason: props.reason, stoppedAt: now },
  });
  await tx.delivery.updateMany({ where: { chatId: props.chatId, status: "pending" }, data: { status: "skipped", updatedAt: now } });
  if (count) {
    await tx.consentRecord.create({ data: { chatId: props.chatId, action: "stopped", details: JSON.stringify({ reason: props.reason }), at: now } });
    await recordEvent(tx, { action: "subscription.stopped", actor: props.actor, at: now, data: { reason: props.reason } });
  }
  return { ok: true as const, stopped: count > 0 };
}
