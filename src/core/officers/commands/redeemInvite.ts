import type { Tx } from "../../../db/client.ts";
import type { OutboxRef } from "../../../outbox/outbound.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import type { OfficerRecord } from "../authorize.ts";
import { redeemGuardedCode, type CodeGuardDeps } from "../codeAttempts.ts";
import { MAX_OFFICER_NAME, saveOfficer, validScope } from "../officerRows.ts";
import { ROLES, type Role } from "../roles.ts";

/** The shape of a code as typed: `K7PM-3QXZ` or `K7PM3QXZ`. */
export const CODE_SHAPE = /^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/;

export type InviteRedemption =
  | { ok: true; officer: OfficerRecord; role: Role; scope: { kind: string; code: string; name: string | null }; refs: OutboxRef[] }
  /** wrong: no such invitation (or used, expired); limited: refused unchecked (too many wrong codes); `refs`: administrators alerted. */
  | { ok: false; reason: "wrong" | "limited"; retryMinutes: number; refs: OutboxRef[] };

/**
 * A person redeems an officer invitation (`/start CODE` in a private chat with the bot, or any
 * other surface): within the guessing limits of `redeemGuardedCode`, a valid unused code registers
 * them with the role and scope it was made for, their name and their private chat. One event:
 * `officer.registered` by `invite:<code id>`; a wrong code is `auth.code_failed`, a limited attempt
 * `auth.refused` (a burst of wrong codes also alerts the administrators, see `codeAttempts.ts`).
 */
export async function redeemInvite(
  tx: Tx,
  deps: CodeGuardDeps,
  props: { telegramUserId: string; code: string; displayName?: string; privateChatId?: string; now?: Date },
): Promise<InviteRedemption> {
  if (!CODE_SHAPE.test(props.code.trim()) || !/^\d{1,20}$/.test(props.telegramUserId)) {
    return { ok: false, reason: "wrong", retryMinutes: 0, refs: [] };
  }
  const redeemed = await redeemGuardedCode(tx, deps, {
    code: props.code.trim(),
    purpose: "officer_invite",
    telegramUserId: props.telegramUserId,
    usedBy: `telegram-user:${props.telegramUserId}`,
    now: props.now,
  });
  if (!redeemed.ok) return redeemed;
  const invite = redeemed.row;
  // A code made by hand in the database without a role or scope registers nobody (it is used up).
  if (!invite.role || !(ROLES as readonly string[]).includes(invite.role) || !invite.scopeKind || !invite.scopeCode || !validScope(invite.scopeKind, invite.scopeCode)) {
    await recordEvent(tx, { action: "auth.refused", actor: `telegram-user:${props.telegramUserId}`, data: { action: "code.officer_invite", reason: "bad_invite" } });
    return { ok: false, reason: "wrong", retryMinutes: 0, refs: [] };
  }
  const name = props.displayName?.trim().slice(0, MAX_OFFICER_NAME);
  const officer = await saveOfficer(tx, {
    telegramUserId: props.telegramUserId,
    role: invite.role as Role,
    scopeKind: invite.scopeKind,
    scopeCode: invite.scopeCode,
    displayName: name || undefined,
    privateChatId: props.privateChatId,
  });
  await recordEvent(tx, {
    action: "officer.registered",
    actor: `invite:${invite.id}`,
    data: { officerId: officer.id, role: invite.role, scope: `${invite.scopeKind}:${invite.scopeCode}` },
  });
  const unit =
    invite.scopeKind === "commune"
      ? await tx.commune.findUnique({ where: { code: invite.scopeCode }, select: { name: true } })
      : invite.scopeKind === "province"
        ? await tx.province.findUnique({ where: { code: invite.scopeCode }, select: { name: true } })
        : null;
  return { ok: true, officer, role: invite.role as Role, scope: { kind: invite.scopeKind, code: invite.scopeCode, name: unit?.name ?? null }, refs: [] };
}
