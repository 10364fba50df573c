import crypto from "node:crypto";
import type { Db, Tx } from "../../db/client.ts";
import { localeResources } from "../../i18n.ts";
import type { Sealer } from "../../security/sealing.ts";
import type { ChatRecord } from "../chats/findOrCreateChat.ts";
import { addCalendarDays, addWorkingDays } from "../deadlines/calendar.ts";
import type { Reply, TextBlock } from "../reply.ts";
import { menuReply } from "../resident/converse.ts";
import type { ResidentResult, ResidentTurnArgs } from "../resident/turnTypes.ts";
import { removeSubscriptionData } from "../subscriptions/commands/eraseSubscription.ts";
import { placeLabel } from "../subscriptions/subscriptionTurn.ts";
import { formatVnDate, formatVnDateTime } from "../vnTime.ts";
import { listKeys, typedKey } from "../text.ts";
import { defaultRetention, type RetentionPeriods } from "./retentionRules.ts";

/**
 * Time limits for a data subject's request (Law 91/2025/QH15, Decree 356/2025/NĐ-CP Art. 5):
 * acknowledged within 2 working days, access answered within 10 days, deletion done within 20
 * (counted as calendar days, the stricter reading). The bot answers at once; the dates are recorded
 * so an administrator sees any request left open (`npm run admin -- dsr:list`).
 */
export const DATA_REQUEST_LIMITS = { ackWorkingDays: 2, accessDays: 10, deletionDays: 20 } as const;

export type DataRequestKind = "access" | "delete";
/** answered (access), awaiting_confirmation → done | cancelled (deletion). */
export type DataRequestStatus = "answered" | "awaiting_confirmation" | "done" | "cancelled";

/** The short exchange kept on the chat while a deletion waits for the person's confirmation. */
export interface DataRequestFlow {
  name: "data_delete";
  ref: string;
}

let words: Map<string, DataRequestKind> | undefined;

/** "xem dữ liệu của tôi" / "xoá dữ liệu của tôi" (any locale, diacritics optional): the whole text must be the phrase. */
export function dataRequestIntent(text: string): DataRequestKind | undefined {
  if (!words) {
    words = new Map();
    for (const lang of Object.values(localeResources())) {
      const kw = (lang as { privacy?: { keywords?: Record<string, string> } }).privacy?.keywords ?? {};
      for (const kind of ["delete", "access"] as const) for (const key of listKeys(kw[kind] ?? "")) words.set(key, kind);
    }
  }
  return words.get(typedKey(text));
}

const newRef = () => `DSR-${crypto.randomBytes(4).toString("hex").toUpperCase()}`;

/**
 * Records a request (or a change of its state) as an audit event carrying its due dates. The event
 * holds the request's reference and channel, never the chat: a deleted person leaves no link behind.
 */
export async function recordDataRequest(
  tx: Tx,
  props: { ref: string; kind: DataRequestKind; channel: string; status: DataRequestStatus; receivedAt?: Date; now?: Date },
): Promise<void> {
  const now = props.now ?? new Date();
  const receivedAt = props.receivedAt ?? now;
  const dueAt = addCalendarDays(receivedAt, props.kind === "access" ? DATA_REQUEST_LIMITS.accessDays : DATA_REQUEST_LIMITS.deletionDays);
  const data = {
    ref: props.ref,
    kind: props.kind,
    channel: props.channel,
    status: props.status,
    receivedAt: receivedAt.toISOString(),
    ackDueAt: addWorkingDays(receivedAt, DATA_REQUEST_LIMITS.ackWorkingDays).toISOString(),
    dueAt: dueAt.toISOString(),
    // The bot acknowledges in the same turn as the request.
    acknowledgedAt: receivedAt.toISOString(),
  };
  await tx.auditEvent.create({ data: { actor: "resident", action: `dsr.${props.kind}`, data: JSON.stringify(data), at: now } });
}

/**
 * Data-subject requests typed in any channel: "my data" answers at once with what is held about
 * this chat; "delete my data" explains what will and will not be deleted and asks to confirm first.
 * Returns null when the input is not one of these (the rest of the conversation goes on).
 */
