import { Prisma, type Db } from "../../db/client.ts";
import { personRateKey, takeRate } from "../../core/rateLimit.ts";
import type { InboxRef } from "../../inbox/ingest.ts";
import type { Sealer } from "../../security/sealing.ts";
import type { CleanImage } from "./images.ts";
import { webIncoming, webUpdateKey } from "./inbound.ts";

/** An upload attached to no tip, no draft and no pending update is deleted after this long. */
export const UPLOAD_TTL_MS = 48 * 60 * 60_000;

export interface StoreUploadProps {
  /** The chat's platform id (`w:…`); kept on the upload only sealed. */
  chatKey: string;
  /** The page's id for this upload: a retry with the same id has one effect. */
  clientMessageId: string;
  /** The photo, already stripped of its metadata. */
  image: CleanImage;
  /** Per-session limit. */
  uploadsPerHour: number;
  sealer: Sealer;
  now?: Date;
}

export type StoreUploadResult =
  | { kind: "stored"; uploadId: string; inbox: InboxRef }
  | { kind: "duplicate" }
  /** The session reached its hourly limit; nothing was stored. */
  | { kind: "limited" };

/**
 * Stores a web chat photo and the inbox update that hands it to the conversation
 * (`{type: "media", kind: "photo", ref: "upload:<id>"}`) in one transaction: both exist or neither.
 * The upload's `chatId` is the chat sealed, so a tip's attachment does not lead back to the chat of
 * an anonymous tipster without the key.
 */
export async function storeUpload(db: Db, props: StoreUploadProps): Promise<StoreUploadResult> {
  const now = props.now ?? new Date();
  const updateKey = webUpdateKey(props.sealer, props.chatKey, props.clientMessageId);
  try {
    return await db.$transaction(async (tx): Promise<StoreUploadResult> => {
      const existing = await tx.inboxUpdate.findUnique({ where: { channel_updateKey: { channel: "web", updateKey } }, select: { id: true } });
      if (existing) return { kind: "duplicate" };
      if (!(await takeRate(tx, personRateKey(props.sealer, "upload", props.chatKey), props.uploadsPerHour, 60 * 60_000, now))) return { kind: "limited" };
      const upload = await tx.upload.create({
        data: {
          chatId: props.sealer.seal(props.chatKey, "upload-chat"),
          mime: props.image.mime,
          size: props.image.bytes.length,
          bytes: new Uint8Array(props.image.bytes),
        },
        select: { id: true },
      });
      const incoming = webIncoming(props.chatKey, updateKey, { type: "media", kind: "photo", ref: `upload:${upload.id}` }, now.getTime());
      const row = await tx.inboxUpdate.create({
        data: { ...incoming, nextAttemptAt: now, receivedAt: now },
        select: { id: true, channel: true, chatKey: true, seq: true },
      });
      return { kind: "stored", uploadId: upload.id, inbox: row };
    });
  } catch (err) {
    // The same upload retried concurrently: the other request stored it.
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") return { kind: "duplicate" };
    throw err;
  }
}

/**
 * Deletes uploads older than UPLOAD_TTL_MS that nothing refers to: no tip attachment, no draft in
 * progress, no update still waiting to be processed. Returns how many were deleted.
 */
export async function expireUploads(db: Db, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - UPLOAD_TTL_MS);
  const referenced = new Set<string>();
  const collect = (text: string) => {
    for (const m of text.matchAll(/upload:([A-Za-z0-9_-]+)/g)) referenced.add(m[1]!);
  };
  for (const d of await db.tipDraft.findMany({ where: { data: { contains: "upload:" } }, select: { data: true } })) collect(d.data);
  for (const u of await db.inboxUpdate.findMany({ where: { channel: "web", status: { not: "done" }, payload: { contains: "upload:" } }, select: { payload: true } })) {
    collect(u.payload);
  }
  let deleted = 0;
  let after = "";
  for (;;) {
    const old = await db.upload.findMany({ where: { createdAt: { lt: cutoff }, id: { gt: after } }, select: { id: true }, orderBy: { id: "asc" }, take: 1000 });
    if (old.length === 0) break;
    after = old[old.length - 1]!.id;
    const attached = await db.tipAttachment.findMany({ where: { ref: { in: old.map((u) => `upload:${u.id}`) } }, select: { ref: true } });
    for (const a of attached) referenced.add(a.ref.slice("upload:".length));
    const drop = old.map((u) => u.id).filter((id) => !referenced.has(id));
    if (drop.length) deleted += (await db.upload.deleteMany({ where: { id: { in: drop }, createdAt: { lt: cutoff } } })).count;
  }
  return deleted;
}
