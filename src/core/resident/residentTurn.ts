import { isLocale, type Locale } from "../../i18n.ts";
import type { Sealer } from "../../security/sealing.ts";
import type { InboundInput } from "../inbound.ts";
import { personRateKey, takeRate } from "../rateLimit.ts";
import { addInfoFlow, addInfoTipId, answerTipId, type AddInfoFlow, type AnswerFlow } from "../tips/answerFlow.ts";
import type { Choice, Reply, TextBlock } from "../reply.ts";
import { normaliseTipCode } from "../tips/codes.ts";
import { draftWrite, loadDraft, newDraft, saveDraft, type TipDraftData } from "../tips/draft.ts";
import { lookupTip } from "../tips/lookupTip.ts";
import { IncompleteDraftError, submitTip } from "../tips/submitTip.ts";
import { attachMedia, fileRefusedNotice, promptFor, tipTurn } from "../tips/tipFlow.ts";
import type { ChannelCaps } from "../intents.ts";
import { converse, emergencyReply, languageChoices, menuReply } from "./converse.ts";
import { fold } from "../text.ts";
import { formatVnDate } from "../vnTime.ts";
import type { OutboxRef, ReplyRenderer } from "../../outbox/outbound.ts";
import type { FollowUp } from "../tips/cards.ts";
import { relayFromTipster, type FollowUpResult } from "../tips/commands/tipsterAnswer.ts";
import { addInformation } from "../tips/commands/addInformation.ts";
import { stopSubscription } from "../subscriptions/commands/stopSubscription.ts";
import { isStopWord, openSubscription, stopByWord, subscribeTurn, subscriptionAction, type SubscribeFlow } from "../subscriptions/subscriptionTurn.ts";
import { askTurn, openAsk, type AskFlow, type AskResult } from "../qa/askTurn.ts";
import { isControlWord } from "./controlWords.ts";
import { pastedCode, type IntentReader, type IntentReading } from "./intents.ts";
import { dataRequestTurn } from "../privacy/dataRequests.ts";

/** Per-person limits: a flood from one person slows only that person. */
export const RESIDENT_LIMITS = {
  messagesPerMinute: 30,
  tipsPerHour: 5,
  textChars: 4000,
} as const;

/**
 * The per-minute message limit of one person (every private message counts, whatever handles it):
 * keyed by the chat's platform identity, so that a channel can count it in the statement that reads
 * the chat (`rateCountAhead`) before it knows the chat's row.
 */
export function messageRate(sealer: Sealer, chat: { channel: string; platformChatId: string }): { key: string; limit: number; windowMs: number } {
  return { key: personRateKey(sealer, "msg", `${chat.channel}/${chat.platformChatId}`), limit: RESIDENT_LIMITS.messagesPerMinute, windowMs: 60_000 };
}

export type { ResidentResult, ResidentServices, ResidentTurnArgs } from "./turnTypes.ts";
import type { ResidentResult, ResidentTurnArgs } from "./turnTypes.ts";

/**
 * A short exchange kept on the chat: checking a tip (code, then PIN). The code typed waits for the
 * PIN only sealed: the chat row holds the platform id and must not name a tip.
 */
interface LookupFlow {
  name: "lookup";
  step: "code" | "pin";
  codeSealed?: string;
  /** Written before codes were sealed in the flow; still read. */
  code?: string;
}

/** Binds a sealed code waiting for its PIN to its use. */
const LOOKUP_CODE = "chat-lookup-code";

const MENU_CHOICES = /^(menu:|lang:)/;

/**
 * One turn of a resident's private conversation: per-person limits, emergency numbers at any
 * time, menu-level commands, checking a tip, and the tip draft (resumed after any pause or restart).
 */
