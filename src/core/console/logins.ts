import crypto from "node:crypto";
import type { Db, Tx } from "../../db/client.ts";
import { enqueueCalls, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import { recordEvent } from "../events/recordEvent.ts";
import { recordRefusal, type OfficerRecord } from "../officers/authorize.ts";
import { alertOnce, DEFAULT_CODE_GUESS_LIMITS, type CodeGuardDeps, type CodeGuessLimits } from "../officers/codeAttempts.ts";
import { codeHashOf, newCode } from "../officers/oneTimeCodes.ts";

/**
 * Logging in to the web console without passwords. A person asks for a login by their Telegram user
 * id (on the console's login page, or `/console` to the bot in private); a registered, active
 * officer or staff member with a known private chat receives there a one-time link and a short code
 * (either works once, for `LOGIN_MINUTES`; using one uses both). Logins and sessions are rows of
 * `OneTimeCode` (purposes `console_login`, `console_session`), stored only as hashes; wrong codes
 * count against the same audit-log guessing limits as invitations (`auth.code_failed`).
 */

/** How long a login link and code stay valid. */
export const LOGIN_MINUTES = 5;
/** Login requests one person may make within the guessing window (more are refused, audited). */
export const LOGIN_REQUESTS_PER_WINDOW = 3;
const LOGIN = "console_login";
const SESSION = "console_session";
const FAILED = "auth.code_failed";

/** What requesting a login needs: the officers' renderer (their private chat), the links' base URL, the limits. */
export interface ConsoleLoginDeps {
  officerRenderer: ReplyRenderer;
  /** Base URL of the console (CONSOLE_URL / PUBLIC_URL); undefined: only the code is sent. */
  baseUrl?: string;
  limits?: CodeGuessLimits;
}

/**
 * Asks for a console login for a Telegram user id. When it belongs to an active officer or staff
 * member whose private chat with the bot is known and reachable, the link and code are queued to
 * that chat (the message is scrubbed once sent) and `console.login_requested` is recorded; else an
 * `auth.refused` (action `console.login`) is recorded. The caller answers the same either way.
 */
export async function requestConsoleLogin(
  tx: Tx,
  deps: ConsoleLoginDeps,
  props: { telegramUserId: string; via: "console" | "telegram"; now?: Date },
): Promise<{ sent: boolean; refs: OutboxRef[] }> {
  const now = props.now ?? new Date();
  const limits = deps.limits ?? DEFAULT_CODE_GUESS_LIMITS;
  const officer = await tx.officer.findUnique({ where: { telegramUserId: props.telegramUserId } });
  // An id that is no officer's is not written down (it may be a resident's): the refusal is the public's.
  const actor = officer ? `officer:${officer.id}` : "public";
  const refuse = async (reason: string) => {
    await recordRefusal(tx, { actor, action: "console.login", reason, data: { via: props.via } });
    return { sent: false, refs: [] };
  };
  if (!officer) return refuse("not_officer");
  if (officer.revokedAt) return refuse("revoked");
  const chat = officer.privateChatId ? await tx.chat.findUnique({ where: { id: officer.privateChatId } }) : null;
  if (!chat || chat.unreachableAt) return refuse("no_private_chat");
  const since = new Date(now.getTime() - limits.windowMinutes * 60_000);
  const recent = await tx.auditEvent.count({ where: { action: "console.login_requested", actor, at: { gte: since } } });
  if (recent >= LOGIN_REQUESTS_PER_WINDOW) return refuse("too_many_requests");

  const token = crypto.randomBytes(32).toString("hex");
  const { code } = newCode();
  const expiresAt = new Date(now.getTime() + LOGIN_MINUTES * 60_000);
  for (const secret of [token, code]) {
    await tx.oneTimeCode.create({ data: { codeHash: codeHashOf(secret), purpose: LOGIN, createdBy: actor, expiresAt } });
  }
  const reply = deps.baseUrl
    ? { key: "console:login.message", params: { link: `${deps.baseUrl}/console/login/${token}`, code, minutes: LOGIN_MINUTES }, sensitive: true }
    : { key: "console:login.message_code_only", params: { code, minutes: LOGIN_MINUTES }, sensitive: true };
  const refs = await enqueueCalls(tx, { chatId: chat.id, channel: chat.channel }, deps.officerRenderer.render(reply, chat.locale ?? "vi").calls, { sensitive: true });
  await recordEvent(tx, { action: "console.login_requested", actor, data: { via: props.via, expiresAt: expiresAt.toISOString() } });
  return { sent: true, refs };
}

/** The shape of a login link's token and of a typed code (anything else is refused unchecked). */
export const LOGIN_TOKEN_SHAPE = /^[0-9a-f]{64}$/;
export const LOGIN_CODE_SHAPE = /^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/;

/** A session opened by a login: the secret for the browser's cookie (never stored) and the officer. */
export interface OpenedSession {
  secret: string;
  officer: OfficerRecord;
}

export type LoginRefusal = "wrong" | "limited" | "revoked";

/**
 * Uses a login link's token or a typed code, from a client (a hash of its address, for the per-client
 * guessing limit). Within the limits kept in the audit log (per client, and all wrong codes together,
 * shared with invitations and bindings), a valid unused login opens a session (`console.login`);
 * every other outcome is audited (`auth.code_failed` for a wrong one, `auth.refused` otherwise).
 */
export async function redeemConsoleLogin(
  tx: Tx,
  props: { secret: string; by: "link" | "code"; client: string; idleMinutes: number; limits?: CodeGuessLimits; now?: Date; alerts?: CodeGuardDeps },
): Promise<{ ok: true; session: OpenedSession } | { ok: false; reason: LoginRefusal; refs?: OutboxRef[] }> {
  const now = props.now ?? new Date();
  const limits = props.limits ?? DEFAULT_CODE_GUESS_LIMITS;
  const since = new Date(now.getTime() - limits.windowMinutes * 60_000);
  const client = `console-client:${props.client}`;
  const failures = (who?: string) => tx.auditEvent.count({ where: { action: FAILED, at: { gte: since }, ...(who ? { actor: who } : {}) } });
  const [mine, all] = await Promise.all([failures(client), failures()]);
  if (mine >= limits.perAccount || all >= limits.global) {
    await recordRefusal(tx, { actor: client, action: "console.login", reason: mine >= limits.perAccount ? "guess_limit_account" : "guess_limit_global" });
    return { ok: false, reason: "limited" };
  }
  const shaped = props.by === "link" ? LOGIN_TOKEN_SHAPE.test(props.secret) : LOGIN_CODE_SHAPE.test(props.secret);
  const row = shaped ? await tx.oneTimeCode.findUnique({ where: { codeHash: codeHashOf(props.secret) } }) : null;
  const usable = row && row.purpose === LOGIN && !row.usedAt && row.expiresAt > now;
  // Using one of a person's logins uses all of them (the link and its code, and any earlier request).
  const taken = usable ? (await tx.oneTimeCode.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now, usedBy: row.createdBy } })).count : 0;
  if (!row || taken !== 1) {
    await recordEvent(tx, { action: FAILED, actor: client, data: { purpose: LOGIN, by: props.by } });
    // The administrators hear of it as they do of wrong invitation codes (once per window and kind).
    const refs: OutboxRef[] = [];
    if (props.alerts) {
      if (mine + 1 >= limits.perAccount) refs.push(...(await alertOnce(tx, props.alerts, limits, { kind: "console", actor: client, failures: mine + 1, telegramUserId: props.client.slice(0, 8), since, now })));
      if (all + 1 >= limits.alertAt) refs.push(...(await alertOnce(tx, props.alerts, limits, { kind: "burst", actor: "system", failures: all + 1, since, now })));
    }
    return { ok: false, reason: "wrong", refs };
  }
  await tx.oneTimeCode.updateMany({ where: { purpose: LOGIN, createdBy: row.createdBy, usedAt: null }, data: { usedAt: now, usedBy: row.createdBy } });
  const officerId = row.createdBy.replace(/^officer:/, "");
  const officer = await tx.officer.findUnique({ where: { id: officerId } });
  if (!officer || officer.revokedAt) {
    await recordRefusal(tx, { actor: row.createdBy, action: "console.login", reason: "revoked", data: { by: props.by } });
    return { ok: false, reason: "revoked" };
  }
  const secret = crypto.randomBytes(32).toString("hex");
  await tx.oneTimeCode.create({
    data: { codeHash: codeHashOf(secret), purpose: SESSION, createdBy: row.createdBy, expiresAt: new Date(now.getTime() + props.idleMinutes * 60_000) },
  });
  await recordEvent(tx, { action: "console.login", actor: row.createdBy, data: { by: props.by, role: officer.role, scope: `${officer.scopeKind}:${officer.scopeCode}` } });
  return { ok: true, session: { secret, officer } };
}

