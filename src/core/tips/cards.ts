import type { Tx } from "../../db/client.ts";
import { tipButton } from "../actions/buttons.ts";
import type { ActionId } from "../actions/catalog.ts";
import { enqueueIntents, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import type { Intent, MediaKind, MessageRef } from "../intents.ts";
import { officerName } from "../officers/authorize.ts";
import { link, quoted, type Choice, type Reply, type TextBlock } from "../reply.ts";
import { WHEN_CODES } from "./categories.ts";
import { NATIONAL_QUEUE_ID, provinceQueueId } from "./queues.ts";
import { formatVnDate as vnDate, formatVnDateTime as vnDateTime } from "../vnTime.ts";

/** Officers' groups are Vietnamese unless the group chose otherwise. */
const OFFICER_LOCALE = "vi";
/** Description shown on the card itself; the rest follows in replies to the card. */
const CARD_DESCRIPTION_CHARS = 2500;

export type TipWithCardData = NonNullable<Awaited<ReturnType<typeof loadTipForCard>>>;

/** The tip with what its card shows. */
export function loadTipForCard(tx: Tx, tipId: string) {
  return tx.tip.findUnique({
    where: { id: tipId },
    include: { queue: true, claimedBy: true, attachments: { orderBy: { id: "asc" } } },
  });
}

/** A card's button for a tip action (its data encoded from the action table: actions/buttons.ts). */
const button = (action: string, tipId: string, labelKey: string): Choice => ({
  id: tipButton(`tip.${action}` as ActionId, tipId),
  labelKey: `officer:button.${labelKey}`,
});

/**
 * The buttons of a working card in the tip's current state (a closed tip: reopen only). Buttons
 * show to the whole group; who may press them is checked at press time.
 */
function cardButtons(tip: TipWithCardData): Choice[] {
  const b = (action: string, label = action) => button(action, tip.id, label);
  if (tip.status === "closed") return [b("reopen")];
  const buttons = [
    tip.status === "claimed" ? b("release") : b("claim"),
    b("ask"),
    b("note"),
    b("priority"),
    b("transfer"),
    b("classify"),
    b("close"),
  ];
  if (tip.status === "claimed") buttons.push(b("extend"));
  if (tip.identityMode === "confidential") buttons.push(b("open_contact"));
  return buttons;
}

/** A map showing a shared location (opens the map app on a phone). */
export function mapUrl(lat: number, lng: number): string {
  return `https://www.google.com/maps/search/?api=1&query=${lat.toFixed(5)},${lng.toFixed(5)}`;
}

/**
 * The card's text and buttons, as a channel-neutral reply (rendered for Telegram groups), laid out
 * to read at a glance: the life-safety warning first when set, then high priority, then a header
 * with the tip's state (new / claimed by whom / closed with what outcome), then one labelled line
 * per field with no blank lines. Deadlines show only while the tip is open (the receipt notice's
 * only until it is sent); a shared location links to a map. The tipster's words stay quoted blocks.
 */
export async function cardReply(tx: Tx, tip: TipWithCardData, kind: "main" | "info"): Promise<{ reply: Reply; overflow: string | null }> {
  const blocks: TextBlock[] = [];
  const line = (key: string, params?: Record<string, unknown>, label?: string) =>
    blocks.push({ key: `officer:card.${key}`, params, ...(label ? { label: `officer:card_label.${label}` } : {}) });
  const field = (label: string, value: unknown) => line("value", { value }, label);
  const below = (label: string, value: unknown) => line("value_below", { value }, label);
  const strong = (key: string, params?: Record<string, unknown>) => blocks.push({ key: `officer:card.${key}`, params, strong: true });
  if (tip.lifeSafety) strong("life_safety");
  if (tip.priority === "high") strong("priority_high");
  if (kind === "info") strong("title_info", { code: tip.code, unit: tip.queue.name });
  else if (tip.status === "closed") strong("header_closed", { code: tip.code, outcome: { $t: `officer:outcome.${tip.outcome}` } });
  else if (tip.status === "claimed" && tip.claimedBy) strong("header_claimed", { code: tip.code, officer: officerName(tip.claimedBy) });
  else strong("header_new", { code: tip.code });
  field("category", { $t: `tip:category.${tip.category}` });
  const commune = tip.communeCode ? await tx.commune.findUnique({ where: { code: tip.communeCode }, include: { province: true } }) : null;
  const province = commune ? null : await tx.province.findUnique({ where: { code: tip.provinceCode } });
  field("place", commune ? `${commune.name}, ${commune.province.name}` : { $t: "tip:place.province_only", params: { province: province?.name ?? tip.provinceCode } });
  if (tip.latitude !== null && tip.longitude !== null) {
    const map = link(mapUrl(tip.latitude, tip.longitude), { $t: "officer:card.map" });
    line("place_point", { lat: tip.latitude.toFixed(5), lng: tip.longitude.toFixed(5), map }, "place_point");
  } else if (tip.placeText) below("place_typed", quoted(tip.placeText));
  field("when", (WHEN_CODES as readonly string[]).includes(tip.occurredWhen) ? { $t: `tip:when.${tip.occurredWhen}` } : tip.occurredWhen);
  const channel = { telegram: "Telegram", zalo: "Zalo", web: "Web" }[tip.channel] ?? tip.channel;
  line("channel", { channel, identity: { $t: `tip:identity.${tip.identityMode}` } }, "channel");
  field("received", vnDateTime(tip.receivedAt));
  if (kind === "main") {
    if (tip.classification) field("classification", { $t: `officer:classification.${tip.classification}` });
    if (tip.status !== "closed") {
      if (!tip.receiptNoticeSentAt && tip.receiptNoticeDueAt) line("deadline", { date: vnDateTime(tip.receiptNoticeDueAt), extension: "" }, "deadline_receipt");
      if (tip.decisionDueAt) {
        const extension = tip.extension === "none" ? "" : { $t: `officer:card.extension_${tip.extension}` };
        line("deadline", { date: vnDate(tip.decisionDueAt), extension }, "deadline_decision");
      }
    }
  }
  const details = JSON.parse(tip.details) as { text?: string; phones?: string[]; accounts?: string[]; links?: string[] };
  if (details.text) below("details", quoted(details.text));
  for (const kindOfId of ["phones", "accounts", "links"] as const) {
    if (details[kindOfId]?.length) field(kindOfId, details[kindOfId]!.join(", "));
  }
  const description = tip.description.trim();
  const overflow = description.length > CARD_DESCRIPTION_CHARS ? description.slice(CARD_DESCRIPTION_CHARS) : null;
  if (description) below("description", quoted(overflow ? description.slice(0, CARD_DESCRIPTION_CHARS) + "…" : description));
  if (overflow) line("continued");
  if (tip.attachments.length) line("attachments", { count: tip.attachments.length }, "attachments");
  if (tip.identityMode === "confidential") line("contact_sealed", undefined, "contact");
  const [first, ...more] = blocks;
  return {
    reply: { ...first!, more, compact: true, choices: kind === "main" ? cardButtons(tip) : [], columns: 2 },
    overflow,
  };
}

/** Queue kinds that handle tips: their cards fall back to the province duty group, then the national group. */
const HANDLING_KINDS = new Set(["commune", "province"]);

/**
 * The group a queue's cards go to: its own; for a commune's queue, else its province duty group;
 * for a commune or province duty queue, else the national fall-back group. Info-only copies (cyber
 * units) and the staff queues show only in their own group. Null: no group can show it yet.
 */
export async function groupFor(tx: Tx, queueId: string): Promise<{ chatId: string; channel: string } | null> {
  const queue = await tx.queue.findUnique({ where: { id: queueId }, include: { groupChat: true } });
  if (queue?.groupChat) return { chatId: queue.groupChat.id, channel: queue.groupChat.channel };
  if (!queue || !HANDLING_KINDS.has(queue.kind)) return null;
  const fallbacks = queue.kind === "commune" ? [provinceQueueId(queue.provinceCode), NATIONAL_QUEUE_ID] : [NATIONAL_QUEUE_ID];
  for (const id of fallbacks) {
    const fallback = await tx.queue.findUnique({ where: { id }, include: { groupChat: true } });
    if (fallback?.groupChat) return { chatId: fallback.groupChat.id, channel: fallback.groupChat.channel };
  }
  return null;
}

/**
 * Posts a tip's card in a queue's group (or its province duty group): the card, then what does not
 * fit on it and the attachments, as replies to the card. The tipster's content is copied by the
 * bot — never forwarded — so nothing about the tipster's account reaches the group.
 */
export async function postCard(tx: Tx, renderer: ReplyRenderer, tipId: string, queueId: string, kind: "main" | "info"): Promise<OutboxRef[]> {
  const tip = await loadTipForCard(tx, tipId);
  const group = await groupFor(tx, queueId);
  if (!tip || !group) return [];
  const { reply, overflow } = await cardReply(tx, tip, kind);
  const [cardRef] = await enqueueIntents(tx, group, renderer, OFFICER_LOCALE, [{ kind: "message", reply, single: true }]);
  if (!cardRef) return [];
  await tx.tipCard.create({ data: { tipId, queueId, chatId: group.chatId, kind, outboxId: cardRef.id } });
  const under: MessageRef = { outbox: cardRef.id };
  const follow: Intent[] = [];
  if (overflow) follow.push({ kind: "message", reply: { key: "officer:card.continuation", params: { code: tip.code, value: quoted(overflow) } }, under });
  tip.attachments.forEach((a, i) => {
    if (!isMediaKind(a.kind)) return;
    const params = { code: tip.code, n: i + 1, total: tip.attachments.length, caption: a.caption ? quoted(a.caption) : "" };
    follow.push({ kind: "file", file: { kind: a.kind, ref: a.ref }, caption: { key: a.caption ? "officer:card.attachment_caption_text" : "officer:card.attachment_caption", params }, under });
  });
  // What the tipster sent after the tip (answers to officers' questions, added information), so a
  // group that shows the card later (a group bound afterwards, a transfer) has everything.
  // Answers go where officers work on the tip (main cards); added information to every card.
  const directions = kind === "main" ? [...FOLLOW_UP_DIRECTIONS] : ["addition"];
  const followUps = await tx.relayMessage.findMany({ where: { tipId, direction: { in: directions } }, orderBy: { id: "asc" } });
  for (const f of followUps) {
    const key = f.direction === "addition" ? "officer:done.information" : "officer:done.answer";
    follow.push({ kind: "message", reply: { key, params: { code: tip.code, text: quoted(f.text) } }, under });
  }
  return [cardRef, ...(await enqueueIntents(tx, group, renderer, OFFICER_LOCALE, follow))];
}

const MEDIA_KINDS: readonly string[] = ["photo", "video", "voice", "audio", "document"] satisfies MediaKind[];
const isMediaKind = (kind: string): kind is MediaKind => MEDIA_KINDS.includes(kind);

/** RelayMessage directions of what the tipster sent after the tip: an answer to a question, added information. */
export const FOLLOW_UP_DIRECTIONS = ["from_tipster", "addition"] as const;

/** Something a tipster sends after the tip: words, or a photo, video, voice note or file (with its caption). */
export type FollowUp = { text: string } | { media: { kind: MediaKind; ref: string; caption?: string } };

/**
 * Posts a tipster's follow-up under the tip's working cards, copied by the bot (never forwarded):
 * words as a quoted block, media re-sent by file id, URL or web upload with the caption quoted.
 * `as` picks the heading: an answer to an officer's question, or added information.
 */
export async function followUpOnCards(tx: Tx, renderer: ReplyRenderer, tip: { id: string; code: string }, item: FollowUp, as: "answer" | "addition"): Promise<OutboxRef[]> {
  const head = as === "answer" ? "officer:done.answer" : "officer:done.information";
  if ("text" in item) return noticeOnCards(tx, renderer, tip.id, { key: head, params: { code: tip.code, text: quoted(item.text) } }, { mainOnly: as === "answer" });
  const params = { code: tip.code, what: { $t: `tip:media.${item.media.kind}` }, caption: item.media.caption ? quoted(item.media.caption) : "" };
  const caption = { key: item.media.caption ? `${head}_media_caption` : `${head}_media`, params };
  const cards = await tx.tipCard.findMany({ where: { tipId: tip.id, active: true, ...(as === "answer" ? { kind: "main" } : {}) }, orderBy: { id: "asc" } });
  const refs: OutboxRef[] = [];
  for (const card of cards) {
    const chat = await tx.chat.findUnique({ where: { id: card.chatId } });
    if (!chat) continue;
    const file: Intent = { kind: "file", file: { kind: item.media.kind, ref: item.media.ref }, caption, under: { outbox: card.outboxId } };
    refs.push(...(await enqueueIntents(tx, { chatId: chat.id, channel: chat.channel }, renderer, OFFICER_LOCALE, [file])));
  }
  return refs;
}

/** Edits every active card of a tip in place to show its current state. */
export async function refreshCards(tx: Tx, renderer: ReplyRenderer, tipId: string): Promise<OutboxRef[]> {
  const tip = await loadTipForCard(tx, tipId);
  if (!tip) return [];
  const cards = await tx.tipCard.findMany({ where: { tipId, active: true }, include: { queue: true }, orderBy: { id: "asc" } });
  const refs: OutboxRef[] = [];
  for (const card of cards) {
    const chat = await tx.chat.findUnique({ where: { id: card.chatId } });
    if (!chat) continue;
    const { reply } = await cardReply(tx, tip, card.kind === "info" ? "info" : "main");
    refs.push(...(await enqueueIntents(tx, { chatId: chat.id, channel: chat.channel }, renderer, OFFICER_LOCALE, [{ kind: "update", message: { outbox: card.outboxId }, reply }])));
  }
  return refs;
}

/** Sends a short notice in the groups where the tip's working cards are, as a reply to the card. */
export async function noticeOnCards(tx: Tx, renderer: ReplyRenderer, tipId: string, block: TextBlock, opts: { mainOnly?: boolean } = {}): Promise<OutboxRef[]> {
  const cards = await tx.tipCard.findMany({ where: { tipId, active: true, ...(opts.mainOnly ? { kind: "main" } : {}) }, orderBy: { id: "asc" } });
  const refs: OutboxRef[] = [];
  for (const card of cards) {
    const chat = await tx.chat.findUnique({ where: { id: card.chatId } });
    if (!chat) continue;
    const notice: Intent = { kind: "message", reply: { key: block.key, params: block.params }, under: { outbox: card.outboxId } };
    refs.push(...(await enqueueIntents(tx, { chatId: chat.id, channel: chat.channel }, renderer, OFFICER_LOCALE, [notice])));
  }
  return refs;
}