export async function residentTurn(args: ResidentTurnArgs): Promise<ResidentResult> {
  const { tx, chat, input, services } = args;
  const rate = messageRate(services.sealer, chat);
  if (!(await takeRate(tx, rate.key, rate.limit, rate.windowMs))) {
    const warnOnce = await takeRate(tx, personRateKey(services.sealer, "msgwarn", chat.id), 1, 60_000);
    return { replies: warnOnce ? [{ key: "tip:flow.limit_messages" }] : [] };
  }
  if (input.type === "text" && input.text.length > RESIDENT_LIMITS.textChars) {
    return { replies: [{ key: "tip:flow.too_long", params: { max: RESIDENT_LIMITS.textChars } }] };
  }

  // Read with the chat (one statement) unless the caller did not.
  const draft = args.draft !== undefined ? args.draft : await loadDraft(tx, chat.id);
  const flow = parseFlow(chat.flow);
  const result = await turn(args, draft, flow);
  // Pressing a button or typing a command leaves an officer's question or an "add information"
  // exchange; so does anything but "Add information" right after a look-up, and anything at all
  // when the exchange's tip can no longer be opened (sealed under a retired key).
  const exchange = flow?.name === "answer" || flow?.name === "addinfo";
  const offer = flow?.name === "addinfo" && flow.step === "offer";
  const stale = exchange && !offer && relayTarget(services.sealer, flow) === undefined;
  const leaves = input.type === "choice" || input.type === "command" || input.type === "start" || offer || stale;
  if (exchange && leaves && result.flow === undefined) result.flow = null;
  return result;
}

type ChatFlow = LookupFlow | AnswerFlow | AddInfoFlow | SubscribeFlow | AskFlow | KeptTextFlow;

function parseFlow(flow: string | null): ChatFlow | null {
  if (!flow) return null;
  try {
    const parsed = JSON.parse(flow) as ChatFlow;
    return parsed && typeof parsed === "object" && typeof parsed.name === "string" ? parsed : null;
  } catch {
    return null;
  }
}