/** The shape of a session cookie's value. */
export const SESSION_SHAPE = /^[0-9a-f]{64}$/;

/**
 * The officer behind a session cookie, checked on every request: the session must be open and not
 * idle longer than `idleMinutes` (each request starts the idle time again), and the officer still
 * registered and not revoked — a revoked officer's sessions end at once (`auth.refused`, reason
 * `revoked`, and the session is closed).
 */
export async function consoleSession(
  db: Db,
  props: { secret: string | undefined; idleMinutes: number; now?: Date },
): Promise<{ ok: true; officer: OfficerRecord } | { ok: false; reason: "none" | "revoked" }> {
  const now = props.now ?? new Date();
  if (!props.secret || !SESSION_SHAPE.test(props.secret)) return { ok: false, reason: "none" };
  const row = await db.oneTimeCode.findUnique({ where: { codeHash: codeHashOf(props.secret) } });
  if (!row || row.purpose !== SESSION || row.usedAt || row.expiresAt <= now) return { ok: false, reason: "none" };
  const officer = await db.officer.findUnique({ where: { id: row.createdBy.replace(/^officer:/, "") } });
  if (!officer || officer.revokedAt) {
    await db.$transaction(async (tx) => {
      const { count } = await tx.oneTimeCode.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now, usedBy: "revoked" } });
      if (count === 1) await recordRefusal(tx, { actor: row.createdBy, action: "console.session", reason: "revoked" });
    });
    return { ok: false, reason: "revoked" };
  }
  const expiresAt = new Date(now.getTime() + props.idleMinutes * 60_000);
  // The idle clock restarts (written at most every 10 seconds of activity).
  if (expiresAt.getTime() - row.expiresAt.getTime() > 10_000) await db.oneTimeCode.update({ where: { id: row.id }, data: { expiresAt } });
  return { ok: true, officer };
}

/** Ends a session (logout): `console.logout`. Nothing happens for a session that is not open. */
export async function endConsoleSession(tx: Tx, props: { secret: string; now?: Date }): Promise<boolean> {
  const now = props.now ?? new Date();
  if (!SESSION_SHAPE.test(props.secret)) return false;
  const row = await tx.oneTimeCode.findUnique({ where: { codeHash: codeHashOf(props.secret) } });
  if (!row || row.purpose !== SESSION || row.usedAt) return false;
  await tx.oneTimeCode.update({ where: { id: row.id }, data: { usedAt: now, usedBy: "logout" } });
  await recordEvent(tx, { action: "console.logout", actor: row.createdBy });
  return true;
}

/** The CSRF token of a session: derived from its secret (so never stored), checked on every form. */
export function csrfTokenOf(secret: string): string {
  return crypto.createHmac("sha256", secret).update("console-csrf").digest("base64url");
}
