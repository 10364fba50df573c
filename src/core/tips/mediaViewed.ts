import type { Tx } from "../../db/client.ts";
import { recordEvent } from "../events/recordEvent.ts";

/**
 * Records that a person opened one of a tip's files (`tip.media.viewed`): who, which tip, which
 * attachment (its row id and kind) and from where — never the file's content, caption or the
 * platform's file id or address. Written once the file was fetched, before a byte is sent; the
 * caller has checked the person's role and scope (refusals are `auth.refused` events).
 */
export async function recordMediaView(tx: Tx, props: { officerId: string; tipId: string; attachmentId: number; kind: string; via: "console" }): Promise<void> {
  await recordEvent(tx, {
    action: "tip.media.viewed",
    actor: { kind: "officer", officerId: props.officerId },
    tipId: props.tipId,
    data: { attachment: props.attachmentId, kind: props.kind, via: props.via },
  });
}
