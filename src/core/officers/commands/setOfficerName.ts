import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import type { OfficerRecord } from "../authorize.ts";
import { MAX_OFFICER_NAME } from "../officerRows.ts";
import { authorizeStaff, recordCommandRefusal, type CommandActor, type StaffRefusal } from "../staffAuth.ts";
import { coversScope } from "./registerOfficer.ts";

/**
 * Sets the name colleagues see for an officer (e.g. "Thiếu úy Lan"). Administrators only
 * (`ACTION_ROLES.rename_officer`; an officer administrator within their scope). A name that is empty
 * or longer than 64 characters is refused with `invalid` and changes nothing. One event:
 * `officer.renamed`, or `auth.refused` (also for an unknown user: `not_found`).
 */
export async function setOfficerName(
  tx: Tx,
  props: { actor: CommandActor; telegramUserId: string; name: string; via?: string | null },
): Promise<{ ok: true; officer: OfficerRecord } | { ok: false; reason: StaffRefusal | "not_found" | "invalid" }> {
  const name = props.name.trim();
  if (!name || name.length > MAX_OFFICER_NAME) return { ok: false, reason: "invalid" };
  const target = await tx.officer.findUnique({ where: { telegramUserId: props.telegramUserId } });
  const auth = await authorizeStaff(tx, {
    actor: props.actor,
    action: "rename_officer",
    auditAction: "officer.rename",
    via: props.via,
    data: { telegramUserId: props.telegramUserId },
    inScope: (admin) => !target || coversScope(tx, admin, target),
  });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  if (!target) {
    await recordCommandRefusal(tx, { actor: auth.key, action: "officer.rename", reason: "not_found", via: props.via, data: { telegramUserId: props.telegramUserId } });
    return { ok: false, reason: "not_found" };
  }
  const officer = await tx.officer.update({ where: { id: target.id }, data: { displayName: name } });
  await recordEvent(tx, { action: "officer.renamed", actor: auth.key, via: props.via, data: { officerId: target.id } });
  return { ok: true, officer };
}
