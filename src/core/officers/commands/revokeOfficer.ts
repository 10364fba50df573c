import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import type { OfficerRecord } from "../authorize.ts";
import { authorizeStaff, recordCommandRefusal, type CommandActor, type StaffRefusal } from "../staffAuth.ts";
import { coversScope } from "./registerOfficer.ts";

/**
 * Revokes an officer at once: every later press, reply or command of theirs is refused.
 * Administrators only (`ACTION_ROLES.revoke_officer`; an officer administrator only within their
 * scope). One event: `officer.revoked`, or `auth.refused` (also for an unknown user: `not_found`).
 */
export async function revokeOfficer(
  tx: Tx,
  props: { actor: CommandActor; telegramUserId: string; via?: string | null },
): Promise<{ ok: true; officer: OfficerRecord } | { ok: false; reason: StaffRefusal | "not_found" }> {
  const target = await tx.officer.findUnique({ where: { telegramUserId: props.telegramUserId } });
  const auth = await authorizeStaff(tx, {
    actor: props.actor,
    action: "revoke_officer",
    auditAction: "officer.revoke",
    via: props.via,
    data: { telegramUserId: props.telegramUserId },
    inScope: (admin) => !target || coversScope(tx, admin, target),
  });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  if (!target) {
    await recordCommandRefusal(tx, { actor: auth.key, action: "officer.revoke", reason: "not_found", via: props.via, data: { telegramUserId: props.telegramUserId } });
    return { ok: false, reason: "not_found" };
  }
  const officer = await tx.officer.update({ where: { id: target.id }, data: { revokedAt: new Date() } });
  await recordEvent(tx, { action: "officer.revoked", actor: auth.key, via: props.via, data: { officerId: target.id } });
  return { ok: true, officer };
}