export async function dataRequestTurn(args: ResidentTurnArgs, hasDraft: boolean, asked?: DataRequestKind): Promise<ResidentResult | null> {
  const { tx, chat, input } = args;
  const retention = args.services.retention ?? defaultRetention();
  const flow = parseFlow(chat.flow);
  if (input.type === "choice" && input.choiceId.startsWith("dsr:")) {
    if (input.choiceId === "dsr:delete") return askDeletion(args);
    if (!flow) return { replies: [menuReply("privacy:delete.expired", { hasDraft, prompt: false })] };
    if (input.choiceId === "dsr:confirm") {
      const counts = await eraseChatData(tx, chat, args.services.sealer, retention);
      await recordDataRequest(tx, { ref: flow.ref, kind: "delete", channel: args.channel, status: "done" });
      // No menu: the next message starts afresh with the choice of language.
      return { replies: [{ key: "privacy:delete.done", params: { ref: flow.ref, summary: { $t: "privacy:delete.summary", params: counts } } }], flow: null, setLocale: null };
    }
    await recordDataRequest(tx, { ref: flow.ref, kind: "delete", channel: args.channel, status: "cancelled" });
    return { replies: [menuReply("privacy:delete.cancelled", { hasDraft, prompt: false })], flow: null };
  }
  const kind =
    asked ??
    (input.type === "text" ? dataRequestIntent(input.text) : input.type === "command" ? ({ mydata: "access", deletemydata: "delete" } as const)[input.command as "mydata"] : undefined);
  if (kind === "delete") return askDeletion(args);
  if (kind === "access") {
    const ref = newRef();
    await recordDataRequest(tx, { ref, kind: "access", channel: args.channel, status: "answered" });
    const reply = await describeChatData(tx, { chat, channel: args.channel, sealer: args.services.sealer, retention, ref });
    return { replies: [reply], flow: flow ? null : undefined };
  }
  return null;
}

async function askDeletion(args: ResidentTurnArgs): Promise<ResidentResult> {
  const ref = newRef();
  await recordDataRequest(args.tx, { ref, kind: "delete", channel: args.channel, status: "awaiting_confirmation" });
  return {
    replies: [
      {
        key: "privacy:delete.confirm",
        params: { ref },
        choices: [
          { id: "dsr:confirm", labelKey: "privacy:delete.yes" },
          { id: "dsr:cancel", labelKey: "privacy:delete.no" },
        ],
      },
    ],
    flow: JSON.stringify({ name: "data_delete", ref } satisfies DataRequestFlow),
  };
}

function parseFlow(flow: string | null): DataRequestFlow | null {
  if (!flow) return null;
  try {
    const parsed = JSON.parse(flow) as { name?: string; ref?: unknown };
    return parsed.name === "data_delete" && typeof parsed.ref === "string" ? (parsed as DataRequestFlow) : null;
  } catch {
    return null;
  }
}

const days = (ms: number) => Math.round(ms / 86_400_000);
const hours = (ms: number) => Math.round(ms / 3_600_000);

/**
 * What is held about one chat, as the person may see it. Tips and legal questions are deliberately
 * left out: nothing links them to the chat, and whoever holds the phone must not learn that its
 * owner reported something.
 */
export async function describeChatData(
  tx: Tx,
  props: { chat: ChatRecord; channel: string; sealer: Sealer; retention: RetentionPeriods; ref: string; now?: Date },
): Promise<Reply> {
  const { chat, channel, retention, ref } = props;
  const now = props.now ?? new Date();
  const blocks: TextBlock[] = [];
  blocks.push({
    key: "privacy:access.chat",
    params: { channel: { $t: `privacy:channel.${channel}` }, language: chat.locale ? { $t: `language.name.${chat.locale}` } : { $t: "privacy:access.no_language" } },
  });
  const sub = await tx.subscription.findUnique({ where: { chatId: chat.id } });
  const consents = await tx.consentRecord.count({ where: { chatId: chat.id } });
  const topics = sub ? { $list: (JSON.parse(sub.topics) as string[]).map((t) => ({ $t: `campaign:topic.${t}` })) } : undefined;
  if (sub?.active) blocks.push({ key: "privacy:access.subscription", params: { topics, place: await placeLabel(tx, sub), date: formatVnDate(sub.consentedAt), consents } });
  else if (sub) blocks.push({ key: "privacy:access.subscription_stopped", params: { topics, date: formatVnDate(sub.stoppedAt ?? sub.updatedAt), consents, days: days(retention.ended_subscriptions) } });
  else blocks.push({ key: "privacy:access.no_subscription" });
  const draft = await tx.tipDraft.findUnique({ where: { chatId: chat.id } });
  if (draft) {
    const attachments = ((JSON.parse(draft.data) as { attachments?: unknown[] }).attachments ?? []).length;
    blocks.push({ key: "privacy:access.draft", params: { date: formatVnDateTime(draft.updatedAt), attachments, hours: hours(retention.drafts) } });
  } else blocks.push({ key: "privacy:access.no_draft" });
  if (channel === "web") {
    const uploads = await unsentUploads(tx, chat, props.sealer, retention, now);
    if (uploads.length) blocks.push({ key: "privacy:access.uploads", params: { count: uploads.length, hours: hours(retention.uploads) } });
  }
  const messages = await tx.outboxMessage.count({ where: { chatId: chat.id } });
  blocks.push({ key: "privacy:access.messages", params: { count: messages, days: days(retention.outbox) } });
  blocks.push({ key: "privacy:access.tips" }, { key: "privacy:access.rights" });
  const menu = menuReply("privacy:access.intro", { prompt: false, params: { ref, date: formatVnDateTime(now) } });
  return { ...menu, more: blocks, choices: [{ id: "dsr:delete", labelKey: "privacy:delete.yes" }, ...(menu.choices ?? [])] };
}

