import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { scopeCovers } from "../authorize.ts";
import { validScope } from "../officerRows.ts";
import { newCode } from "../oneTimeCodes.ts";
import { ROLES } from "../roles.ts";
import { authorizeStaff, type CommandActor, type StaffRefusal } from "../staffAuth.ts";
import { coversScope } from "./registerOfficer.ts";

/** The longest a one-time code may stay valid (30 days). */
export const MAX_CODE_HOURS = 720;

/** What a code is for: an invitation (`/start CODE` registers the officer) or a group binding (`/bind CODE`). */
export type CodeRequest =
  | { purpose: "officer_invite"; role: string; scopeKind: string; scopeCode: string; hours?: number }
  | { purpose: "group_bind"; queueId: string; hours?: number };

/**
 * Creates a one-time code, stored only as a hash: an officer invitation for a role and scope, or a
 * group binding for a queue (valid `hours`, 72 for invitations and 24 for bindings by default, at
 * most 30 days). Administrators only (`ACTION_ROLES.create_code`; an officer administrator within
 * their scope). One event: `code.created` (what the code is for, never the code), or
 * `auth.refused`. Input that does not fit is refused with `invalid` and changes nothing.
 */
export async function createOneTimeCode(
  tx: Tx,
  props: CodeRequest & { actor: CommandActor; via?: string | null },
): Promise<{ ok: true; code: string; expiresAt: Date } | { ok: false; reason: StaffRefusal | "invalid" }> {
  const hours = props.hours ?? (props.purpose === "officer_invite" ? 72 : 24);
  if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_CODE_HOURS) return { ok: false, reason: "invalid" };
  let queue: { id: string; provinceCode: string; communeCode: string | null } | null = null;
  if (props.purpose === "officer_invite") {
    if (!(ROLES as readonly string[]).includes(props.role) || !validScope(props.scopeKind, props.scopeCode)) return { ok: false, reason: "invalid" };
  } else {
    queue = await tx.queue.findUnique({ where: { id: props.queueId }, select: { id: true, provinceCode: true, communeCode: true } });
    if (!queue) return { ok: false, reason: "invalid" };
  }
  const what = props.purpose === "officer_invite" ? { role: props.role, scope: `${props.scopeKind}:${props.scopeCode}` } : { queueId: props.queueId };
  const auth = await authorizeStaff(tx, {
    actor: props.actor,
    action: "create_code",
    auditAction: `code.${props.purpose}`,
    via: props.via,
    data: what,
    inScope: (admin) => (props.purpose === "officer_invite" ? coversScope(tx, admin, props) : scopeCovers(admin, queue!)),
  });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  const { code, codeHash } = newCode();
  const expiresAt = new Date(Date.now() + hours * 3600_000);
  await tx.oneTimeCode.create({
    data: {
      codeHash,
      purpose: props.purpose,
      role: props.purpose === "officer_invite" ? props.role : null,
      scopeKind: props.purpose === "officer_invite" ? props.scopeKind : null,
      scopeCode: props.purpose === "officer_invite" ? props.scopeCode : null,
      queueId: queue?.id ?? null,
      createdBy: auth.key,
      expiresAt,
    },
  });
  await recordEvent(tx, { action: "code.created", actor: auth.key, via: props.via, data: { purpose: props.purpose, ...what, expiresAt: expiresAt.toISOString() } });
  return { ok: true, code, expiresAt };
}
