import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { isTopic, type Topic } from "../topics.ts";
import { authorizeSubscriber, SubscriptionError, type SubscriberActor } from "./authorizeSubscriber.ts";

/** The subscription choices a resident consents to. */
export interface SubscriptionChoice {
  topics: Topic[];
  provinceCode?: string;
  communeCode?: string;
}

/** Checks a choice's shape: at least one known topic, and codes of the right form (a bad one throws `bad_choice`). */
export function validChoice(choice: SubscriptionChoice): SubscriptionChoice {
  if (!Array.isArray(choice.topics) || choice.topics.length === 0 || !choice.topics.every(isTopic)) throw new SubscriptionError("bad_choice", "topics");
  if (choice.provinceCode !== undefined && !/^\d{2}$/.test(choice.provinceCode)) throw new SubscriptionError("bad_choice", "province");
  if (choice.communeCode !== undefined && !/^\d{5}$/.test(choice.communeCode)) throw new SubscriptionError("bad_choice", "commune");
  return { topics: [...new Set(choice.topics)], provinceCode: choice.provinceCode, communeCode: choice.communeCode };
}

/** The subscription row's fields for a consented choice. */
export const subscriptionFields = (choice: SubscriptionChoice, now: Date) => ({
  topics: JSON.stringify(choice.topics),
  provinceCode: choice.provinceCode ?? null,
  communeCode: choice.communeCode ?? null,
  active: true,
  consentedAt: now,
  stoppedReason: null,
  stoppedAt: null,
});

/**
 * Opts a chat in (a resident, for their own chat, after explicit consent), recording the consent —
 * what, when, which topics — and `subscription.subscribed` in the same transaction. An active
 * subscription is changed with `changeSubscription` instead (`state` error here).
 */
export async function subscribe(tx: Tx, props: { actor: SubscriberActor; chatId: string; choice: SubscriptionChoice; now?: Date }) {
  const auth = await authorizeSubscriber(tx, { actor: props.actor, chatId: props.chatId, action: "subscribe" });
  if (!auth.ok) return auth;
  const choice = validChoice(props.choice);
  const now = props.now ?? new Date();
  const existing = await tx.subscription.findUnique({ where: { chatId: props.chatId } });
  if (existing?.active) throw new SubscriptionError("state", "already_subscribed");
  const data = subscriptionFields(choice, now);
  const subscription = await tx.subscription.upsert({ where: { chatId: props.chatId }, create: { chatId: props.chatId, ...data }, update: data });
  await tx.consentRecord.create({ data: { chatId: props.chatId, action: "subscribed", details: JSON.stringify(choice), at: now } });
  // The event names no chat: a resident's identity stays out of the log.
  await recordEvent(tx, { action: "subscription.subscribed", actor: props.actor, at: now, data: { topics: choice.topics, provinceCode: choice.provinceCode ?? null, communeCode: choice.communeCode ?? null } });
  return { ok: true as const, subscription };
}
