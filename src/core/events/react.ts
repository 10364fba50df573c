import type { Tx } from "../../db/client.ts";
import type { OutboxRef } from "../../outbox/outbound.ts";
import { QA_REACTIONS } from "../qa/reactions.ts";
import { QUEUE_REACTIONS } from "../queues/reactions.ts";
import { TIP_REACTIONS } from "../tips/reactions.ts";
import type { Reaction, ReactionDeps, RecordedEvent } from "./reaction.ts";
import { actorKey, recordEvent, type BusinessEvent } from "./recordEvent.ts";

/**
 * Every event that has consequences, and what follows it (src/core/<domain>/reactions.ts). An
 * action missing here has none.
 */
export const REACTIONS: Readonly<Record<string, readonly Reaction[]>> = { ...TIP_REACTIONS, ...QA_REACTIONS, ...QUEUE_REACTIONS };

/** Runs the reactions to a recorded event in order, in its transaction; returns the outbox rows they queued. */
export async function react(tx: Tx, event: RecordedEvent, deps: ReactionDeps): Promise<OutboxRef[]> {
  const refs: OutboxRef[] = [];
  for (const reaction of REACTIONS[event.action] ?? []) refs.push(...(await reaction(tx, event, deps)));
  return refs;
}

/**
 * Records a command's one event and runs what follows from it, in the same transaction: the event
 * and the messages it causes exist together or not at all. Returns the outbox rows queued.
 */
export async function recordAndReact(tx: Tx, event: BusinessEvent, deps: ReactionDeps): Promise<OutboxRef[]> {
  const { id } = await recordEvent(tx, event);
  const recorded: RecordedEvent = {
    id,
    action: event.action,
    tipId: event.tipId ?? null,
    actor: typeof event.actor === "string" ? event.actor : actorKey(event.actor),
    // What the log holds (dates as text), so a reaction relies on nothing the log does not say.
    data: JSON.parse(JSON.stringify(event.data ?? {})) as Record<string, unknown>,
    via: event.via ?? null,
  };
  return react(tx, recorded, deps);
}
