import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Seals small secrets (a tipster's contact, the reference to their chat) with AES-256-GCM.
 * Sealed text is `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts), so keys can be rotated:
 * new values are sealed with the current key, older ones still open with the keys kept for reading.
 */
export class Sealer {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;
  /** Key of `handle()`, derived from the current key (never used for anything else). */
  private readonly handleKey: Buffer;

  /** `keys`: 32-byte keys; the first one seals, all of them open. */
  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new Error("Sealer needs at least one key");
    for (const key of keys) {
      if (key.length !== 32) throw new Error("sealing keys must be 32 bytes (AES-256)");
      this.keys.set(keyId(key), key);
    }
    this.currentId = keyId(keys[0]!);
    this.handleKey = crypto.createHmac("sha256", keys[0]!).update("tai-mat:handle").digest();
  }

  /**
   * An opaque, stable stand-in for `text` (HMAC-SHA-256 under a key derived from the current key,
   * bound to `context`): the same input gives the same handle, so it can key a row (a deduplication
   * key, a rate counter), but without the key nobody can tell which input it stands for. Handles
   * change when the current key changes; use them only for short-lived keys.
   */
  handle(text: string, context: string): string {
    return crypto.createHmac("sha256", this.handleKey).update(context).update("\0").update(text).digest("base64url").slice(0, 32);
  }

  /** Encrypts `plain`, binding it to `context` (e.g. "tip-contact") so a value cannot be moved to another field. */
  seal(plain: string, context: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", this.keys.get(this.currentId)!, iv);
    cipher.setAAD(Buffer.from(context));
    const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
    return ["v1", this.currentId, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ct.toString("base64url")].join(".");
  }

  /** Id of the key that seals new values (the first configured one); sealed text carries it as its second part. */
  get currentKeyId(): string {
    return this.currentId;
  }

  /** Ids of every configured key, the sealing one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** Decrypts a sealed value; throws when the key is unknown or the value was tampered with. */
  open(sealed: string, context: string): string {
    const [version, kid, iv, tag, ct] = sealed.split(".");
    if (version !== "v1" || !kid || !iv || !tag || ct === undefined) throw new Error("not a sealed value");
    const key = this.keys.get(kid);
    if (!key) throw new Error("sealed with a key that is not configured");
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
  }
}

/** The id of the key a sealed value was sealed with (undefined when it is not a sealed value). */
export function sealedKeyId(sealed: string): string | undefined {
  const m = /^v1\.([A-Za-z0-9_-]{8})\./.exec(sealed);
  return m?.[1];
}

/** The id of a key, as written into the values it seals. */
export function keyId(key: Buffer): string {
  return crypto.createHash("sha256").update(key).digest("base64url").slice(0, 8);
}

/** Parses a key given as 64 hex characters or base64 of 32 bytes. */
export function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, "hex") : Buffer.from(t, "base64");
  if (key.length !== 32) throw new Error("a sealing key must be 32 bytes, given as 64 hex characters or base64");
  return key;
}

/**
 * The sealing keys: from the configured value(s) (comma-separated, current first), or else from a
 * key file created on first start (mode 0600) so `npm start` works out of the box. Losing that file
 * makes existing sealed contacts unreadable: production sets the key explicitly.
 */
export function loadSealingKeys(configured: string | undefined, keyFile: string): { keys: Buffer[]; generated: boolean } {
  if (configured) return { keys: configured.split(",").map(parseKey), generated: false };
  if (fs.existsSync(keyFile)) return { keys: [parseKey(fs.readFileSync(keyFile, "utf8"))], generated: false };
  fs.mkdirSync(path.dirname(keyFile), { recursive: true });
  const key = crypto.randomBytes(32);
  fs.writeFileSync(keyFile, key.toString("hex") + "\n", { mode: 0o600 });
  return { keys: [key], generated: true };
}
