import type { Tx } from "../../db/client.ts";

/** officer, commander and admin work on tips; outreach staff run campaigns; legal staff answer questions. */
export const ROLES = ["officer", "commander", "admin", "outreach", "legal"] as const;
export type Role = (typeof ROLES)[number];

/**
 * Registers (or re-registers) a Telegram user as an officer with a role and a scope. A revoked
 * officer registered again is active again. The change is audited.
 */
export async function registerOfficer(
  tx: Tx,
  props: { telegramUserId: string; role: Role; scopeKind: string; scopeCode: string; displayName?: string; privateChatId?: string; by: string },
) {
  const data = {
    role: props.role,
    scopeKind: props.scopeKind,
    scopeCode: props.scopeCode,
    revokedAt: null,
    ...(props.displayName ? { displayName: props.displayName } : {}),
    ...(props.privateChatId ? { privateChatId: props.privateChatId } : {}),
  };
  const officer = await tx.officer.upsert({
    where: { telegramUserId: props.telegramUserId },
    create: { telegramUserId: props.telegramUserId, ...data },
    update: data,
  });
  await tx.auditEvent.create({
    data: { actor: props.by, action: "officer.registered", data: JSON.stringify({ officerId: officer.id, role: props.role, scope: `${props.scopeKind}:${props.scopeCode}` }) },
  });
  return officer;
}

/** Revokes an officer at once: every later press is refused. */
export async function revokeOfficer(tx: Tx, props: { telegramUserId: string; by: string }) {
  const officer = await tx.officer.findUnique({ where: { telegramUserId: props.telegramUserId } });
  if (!officer) return null;
  const updated = await tx.officer.update({ where: { id: officer.id }, data: { revokedAt: new Date() } });
  await tx.auditEvent.create({ data: { actor: props.by, action: "officer.revoked", data: JSON.stringify({ officerId: officer.id }) } });
  return updated;
}
