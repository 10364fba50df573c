import type { Tx } from "../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../outbox/outbound.ts";
import { recordAndReact } from "../events/react.ts";
import type { Sealer } from "../../security/sealing.ts";
import type { Channel } from "../inbound.ts";
import { extractFraudIdentifiers, isCategory } from "./categories.ts";
import { hashPin, newPin, newTipCode } from "./codes.ts";
import { offTransaction } from "../offTransaction.ts";
import type { TipDraftData } from "./draft.ts";
import { routeTip } from "./queues.ts";
import { computeDeadlines } from "../deadlines/tipDeadlines.ts";
import { vnReceipt } from "../vnTime.ts";

export interface SubmitTipProps {
  /** The chat the tip was written in; stored on the tip only sealed, to relay answers. */
  chatId: string;
  /** Channel the tip came in on. */
  channel: Channel;
  /** The tipster's language, for later notices. */
  locale: string;
  /** The finished draft. */
  draft: TipDraftData;
  sealer: Sealer;
  /** The officers' channel: the tip's cards are posted in their groups (none without it). */
  officerRenderer?: ReplyRenderer;
}

export interface SubmittedTip {
  id: string;
  code: string;
  /** Shown once in the receipt; only its hash is stored. */
  pin: string;
  queueId: string;
  queueName: string;
  copyQueueIds: string[];
  /** The cards posted (empty: no group shows the tip yet, it waits for a reader). */
  cards: OutboxRef[];
}

/** Raised when a draft is not complete enough to submit; nothing is written. */
export class IncompleteDraftError extends Error {}

/**
 * Turns a finished draft into a tip: routes it (commune queue or province duty queue, plus
 * info-only copies by category), stores it with a fresh code and a hashed PIN, seals the contact
 * and the reply reference, records the audit event (`tip.submitted`; its cards follow from it:
 * src/core/tips/reactions.ts), and removes the draft — all in `tx`.
 * An anonymous tip stores no platform id, username, name or phone.
 */
export async function submitTip(tx: Tx, props: SubmitTipProps): Promise<SubmittedTip> {
  const { draft, sealer } = props;
  if (!isCategory(draft.category) || !draft.place || !draft.when || !draft.identity) throw new IncompleteDraftError("draft is missing answers");
  if (draft.description.join("").trim() === "" && draft.attachments.length === 0) throw new IncompleteDraftError("draft has no content");

  let contactSealed: string | null = null;
  if (draft.identity !== "anonymous") {
    if (!draft.contactNameSealed || !draft.contactPhoneSealed) throw new IncompleteDraftError("contact details missing");
    const name = sealer.open(draft.contactNameSealed, "draft-contact-name");
    const phone = sealer.open(draft.contactPhoneSealed, "draft-contact-phone");
    contactSealed = sealer.seal(JSON.stringify({ name, phone }), "tip-contact");
  }

  const { queueId, copyQueueIds } = await routeTip(tx, draft.place, draft.category);
  const queue = await tx.queue.findUniqueOrThrow({ where: { id: queueId } });
  const details: Record<string, unknown> = draft.details ? { text: draft.details } : {};
  if (draft.category === "online_fraud") Object.assign(details, extractFraudIdentifiers(`${draft.details ?? ""}\n${draft.description.join("\n")}`));

  let code = newTipCode();
  while (await tx.tip.findUnique({ where: { code }, select: { id: true } })) code = newTipCode();
  // A new PIN and its slow hash, made outside the inbox's group transaction (see offTransaction).
  const { pin, pinHash } = await offTransaction(tx, `new-pin\u0000${props.chatId}`, async () => {
    const fresh = newPin();
    return { pin: fresh, pinHash: await hashPin(fresh, sealer) };
  });
  // The legal clock starts at receipt: the receipt notice and decision deadlines (BLTTHS Art. 147).
  const receivedAt = new Date();
  const deadlines = computeDeadlines({ receivedAt });

  const received = vnReceipt(receivedAt);
  const tip = await tx.tip.create({
    data: {
      code,
      pinHash,
      category: draft.category,
      lifeSafety: draft.lifeSafety === true,
      channel: props.channel,
      queueId,
      provinceCode: draft.place.provinceCode,
      communeCode: draft.place.communeCode ?? null,
      placeSource: draft.place.source,
      placeText: draft.place.text ?? null,
      latitude: draft.place.lat ?? null,
      longitude: draft.place.lng ?? null,
      occurredWhen: draft.when,
      description: draft.description.join("\n\n"),
      details: JSON.stringify(details),
      identityMode: draft.identity,
      contactSealed,
      replyRefSealed: sealer.seal(props.chatId, "tip-reply-ref"),
      locale: props.locale,
      receivedAt,
      receivedMonth: received.month,
      receivedHour: received.hour,
      receivedWeekday: received.weekday,
      receiptNoticeDueAt: deadlines.receiptNoticeDue,
      decisionDueAt: deadlines.decisionDue,
      attachments: { create: draft.attachments.map((a) => ({ kind: a.kind, ref: a.ref, caption: a.caption ?? null })) },
      copies: { create: copyQueueIds.map((id) => ({ queueId: id, reason: `category:${draft.category}` })) },
    },
  });
  const cards = await recordAndReact(tx, {
    tipId: tip.id,
    actor: { kind: "tipster" },
    action: "tip.submitted",
    data: {
      category: tip.category,
      lifeSafety: tip.lifeSafety,
      queueId,
      copies: copyQueueIds,
      identityMode: tip.identityMode,
      channel: tip.channel,
      attachments: draft.attachments.length,
    },
  }, { officerRenderer: props.officerRenderer });
  await tx.tipDraft.deleteMany({ where: { chatId: props.chatId } });
  return { id: tip.id, code, pin, queueId, queueName: queue.name, copyQueueIds, cards };
}
