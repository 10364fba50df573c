import { Readable } from "node:stream";
import type { Db } from "../../db/client.ts";
import type { ChannelMedia } from "../contract.ts";

/** A web chat upload's attachment ref. */
const UPLOAD_REF = /^upload:([A-Za-z0-9_-]{1,64})$/;

/** The web chat's files: photos uploaded from the page (already stripped of metadata), read from the Upload table. */
export function webMedia(db: Db): ChannelMedia {
  return {
    holds: (ref) => UPLOAD_REF.test(ref),
    open: async (ref) => {
      const id = UPLOAD_REF.exec(ref)?.[1];
      const upload = id ? await db.upload.findUnique({ where: { id }, select: { bytes: true, mime: true } }) : null;
      return upload ? { stream: Readable.from([Buffer.from(upload.bytes)]), declaredType: upload.mime } : null;
    },
  };
}
