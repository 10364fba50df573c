import type { Tx } from "../../db/client.ts";
import { STATS_NEUTRAL_EVENTS, markTipForStats } from "../console/statsDirty.ts";

/**
 * Who did something. Officers act from any surface (a Telegram button, the web console, the CLI);
 * administrators also from the CLI by name; the system on its own (schedules, retention); residents
 * and tipsters are never named (their identity must not reach the log).
 */
export type Actor =
  | { kind: "officer"; officerId: string }
  | { kind: "admin"; name: string }
  | { kind: "system" }
  | { kind: "tipster" }
  | { kind: "resident" }
  | { kind: "public" };

/** How an actor is written in the event log ("officer:<id>", "admin:<name>", "system"…). */
export function actorKey(actor: Actor): string {
  switch (actor.kind) {
    case "officer":
      return `officer:${actor.officerId}`;
    case "admin":
      return actor.name.startsWith("admin:") ? actor.name : `admin:${actor.name}`;
    default:
      return actor.kind;
  }
}

/** One business event: what happened, to which tip (if any), by whom, with its details. */
export interface BusinessEvent {
  action: string;
  actor: Actor | string;
  tipId?: string | null;
  data?: Record<string, unknown>;
  /** Our chat id of the group an officer acted from (never a tipster's chat). */
  via?: string | null;
  at?: Date;
}

/**
 * Records a business event in the same transaction as the change it describes: the one way every
 * command writes the audit log (a command records exactly one event; refusals are events too).
 * An event about a tip (but a refusal or a reminder) also marks the statistics rollups of the
 * tip's month out of date, in the same transaction (src/core/console/statsDirty.ts).
 */
export async function recordEvent(tx: Tx, event: BusinessEvent): Promise<{ id: number }> {
  if (event.tipId && !STATS_NEUTRAL_EVENTS.has(event.action)) await markTipForStats(tx, event.tipId);
  return tx.auditEvent.create({
    data: {
      tipId: event.tipId ?? null,
      actor: typeof event.actor === "string" ? event.actor : actorKey(event.actor),
      action: event.action,
      data: JSON.stringify(event.data ?? {}),
      via: event.via ?? null,
      ...(event.at ? { at: event.at } : {}),
    },
    select: { id: true },
  });
}
