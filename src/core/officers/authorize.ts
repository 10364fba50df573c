import type { Tx } from "../../db/client.ts";
import { recordEvent } from "../events/recordEvent.ts";
import type { TranslatedParam } from "../reply.ts";
import { ACTIONS, TIP_ROLES, type ActionId } from "../actions/catalog.ts";
import type { Role } from "./roles.ts";

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
  | "extend"
  | "reopen";

/**
 * What staff do besides working on tips: legal staff answer residents' questions and keep the
 * knowledge base; administrators register officers, hand out one-time codes and bind groups to queues.
 */
export type StaffAction =
  | "answer_question"
  | "save_answer"
  | "import_knowledge"
  | "register_officer"
  | "revoke_officer"
  | "rename_officer"
  | "create_code"
  | "bind_queue"
  | "unbind_queue";

/** The roles that work on tips (from the action table). Outreach and legal staff are registered in the same table but never act on a tip. */
export { TIP_ROLES };

/** The action table's id of each right authorised here (officers' tip actions, legal staff's and administrators' actions). */
const ACTION_IDS: Readonly<Record<OfficerAction | StaffAction, ActionId>> = {
  claim: "tip.claim",
  release: "tip.release",
  ask: "tip.ask",
  note: "tip.note",
  priority: "tip.priority",
  transfer: "tip.transfer",
  classify: "tip.classify",
  close: "tip.close",
  open_contact: "tip.open_contact",
  extend: "tip.extend",
  reopen: "tip.reopen",
  answer_question: "question.answer",
  save_answer: "question.save",
  import_knowledge: "knowledge.import",
  register_officer: "officer.register",
  revoke_officer: "officer.revoke",
  rename_officer: "officer.rename",
  create_code: "code.create",
  bind_queue: "queue.bind",
  unbind_queue: "queue.unbind",
};

/**
 * Who may take each action on a tip (within their scope) and each legal or administrative action:
 * derived from the action table (core/actions/catalog.ts), the one place roles are written.
 * Finer rules that depend on the tip's state stay in the commands (the `holder` moves of
 * tips/tipStates.ts).
 */
export const ACTION_ROLES: Readonly<Record<OfficerAction | StaffAction, readonly Role[]>> = Object.fromEntries(
  Object.entries(ACTION_IDS).map(([name, id]) => [name, ACTIONS[id].roles]),
) as Record<OfficerAction | StaffAction, readonly Role[]>;

export type OfficerRecord = Awaited<ReturnType<Tx["officer"]["findUniqueOrThrow"]>>;

/**
 * Why something was refused: not registered, revoked, a staff role (outreach, legal) that does not
 * work on tips, outside the officer's scope, a commander-only action, an info-only copy, or a
 * press in a group that does not hold the tip's working card.
 */
export type Refusal = "not_officer" | "revoked" | "staff_role" | "scope" | "role" | "info_copy" | "wrong_group";

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
      return tip.communeCode !== null && tip.communeCode === officer.scopeCode;
    default:
      return false;
  }
}

/** Whether a role may take an action (scope aside). */
export const roleMay = (role: string, action: OfficerAction | StaffAction): boolean => (ACTION_ROLES[action] as readonly string[]).includes(role);

/** The audit actor of a Telegram user: their officer id when registered, else their Telegram user id. */
export const actorOf = (officer: Pick<OfficerRecord, "id"> | null | undefined, telegramUserId: string) =>
  officer ? `officer:${officer.id}` : `telegram-user:${telegramUserId}`;

/**
 * Records a refusal as an audit event (`auth.refused`): who, what they tried, why, and from which
 * chat. `tipId` is null when the attempt was not about one tip (a group command, a campaign, a
 * legal question).
 */
export async function recordRefusal(
  tx: Tx,
  props: { actor: string; action: string; reason: string; tipId?: string | null; via?: string | null; data?: Record<string, unknown> },
): Promise<void> {
  await recordEvent(tx, {
    tipId: props.tipId ?? null,
    actor: props.actor,
    action: "auth.refused",
    data: { action: props.action, reason: props.reason, ...props.data },
    via: props.via ?? null,
  });
}

/**
 * Checks a Telegram user's (or, by `officerId`, an officer's from any surface) right to act on a
 * tip: a registered, non-revoked officer with a role that works on tips and that `ACTION_ROLES`
 * allows for the action, whose scope covers the tip, pressing on the tip's working card (`cardKind`
 * "main"; "info" for an info-only or retired copy, "none" in a group that holds no card of the tip;
 * omitted off Telegram). Every refusal is recorded as an audit event on the tip.
 */
export async function authorizeTipAction(
  tx: Tx,
  props: ({ telegramUserId: string; officerId?: undefined } | { officerId: string; telegramUserId?: undefined }) & {
    tip: TipScope;
    action: OfficerAction;
    cardKind?: "main" | "info" | "none";
    via?: string;
    detail?: string;
  },
): Promise<Authorization> {
  const officer =
    props.officerId !== undefined
      ? await tx.officer.findUnique({ where: { id: props.officerId } })
      : await tx.officer.findUnique({ where: { telegramUserId: props.telegramUserId } });
  let result: Authorization;
  if (!officer) result = { ok: false, reason: "not_officer" };
  else if (officer.revokedAt) result = { ok: false, reason: "revoked", officer };
  else if (!(TIP_ROLES as readonly string[]).includes(officer.role)) result = { ok: false, reason: "staff_role", officer };
  else if (props.cardKind === "none") result = { ok: false, reason: "wrong_group", officer };
  else if (props.cardKind === "info") result = { ok: false, reason: "info_copy", officer };
  else if (!scopeCovers(officer, props.tip)) result = { ok: false, reason: "scope", officer };
  else if (!roleMay(officer.role, props.action)) result = { ok: false, reason: "role", officer };
  else return { ok: true, officer };

  await recordRefusal(tx, {
    tipId: props.tip.id,
    actor: props.officerId !== undefined ? `officer:${props.officerId}` : actorOf(officer, props.telegramUserId),
    action: props.action,
    reason: result.reason,
    via: props.via,
    data: props.detail ? { detail: props.detail } : undefined,
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
