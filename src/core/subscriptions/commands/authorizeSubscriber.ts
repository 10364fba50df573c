import type { Tx } from "../../../db/client.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";

/**
 * Who changes a subscription: the resident from their own chat (`chatId` is that chat — it is never
 * written to the log), the system (the platform says the chat blocked the bot), or an administrator.
 */
export type SubscriberActor = Actor | { kind: "resident"; chatId: string };

/** Why a subscription change was refused: another chat's subscription, or an actor who may not make this change. */
export type SubscriptionRefusal = "scope" | "role";

/** A command's answer when its actor was refused (the refusal is already recorded as an event). */
export interface SubscriptionRefused {
  ok: false;
  reason: SubscriptionRefusal;
}

/** Raised for a change the subscription's state does not allow (nothing changed, nothing recorded). */
export class SubscriptionError extends Error {
  constructor(readonly reason: "state" | "bad_choice", detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

/**
 * Authorises a change to a chat's subscription: a resident for their own chat only, and the other
 * kinds of actor this change names in `also` (the system for a block, an administrator for an
 * erasure). A refusal is recorded as one `auth.refused` event (action `subscription.<what>`, no chat
 * named) and returned.
 */
export async function authorizeSubscriber(
  tx: Tx,
  props: { actor: SubscriberActor; chatId: string; action: string; also?: ReadonlyArray<"system" | "admin"> },
): Promise<{ ok: true } | SubscriptionRefused> {
  const { actor } = props;
  let reason: SubscriptionRefusal | null = null;
  if (actor.kind === "resident") reason = "chatId" in actor && actor.chatId === props.chatId ? null : "scope";
  else if (actor.kind === "system" || actor.kind === "admin") reason = props.also?.includes(actor.kind) ? null : "role";
  else reason = "role";
  if (!reason) return { ok: true };
  await recordEvent(tx, { action: "auth.refused", actor, data: { action: `subscription.${props.action}`, reason } });
  return { ok: false, reason };
}
