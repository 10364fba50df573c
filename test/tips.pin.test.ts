import crypto from "node:crypto";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashPin, PIN_CHECK_MIN_MS, PIN_SEAL_CONTEXT, sealLegacyPinHashes, verifyPin } from "../src/core/tips/codes.ts";
import { lookupTip } from "../src/core/tips/lookupTip.ts";
import { scanSealedValues } from "../src/security/rotateKeys.ts";
import { Sealer } from "../src/security/sealing.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { insertTips } from "./helpers/tipRows.ts";

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

/** A PIN hash as versions before sealing stored it: bare `scrypt$N$r$p$salt$hash`, N = 2¹⁴. */
async function bareHash(pin: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(pin, salt, 32, { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return ["scrypt", 1 << 14, 8, 1, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

describe("a tip's PIN as stored", () => {
  const sealer = new Sealer([crypto.randomBytes(32)]);

  it("is a sealed scrypt hash: the right PIN opens it, a wrong one, another key, another field's seal or a changed byte do not", async () => {
    const stored = await hashPin("482913", sealer);
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain("scrypt");
    const inner = sealer.open(stored, PIN_SEAL_CONTEXT);
    expect(inner).toMatch(/^scrypt\$4096\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPin("482913", stored, sealer)).toBe(true);
    expect(await verifyPin("482 913", stored, sealer)).toBe(true);
    expect(await verifyPin("482914", stored, sealer)).toBe(false);
    // A database reader without the key has nothing to test guesses against.
    expect(await verifyPin("482913", stored, new Sealer([crypto.randomBytes(32)]))).toBe(false);
    // The same hash sealed for another field, or one byte of the seal changed: refused.
    expect(await verifyPin("482913", sealer.seal(inner, "tip-contact"), sealer)).toBe(false);
    const parts = stored.split(".");
    parts[4] = parts[4]!.slice(0, -2) + (parts[4]!.endsWith("AA") ? "AB" : "AA");
    expect(await verifyPin("482913", parts.join("."), sealer)).toBe(false);
    expect(await verifyPin("482913", "garbage", sealer)).toBe(false);
    // Two tips with the same PIN store different values (random salt and IV).
    expect(await hashPin("482913", sealer)).not.toBe(stored);
  });

  it("takes at least the same time whatever is stored — right, wrong, an earlier version's hash, a seal it cannot open, garbage — so the timing tells no code apart", async () => {
    const stored = await hashPin("246810", sealer);
    const bare = await bareHash("246810");
    const cases: Array<[string, string, boolean]> = [
      ["246810", stored, true],
      ["246811", stored, false],
      ["246811", bare, false],
      ["246810", await hashPin("246810", new Sealer([crypto.randomBytes(32)])), false],
      ["246810", "garbage", false],
      // A hash too short to mean anything never matches (an empty one would equal an empty result).
      ["246810", sealer.seal("scrypt$4096$8$1$c2FsdHNhbHRzYWx0c2FsdA$", PIN_SEAL_CONTEXT), false],
      ["246810", sealer.seal("scrypt$4096$8$1$c2FsdHNhbHRzYWx0c2FsdA$AA", PIN_SEAL_CONTEXT), false],
    ];
    for (const [pin, value, right] of cases) {
      const started = performance.now();
      expect(await verifyPin(pin, value, sealer)).toBe(right);
      // Timers fire no earlier than asked; 1 ms for the clocks' rounding.
      expect(performance.now() - started).toBeGreaterThanOrEqual(PIN_CHECK_MIN_MS - 1);
    }
  });

  it("still checks a bare hash stored by an earlier version", async () => {
    const bare = await bareHash("120045");
    expect(await verifyPin("120045", bare, sealer)).toBe(true);
    expect(await verifyPin("120046", bare, sealer)).toBe(false);
  });
});

describe("PIN hashes in the database", () => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase();
    await t.db.queue.create({ data: { id: "province:01", kind: "province", name: "Công an TP Hà Nội", provinceCode: "01" } });
  });
  afterEach(() => t.drop());

  const tipWith = (code: string, pinHash: string) => insertTips(t.db, [{ code, pinHash, queueId: "province:01", provinceCode: "01", receivedAt: new Date() }]);
  const lookup = (sealer: Sealer, code: string, pin: string, asking: string) => t.db.$transaction((tx) => lookupTip(tx, { code, pin, askingChatId: asking, sealer }));

  it("bare hashes from an earlier version are sealed at start (once; sealed ones untouched) and their PINs still open the tips", async () => {
    const sealer = new Sealer([crypto.randomBytes(32)]);
    await tipWith("TM-OLD222", await bareHash("555111"));
    await tipWith("TM-OLD333", await bareHash("777000"));
    const fresh = await hashPin("900900", sealer);
    await tipWith("TM-NEW444", fresh);

    expect(await sealLegacyPinHashes(t.db, sealer)).toBe(2);
    const rows = await t.db.tip.findMany({ orderBy: { code: "asc" } });
    for (const row of rows) expect(row.pinHash).toMatch(/^v1\./);
    expect(rows.find((r) => r.code === "TM-NEW444")!.pinHash).toBe(fresh);
    expect(await sealLegacyPinHashes(t.db, sealer)).toBe(0);

    expect(await lookup(sealer, "TM-OLD222", "555111", "chat-a")).toMatchObject({ kind: "found", code: "TM-OLD222" });
    expect(await lookup(sealer, "TM-OLD333", "555111", "chat-a")).toEqual({ kind: "wrong" });
    expect(await lookup(sealer, "TM-NEW444", "900900", "chat-b")).toMatchObject({ kind: "found", code: "TM-NEW444" });
  });

  it("key rotation re-seals PIN hashes; afterwards the new key alone opens the tip with its PIN", async () => {
    const oldKey = crypto.randomBytes(32);
    const newKey = crypto.randomBytes(32);
    await tipWith("TM-ROT555", await hashPin("314159", new Sealer([oldKey])));
    const report = await scanSealedValues(t.db, new Sealer([newKey, oldKey]), { rotate: true });
    expect(report.columns.find((c) => c.column === "Tip.pinHash")).toMatchObject({ unlisted: false, resealed: 1, failed: 0 });
    const onlyNew = new Sealer([newKey]);
    expect(await lookup(onlyNew, "TM-ROT555", "314159", "chat-c")).toMatchObject({ kind: "found" });
    expect(await lookup(new Sealer([oldKey]), "TM-ROT555", "314159", "chat-d")).toEqual({ kind: "wrong" });
  });
});
