import type { Tx } from "../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../outbox/outbound.ts";
import type { Sealer } from "../../security/sealing.ts";
import { officerName } from "../officers/authorize.ts";
import type { TranslatedParam } from "../reply.ts";
import type { Renderers } from "../tips/notifyTipster.ts";

/**
 * What reactions need to reach people: the officers' channel (groups and officers' private chats),
 * every channel (to reach a tipster or an asker), and the sealer (to open a sealed reply
 * reference). A reaction that needs what its caller does not have queues nothing for that part.
 */
export interface ReactionDeps {
  officerRenderer?: ReplyRenderer;
  renderers?: Renderers;
  sealer?: Sealer;
}

/** An event as it was recorded (the actor as written in the log: "officer:<id>", "admin:<name>", "tipster"…). */
export interface RecordedEvent {
  id: number;
  action: string;
  tipId: string | null;
  actor: string;
  data: Record<string, unknown>;
  via: string | null;
}

/**
 * What follows an event: the intents it queues (a card updated, a message under the card, the
 * tipster told, a chat told), in the transaction that recorded the event. Returns their outbox rows.
 */
export type Reaction = (tx: Tx, event: RecordedEvent, deps: ReactionDeps) => Promise<OutboxRef[]>;

/** One domain's reactions, by event action, run in order. */
export type ReactionTable = Readonly<Record<string, readonly Reaction[]>>;

/**
 * How an event's actor is named to officers: an officer by their display name (or the "unnamed
 * officer" text), an administrator by their name, anyone else as written in the log.
 */
export async function actorName(tx: Tx, actor: string): Promise<string | TranslatedParam> {
  if (actor.startsWith("officer:")) {
    const officer = await tx.officer.findUnique({ where: { id: actor.slice("officer:".length) }, select: { id: true, displayName: true } });
    if (officer) return officerName(officer);
  }
  return actor.startsWith("admin:") ? actor.slice("admin:".length) : actor;
}
