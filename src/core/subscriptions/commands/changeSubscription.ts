import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { authorizeSubscriber, SubscriptionError, type SubscriberActor } from "./authorizeSubscriber.ts";
import { subscriptionFields, validChoice, type SubscriptionChoice } from "./subscribe.ts";

/**
 * Changes an active subscription's topics and place (a resident, for their own chat, after consenting
 * again), recording the renewed consent and `subscription.changed` in the same transaction. A chat
 * not subscribed opts in with `subscribe` instead (`state` error here).
 */
export async function changeSubscription(tx: Tx, props: { actor: SubscriberActor; chatId: string; choice: SubscriptionChoice; now?: Date }) {
  const auth = await authorizeSubscriber(tx, { actor: props.actor, chatId: props.chatId, action: "change" });
  if (!auth.ok) return auth;
  const choice = validChoice(props.choice);
  const now = props.now ?? new Date();
  const existing = await tx.subscription.findUnique({ where: { chatId: props.chatId } });
  if (!existing?.active) throw new SubscriptionError("state", "not_subscribed");
  const subscription = await tx.subscription.update({ where: { chatId: props.chatId }, data: subscriptionFields(choice, now) });
  await tx.consentRecord.create({ data: { chatId: props.chatId, action: "changed", details: JSON.stringify(choice), at: now } });
  await recordEvent(tx, { action: "subscription.changed", actor: props.actor, at: now, data: { topics: choice.topics, provinceCode: choice.provinceCode ?? null, communeCode: choice.communeCode ?? null } });
  return { ok: true as const, subscription };
}
