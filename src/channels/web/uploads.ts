import type { Db } from "../../db/client.ts";
import { personRateKey, takeRate } from "../../core/rateLimit.ts";
import type { InboxIngest } from "../../inbox/ingest.ts";
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
  | { kind: "stored" }
  | { kind: "duplicate" }
  /** The session reached its hourly limit; nothing was stored. */
  | { kind: "limited" };

/**
 * Stores a web chat photo and the inbox update that hands it to the conversation
 * (`{type: "media", kind: "photo", ref: "upload:<id>"}`) through the inbox's ingest step, in one
 * transaction: both exist or neither, a retried upload id is recognised as a duplicate, and the
 * ingest counts it like every other update. The upload's `chatId` is the chat sealed, so a tip's
 * attachment does not lead back to the chat of an anonymous tipster without the key.
 */
export async function storeUpload(ingest: InboxIngest, props: StoreUploadProps): Promise<StoreUploadResult> {
  const now = props.now ?? new Date();
  const updateKey = webUpdateKey(props.sealer, props.chatKey, props.clientMessageId);
  const result = await ingest.storeWith({ channel: "web", updateKey }, async (tx) => {
    if (!(await takeRate(tx, personRateKey(props.sealer, "upload", props.chatKey), props.uploadsPerHour, 60 * 60_000, now))) return "refused";
    const upload = await tx.upload.create({
      data: {
        chatId: props.sealer.seal(props.chatKey, "upload-chat"),
        mime: props.image.mime,
        size: props.image.bytes.length,
        bytes: new Uint8Array(props.image.bytes),
      },
      select: { id: true },
    });
    return webIncoming(props.chatKey, updateKey, { type: "media", kind: "photo", ref: `upload:${upload.id}` }, now.getTime());
  });
  return { kind: result === "refused" ? "limited" : result };
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
