import type { Tx } from "../../db/client.ts";
import type { OfficerRecord } from "./authorize.ts";
import { ROLES, type Role } from "./roles.ts";

/** What registering an officer takes. */
export interface OfficerInput {
  telegramUserId: string;
  role: Role;
  scopeKind: string;
  scopeCode: string;
  displayName?: string;
  privateChatId?: string;
}

/** The longest display name kept for an officer. */
export const MAX_OFFICER_NAME = 64;

/** Whether a scope is well formed: a 5-digit commune, a 2-digit province, or "national" VN. */
export function validScope(scopeKind: string, scopeCode: string): boolean {
  if (scopeKind === "commune") return /^\d{5}$/.test(scopeCode);
  if (scopeKind === "province") return /^\d{2}$/.test(scopeCode);
  return scopeKind === "national" && scopeCode === "VN";
}

/** Whether registration input fits: a numeric Telegram user id, a known role, a well-formed scope, a sensible name. */
export function validOfficerInput(props: OfficerInput): boolean {
  return (
    /^\d{1,20}$/.test(props.telegramUserId) &&
    (ROLES as readonly string[]).includes(props.role) &&
    validScope(props.scopeKind, props.scopeCode) &&
    (props.displayName === undefined || (props.displayName.trim().length > 0 && props.displayName.length <= MAX_OFFICER_NAME))
  );
}

/**
 * Writes an officer's row (created, or updated and active again). Not a command: the commands that
 * register someone (`registerOfficer`, `redeemInvite`) authorise and record the event.
 */
export async function saveOfficer(tx: Tx, props: OfficerInput): Promise<OfficerRecord> {
  const data = {
    role: props.role,
    scopeKind: props.scopeKind,
    scopeCode: props.scopeCode,
    revokedAt: null,
    ...(props.displayName ? { displayName: props.displayName.trim().slice(0, MAX_OFFICER_NAME) } : {}),
    ...(props.privateChatId ? { privateChatId: props.privateChatId } : {}),
  };
  return tx.officer.upsert({
    where: { telegramUserId: props.telegramUserId },
    create: { telegramUserId: props.telegramUserId, ...data },
    update: data,
  });
}