async function turn(args: ResidentTurnArgs, draft: TipDraftData | null, flow: ChatFlow | null): Promise<ResidentResult> {
  const { tx, chat, input, services } = args;
  const flowCtx = { tx, channel: args.channel, caps: args.caps, places: services.places, sealer: services.sealer };
  const text = input.type === "text" ? input.text : undefined;
  // Every message the tipster sends while an officer's question (or "add information") is open goes to the card.
  const relay = relayTarget(services.sealer, flow);
  // While writing a tip or answering, only an exact keyword counts ("113" yes; a sentence containing "giúp" no).
  const intent = text === undefined ? undefined : draft || relay ? services.keywords.matchExact(text) : services.keywords.match(text);

  if (intent === "emergency") {
    const replies: Reply[] = [emergencyReply(draft !== null)];
    if (draft) replies.push(await promptFor(flowCtx, draft));
    return { replies };
  }

  // Stop words always stop every campaign message, whatever else is going on.
  const stopWord = (text !== undefined && isStopWord(text)) || (input.type === "command" && input.command === "stop");
  if (stopWord && !draft) return stopByWord(tx, chat);
  if (stopWord && draft) {
    const stop = await stopSubscription(tx, { actor: { kind: "resident", chatId: chat.id }, chatId: chat.id, reason: "stop_word" });
    const stopped = stop.ok && stop.stopped;
    // "huỷ" also cancels the draft; "dừng"/"stop" leave it as it is (and never become part of the tip).
    const cancels = text !== undefined && isControlWord("cancel", text);
    const result: ResidentResult = cancels ? await draftTurn(args, draft) : { replies: [await promptFor(flowCtx, draft)] };
    const [first, ...rest] = result.replies;
    if (stopped && first) {
      // One message: the notice, then what the draft needs next.
      result.replies = [{ ...first, key: "campaign:subscribe.stopped", params: undefined, more: [{ key: first.key, params: first.params }, ...(first.more ?? [])] }, ...rest];
    }
    return result;
  }

  // Personal data requests ("xem/xoá dữ liệu của tôi", Law 91/2025), from anywhere in the conversation.
  const dataRequest = await dataRequestTurn(args, draft !== null);
  if (dataRequest) return dataRequest;

  if (input.type === "choice" && input.choiceId.startsWith("quiz:")) return quizAnswer(args, input.choiceId, draft !== null);
  if (input.type === "choice" && input.choiceId === "menu:report") return startOrResume(args, draft);
  if (input.type === "choice" && input.choiceId === "menu:subscribe") return openSubscription(tx, chat);
  if (input.type === "choice" && input.choiceId === "menu:ask" && services.knowledge) return openAsk();
  if (input.type === "choice" && /^sub:(change|stop|consent|delete)$/.test(input.choiceId)) {
    const result = await subscriptionAction(tx, chat, input.choiceId);
    if (result) return result;
  }
  if (input.type === "choice" && input.choiceId === "menu:lookup") {
    return { replies: [{ key: "tip:lookup.ask_code", choices: [{ id: "flow:cancel", labelKey: "tip:flow.cancel" }] }], flow: JSON.stringify({ name: "lookup", step: "code" } satisfies LookupFlow) };
  }
  if (input.type === "choice" && input.choiceId.startsWith("free:")) return keptTextChoice(args, input.choiceId, draft);
  if (input.type === "choice" && input.choiceId === "addinfo:start") return openAddInfo(args, flow, draft !== null);
  if (relay && ((input.type === "choice" && input.choiceId === "followup:done") || (text !== undefined && isControlWord("done", text)))) {
    return { replies: [menuReply(relay.as === "answer" ? "officer:tipster.answer_done" : "tip:followup.added_done", { hasDraft: draft !== null, prompt: false })], flow: null };
  }
  if (relay && intent === undefined && input.type !== "choice" && input.type !== "command" && input.type !== "start") return followUpTurn(args, relay, draft !== null);
  // A photo, video, voice note or file is never dropped: added to the draft, or kept as the start of a tip.
  if (input.type === "media" && input.kind !== "sticker") {
    if (draft) return { ...(await draftTurn(args, draft)), flow: chat.flow ? null : undefined };
    return mediaStartsTip(args, input, flow);
  }
  // A file the channel refused (never stored): said so; its words count as typed (in a draft, they join the description).
  if (input.type === "file_refused") {
    if (draft) return { ...(await draftTurn(args, draft)), flow: chat.flow ? null : undefined };
    const notice = fileRefusedNotice(input);
    const words = input.caption?.trim();
    if (words) return withNotice(notice, await turn({ ...args, input: { type: "text", text: words.slice(0, RESIDENT_LIMITS.textChars) } }, draft, flow));
    if (args.locale === null) return { replies: [{ key: notice.key, params: notice.params, more: [{ key: "greeting.new" }], choices: languageChoices() }] };
    return { replies: [menuReply(notice.key, { prompt: false, params: notice.params })] };
  }
  // Someone new who starts by writing what they want is served at once, in the language they wrote in.
  if (args.locale === null && text !== undefined && intent === undefined && services.intents && !draft) {
    const reading = services.intents.read(text);
    if (ACTED_ON_FIRST.has(reading.intent)) {
      const locale = writtenIn(text);
      const result = await freeTextTurn({ ...args, locale }, text, reading);
      return { ...result, setLocale: result.setLocale === undefined ? locale : result.setLocale };
    }
  }
  const menuLevel =
    input.type === "start" ||
    input.type === "command" ||
    (input.type === "choice" && MENU_CHOICES.test(input.choiceId)) ||
    intent !== undefined;
  if (menuLevel || args.locale === null) {
    const turn = converse({ locale: args.locale, firstContact: args.firstContact, hasDraft: draft !== null }, input, services.keywords);
    return { ...turn, flow: chat.flow ? null : undefined };
  }

  if (flow?.name === "ask" && services.knowledge) {
    const asked = await askTurn(tx, { knowledge: services.knowledge, sealer: services.sealer, officerRenderer: services.officerRenderer }, chat, args.locale ?? "vi", flow, input);
    return asked.reportText !== undefined ? reportFromQuestion(args, asked, draft) : asked;
  }
  if (flow?.name === "lookup") return lookupTurn(args, flow, draft !== null);
  if (flow?.name === "subscribe") return subscribeTurn(tx, chat, services.places, flow, input);

  if (draft) return draftTurn(args, draft);
  if (text !== undefined && text.trim() && services.intents) return freeTextTurn(args, text, services.intents.read(text));
  return converse({ locale: args.locale, firstContact: args.firstContact, hasDraft: false }, input, services.keywords);
}

