import crypto from "node:crypto";

/** Name of the web chat's session cookie. */
export const SESSION_COOKIE = "tm_sid";
/** How long a web chat session lives without a visit (renewed on every page load). */
export const SESSION_MAX_AGE_SECONDS = 180 * 24 * 60 * 60;

const SID = /^[A-Za-z0-9_-]{43}$/;

/** A web chat session: the secret kept in the browser's cookie and the chat id derived from it. */
export interface WebSession {
  /** The chat's platform id as stored in the database (`w:` + 32 hex): a hash, never the cookie. */
  chatKey: string;
  /** A Set-Cookie value to send (a new session, or a renewed one); undefined: nothing to send. */
  setCookie?: string;
}

/** A new session secret: 32 random bytes, base64url. */
export function newSessionId(): string {
  return crypto.randomBytes(32).toString("base64url");
}

/** The chat's platform id for a session secret: the cookie itself is never stored. */
export function chatKeyOf(sid: string): string {
  return "w:" + crypto.createHash("sha256").update(sid).digest("hex").slice(0, 32);
}

/** The session secret in a Cookie header, when present and well-formed. */
export function readSessionId(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (SID.test(value)) return value;
  }
  return undefined;
}

/** The Set-Cookie value for a session: httpOnly, SameSite=Strict, Secure on HTTPS, long-lived. */
export function sessionCookie(sid: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${sid}; Path=/; Max-Age=${SESSION_MAX_AGE_SECONDS}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

/**
 * The session of a request: the one in its cookie, or a new one (with the cookie to set). `renew`
 * re-sends an existing cookie so its lifetime starts again (done on page loads).
 */
export function resolveSession(cookieHeader: string | undefined, secure: boolean, renew = false): WebSession {
  const existing = readSessionId(cookieHeader);
  const sid = existing ?? newSessionId();
  return { chatKey: chatKeyOf(sid), setCookie: !existing || renew ? sessionCookie(sid, secure) : undefined };
}
