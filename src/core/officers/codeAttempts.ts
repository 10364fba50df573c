import type { Tx } from "../../db/client.ts";
import { enqueueCalls, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import { recordRefusal } from "./authorize.ts";
import { redeemOneTimeCode } from "./oneTimeCodes.ts";

/** How many wrong one-time codes (invitations, group bindings) are tolerated, and when administrators are alerted. */
export interface CodeGuessLimits {
  /** Wrong codes one Telegram account may enter within the window; then its attempts are refused unchecked. */
  perAccount: number;
  /** Wrong codes all accounts together may enter within the window; then every attempt is refused unchecked. */
  global: number;
  /** Wrong codes within the window (all accounts) that alert the administrators. */
  alertAt: number;
  /** The sliding window, in minutes. */
  windowMinutes: number;
}

/** The defaults (CODE_GUESS_* variables). */
export const DEFAULT_CODE_GUESS_LIMITS: CodeGuessLimits = { perAccount: 5, global: 50, alertAt: 20, windowMinutes: 15 };

/** Why administrators are alerted: one account (or one console client) reached its limit, or wrong codes burst across accounts. */
export type CodeAlertKind = "account" | "burst" | "console";

/** What redeeming a code needs besides the database: the limits, the officers' renderer, a hook for metrics and logs. */
export interface CodeGuardDeps {
  codeGuess?: CodeGuessLimits;
  officerRenderer: ReplyRenderer;
  /** Called once for each alert (metric + log line), whether or not an administrator could be reached. */
  onCodeAlert?: (alert: { kind: CodeAlertKind; failures: number; windowMinutes: number; reachedAdmins: number }) => void;
}

export type GuardedRedemption<T> =
  | { ok: true; row: T }
  /** wrong: no such code (or used, expired, another purpose); limited: refused without checking. */
  | { ok: false; reason: "wrong" | "limited"; retryMinutes: number; refs: OutboxRef[] };

type Row = NonNullable<Awaited<ReturnType<typeof redeemOneTimeCode>>>;

const FAILED = "auth.code_failed";
const ALERTED = "auth.code_alert";

/**
 * Redeems a one-time code typed by a Telegram user, within guessing limits kept in the audit log (so
 * they hold across restarts and instances): an account with too many wrong codes in the window, or
 * everyone once the global budget is spent, is refused without the code being looked at. Every
 * wrong code is recorded (`auth.code_failed`), every refusal too (`auth.refused`); when an account
 * reaches its limit or wrong codes burst, the administrators are alerted in their private chat with
 * the bot (once per window and kind), and `onCodeAlert` is called for the metric and the log.
 */
export async function redeemGuardedCode(
  tx: Tx,
  deps: CodeGuardDeps,
  props: { code: string; purpose: "officer_invite" | "group_bind"; telegramUserId: string; usedBy: string; via?: string; now?: Date },
): Promise<GuardedRedemption<Row>> {
  const limits = deps.codeGuess ?? DEFAULT_CODE_GUESS_LIMITS;
  const now = props.now ?? new Date();
  const since = new Date(now.getTime() - limits.windowMinutes * 60_000);
  const actor = `telegram-user:${props.telegramUserId}`;
  const failures = (who?: string) => tx.auditEvent.count({ where: { action: FAILED, at: { gte: since }, ...(who ? { actor: who } : {}) } });

  const [mine, all] = await Promise.all([failures(actor), failures()]);
  const overAccount = mine >= limits.perAccount;
  if (overAccount || all >= limits.global) {
    await recordRefusal(tx, { actor, action: `code.${props.purpose}`, reason: overAccount ? "guess_limit_account" : "guess_limit_global", via: props.via });
    return { ok: false, reason: "limited", retryMinutes: limits.windowMinutes, refs: [] };
  }

  const row = await redeemOneTimeCode(tx, props.code, props.purpose, props.usedBy, now);
  if (row) return { ok: true, row };

  await tx.auditEvent.create({ data: { actor, action: FAILED, data: JSON.stringify({ purpose: props.purpose }), via: props.via ?? null, at: now } });
  const refs: OutboxRef[] = [];
  if (mine + 1 >= limits.perAccount) refs.push(...(await alertOnce(tx, deps, limits, { kind: "account", actor, failures: mine + 1, telegramUserId: props.telegramUserId, since, now })));
  if (all + 1 >= limits.alertAt) refs.push(...(await alertOnce(tx, deps, limits, { kind: "burst", actor: "system", failures: all + 1, since, now })));
  return { ok: false, reason: "wrong", retryMinutes: limits.windowMinutes, refs };
}

/** Alerts every active administrator with a private chat, unless this alert was already given within the window (also used by the console's login codes). */
export async function alertOnce(
  tx: Tx,
  deps: CodeGuardDeps,
  limits: CodeGuessLimits,
  alert: { kind: CodeAlertKind; actor: string; failures: number; telegramUserId?: string; since: Date; now: Date },
): Promise<OutboxRef[]> {
  const given = await tx.auditEvent.findFirst({ where: { action: ALERTED, actor: alert.actor, at: { gte: alert.since } }, select: { id: true } });
  if (given) return [];
  const admins = await tx.officer.findMany({ where: { role: "admin", revokedAt: null, privateChatId: { not: null } } });
  const refs: OutboxRef[] = [];
  const reply = {
    key: `officer:alert.codes_${alert.kind}`,
    params: { failures: alert.failures, minutes: limits.windowMinutes, user: alert.telegramUserId ?? "", limit: alert.kind === "burst" ? limits.global : limits.perAccount },
  };
  let reached = 0;
  for (const admin of admins) {
    const chat = await tx.chat.findUnique({ where: { id: admin.privateChatId! } });
    if (!chat || chat.unreachableAt) continue;
    reached++;
    refs.push(...(await enqueueCalls(tx, { chatId: chat.id, channel: chat.channel }, deps.officerRenderer.render(reply, chat.locale ?? "vi").calls)));
  }
  await tx.auditEvent.create({
    data: { actor: alert.actor, action: ALERTED, data: JSON.stringify({ kind: alert.kind, failures: alert.failures, admins: reached }), at: alert.now },
  });
  deps.onCodeAlert?.({ kind: alert.kind, failures: alert.failures, windowMinutes: limits.windowMinutes, reachedAdmins: reached });
  return refs;
}
