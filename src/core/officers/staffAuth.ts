import type { Tx } from "../../db/client.ts";
import { actorKey, recordEvent, type Actor } from "../events/recordEvent.ts";
import { roleMay, type OfficerRecord, type StaffAction } from "./authorize.ts";

/**
 * Who asks for a command: an actor of the event log, or a platform user who may or may not be a
 * registered officer (a Telegram user pressing a button or replying in a group).
 */
export type CommandActor = Actor | { kind: "telegram-user"; telegramUserId: string };

/** Why a staff action was refused: not registered, revoked, a role without the right, outside the actor's scope. */
export type StaffRefusal = "not_officer" | "revoked" | "role" | "scope";

/** The actor as the event log writes it, and the officer behind it (null for administrators from the CLI, the system, strangers). */
export interface ResolvedActor {
  key: string;
  officer: OfficerRecord | null;
}

export type StaffAuthorization = ({ ok: true } | { ok: false; reason: StaffRefusal }) & ResolvedActor;

/** Looks up the officer behind an actor (by officer id or Telegram user id), and how the log names the actor. */
export async function resolveActor(tx: Tx, actor: CommandActor): Promise<ResolvedActor> {
  if (actor.kind === "telegram-user") {
    const officer = await tx.officer.findUnique({ where: { telegramUserId: actor.telegramUserId } });
    return { officer, key: officer ? `officer:${officer.id}` : `telegram-user:${actor.telegramUserId}` };
  }
  if (actor.kind === "officer") {
    const officer = await tx.officer.findUnique({ where: { id: actor.officerId } });
    return { officer, key: actorKey(actor) };
  }
  return { officer: null, key: actorKey(actor) };
}

/**
 * Records a refused command as its one event (`auth.refused`): who, what they tried, why, from
 * which group.
 */
export async function recordCommandRefusal(
  tx: Tx,
  props: { actor: string; action: string; reason: string; via?: string | null; tipId?: string | null; data?: Record<string, unknown> },
): Promise<void> {
  await recordEvent(tx, {
    action: "auth.refused",
    actor: props.actor,
    tipId: props.tipId ?? null,
    via: props.via ?? null,
    data: { action: props.action, reason: props.reason, ...props.data },
  });
}

/**
 * Checks an actor's right to a staff action: an administrator from the CLI may take every staff
 * action; an officer needs to be registered, not revoked, hold a role `ACTION_ROLES` allows for the
 * action, and pass `inScope` (the command's scope rule: the unit, or the group acted from). Anyone
 * else (the system, residents) is refused. A refusal is recorded (`auth.refused`, the command's one
 * event) before it is returned.
 */
export async function authorizeStaff(
  tx: Tx,
  props: {
    actor: CommandActor;
    action: StaffAction;
    /** Written in the refusal's details (e.g. "question.answer"); defaults to `action`. */
    auditAction?: string;
    via?: string | null;
    data?: Record<string, unknown>;
    inScope?: (officer: OfficerRecord) => boolean | Promise<boolean>;
  },
): Promise<StaffAuthorization> {
  const resolved = await resolveActor(tx, props.actor);
  if (props.actor.kind === "admin") return { ok: true, ...resolved };
  const { officer } = resolved;
  let reason: StaffRefusal | null = null;
  if (!officer) reason = props.actor.kind === "officer" || props.actor.kind === "telegram-user" ? "not_officer" : "role";
  else if (officer.revokedAt) reason = "revoked";
  else if (!roleMay(officer.role, props.action)) reason = "role";
  else if (props.inScope && !(await props.inScope(officer))) reason = "scope";
  if (!reason) return { ok: true, ...resolved };
  await recordCommandRefusal(tx, { actor: resolved.key, action: props.auditAction ?? props.action, reason, via: props.via, data: props.data });
  return { ok: false, reason, ...resolved };
}
