import crypto from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keyId, Sealer } from "../src/security/sealing.ts";
import { scanSealedValues } from "../src/security/rotateKeys.ts";
import { SEALED_VALUE } from "../src/security/sealedColumns.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.drop());

const A = crypto.randomBytes(32);
const B = crypto.randomBytes(32);

/** Every sealed value in the rows the test wrote, with its context and plain text. */
async function sealedValues(db: TestDatabase["db"]) {
  const tip = await db.tip.findFirstOrThrow();
  const q = await db.legalQuestion.findFirstOrThrow();
  const upload = await db.upload.findFirstOrThrow();
  const draft = await db.tipDraft.findFirstOrThrow();
  const chat = await db.chat.findFirstOrThrow({ where: { platformChatId: "4242" } });
  const d = JSON.parse(draft.data) as { contactNameSealed: string; contactPhoneSealed: string };
  const note = JSON.parse((await db.auditEvent.findFirstOrThrow({ where: { action: "test.unlisted" } })).data) as { ref: string };
  return [
    [tip.contactSealed!, "tip-contact", JSON.stringify({ name: "Lê Thị C", phone: "0987654321" })],
    [tip.replyRefSealed, "tip-reply-ref", chat.id],
    [q.replyRefSealed, "tip-reply-ref", chat.id],
    [upload.chatId, "upload-chat", "w:session-1"],
    [d.contactNameSealed, "draft-contact-name", "Lê Thị C"],
    [d.contactPhoneSealed, "draft-contact-phone", "0987654321"],
    [note.ref, "tip-reply-ref", "tip-123"],
  ] as const;
}

describe("sealing key rotation", () => {
  it("re-seals everything under the newest key; afterwards the old key can be retired and alone opens nothing", async () => {
    const db = t.db;
    const a = new Sealer([A]);
    const chat = await db.chat.create({ data: { channel: "telegram", platformChatId: "4242", kind: "private" } });
    await db.queue.create({ data: { id: "province:01", kind: "province", name: "Công an TP Hà Nội", provinceCode: "01" } });
    await db.tip.create({
      data: {
        code: "TM-KEY001",
        pinHash: "x",
        category: "drugs",
        channel: "telegram",
        queueId: "province:01",
        provinceCode: "01",
        placeSource: "unknown",
        occurredWhen: "today",
        description: "…",
        identityMode: "confidential",
        contactSealed: a.seal(JSON.stringify({ name: "Lê Thị C", phone: "0987654321" }), "tip-contact"),
        replyRefSealed: a.seal(chat.id, "tip-reply-ref"),
        locale: "vi",
      },
    });
    await db.legalQuestion.create({ data: { text: "?", locale: "vi", replyRefSealed: a.seal(chat.id, "tip-reply-ref") } });
    await db.upload.create({ data: { chatId: a.seal("w:session-1", "upload-chat"), mime: "image/jpeg", size: 1, bytes: new Uint8Array([1]) } });
    const draftAt = new Date("2026-01-02T03:04:05Z");
    await db.tipDraft.create({
      data: {
        chatId: "draft-chat",
        data: JSON.stringify({ step: "review", contactNameSealed: a.seal("Lê Thị C", "draft-contact-name"), contactPhoneSealed: a.seal("0987654321", "draft-contact-phone") }),
        updatedAt: draftAt,
      },
    });
    // A sealed value in a column the registry does not list (another team may add such columns):
    // the scan of every text column finds it, and rotation re-seals it too.
    await db.auditEvent.create({ data: { actor: "test", action: "test.unlisted", data: JSON.stringify({ ref: a.seal("tip-123", "tip-reply-ref") }) } });

    const before = await scanSealedValues(db, a);
    expect(before.totals).toEqual({ [keyId(A)]: 7 });
    expect(before.columns.find((c) => c.column === "AuditEvent.data")).toMatchObject({ unlisted: true });

    const both = new Sealer([B, A]);
    const rotated = await scanSealedValues(db, both, { rotate: true });
    expect(rotated.columns.reduce((n, c) => n + c.resealed, 0)).toBe(7);
    expect(rotated.columns.reduce((n, c) => n + c.failed + c.skipped, 0)).toBe(0);
    expect(rotated.totals).toEqual({ [keyId(B)]: 7 });
    // Idempotent: nothing left to do.
    const again = await scanSealedValues(db, both, { rotate: true });
    expect(again.columns.reduce((n, c) => n + c.resealed, 0)).toBe(0);
    // Rotation does not make a draft look fresh (its expiry counts from the person's last change).
    expect((await db.tipDraft.findFirstOrThrow()).updatedAt.toISOString()).toBe(draftAt.toISOString());

    const onlyB = new Sealer([B]);
    expect((await scanSealedValues(db, onlyB)).totals).toEqual({ [keyId(B)]: 7 });
    const onlyA = new Sealer([A]);
    for (const [sealed, context, plain] of await sealedValues(db)) {
      expect(sealed).toMatch(new RegExp(`^${SEALED_VALUE.source}$`));
      expect(onlyB.open(sealed, context)).toBe(plain);
      expect(() => onlyA.open(sealed, context)).toThrow(/not configured/);
    }
  });

  it("reports values sealed with a key that is not configured, and leaves them as they are", async () => {
    const db = t.db;
    const lost = new Sealer([crypto.randomBytes(32)]);
    const value = lost.seal("w:x", "upload-chat");
    await db.upload.create({ data: { chatId: value, mime: "image/png", size: 1, bytes: new Uint8Array([1]) } });
    const report = await scanSealedValues(db, new Sealer([B, A]), { rotate: true });
    expect(report.columns.find((c) => c.column === "Upload.chatId")).toMatchObject({ failed: 1, resealed: 0 });
    expect((await db.upload.findFirstOrThrow()).chatId).toBe(value);
  });
});
