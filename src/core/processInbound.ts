import type { Tx } from "../db/client.ts";
import { isLocale } from "../i18n.ts";
import { enqueueCalls, type OutboundCall, type OutboxRef, type ReplyRenderer } from "../outbox/outbound.ts";
import { chatStateWrite, findOrCreateChat } from "./chats/findOrCreateChat.ts";
import type { InboundEvent, InboundInput } from "./inbound.ts";
import type { OfferedChoice } from "./reply.ts";
import { residentTurn, type ResidentServices } from "./resident/residentTurn.ts";
import { fold, foldLabel } from "./text.ts";

/** What processInbound needs from the application: the resident services and the channel's renderer. */
export interface InboundDeps extends ResidentServices {
  renderer: ReplyRenderer;
}

export interface ProcessInboundArgs {
  event: InboundEvent;
  /** Inbox row being processed; recorded on every message it causes. */
  sourceUpdateId?: number;
  /** Platform calls that must go out before the replies (e.g. answering a Telegram button press). */
  leadingCalls?: OutboundCall[];
}

/**
 * Handles one inbound event inside the caller's transaction: finds the chat, runs the
 * conversation, stores the chat's new language and offered choices, and records the replies in
 * the outbox. Returns the outbox rows to hand to the sender after commit.
 */
export async function processInbound(tx: Tx, deps: InboundDeps, args: ProcessInboundArgs): Promise<OutboxRef[]> {
  const { event } = args;
  const { chat, created, draft } = await findOrCreateChat(tx, event, { withDraft: event.chat.kind === "private" });
  const target = { chatId: chat.id, channel: event.channel };
  const leadingCalls = args.leadingCalls ?? [];
  // officer groups are handled by the officer features
  if (event.chat.kind !== "private") return enqueueCalls(tx, target, leadingCalls, { sourceUpdateId: args.sourceUpdateId });

  const offered = parseOffered(chat.menu);
  // Numbers answer menus only where menus are numbered (Zalo); elsewhere "2" may be a real answer.
  const input = resolveTypedChoice(event.input, offered, event.channel === "zalo");
  const turn = await residentTurn({
    tx,
    chat,
    channel: event.channel,
    caps: deps.renderer.caps,
    firstContact: created,
    locale: isLocale(chat.locale) ? chat.locale : null,
    input,
    services: deps,
    draft,
  });
  const locale = turn.setLocale ?? (isLocale(chat.locale) ? chat.locale : "vi");

  const calls: OutboundCall[] = [];
  let lastOffered: OfferedChoice[] | null = null;
  for (const reply of turn.replies) {
    const rendered = deps.renderer.render(reply, locale);
    calls.push(...rendered.calls);
    lastOffered = rendered.offered;
  }
  // A turn with no reply (e.g. a silenced flood) keeps the menu the person is answering.
  const menu = lastOffered === null ? chat.menu : lastOffered.length ? JSON.stringify(lastOffered) : null;
  const flow = turn.flow === undefined ? chat.flow : turn.flow;
  const stateChanged = turn.setLocale !== undefined || menu !== chat.menu || flow !== chat.flow;
  const alongside = [...(turn.writes ?? []), ...(stateChanged ? [chatStateWrite(tx, chat.id, { locale: turn.setLocale === undefined ? chat.locale : turn.setLocale, menu, flow })] : [])];
  // The leading calls (e.g. answering a button press: a lane of their own at the sender) recorded
  // with the replies, ahead of them, and the turn's writes (the chat's new state, its tip draft)
  // with them: one statement on PostgreSQL.
  const recorded = await enqueueCalls(tx, target, [...leadingCalls, ...calls], { sourceUpdateId: args.sourceUpdateId, alongside });
  return [...recorded, ...(turn.elsewhere ?? [])];
}

function parseOffered(menu: string | null): OfferedChoice[] {
  if (!menu) return [];
  try {
    const parsed = JSON.parse(menu) as unknown;
    return Array.isArray(parsed) ? (parsed as OfferedChoice[]) : [];
  } catch {
    return [];
  }
}

/** A typed "2" or a typed option label answers the last menu (Zalo has no buttons). */
function resolveTypedChoice(input: InboundInput, offered: OfferedChoice[], numbered: boolean): InboundInput {
  if (input.type !== "text" || offered.length === 0) return input;
  const text = fold(input.text).replace(/[.)]$/, "");
  const n = numbered && /^\d{1,2}$/.test(text) ? Number(text) : NaN;
  if (n >= 1 && n <= offered.length) return { type: "choice", choiceId: offered[n - 1]!.id };
  const typed = foldLabel(input.text);
  const byLabel = typed ? offered.find((o) => foldLabel(o.label) === typed) : undefined;
  return byLabel ? { type: "choice", choiceId: byLabel.id } : input;
}