/** Where a tipster's follow-up messages go: an officer's open question, or information being added after a look-up. */
interface RelayTarget {
  tipId: string;
  as: "answer" | "addition";
}

function relayTarget(sealer: Sealer, flow: ChatFlow | null): RelayTarget | undefined {
  if (flow?.name === "answer") {
    const tipId = answerTipId(sealer, flow);
    return tipId === undefined ? undefined : { tipId, as: "answer" };
  }
  if (flow?.name === "addinfo" && flow.step === "open") {
    const tipId = addInfoTipId(sealer, flow);
    return tipId === undefined ? undefined : { tipId, as: "addition" };
  }
  return undefined;
}

const FOLLOW_UP_DONE: Choice = { id: "followup:done", labelKey: "tip:what.done" };
const BACK_TO_MENU: Choice = { id: "menu:main", labelKey: "tip:flow.back" };

/** "…, with photos" as the channel carries them (empty where it carries none). */
function mediaHint(caps: ChannelCaps): string | { $t: string } {
  const media = caps.media;
  return media === "all" ? { $t: "tip:what.media_all" } : media === "photo" ? { $t: "tip:what.media_photo" } : "";
}

/**
 * One message while an officer's question or "add information" is open: words, media (as the
 * channel carries them) and a shared location go under the tip's card, and the tipster is told it
 * was delivered (or recorded, while no group shows the tip); the exchange stays open for more.
 * A closed tip takes nothing more and ends the exchange. A contact card is not passed on (it could
 * name the tipster); anything else that cannot be passed on is explained. Nothing is dropped silently.
 */
async function followUpTurn(args: ResidentTurnArgs, target: RelayTarget, hasDraft: boolean): Promise<ResidentResult> {
  const { input, services } = args;
  const keep = args.chat.flow;
  const more = (notice: TextBlock): ResidentResult => ({ replies: [{ key: notice.key, params: notice.params, more: [{ key: "tip:followup.more", params: { media: mediaHint(args.caps) } }], choices: [FOLLOW_UP_DONE, BACK_TO_MENU] }], flow: keep });
  if (input.type === "file_refused") {
    // Never passed on; its words are, as an answer typed.
    const notice = fileRefusedNotice(input);
    const words = input.caption?.trim();
    return words ? withNotice(notice, await followUpTurn({ ...args, input: { type: "text", text: words.slice(0, RESIDENT_LIMITS.textChars) } }, target, hasDraft)) : more(notice);
  }
  let item: FollowUp | undefined;
  if (input.type === "text" && input.text.trim()) item = { text: input.text };
  else if (input.type === "location") item = { text: `📍 ${input.latitude.toFixed(5)}, ${input.longitude.toFixed(5)}` };
  else if (input.type === "media" && input.kind !== "sticker") {
    const caps = args.caps.media;
    if (caps === "all" || (caps === "photo" && input.kind === "photo")) item = { media: { kind: input.kind, ref: input.ref, caption: input.caption } };
  }
  if (input.type === "contact") return more({ key: "tip:followup.contact" });
  if (!item) return more({ key: "tip:followup.unsupported", params: { media: mediaHint(args.caps) } });

  const op = target.as === "answer" ? relayFromTipster : addInformation;
  const result: FollowUpResult = await op(args.tx, services.officerRenderer, { tipId: target.tipId, item });
  if (result.kind === "closed") return { replies: [menuReply("tip:followup.closed", { hasDraft, prompt: false })], flow: null };
  if (result.kind === "full") return more({ key: "tip:followup.full", params: { max: result.max } });
  const what = "media" in item ? { $t: `tip:media.${item.media.kind}` } : { $t: target.as === "answer" ? "tip:followup.your_answer" : "tip:followup.your_information" };
  const notice = { key: result.refs.length ? "tip:followup.sent" : "tip:followup.recorded", params: { what, unit: result.unit } };
  return { ...more(notice), elsewhere: result.refs };
}

