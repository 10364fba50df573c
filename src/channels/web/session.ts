import crypto from "node:crypto";
import type { Sealer } from "../../security/sealing.ts";

/** Name of the web chat's session cookie. */
export const SESSION_COOKIE = "tm_sid";
/** How long a web chat session lives without a visit (renewed on every page load). */
export const SESSION_MAX_AGE_SECONDS = 180 * 24 * 60 * 60;
/** Sealing context of session cookies: a value sealed for another field never opens as a session. */
const SESSION_CONTEXT = "web-session";

/** A sealed value (`v1.<key id>.<iv>.<tag>.<ciphertext>`, base64url parts) of a 43-character secret. */
const SEALED_SID = /^v1\.[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{58}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** A web chat session: the secret kept in the browser's cookie and the chat id derived from it. */
export interface WebSession {
  /** The chat's platform id as stored in the database (`w:` + 32 hex): a hash, never the cookie. */
  chatKey: string;
  /** A Set-Cookie value to send (a new session, or a renewed one); undefined: nothing to send. */
  setCookie?: string;
  /** True when the request brought no session the server had issued (a new one was made). */
  fresh: boolean;
}

/** The chat's platform id for a session cookie value: the cookie itself is never stored. */
export function chatKeyOf(sid: string): string {
  return "w:" + crypto.createHash("sha256").update(sid).digest("hex").slice(0, 32);
}

/** The session cookie's value in a Cookie header, when present and shaped like one we issue. */
export function readSessionId(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (SEALED_SID.test(value)) return value;
  }
  return undefined;
}

/** The Set-Cookie value for a session: httpOnly, SameSite=Strict, Secure over HTTPS, long-lived. */
export function sessionCookie(sid: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${sid}; Path=/; Max-Age=${SESSION_MAX_AGE_SECONDS}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

/**
 * Issues and checks web chat sessions. Only sessions this service issued are honoured: the cookie
 * is 32 random bytes sealed (AES-256-GCM, see security/sealing.ts) with the service's key, so a
 * value chosen by a client (`tm_sid=AAAA…`, or anything not sealed by us) does not open and is
 * replaced by a new session — an attacker cannot make a victim's browser use a session id the
 * attacker knows and then read the victim's event stream. Sessions survive restarts (the key is
 * persistent) and key rotation as long as the old key is kept for reading.
 */
export class SessionIssuer {
  constructor(private readonly sealer: Sealer) {}

  /** A new session cookie value. */
  issue(): string {
    return this.sealer.seal(crypto.randomBytes(32).toString("base64url"), SESSION_CONTEXT);
  }

  /** The value when it is a session this service issued (and its key is still configured). */
  verify(value: string | undefined): string | undefined {
    if (!value) return undefined;
    try {
      return SECRET.test(this.sealer.open(value, SESSION_CONTEXT)) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The session of a request: the one in its cookie when we issued it, or a new one (with the
   * cookie to set). `renew` re-sends an existing cookie so its lifetime starts again (page loads).
   */
  resolve(cookieHeader: string | undefined, secure: boolean, renew = false): WebSession {
    const existing = this.verify(readSessionId(cookieHeader));
    const sid = existing ?? this.issue();
    return { chatKey: chatKeyOf(sid), setCookie: !existing || renew ? sessionCookie(sid, secure) : undefined, fresh: !existing };
  }

  /** The chat of the request's session, or undefined when it brings none we issued (nothing is issued). */
  peek(cookieHeader: string | undefined): string | undefined {
    const existing = this.verify(readSessionId(cookieHeader));
    return existing ? chatKeyOf(existing) : undefined;
  }
}