/**
 * Web uploads of this chat not attached to a submitted tip. Uploads keep the chat only sealed, so
 * the recent ones (unattached uploads never outlive the uploads rule) are opened one by one.
 */
async function unsentUploads(tx: Tx, chat: ChatRecord, sealer: Sealer, retention: RetentionPeriods, now: Date): Promise<string[]> {
  if (chat.channel !== "web") return [];
  const since = new Date(now.getTime() - retention.uploads - 86_400_000);
  const recent = await tx.upload.findMany({ where: { createdAt: { gte: since } }, select: { id: true, chatId: true } });
  if (!recent.length) return [];
  const attached = new Set((await tx.tipAttachment.findMany({ where: { ref: { in: recent.map((u) => `upload:${u.id}`) } }, select: { ref: true } })).map((a) => a.ref.slice(7)));
  return recent
    .filter((u) => !attached.has(u.id))
    .filter((u) => {
      try {
        return sealer.open(u.chatId, "upload-chat") === chat.platformChatId;
      } catch {
        return false;
      }
    })
    .map((u) => u.id);
}

/**
 * Deletes what may be deleted about a chat: its draft, subscription and consent history, uploads
 * not attached to a submitted tip, its legal questions, the messages sent to it and its processed
 * updates; campaign deliveries keep their counts but lose the chat. Its language and conversation
 * state are cleared by the caller (the turn's result). Submitted tips are police records: untouched.
 */
export async function eraseChatData(tx: Tx, chat: ChatRecord, sealer: Sealer, retention: RetentionPeriods = defaultRetention(), now = new Date()) {
  const drafts = (await tx.tipDraft.deleteMany({ where: { chatId: chat.id } })).count;
  const subscriptions = await tx.subscription.count({ where: { chatId: chat.id } });
  await removeSubscriptionData(tx, chat.id);
  // One delivery per run and chat: an erased marker keeps each run's figures without the chat.
  await tx.delivery.updateMany({ where: { chatId: chat.id }, data: { chatId: `erased:${crypto.randomBytes(8).toString("hex")}` } });
  const uploadIds = await unsentUploads(tx, chat, sealer, retention, now);
  const uploads = uploadIds.length ? (await tx.upload.deleteMany({ where: { id: { in: uploadIds } } })).count : 0;
  let questions = 0;
  for (let after = ""; ; ) {
    const batch = await tx.legalQuestion.findMany({ where: { id: { gt: after } }, select: { id: true, replyRefSealed: true }, orderBy: { id: "asc" }, take: 500 });
    const mine = batch.filter((q) => {
      try {
        return sealer.open(q.replyRefSealed, "tip-reply-ref") === chat.id;
      } catch {
        return false;
      }
    });
    if (mine.length) questions += (await tx.legalQuestion.deleteMany({ where: { id: { in: mine.map((q) => q.id) } } })).count;
    if (batch.length < 500) break;
    after = batch[batch.length - 1]!.id;
  }
  const messages = (await tx.outboxMessage.deleteMany({ where: { chatId: chat.id, status: { in: ["sent", "failed", "blocked", "skipped"] } } })).count;
  await tx.inboxUpdate.deleteMany({ where: { channel: chat.channel, chatKey: chat.platformChatId, status: "done" } });
  return { drafts, subscriptions, uploads, questions, messages };
}

/** One request as an administrator sees it: its latest state and due dates. */
export interface DataRequestRow {
  ref: string;
  kind: DataRequestKind;
  channel: string;
  status: DataRequestStatus;
  receivedAt: Date;
  ackDueAt: Date;
  dueAt: Date;
  lastChangeAt: Date;
  open: boolean;
  overdue: boolean;
}

/** Every recorded request (newest first), with its latest state; `open` ones are not yet answered, done or cancelled. */
export async function listDataRequests(db: Db | Tx, now = new Date()): Promise<DataRequestRow[]> {
  const events = await db.auditEvent.findMany({ where: { tipId: null, action: { in: ["dsr.access", "dsr.delete"] } }, orderBy: { id: "asc" } });
  const byRef = new Map<string, DataRequestRow>();
  for (const e of events) {
    const d = JSON.parse(e.data) as { ref: string; kind: DataRequestKind; channel: string; status: DataRequestStatus; receivedAt: string; ackDueAt: string; dueAt: string };
    const open = d.status === "awaiting_confirmation";
    const dueAt = new Date(d.dueAt);
    byRef.set(d.ref, {
      ref: d.ref,
      kind: d.kind,
      channel: d.channel,
      status: d.status,
      receivedAt: new Date(d.receivedAt),
      ackDueAt: new Date(d.ackDueAt),
      dueAt,
      lastChangeAt: e.at,
      open,
      overdue: open && dueAt < now,
    });
  }
  return [...byRef.values()].sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime());
}
