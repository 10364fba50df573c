import crypto from "node:crypto";
import type { Tx } from "../../db/client.ts";
import { CODE_ALPHABET } from "../tips/codes.ts";

/** The stored hash of a one-time code (case, spaces and dashes ignored): the code itself is never stored. */
export const codeHashOf = (code: string) => crypto.createHash("sha256").update(code.toUpperCase().replace(/[\s-]/g, "")).digest("hex");

/** A new random code like `K7PM-3QXZ` and the hash that is all we store of it. */
export function newCode(): { code: string; codeHash: string } {
  let raw = "";
  for (let i = 0; i < 8; i++) raw += CODE_ALPHABET[crypto.randomInt(CODE_ALPHABET.length)];
  return { code: `${raw.slice(0, 4)}-${raw.slice(4)}`, codeHash: codeHashOf(raw) };
}

/** Uses a one-time code for `purpose`: returns it (marked used by `usedBy`), or null when wrong, used or expired. */
export async function redeemOneTimeCode(tx: Tx, code: string, purpose: string, usedBy: string, now = new Date()) {
  const row = await tx.oneTimeCode.findUnique({ where: { codeHash: codeHashOf(code) } });
  if (!row || row.purpose !== purpose || row.usedAt || row.expiresAt < now) return null;
  const { count } = await tx.oneTimeCode.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now, usedBy } });
  return count === 1 ? row : null;
}

/** Scope of a unit code: 5 digits = a commune, 2 digits = a province, "VN" = nationwide. */
export function scopeOfUnit(unit: string): { scopeKind: string; scopeCode: string } | null {
  if (/^\d{5}$/.test(unit)) return { scopeKind: "commune", scopeCode: unit };
  if (/^\d{2}$/.test(unit)) return { scopeKind: "province", scopeCode: unit };
  if (unit.toUpperCase() === "VN") return { scopeKind: "national", scopeCode: "VN" };
  return null;
}

/** Queue of a unit code: 5 digits = commune queue, 2 digits = province duty queue, or a queue id. */
export function queueOfUnit(unit: string): string {
  if (/^\d{5}$/.test(unit)) return `commune:${unit}`;
  if (/^\d{2}$/.test(unit)) return `province:${unit}`;
  if (unit.toUpperCase() === "VN") return "national:VN";
  return unit;
}
