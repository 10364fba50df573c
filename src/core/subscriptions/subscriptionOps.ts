import type { Tx } from "../../db/client.ts";
import type { Topic } from "./topics.ts";

/** The subscription choices a resident consents to. */
export interface SubscriptionChoice {
  topics: Topic[];
  provinceCode?: string;
  communeCode?: string;
}

/** Opts a chat in (or changes its choices), recording the consent — what, when, which topics — in the same transaction. */
export async function subscribe(tx: Tx, props: { chatId: string; choice: SubscriptionChoice; now?: Date }) {
  const now = props.now ?? new Date();
  const existing = await tx.subscription.findUnique({ where: { chatId: props.chatId } });
  const data = {
    topics: JSON.stringify(props.choice.topics),
    provinceCode: props.choice.provinceCode ?? null,
    communeCode: props.choice.communeCode ?? null,
    active: true,
    consentedAt: now,
    stoppedReason: null,
    stoppedAt: null,
  };
  const sub = await tx.subscription.upsert({ where: { chatId: props.chatId }, create: { chatId: props.chatId, ...data }, update: data });
  await tx.consentRecord.create({
    data: { chatId: props.chatId, action: existing?.active ? "changed" : "subscribed", details: JSON.stringify(props.choice), at: now },
  });
  return sub;
}

/** Stops every campaign message to a chat (a stop word, or the platform saying it is blocked). Returns false when it was not subscribed. */
export async function stopSubscription(tx: Tx, props: { chatId: string; reason: "stop_word" | "blocked"; now?: Date }): Promise<boolean> {
  const now = props.now ?? new Date();
  const { count } = await tx.subscription.updateMany({
    where: { chatId: props.chatId, active: true },
    data: { active: false, stoppedReason: props.reason, stoppedAt: now },
  });
  if (count) await tx.consentRecord.create({ data: { chatId: props.chatId, action: "stopped", details: JSON.stringify({ reason: props.reason }), at: now } });
  // Messages of running campaigns not yet sent to this chat are dropped too.
  await tx.delivery.updateMany({ where: { chatId: props.chatId, status: "pending" }, data: { status: "skipped", updatedAt: now } });
  return count > 0;
}

/** "Delete my data": removes the subscription profile and its consent history. */
export async function deleteSubscriptionData(tx: Tx, props: { chatId: string }): Promise<void> {
  await tx.delivery.updateMany({ where: { chatId: props.chatId, status: "pending" }, data: { status: "skipped" } });
  await tx.subscription.deleteMany({ where: { chatId: props.chatId } });
  await tx.consentRecord.deleteMany({ where: { chatId: props.chatId } });
}
