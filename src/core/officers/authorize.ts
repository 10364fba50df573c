import type { Tx } from "../../db/client.ts";
import type { TranslatedParam } from "../reply.ts";

/** What an officer can do to a tip from its card. */
export type OfficerAction =
  | "claim"
  | "release"
  | "ask"
  | "note"
  | "priority"
  | "transfer"
  | "classify"
  | "close"
  | "open_contact"
  | "extend";

/** Actions that need a commander (or an administrator). */
const COMMANDER_ACTIONS: ReadonlySet<OfficerAction> = new Set(["open_contact", "extend"]);

export type OfficerRecord = Awaited<ReturnType<Tx["officer"]["findUniqueOrThrow"]>>;

export type Refusal = "not_officer" | "revoked" | "scope" | "role" | "info_copy";

export type Authorization = { ok: true; officer: OfficerRecord } | { ok: false; reason: Refusal; officer?: OfficerRecord };

/**
 * What authorisation looks at: the tip, and the unit now handling it (its queue's province and
 * commune — after a transfer, the receiving unit's officers may act).
 */
export interface TipScope {
  id: string;
  provinceCode: string;
  communeCode: string | null;
}

/** Whether an officer's scope covers a tip: their commune, their province, or (scope "national") everywhere. */
export function scopeCovers(officer: Pick<OfficerRecord, "scopeKind" | "scopeCode">, tip: Pick<TipScope, "provinceCode" | "communeCode">): boolean {
  switch (officer.scopeKind) {
    case "national":
      return true;
    case "province":
      return tip.provinceCode === officer.scopeCode;
    case "commune":
      return tip.communeCode === officer.scopeCode;
    default:
      return false;
  }
}

/**
 * Checks a Telegram user's right to act on a tip: a registered, non-revoked officer whose scope
 * covers the tip, with the role the action needs, pressing on the tip's working card (not an
 * info-only copy). Every refusal is recorded as an audit event on the tip.
 */
export async function authorizeTipAction(
  tx: Tx,
  props: { telegramUserId: string; tip: TipScope; action: OfficerAction; cardKind?: string; via?: string },
): Promise<Authorization> {
  const officer = await tx.officer.findUnique({ where: { telegramUserId: props.telegramUserId } });
  let result: Authorization;
  if (!officer) result = { ok: false, reason: "not_officer" };
  else if (officer.revokedAt) result = { ok: false, reason: "revoked", officer };
  else if (props.cardKind === "info") result = { ok: false, reason: "info_copy", officer };
  else if (!scopeCovers(officer, props.tip)) result = { ok: false, reason: "scope", officer };
  else if (COMMANDER_ACTIONS.has(props.action) && officer.role === "officer") result = { ok: false, reason: "role", officer };
  else return { ok: true, officer };

  await tx.auditEvent.create({
    data: {
      tipId: props.tip.id,
      actor: officer ? `officer:${officer.id}` : `telegram-user:${props.telegramUserId}`,
      action: "auth.refused",
      data: JSON.stringify({ action: props.action, reason: result.reason }),
      via: props.via ?? null,
    },
  });
  return result;
}

/**
 * How an officer is named to colleagues in the group, as a reply parameter: their display name, or
 * (none known yet) "Officer ABCDE" in the group's language.
 */
export function officerName(officer: Pick<OfficerRecord, "displayName" | "id">): string | TranslatedParam {
  return officer.displayName ?? { $t: "officer:unnamed", params: { id: officer.id.slice(-5) } };
}

/** The same, as text, for a translator used directly (button-press answers). */
export function officerLabel(officer: Pick<OfficerRecord, "displayName" | "id">, t: (key: string, params?: Record<string, unknown>) => string): string {
  const name = officerName(officer);
  return typeof name === "string" ? name : t(name.$t, name.params);
}
