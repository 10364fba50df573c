import type { Tx } from "../../db/client.ts";
import { recordEvent } from "../events/recordEvent.ts";
import type { Sealer } from "../../security/sealing.ts";
import { personRateKey, rateExhausted, rateMinutesLeft, readRates, takeRate } from "../rateLimit.ts";
import { hotSqlOf, readDate } from "../../db/hot.ts";
import { verifyPin } from "./codes.ts";
import { offTransaction } from "../offTransaction.ts";

/** Look-ups allowed per chat per hour, whatever the codes (slows down guessing). */
export const LOOKUPS_PER_HOUR = 10;
/** Wrong code-or-PIN answers one chat may give before that chat (only) is locked. */
export const REQUESTER_FAILURES_BEFORE_LOCK = 5;
export const REQUESTER_LOCK_MS = 30 * 60_000;
/**
 * Wrong PINs accepted for one code, from all chats together, per day: a slow global limit that
 * makes spreading guesses over many accounts useless (20 a day against a million PINs), while the
 * owner is never locked out for longer than the day's window.
 */
export const CODE_FAILURES_PER_DAY = 20;
export const CODE_WINDOW_MS = 24 * 60 * 60_000;

export type LookupResult =
  | { kind: "found"; tipId: string; code: string; status: ReturnType<typeof publicStatus>; receivedAt: Date; unit: string }
  | { kind: "wrong" }
  | { kind: "locked"; minutes: number };

/** A tip as a look-up needs it (by its public code), with the name of the unit handling it. */
async function tipByCode(tx: Tx, code: string): Promise<{ id: string; code: string; pinHash: string; status: string; transferredAt: Date | null; receivedAt: Date; unit: string } | undefined> {
  const hot = hotSqlOf(tx);
  if (hot) {
    const raw = await hot.get<{ id: string; code: string; pinHash: string; status: string; transferredAt: string | null; receivedAt: string; unit: string }>(
      `SELECT t."id", t."code", t."pinHash", t."status", t."transferredAt", t."receivedAt", q."name" AS "unit" FROM "Tip" t JOIN "Queue" q ON q."id" = t."queueId" WHERE t."code" = ?`,
      code,
    );
    return raw && { ...raw, transferredAt: readDate(raw.transferredAt), receivedAt: readDate(raw.receivedAt)! };
  }
  const tip = await tx.tip.findUnique({ where: { code }, include: { queue: true } });
  return tip ? { id: tip.id, code: tip.code, pinHash: tip.pinHash, status: tip.status, transferredAt: tip.transferredAt, receivedAt: tip.receivedAt, unit: tip.queue.name } : undefined;
}

/**
 * Checks a tip's public status with its code and PIN, from any chat on any channel.
 *
 * Guessing is bounded without ever telling an existing code from a made-up one, and without
 * letting a stranger lock the owner out: every attempt counts against the asking chat (10 an hour);
 * a wrong answer counts against the asking chat (locked for 30 minutes after 5) and against the
 * code, whether or not it exists (20 wrong PINs a day, from all chats together, keyed by a digest
 * of the code). The right PIN always opens the tip unless the code's daily budget is spent, and
 * the owner can look again once that window has passed.
 */
export async function lookupTip(tx: Tx, props: { code: string; pin: string; askingChatId: string; sealer: Sealer; now?: Date }): Promise<LookupResult> {
  const now = props.now ?? new Date();
  // Counters keyed by handles: no row names the asking chat or the code.
  const attemptsKey = personRateKey(props.sealer, "lookup", props.askingChatId);
  const failuresKey = personRateKey(props.sealer, "lookup-fail", props.askingChatId);
  const codeKey = `lookup-code:${props.sealer.handle(props.code, "lookup-code")}`;
  if (!(await takeRate(tx, attemptsKey, LOOKUPS_PER_HOUR, 60 * 60_000, now))) {
    return { kind: "locked", minutes: rateMinutesLeft((await readRates(tx, [attemptsKey])).get(attemptsKey), 60 * 60_000, now) };
  }
  // Both locks read at once.
  const counters = await readRates(tx, [failuresKey, codeKey]);
  if (rateExhausted(counters.get(failuresKey), REQUESTER_FAILURES_BEFORE_LOCK, REQUESTER_LOCK_MS, now)) {
    return { kind: "locked", minutes: rateMinutesLeft(counters.get(failuresKey), REQUESTER_LOCK_MS, now) };
  }
  if (rateExhausted(counters.get(codeKey), CODE_FAILURES_PER_DAY, CODE_WINDOW_MS, now)) {
    return { kind: "locked", minutes: rateMinutesLeft(counters.get(codeKey), CODE_WINDOW_MS, now) };
  }
  const tip = await tipByCode(tx, props.code);
  // The scrypt runs outside the inbox's group transaction (see offTransaction). A made-up code is
  // checked against nothing, which verifyPin answers after the same work and time as a real check.
  // Keyed by the asking chat too: a chat asks one thing at a time, and another chat checking the same
  // code and PIN meanwhile makes its own check (and its own wait).
  const right = await offTransaction(tx, `verify-pin\u0000${props.askingChatId}\u0000${tip?.pinHash ?? "none"}\u0000${props.pin}`, async () =>
    verifyPin(props.pin, tip?.pinHash ?? "", props.sealer),
  );
  if (tip && right) {
    return { kind: "found", tipId: tip.id, code: tip.code, status: publicStatus(tip), receivedAt: tip.receivedAt, unit: tip.unit };
  }
  // A wrong answer: the same counting, writes and answer for an existing and a made-up code.
  await takeRate(tx, codeKey, CODE_FAILURES_PER_DAY, CODE_WINDOW_MS, now);
  await takeRate(tx, failuresKey, REQUESTER_FAILURES_BEFORE_LOCK, REQUESTER_LOCK_MS, now);
  if (tip) await recordEvent(tx, { tipId: tip.id, actor: { kind: "public" }, action: "tip.lookup_failed" });
  const failures = (await readRates(tx, [failuresKey])).get(failuresKey);
  if (rateExhausted(failures, REQUESTER_FAILURES_BEFORE_LOCK, REQUESTER_LOCK_MS, now)) {
    return { kind: "locked", minutes: rateMinutesLeft(failures, REQUESTER_LOCK_MS, now) };
  }
  return { kind: "wrong" };
}

/** What the tipster is told of a tip's state: received, in progress, transferred, or closed. */
export function publicStatus(tip: { status: string; transferredAt: Date | null }): "received" | "in_progress" | "transferred" | "closed" {
  if (tip.status === "closed") return "closed";
  if (tip.status === "claimed") return "in_progress";
  return tip.transferredAt ? "transferred" : "received";
}
