import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { authorizeSubscriber, type SubscriberActor } from "./authorizeSubscriber.ts";

/**
 * Removes a chat's subscription profile and consent history, and drops its unsent campaign messages
 * (no event: the state change shared by `eraseSubscription` and the privacy erasure, which records
 * its own `dsr.*` event).
 */
export async function removeSubscriptionData(tx: Tx, chatId: string): Promise<boolean> {
  await tx.delivery.updateMany({ where: { chatId, status: "pending" }, data: { status: "skipped" } });
  const { count } = await tx.subscription.deleteMany({ where: { chatId } });
  await tx.consentRecord.deleteMany({ where: { chatId } });
  return count > 0;
}

/**
 * "Delete my data" from the legal-news menu: the resident (their own chat) or an administrator erases
 * the subscription profile and its consent history; records `subscription.erased` (naming no chat).
 */
export async function eraseSubscription(tx: Tx, props: { actor: SubscriberActor; chatId: string }) {
  const auth = await authorizeSubscriber(tx, { actor: props.actor, chatId: props.chatId, action: "erase", also: ["admin"] });
  if (!auth.ok) return auth;
  const erased = await removeSubscriptionData(tx, props.chatId);
  await recordEvent(tx, { action: "subscription.erased", actor: props.actor, data: { hadProfile: erased } });
  return { ok: true as const, erased };
}