/** `result` with `notice` said first, in the same message as its first reply. */
function withNotice(notice: TextBlock, result: ResidentResult): ResidentResult {
  const [first, ...rest] = result.replies;
  if (!first) return { ...result, replies: [{ key: notice.key, params: notice.params }] };
  const { key, params, label, strong, more, ...others } = first;
  const lead: Reply = { ...others, key: notice.key, params: notice.params, more: [{ key, params, label, strong }, ...(more ?? [])] };
  return { ...result, replies: [lead, ...rest] };
}

/** "Add information" after a look-up: opens the exchange for the tip just looked up; an old button says it has expired. */
async function openAddInfo(args: ResidentTurnArgs, flow: ChatFlow | null, hasDraft: boolean): Promise<ResidentResult> {
  const tipId = flow?.name === "addinfo" ? addInfoTipId(args.services.sealer, flow) : undefined;
  const tip = tipId ? await args.tx.tip.findUnique({ where: { id: tipId }, include: { queue: true } }) : null;
  if (!tip) return { replies: [menuReply("fallback.expired", { hasDraft, prompt: false })], flow: null };
  if (tip.status === "closed") return { replies: [menuReply("tip:followup.closed", { hasDraft, prompt: false })], flow: null };
  return {
    replies: [{ key: "tip:followup.add_prompt", params: { unit: tip.queue.name, media: mediaHint(args.caps) }, choices: [FOLLOW_UP_DONE, BACK_TO_MENU] }],
    flow: addInfoFlow(args.services.sealer, tip.id, "open"),
  };
}

/**
 * A photo, video, voice note or file sent with no tip being written: kept as the start of a tip
 * (with any text kept just before it), and the person is asked the tip's first question (or, for
 * someone new, their language first: the draft waits for them).
 */
async function mediaStartsTip(args: ResidentTurnArgs, input: Extract<InboundInput, { type: "media" }>, flow: ChatFlow | null): Promise<ResidentResult> {
  const { services } = args;
  let kept: string | undefined;
  if (flow?.name === "free") {
    try {
      kept = services.sealer.open(flow.textSealed, KEPT_TEXT);
    } catch {
      kept = undefined;
    }
  }
  const added = attachMedia(args.caps, newDraft(kept?.trim() || undefined), input);
  if ("refused" in added) {
    if (args.locale === null) return { replies: [{ key: "greeting.new", choices: languageChoices() }] };
    return { replies: [{ ...menuReply(added.refused.key, { prompt: false, params: added.refused.params }) }], flow: args.chat.flow ? null : undefined };
  }
  await saveDraft(args.tx, args.chat.id, added.draft);
  const notice = { key: "tip:flow.media_kept", params: { what: { $t: `tip:media.${input.kind}` } } };
  if (args.locale === null) {
    // Language first; the main menu then offers to continue the tip that holds the file.
    return { replies: [{ key: notice.key, params: notice.params, more: [{ key: "greeting.new" }], choices: languageChoices() }] };
  }
  const prompt = await promptFor({ tx: args.tx, channel: args.channel, caps: args.caps, places: services.places, sealer: services.sealer }, added.draft);
  return { replies: [{ ...prompt, key: notice.key, params: notice.params, more: [{ key: prompt.key, params: prompt.params }, ...(prompt.more ?? [])] }], flow: args.chat.flow ? null : undefined };
}

/** What a first message is acted on without asking the language first. */
const ACTED_ON_FIRST: ReadonlySet<IntentReading["intent"]> = new Set(["report", "ask", "lookup", "emergency", "subscribe", "my_data", "delete_my_data"]);

/** Binds a resident's unplaced text, kept on the chat until they say what to do with it. */
const KEPT_TEXT = "chat-free-text";

/** The text kept while the person chooses between sending it as a tip or asking it as a question. */
interface KeptTextFlow {
  name: "free";
  textSealed: string;
}

