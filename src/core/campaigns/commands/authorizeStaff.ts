import type { Tx } from "../../../db/client.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import type { Audience } from "../audience.ts";
import { CampaignError } from "../campaignError.ts";
import { CAMPAIGN_ROLES } from "../outreach.ts";

/**
 * Why a campaign or content action was refused: no such (registered) staff member, revoked, a role
 * that does not run campaigns (officers, commanders, legal staff, residents), the system asking for
 * a staff action or a person asking for a scheduled step, or an audience outside the staff member's
 * area.
 */
export type StaffRefusal = "not_officer" | "revoked" | "role" | "scope";

/** A command's answer when its actor was refused (the refusal is already recorded as an event). */
export interface Refused {
  ok: false;
  reason: StaffRefusal;
}

type OfficerRecord = Awaited<ReturnType<Tx["officer"]["findUniqueOrThrow"]>>;

/**
 * Records a refused campaign/content action as one `auth.refused` event: who, what they tried
 * (`campaign.<action>`), why, from which chat.
 */
export async function recordStaffRefusal(
  tx: Tx,
  props: { actor: Actor | string; action: string; reason: StaffRefusal; via?: string | null; campaignId?: string },
): Promise<Refused> {
  await recordEvent(tx, {
    action: "auth.refused",
    actor: props.actor,
    via: props.via ?? null,
    data: { action: `campaign.${props.action}`, reason: props.reason, ...(props.campaignId ? { campaignId: props.campaignId } : {}) },
  });
  return { ok: false, reason: props.reason };
}

/** Whether an officer's area covers a campaign's audience (national staff: any; others: only their province or commune, named). */
export async function audienceInScope(tx: Tx, officer: Pick<OfficerRecord, "scopeKind" | "scopeCode">, audience: Audience): Promise<boolean> {
  if (officer.scopeKind === "national") return true;
  const provinces = audience.provinces ?? [];
  const communes = [...new Set(audience.communes ?? [])];
  if (!provinces.length && !communes.length) return false; // nationwide
  const found = communes.length ? await tx.commune.findMany({ where: { code: { in: communes } }, select: { code: true, provinceCode: true } }) : [];
  if (found.length !== communes.length) return false;
  if (officer.scopeKind === "province") return provinces.every((p) => p === officer.scopeCode) && found.every((c) => c.provinceCode === officer.scopeCode);
  if (officer.scopeKind === "commune") {
    return communes.length > 0 && communes.every((c) => c === officer.scopeCode) && provinces.every((p) => p === found[0]!.provinceCode);
  }
  return false;
}

/**
 * Authorises a campaign or content action. Staff actions ("staff"): a registered, active officer
 * whose role is outreach or admin (and, given an audience, whose area covers it), or an
 * administrator from the CLI. Scheduled steps ("system"): the system only. A refusal is recorded
 * (one `auth.refused` event) and returned.
 */
export async function authorizeStaff(
  tx: Tx,
  props: { actor: Actor; action: string; by?: "staff" | "system"; via?: string | null; campaignId?: string; audience?: Audience },
): Promise<{ ok: true; officer: OfficerRecord | null } | Refused> {
  const refuse = (reason: StaffRefusal) => recordStaffRefusal(tx, { actor: props.actor, action: props.action, reason, via: props.via, campaignId: props.campaignId });
  const { actor } = props;
  if ((props.by ?? "staff") === "system") return actor.kind === "system" ? { ok: true, officer: null } : refuse("role");
  if (actor.kind === "admin") return { ok: true, officer: null };
  if (actor.kind !== "officer") return refuse("role");
  const officer = await tx.officer.findUnique({ where: { id: actor.officerId } });
  if (!officer) return refuse("not_officer");
  if (officer.revokedAt) return refuse("revoked");
  if (!CAMPAIGN_ROLES.includes(officer.role)) return refuse("role");
  if (props.audience && !(await audienceInScope(tx, officer, props.audience))) return refuse("scope");
  return { ok: true, officer };
}

/** A command's result when the caller cannot be refused (the CLI's administrator, tests): the value, or a CampaignError("refused"). */
export function allowed<T extends { ok: true }>(result: T | Refused): T {
  if (!result.ok) throw new CampaignError("refused", result.reason);
  return result;
}
