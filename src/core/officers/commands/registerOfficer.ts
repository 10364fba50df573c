import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import type { OfficerRecord } from "../authorize.ts";
import { ROLES, type Role } from "../roles.ts";
import { authorizeStaff, type CommandActor, type StaffRefusal } from "../staffAuth.ts";
import { saveOfficer, validOfficerInput, type OfficerInput } from "../officerRows.ts";

export { ROLES, type Role };

/**
 * Registers (or re-registers) a Telegram user as an officer with a role and a scope; a revoked
 * officer registered again is active again. Administrators only (`ACTION_ROLES.register_officer`;
 * an officer administrator only within their scope). One event: `officer.registered`, or
 * `auth.refused`. Input that does not fit (an unknown role, a malformed scope or user id) is refused
 * with `invalid` and changes nothing.
 */
export async function registerOfficer(
  tx: Tx,
  props: OfficerInput & { actor: CommandActor; via?: string | null },
): Promise<{ ok: true; officer: OfficerRecord } | { ok: false; reason: StaffRefusal | "invalid" }> {
  if (!validOfficerInput(props)) return { ok: false, reason: "invalid" };
  const auth = await authorizeStaff(tx, {
    actor: props.actor,
    action: "register_officer",
    auditAction: "officer.register",
    via: props.via,
    data: { telegramUserId: props.telegramUserId },
    inScope: (admin) => coversScope(tx, admin, props),
  });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  const officer = await saveOfficer(tx, props);
  await recordEvent(tx, {
    action: "officer.registered",
    actor: auth.key,
    via: props.via,
    data: { officerId: officer.id, role: props.role, scope: `${props.scopeKind}:${props.scopeCode}` },
  });
  return { ok: true, officer };
}

/**
 * Whether an administrator's own scope covers a scope they give: a national administrator covers
 * all; a province administrator their province and its communes; a commune administrator their commune.
 */
export async function coversScope(tx: Tx, admin: Pick<OfficerRecord, "scopeKind" | "scopeCode">, scope: { scopeKind: string; scopeCode: string }): Promise<boolean> {
  if (admin.scopeKind === "national") return true;
  if (scope.scopeKind === "national") return false;
  if (scope.scopeKind === admin.scopeKind) return scope.scopeCode === admin.scopeCode;
  if (admin.scopeKind === "province" && scope.scopeKind === "commune") {
    const commune = await tx.commune.findUnique({ where: { code: scope.scopeCode }, select: { provinceCode: true } });
    return commune?.provinceCode === admin.scopeCode;
  }
  return false;
}