/** The language a first message is written in: Khmer script, plain English, or Vietnamese. */
function writtenIn(text: string): Locale {
  if (/[\u1780-\u17ff]/.test(text)) return "km";
  const words = fold(text).split(/[^a-z']+/).filter(Boolean);
  const english = words.filter((w) => ENGLISH_WORDS.has(w)).length;
  return /[à-ỹđ]/i.test(text) || english === 0 || english / words.length < 0.25 ? "vi" : "en";
}
const ENGLISH_WORDS = new Set(
  "i my me the a an is are was were to of in on at and or for with what how where when why who can do does did should would will please help report want like there someone somebody this that it you your police scam scammed stolen check status".split(" "),
);

/**
 * Text typed outside any exchange, read for what the person wants: a report (the text kept as the
 * tip's first details), a legal question (answered), a look-up (with a pasted code and PIN), an
 * emergency, subscriptions, personal-data requests, language, help, a greeting. Anything else is
 * kept and the person is offered to send it as a tip or ask it as a question: never dropped.
 */
async function freeTextTurn(args: ResidentTurnArgs, text: string, reading: IntentReading): Promise<ResidentResult> {
  const { tx, chat, services } = args;
  const state = { locale: args.locale, firstContact: args.firstContact, hasDraft: false };
  switch (reading.intent) {
    case "report":
      return reading.bare ? startOrResume(args, null) : reportWithText(args, text);
    case "ask":
      if (!services.knowledge) break;
      return reading.bare ? openAsk() : askWithText(args, text);
    case "lookup":
      return lookupFromText(args, reading);
    case "emergency":
      return { replies: [emergencyReply(false)], flow: chat.flow ? null : undefined };
    case "subscribe":
      return openSubscription(tx, chat);
    case "stop":
      return stopByWord(tx, chat);
    case "my_data":
    case "delete_my_data":
      return (await dataRequestTurn(args, false, reading.intent === "my_data" ? "access" : "delete"))!;
    case "language":
      if (reading.locale && isLocale(reading.locale)) return { setLocale: reading.locale, replies: [menuReply("language.chosen")], flow: chat.flow ? null : undefined };
      return { replies: [{ key: "language.prompt", choices: languageChoices() }] };
    case "help":
      return converse(state, { type: "command", command: "help", args: "" }, services.keywords);
    case "greeting":
      return converse(state, { type: "start" }, services.keywords);
    default:
      break;
  }
  const choices = [{ id: "free:report", labelKey: "free.as_report" }];
  if (services.knowledge) choices.push({ id: "free:ask", labelKey: "free.as_question" });
  choices.push({ id: "menu:main", labelKey: "tip:flow.back" });
  const flow: KeptTextFlow = { name: "free", textSealed: services.sealer.seal(text, KEPT_TEXT) };
  return { replies: [{ key: "fallback.offer", choices }], flow: JSON.stringify(flow) };
}

/** "Send it as a report" / "Ask it as a question" under a kept text; an old button says it has expired. */
async function keptTextChoice(args: ResidentTurnArgs, choiceId: string, draft: TipDraftData | null): Promise<ResidentResult> {
  const flow = args.chat.flow ? (JSON.parse(args.chat.flow) as { name?: string; textSealed?: string }) : null;
  let text: string | undefined;
  try {
    if (flow?.name === "free" && flow.textSealed) text = args.services.sealer.open(flow.textSealed, KEPT_TEXT);
  } catch {
    text = undefined;
  }
  if (text === undefined) return { replies: [menuReply("fallback.expired", { hasDraft: draft !== null, prompt: false })] };
  if (choiceId === "free:ask" && args.services.knowledge) return askWithText(args, text);
  if (draft) return startOrResume(args, draft);
  return reportWithText(args, text);
}

/** A tip draft that starts with what the person wrote; the next question is the category. */
async function reportWithText(args: ResidentTurnArgs, text: string): Promise<ResidentResult> {
  const fresh = newDraft(text.trim());
  await saveDraft(args.tx, args.chat.id, fresh);
  const flowCtx = { tx: args.tx, channel: args.channel, caps: args.caps, places: args.services.places, sealer: args.services.sealer };
  const prompt = await promptFor(flowCtx, fresh);
  return { replies: [{ ...prompt, key: "free.kept_text", params: undefined, more: [{ key: prompt.key, params: prompt.params }, ...(prompt.more ?? [])] }], flow: null };
}

/** A legal question typed straight away: answered as if asked in the Q&A. */
async function askWithText(args: ResidentTurnArgs, text: string): Promise<ResidentResult> {
  const { tx, chat, services } = args;
  const asked = await askTurn(tx, { knowledge: services.knowledge!, sealer: services.sealer, officerRenderer: services.officerRenderer }, chat, args.locale ?? "vi", { name: "ask" }, { type: "text", text });
  return asked.reportText !== undefined ? reportFromQuestion(args, asked, null) : asked;
}

/** A look-up started by typing: with a pasted code and PIN it answers at once; with a code, it asks the PIN. */
async function lookupFromText(args: ResidentTurnArgs, reading: IntentReading): Promise<ResidentResult> {
  const cancel = { id: "flow:cancel", labelKey: "tip:flow.cancel" };
  if (!reading.code) {
    return { replies: [{ key: "tip:lookup.ask_code", choices: [cancel] }], flow: JSON.stringify({ name: "lookup", step: "code" } satisfies LookupFlow) };
  }
  const codeSealed = args.services.sealer.seal(reading.code, LOOKUP_CODE);
  const flow: LookupFlow = { name: "lookup", step: "pin", codeSealed };
  if (!reading.pin) return { replies: [{ key: "tip:lookup.ask_pin", choices: [cancel] }], flow: JSON.stringify(flow) };
  return lookupTurn({ ...args, input: { type: "text", text: reading.pin } }, flow, false);
}

/** "Report this to the police" after a legal question: a tip draft starts with the question as its first words. */
async function reportFromQuestion(args: ResidentTurnArgs, asked: AskResult, draft: TipDraftData | null): Promise<ResidentResult> {
  if (draft) return startOrResume(args, draft);
  const fresh = newDraft(asked.reportText);
  await saveDraft(args.tx, args.chat.id, fresh);
  const flowCtx = { tx: args.tx, channel: args.channel, caps: args.caps, places: args.services.places, sealer: args.services.sealer };
  return { replies: [await promptFor(flowCtx, fresh)], flow: null };
}

/** A campaign quiz answer: counted once per person, never linked to them. */
async function quizAnswer(args: ResidentTurnArgs, choiceId: string, hasDraft: boolean): Promise<ResidentResult> {
  const [, campaignId, question, option] = choiceId.split(":");
  const campaign = campaignId ? await args.tx.campaign.findUnique({ where: { id: campaignId } }) : null;
  if (campaign && (await takeRate(args.tx, personRateKey(args.services.sealer, `quiz:${campaign.id}:${question}`, args.chat.id), 1, 365 * 86_400_000))) {
    await args.tx.quizAnswer.create({ data: { campaignId: campaign.id, question: Number(question), option: Number(option) } });
  }
  return { replies: [menuReply("campaign:message.quiz_thanks", { hasDraft, prompt: false })] };
}

async function startOrResume(args: ResidentTurnArgs, draft: TipDraftData | null): Promise<ResidentResult> {
  const flowCtx = { tx: args.tx, channel: args.channel, caps: args.caps, places: args.services.places, sealer: args.services.sealer };
  if (draft) {
    const prompt = await promptFor(flowCtx, draft);
    return { replies: [{ ...prompt, key: "tip:flow.resume", params: undefined, more: [{ key: prompt.key, params: prompt.params }, ...(prompt.more ?? [])] }], flow: null };
  }
  const fresh = newDraft();
  await saveDraft(args.tx, args.chat.id, fresh);
  return { replies: [await promptFor(flowCtx, fresh)], flow: null };
}

async function draftTurn(args: ResidentTurnArgs, draft: TipDraftData): Promise<ResidentResult> {
  const { tx, chat, services } = args;
  const turn = await tipTurn({ tx, channel: args.channel, caps: args.caps, places: services.places, sealer: services.sealer }, draft, args.input);
  if (turn.draft === null) {
    await saveDraft(tx, chat.id, null);
    return { replies: [menuReply("tip:flow.cancelled", { prompt: false })] };
  }
  if (!turn.submit) return { replies: turn.replies, writes: [draftWrite(tx, chat.id, turn.draft)] };
  if (!(await takeRate(tx, personRateKey(services.sealer, "tips", chat.id), RESIDENT_LIMITS.tipsPerHour, 60 * 60_000))) {
    return { replies: [{ key: "tip:flow.limit_sends", params: { max: RESIDENT_LIMITS.tipsPerHour } }] };
  }
  try {
    const tip = await submitTip(tx, { chatId: chat.id, channel: args.channel, locale: args.locale ?? "vi", draft: turn.draft, sealer: services.sealer, officerRenderer: services.officerRenderer });
    const elsewhere = tip.cards;
    // The receipt says "sent" only when a group shows the card; otherwise the tip waits for a reader (and is reported as such).
    const head = { $t: elsewhere.length ? "tip:receipt.head_sent" : "tip:receipt.head_waiting", params: { unit: tip.queueName } };
    const receipt: Reply = { ...menuReply("tip:receipt.text", { prompt: false, params: { head, code: tip.code, pin: tip.pin } }), sensitive: true };
    return { replies: [receipt], elsewhere };
  } catch (err) {
    if (!(err instanceof IncompleteDraftError)) throw err;
    const restart = { ...turn.draft, step: "category" as const, trail: [] };
    await saveDraft(tx, chat.id, restart);
    return { replies: [await promptFor({ tx, channel: args.channel, caps: args.caps, places: services.places, sealer: services.sealer }, restart)] };
  }
}

async function lookupTurn(args: ResidentTurnArgs, flow: LookupFlow, hasDraft: boolean): Promise<ResidentResult> {
  const { tx, chat, input } = args;
  const cancel = { id: "flow:cancel", labelKey: "tip:flow.cancel" };
  const text = input.type === "text" ? input.text.trim() : "";
  if ((input.type === "choice" && input.choiceId === "flow:cancel") || isControlWord("cancel", text)) {
    return { replies: [menuReply("menu.prompt", { hasDraft, prompt: false })], flow: null };
  }
  if (flow.step === "code") {
    const pasted = pastedCode(text);
    if (pasted?.pin) return lookupTurn({ ...args, input: { type: "text", text: pasted.pin } }, { name: "lookup", step: "pin", codeSealed: args.services.sealer.seal(pasted.code, LOOKUP_CODE) }, hasDraft);
    const code = pasted?.code ?? normaliseTipCode(text);
    if (!code) return { replies: [{ key: "tip:lookup.bad_code", choices: [cancel] }] };
    const codeSealed = args.services.sealer.seal(code, LOOKUP_CODE);
    return { replies: [{ key: "tip:lookup.ask_pin", choices: [cancel] }], flow: JSON.stringify({ name: "lookup", step: "pin", codeSealed } satisfies LookupFlow) };
  }
  let code = flow.code ?? "";
  try {
    if (flow.codeSealed) code = args.services.sealer.open(flow.codeSealed, LOOKUP_CODE);
  } catch {
    // Sealed under a key no longer configured: the look-up fails like a wrong code.
  }
  const result = await lookupTip(tx, { code, pin: text, askingChatId: chat.id, sealer: args.services.sealer });
  if (result.kind === "locked") return { replies: [menuReply("tip:lookup.locked", { hasDraft, prompt: false, params: { minutes: result.minutes } })], flow: null };
  if (result.kind === "wrong") {
    return { replies: [{ key: "tip:lookup.not_found", more: [{ key: "tip:lookup.ask_code" }], choices: [cancel] }], flow: JSON.stringify({ name: "lookup", step: "code" } satisfies LookupFlow) };
  }
  const date = formatVnDate(result.receivedAt);
  const status = menuReply("tip:lookup.status", {
    hasDraft,
    prompt: false,
    params: { code: result.code, date, unit: result.unit, status: { $t: `tip:lookup.states.${result.status}` } },
  });
  if (result.status === "closed") return { replies: [status], flow: null };
  // An open tip can take more: "Add information" first, then the menu (the tip is kept only sealed on the chat).
  return {
    replies: [{ ...status, choices: [{ id: "addinfo:start", labelKey: "tip:lookup.add_info" }, ...(status.choices ?? [])] }],
    flow: addInfoFlow(args.services.sealer, result.tipId, "offer"),
  };
}
