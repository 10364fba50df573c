import crypto from "node:crypto";
import { promisify } from "node:util";

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

/** Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L). */
export const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/** A new tip code, e.g. `TM-7K3M9Q` (31⁶ ≈ 887 million codes). */
export function newTipCode(): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += CODE_ALPHABET[crypto.randomInt(CODE_ALPHABET.length)];
  return `TM-${s}`;
}

/**
 * Normalises a typed tip code ("tm 7k3m9q", "TM-7K3M9Q", "7K3M9Q"): case, spaces and dashes are
 * ignored. Returns undefined when it cannot be a code we issue.
 */
export function normaliseTipCode(text: string): string | undefined {
  const t = text.toUpperCase().replace(/[\s\-_.]/g, "");
  const body = t.startsWith("TM") ? t.slice(2) : t;
  if (body.length !== 6) return undefined;
  for (const ch of body) if (!CODE_ALPHABET.includes(ch)) return undefined;
  return `TM-${body}`;
}

/** A new 6-digit PIN. */
export function newPin(): string {
  return String(crypto.randomInt(0, 1_000_000)).padStart(6, "0");
}

const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Hashes a PIN slowly (scrypt, random salt): `scrypt$N$r$p$salt$hash`. */
export async function hashPin(pin: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(pin, salt, 32, SCRYPT);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

/** Checks a PIN against its hash in constant time. */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const actual = await scrypt(pin.replace(/\s/g, ""), Buffer.from(salt, "base64url"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return crypto.timingSafeEqual(actual, expected);
}
