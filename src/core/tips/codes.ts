import crypto from "node:crypto";
import { promisify } from "node:util";
import type { Db } from "../../db/client.ts";
import type { Sealer } from "../../security/sealing.ts";

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

/**
 * A PIN's stored form: a scrypt hash (random salt), sealed with the service's key (AES-256-GCM,
 * security/sealing.ts, context "tip-pin"; `keys:rotate` re-seals it like any sealed column). A PIN
 * is 6 random digits (a million values): a slow hash alone does not keep it from a database reader
 * with time to spend (~10 CPU-hours a tip at N = 2¹⁴, scrypt's interactive setting), while the seal
 * stops every offline guess without the key, which also opens everything worth more than a PIN
 * (contacts, reply references). Behind the seal, scrypt at N = 2¹² (~8 ms, 4 MB) is the defence
 * left if key and database leak together; 2¹⁴ cost ~35 ms of CPU per tip sent or PIN checked, a
 * third of all the CPU of the capacity bench's mix (bench/capacity.ts).
 */
const SCRYPT = { N: 1 << 12, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
/** Context the stored hash is sealed with (security/sealedColumns.ts). */
export const PIN_SEAL_CONTEXT = "tip-pin";

/** Hashes a PIN slowly (scrypt, random salt) and seals the hash: `v1.…` of `scrypt$N$r$p$salt$hash`. */
export async function hashPin(pin: string, sealer: Sealer): Promise<string> {
  return sealer.seal(await scryptHash(pin), PIN_SEAL_CONTEXT);
}

/** `scrypt$N$r$p$salt$hash` of a PIN (unsealed). */
async function scryptHash(pin: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(pin, salt, 32, SCRYPT);
  return ["scrypt", SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

/**
 * The least time a PIN check takes (a timer: no CPU). The stored forms do not cost the same — a bare
 * hash of an earlier version kept its N = 2¹⁴ (~4× the work), a value that cannot be opened (a retired
 * key, a damaged row) is checked against a throw-away hash — so the answer's timing would tell them
 * apart, and with them codes that exist from codes that do not.
 */
export const PIN_CHECK_MIN_MS = 100;

/**
 * Checks a PIN against its stored form: sealed (hashPin), or a bare scrypt hash as stored before
 * PINs were sealed (sealed at the next start: sealLegacyPinHashes). False when the value cannot be
 * opened with the configured keys or is not a PIN hash — after the same scrypt as a real check. The
 * hashes are compared in constant time, and the whole check takes at least PIN_CHECK_MIN_MS.
 */
export async function verifyPin(pin: string, stored: string, sealer: Sealer): Promise<boolean> {
  const floor = new Promise((resolve) => setTimeout(resolve, PIN_CHECK_MIN_MS));
  const [right] = await Promise.all([checkPin(pin.replace(/\s/g, ""), stored, sealer), floor]);
  return right;
}

async function checkPin(pin: string, stored: string, sealer: Sealer): Promise<boolean> {
  let inner: string | undefined = stored;
  if (stored.startsWith("v1.")) {
    try {
      inner = sealer.open(stored, PIN_SEAL_CONTEXT);
    } catch {
      inner = undefined;
    }
  }
  const [scheme, n, r, p, salt, hash] = inner?.split("$") ?? [];
  const expected = Buffer.from(hash ?? "", "base64url");
  if (scheme !== "scrypt" || !n || !r || !p || !salt || expected.length !== 32) {
    // Nothing to compare with: the same work as a check, for the same time.
    await scrypt(pin, crypto.randomBytes(16), 32, SCRYPT);
    return false;
  }
  const actual = await scrypt(pin, Buffer.from(salt, "base64url"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return crypto.timingSafeEqual(actual, expected);
}

/** Bare PIN hashes (stored before PINs were sealed) read per batch while sealing them. */
const LEGACY_BATCH = 500;

/** Marks (a ReferenceDataset row) that no bare PIN hash is left: later starts skip the scan of every tip. */
const LEGACY_SEALED = "pin-hashes-sealed";

/**
 * Seals the PIN hashes stored bare by earlier versions (`scrypt$…`), keeping their scrypt (the PIN
 * is not known): run at start until a pass leaves none, then marked done and skipped. A row changed
 * meanwhile is left for the next start. Returns how many were sealed.
 */
export async function sealLegacyPinHashes(db: Db, sealer: Sealer): Promise<number> {
  if (await db.referenceDataset.findUnique({ where: { name: LEGACY_SEALED } })) return 0;
  let sealed = 0;
  for (;;) {
    const rows = await db.tip.findMany({ where: { pinHash: { startsWith: "scrypt$" } }, select: { id: true, pinHash: true }, take: LEGACY_BATCH });
    let changed = 0;
    for (const row of rows) {
      const { count } = await db.tip.updateMany({ where: { id: row.id, pinHash: row.pinHash }, data: { pinHash: sealer.seal(row.pinHash, PIN_SEAL_CONTEXT) } });
      changed += count;
    }
    sealed += changed;
    if (rows.length === 0) {
      await db.referenceDataset.upsert({ where: { name: LEGACY_SEALED }, create: { name: LEGACY_SEALED, checksum: "done" }, update: {} });
      return sealed;
    }
    if (changed === 0) return sealed;
  }
}
