import type { Tx } from "../../db/client.ts";
import { enqueueCalls, type OutboxRef } from "../../outbox/outbound.ts";
import { actorName, type Reaction, type ReactionDeps, type ReactionTable, type RecordedEvent } from "../events/reaction.ts";
import type { MediaKind } from "../intents.ts";
import type { Reply, TextBlock } from "../reply.ts";
import { formatVnDate } from "../vnTime.ts";
import { answerFlow } from "./answerFlow.ts";
import { followUpOnCards, noticeOnCards, postCard, refreshCards, type FollowUp } from "./cards.ts";
import { notifyTipster } from "./notifyTipster.ts";

/*
 * What follows each tip event: the tip's cards shown again, a notice under its working cards, a
 * card posted in a group, the tipster told on their own channel. The cards are reached through the
 * tip's TipCard rows, the tipster only through the tip's sealed reply reference (never exposed).
 */

type Tip = NonNullable<Awaited<ReturnType<typeof loadTip>>>;

function loadTip(tx: Tx, event: RecordedEvent) {
  return event.tipId ? tx.tip.findUnique({ where: { id: event.tipId }, include: { queue: true } }) : Promise.resolve(null);
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** Every active card of the tip shown again with its current state. */
const cardsUpdated: Reaction = async (tx, event, deps) => (deps.officerRenderer && event.tipId ? refreshCards(tx, deps.officerRenderer, event.tipId) : []);

/** A notice under the tip's working cards (main cards only), built from the tip, the event and who acted. */
function noticeUnderCard(notice: (tx: Tx, tip: Tip, event: RecordedEvent, by: Awaited<ReturnType<typeof actorName>>) => Promise<TextBlock> | TextBlock): Reaction {
  return async (tx, event, deps) => {
    const tip = await loadTip(tx, event);
    if (!tip || !deps.officerRenderer) return [];
    const block = await notice(tx, tip, event, await actorName(tx, event.actor));
    return noticeOnCards(tx, deps.officerRenderer, tip.id, block, { mainOnly: true });
  };
}

/** A message to the tip's tipster on their own channel (null: nothing to say for this event). */
function tellTipster(message: (tx: Tx, tip: Tip, event: RecordedEvent, deps: ReactionDeps) => Promise<Reply | null> | Reply | null, flow?: (tip: Tip, deps: ReactionDeps) => string): Reaction {
  return async (tx, event, deps) => {
    const tip = await loadTip(tx, event);
    if (!tip) return [];
    const reply = await message(tx, tip, event, deps);
    if (!reply) return [];
    if (!deps.sealer) throw new Error(`${event.action}: reaching the tipster needs the sealer`);
    return notifyTipster(tx, { sealer: deps.sealer, renderers: deps.renderers ?? {} }, tip, reply, flow ? { flow: flow(tip, deps) } : {});
  };
}

/** The tip's card in its queue's group, and an information-only card in each copy's group. */
const cardsPosted: Reaction = async (tx, event, deps) => {
  if (!deps.officerRenderer || !event.tipId) return [];
  const refs = await postCard(tx, deps.officerRenderer, event.tipId, text(event.data.queueId), "main");
  const copies = Array.isArray(event.data.copies) ? (event.data.copies as unknown[]).map(text) : [];
  for (const queueId of copies) refs.push(...(await postCard(tx, deps.officerRenderer, event.tipId, queueId, "info")));
  return refs;
};

/** After a transfer: the old cards told and shown in their final state, then retired; the new unit's card posted. */
const cardsMoved: Reaction = async (tx, event, deps) => {
  const tip = await loadTip(tx, event);
  if (!tip || !deps.officerRenderer) return [];
  const renderer = deps.officerRenderer;
  const refs: OutboxRef[] = await noticeOnCards(tx, renderer, tip.id, {
    key: "officer:done.transferred",
    params: { officer: await actorName(tx, event.actor), code: tip.code, unit: tip.queue.name },
  }, { mainOnly: true });
  refs.push(...(await refreshCards(tx, renderer, tip.id)));
  await tx.tipCard.updateMany({ where: { tipId: tip.id, kind: "main", active: true }, data: { active: false } });
  refs.push(...(await postCard(tx, renderer, tip.id, tip.queueId, "main")));
  return refs;
};

/** The opened contact, only to the opener's private chat with the bot (scrubbed from the outbox once delivered). */
const contactToOpener: Reaction = async (tx, event, deps) => {
  const tip = await loadTip(tx, event);
  if (!tip?.contactSealed || !deps.officerRenderer || !event.actor.startsWith("officer:")) return [];
  if (!deps.sealer) throw new Error(`${event.action}: opening the contact needs the sealer`);
  const officer = await tx.officer.findUnique({ where: { id: event.actor.slice("officer:".length) } });
  const chat = officer?.privateChatId ? await tx.chat.findUnique({ where: { id: officer.privateChatId } }) : null;
  if (!chat) return [];
  const contact = JSON.parse(deps.sealer.open(tip.contactSealed, "tip-contact")) as { name: string; phone: string };
  const personal = deps.officerRenderer.render({ key: "officer:done.contact", params: { code: tip.code, name: contact.name, phone: contact.phone } }, "vi");
  return enqueueCalls(tx, { chatId: chat.id, channel: chat.channel }, personal.calls.map((c) => ({ ...c, sensitive: true })));
};

/**
 * What the tipster sent (the event's words or file, as stored by the command) under the tip's
 * cards: an answer under the working cards, added information under every card.
 */
function followUpUnderCards(as: "answer" | "addition"): Reaction {
  return async (tx, event, deps) => {
    const tip = await loadTip(tx, event);
    if (!tip || !deps.officerRenderer) return [];
    let item: FollowUp;
    if (typeof event.data.media === "string") {
      const file = await tx.tipAttachment.findFirst({ where: { tipId: tip.id }, orderBy: { id: "desc" } });
      if (!file) return [];
      item = { media: { kind: file.kind as MediaKind, ref: file.ref, caption: file.caption ?? undefined } };
    } else {
      const words = await tx.relayMessage.findFirst({ where: { tipId: tip.id, direction: as === "answer" ? "from_tipster" : "addition" }, orderBy: { id: "desc" } });
      if (!words) return [];
      item = { text: words.text };
    }
    return followUpOnCards(tx, deps.officerRenderer, tip, item, as);
  };
}

/** The tip events that have consequences, and what follows each, in order. */
export const TIP_REACTIONS: ReactionTable = {
  "tip.submitted": [cardsPosted],
  "tip.claimed": [
    cardsUpdated,
    // The legal receipt notice (TTLT 01/2017 Art. 14), on the first claim only.
    tellTipster((_tx, tip, event) =>
      event.data.receiptNotice === true ? { key: "officer:tipster.receipt_notice", params: { unit: tip.queue.name, code: tip.code, date: formatVnDate(tip.receivedAt) } } : null,
    ),
  ],
  "tip.released": [cardsUpdated],
  "tip.reopened": [cardsUpdated],
  "tip.priority_set": [cardsUpdated],
  "tip.classified": [cardsUpdated],
  "tip.extended": [
    cardsUpdated,
    noticeUnderCard((_tx, tip, event, officer) => ({
      key: "officer:done.extended",
      params: { officer, code: tip.code, value: { $t: `officer:button.extend_${text(event.data.to)}` }, date: formatVnDate(new Date(text(event.data.decisionDue))) },
    })),
  ],
  "tip.closed": [
    cardsUpdated,
    // BLTTHS Art. 56: the tipster's right to learn the outcome, in plain words.
    tellTipster((_tx, tip, event) => ({ key: "officer:tipster.closed", params: { code: tip.code, outcome: { $t: `officer:tipster.outcome.${text(event.data.outcome)}` } } })),
  ],
  "tip.transferred": [
    cardsMoved,
    tellTipster((_tx, tip) => ({ key: "officer:tipster.transferred", params: { code: tip.code, unit: tip.queue.name } })),
  ],
  "tip.question_sent": [
    // Signed only with the unit's name; the tipster's next message becomes the answer.
    tellTipster(
      async (tx, tip) => {
        const question = await tx.relayMessage.findFirst({ where: { tipId: tip.id, direction: "to_tipster" }, orderBy: { id: "desc" } });
        return question ? { key: "officer:tipster.question", params: { unit: tip.queue.name, code: tip.code, text: question.text } } : null;
      },
      (tip, deps) => answerFlow(deps.sealer!, tip.id),
    ),
  ],
  "tip.note_added": [
    // The log keeps the note's length; the note itself is the tip's newest.
    noticeUnderCard(async (tx, tip, _event, officer) => {
      const note = await tx.tipNote.findFirst({ where: { tipId: tip.id }, orderBy: { id: "desc" } });
      return { key: "officer:done.noted", params: { officer, code: tip.code, text: note?.text ?? "" } };
    }),
  ],
  "tip.contact_opened": [
    contactToOpener,
    noticeUnderCard((_tx, tip, event, officer) => ({ key: "officer:done.contact_opened", params: { officer, code: tip.code, reason: text(event.data.reason) } })),
  ],
  "tip.answer_received": [followUpUnderCards("answer")],
  "tip.information_added": [followUpUnderCards("addition")],
};
