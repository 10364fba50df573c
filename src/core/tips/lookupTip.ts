import type { Tx } from "../../db/client.ts";
import { takeRate } from "../rateLimit.ts";
import { hashPin, verifyPin } from "./codes.ts";

/** Wrong PINs allowed for one tip before it is locked. */
export const PIN_FAILURES_BEFORE_LOCK = 5;
export const PIN_LOCK_MS = 30 * 60_000;
/** Look-ups allowed per chat per hour, whatever the codes (slows down guessing). */
export const LOOKUPS_PER_HOUR = 10;

export type LookupResult =
  | { kind: "found"; code: string; status: string; receivedAt: Date; unit: string }
  | { kind: "wrong" }
  | { kind: "locked"; minutes: number };

// Compared against when the code does not exist, so both paths take the same time.
let dummyHash: Promise<string> | undefined;

/**
 * Checks a tip's public status with its code and PIN, from any chat on any channel. Wrong PINs
 * count against the tip (locked after 5 for 30 minutes, the lock audited) and every attempt counts
 * against the asking chat (10 an hour); the answer never says whether the code exists.
 */
export async function lookupTip(tx: Tx, props: { code: string; pin: string; askingChatId: string; now?: Date }): Promise<LookupResult> {
  const now = props.now ?? new Date();
  if (!(await takeRate(tx, `lookup:${props.askingChatId}`, LOOKUPS_PER_HOUR, 60 * 60_000, now))) {
    const row = await tx.rateCounter.findUnique({ where: { key: `lookup:${props.askingChatId}` } });
    const left = row ? row.windowStart.getTime() + 60 * 60_000 - now.getTime() : 60 * 60_000;
    return { kind: "locked", minutes: Math.max(1, Math.ceil(left / 60_000)) };
  }
  const tip = await tx.tip.findUnique({ where: { code: props.code }, include: { queue: true } });
  if (!tip) {
    await verifyPin(props.pin, await (dummyHash ??= hashPin("000000")));
    return { kind: "wrong" };
  }
  if (tip.pinLockedUntil && tip.pinLockedUntil > now) {
    return { kind: "locked", minutes: Math.max(1, Math.ceil((tip.pinLockedUntil.getTime() - now.getTime()) / 60_000)) };
  }
  if (!(await verifyPin(props.pin, tip.pinHash))) {
    const failures = tip.pinFailures + 1;
    const lock = failures >= PIN_FAILURES_BEFORE_LOCK;
    await tx.tip.update({
      where: { id: tip.id },
      data: lock ? { pinFailures: 0, pinLockedUntil: new Date(now.getTime() + PIN_LOCK_MS) } : { pinFailures: failures },
    });
    await tx.auditEvent.create({
      data: { tipId: tip.id, actor: "public", action: lock ? "tip.lookup_locked" : "tip.lookup_failed", data: JSON.stringify({ failures }) },
    });
    return lock ? { kind: "locked", minutes: Math.ceil(PIN_LOCK_MS / 60_000) } : { kind: "wrong" };
  }
  if (tip.pinFailures > 0) await tx.tip.update({ where: { id: tip.id }, data: { pinFailures: 0 } });
  return { kind: "found", code: tip.code, status: publicStatus(tip), receivedAt: tip.receivedAt, unit: tip.queue.name };
}

/** What the tipster is told of a tip's state: received, in progress, transferred, or closed. */
export function publicStatus(tip: { status: string; transferredAt: Date | null }): "received" | "in_progress" | "transferred" | "closed" {
  if (tip.status === "closed") return "closed";
  if (tip.status === "claimed") return "in_progress";
  return tip.transferredAt ? "transferred" : "received";
}
