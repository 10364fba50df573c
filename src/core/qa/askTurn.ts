import type { Tx } from "../../db/client.ts";
import type { AlongsideWrite, OutboxRef, ReplyRenderer } from "../../outbox/outbound.ts";
import { hotSqlOf, sqliteDate } from "../../db/hot.ts";
import type { Sealer } from "../../security/sealing.ts";
import type { ChatRecord } from "../chats/findOrCreateChat.ts";
import type { InboundInput } from "../inbound.ts";
import type { Choice, Reply, TextBlock } from "../reply.ts";
import { menuReply } from "../resident/converse.ts";
import { fold } from "../text.ts";
import { describesCrime } from "../resident/intents.ts";
import type { KnowledgeBase, Entry } from "./knowledge.ts";
import { handOffQuestion } from "./commands/handOffQuestion.ts";
import { SUGGEST_COVERAGE, type SearchResult } from "./legalSearch.ts";

/** The legal Q&A exchange kept on the chat: the last question and the entry given for it. */
export interface AskFlow {
  name: "ask";
  question?: string;
  last?: string;
}

export interface AskResult {
  replies: Reply[];
  flow: string | null;
  elsewhere?: OutboxRef[];
  /** Start a tip draft carrying this text (the resident chose to report what they described). */
  reportText?: string;
  /** Writes the caller makes with the replies (the answer's feedback). */
  writes?: AlongsideWrite[];
}

const FEEDBACK_INSERT = `INSERT INTO "QaFeedback" ("entryId", "helpful", "at") VALUES (?, ?, ?)`;

/** The resident's "helpful or not" on an answer, as a write made with the replies (enqueueCalls `alongside`). */
function feedbackWrite(tx: Tx, entryId: string, helpful: boolean): AlongsideWrite {
  const at = new Date();
  const params = [entryId, helpful ? 1 : 0, sqliteDate(at)];
  return {
    sql: FEEDBACK_INSERT,
    params,
    run: async () => {
      const hot = hotSqlOf(tx);
      if (hot) await hot.run(FEEDBACK_INSERT, ...params);
      else await tx.qaFeedback.create({ data: { entryId, helpful, at } });
    },
  };
}

export const MAX_QUESTION_CHARS = 1000;

const flowOf = (f: AskFlow) => JSON.stringify(f);
/** The text in the person's language when the entry has it, else Vietnamese. */
const pick = (l: { vi: string; en?: string; km?: string }, locale: string) => (locale === "en" && l.en ? l.en : locale === "km" && l.km ? l.km : l.vi);

/** The answer to show for an entry: text, source, recent change, the "not legal advice" notice, and what next. */
export function answerReply(entry: Entry, locale: string, opts: { alternatives: Entry[]; offerReport: boolean }): Reply {
  const source = [entry.source.article, entry.source.law].filter(Boolean).join(", ") + (entry.source.effectiveDate ? ` (${entry.source.effectiveDate})` : "");
  const more: TextBlock[] = [{ key: "qa:ask.source", params: { source } }];
  if (entry.changed) more.push({ key: "qa:ask.changed", params: { changed: pick(entry.changed, locale) } });
  more.push({ key: "qa:ask.disclaimer" });
  if (opts.offerReport) more.push({ key: "qa:ask.report_offer" });
  more.push({ key: "qa:ask.helpful_q" });
  const choices: Choice[] = [
    { id: "qa:yes", labelKey: "qa:ask.helpful_yes" },
    { id: "qa:no", labelKey: "qa:ask.helpful_no" },
  ];
  if (opts.offerReport) choices.unshift({ id: "qa:report", labelKey: "qa:ask.report" });
  for (const alt of opts.alternatives) {
    const question = pick({ vi: alt.questions.vi[0] ?? alt.id, en: alt.questions.en?.[0], km: alt.questions.km?.[0] }, locale);
    choices.push({ id: `qa:show:${alt.id}`, labelKey: "qa:ask.also", labelParams: { question } });
  }
  choices.push({ id: "qa:human", labelKey: "qa:ask.human" }, { id: "menu:main", labelKey: "tip:flow.back" });
  return { key: "qa:ask.answer", params: { answer: pick(entry.answers, locale) }, more, choices };
}

export interface AskDeps {
  knowledge: KnowledgeBase;
  sealer: Sealer;
  officerRenderer?: ReplyRenderer;
}

/** Opens the legal Q&A: asks for the question. */
export function openAsk(): AskResult {
  return { replies: [{ key: "qa:ask.prompt", choices: [{ id: "menu:main", labelKey: "tip:flow.back" }] }], flow: flowOf({ name: "ask" }) };
}

/** What the bot does with a question: the search's result and, from it, a direct answer or the entries offered to pick from. */
export interface AnswerChoice {
  /** The search's three best entries with their scores (see `LegalSearch.search`). */
  result: SearchResult;
  /** The entry answered directly (the match is confident), else undefined. */
  best?: Entry;
  /** Shown next to a direct answer: the close runners-up. */
  alternatives: Entry[];
  /** Offered to pick from when there is no direct answer (next to "send to a legal officer"). */
  suggestions: Entry[];
}

/**
 * The bot's decision for one question: answered directly from the best entry when the search is
 * confident (with up to two runners-up within 60 % of its score), otherwise the entries close
 * enough to suggest. The conversation (`askTurn`) and the console's test box both use it.
 */
export function chooseAnswer(kb: KnowledgeBase, text: string): AnswerChoice {
  const result = kb.search(text, 3);
  const entries = (ids: string[]) => ids.map((id) => kb.get(id)).filter((e): e is Entry => !!e);
  const best = result.confident && result.hits[0] ? kb.get(result.hits[0].id) : undefined;
  if (!best) return { result, alternatives: [], suggestions: entries(result.hits.filter((h) => h.coverage >= SUGGEST_COVERAGE).map((h) => h.id)) };
  const alternatives = entries(
    result.hits
      .slice(1, 3)
      .filter((h) => h.score >= result.hits[0]!.score * 0.6)
      .map((h) => h.id),
  );
  return { result, best, alternatives, suggestions: [] };
}

/**
 * One input in the legal Q&A: a question is answered from the knowledge base when the match is
 * confident (with its source, close alternatives, and — when it describes a crime — the offer to
 * report it); otherwise the resident may hand it to the legal staff. Feedback is counted.
 */
export async function askTurn(tx: Tx, deps: AskDeps, chat: ChatRecord, locale: string, flow: AskFlow, input: InboundInput): Promise<AskResult> {
  const choice = input.type === "choice" ? input.choiceId : undefined;
  if (choice === "qa:yes" || choice === "qa:no") {
    return {
      ...(flow.last ? { writes: [feedbackWrite(tx, flow.last, choice === "qa:yes")] } : {}),
      replies: [{ key: choice === "qa:yes" ? "qa:ask.thanks" : "qa:ask.sorry", choices: choice === "qa:no" ? [{ id: "qa:human", labelKey: "qa:ask.human" }, { id: "menu:main", labelKey: "tip:flow.back" }] : [{ id: "menu:main", labelKey: "tip:flow.back" }] }], flow: flowOf(flow) };
  }
  if (choice?.startsWith("qa:show:")) {
    const entry = (await deps.knowledge.fresh(tx)).get(choice.slice(8));
    if (!entry) return { replies: [{ key: "qa:ask.prompt" }], flow: flowOf(flow) };
    return { replies: [answerReply(entry, locale, { alternatives: [], offerReport: entry.reportable || describesCrime(flow.question ?? "") })], flow: flowOf({ ...flow, last: entry.id }) };
  }
  if (choice === "qa:human") {
    if (!flow.question) return openAsk();
    const elsewhere = await handOffQuestion(tx, deps, { chatId: chat.id, text: flow.question, locale });
    if (!elsewhere) return openAsk();
    return { replies: [menuReply(elsewhere.length ? "qa:ask.handed_off" : "qa:ask.handed_off_waiting", { prompt: false })], flow: null, elsewhere };
  }
  if (choice === "qa:report") return { replies: [], flow: null, reportText: flow.question };

  const text = input.type === "text" ? input.text.trim() : "";
  if (!text) return { replies: [{ key: "qa:ask.prompt", choices: [{ id: "menu:main", labelKey: "tip:flow.back" }] }], flow: flowOf(flow) };
  if (text.length > MAX_QUESTION_CHARS) return { replies: [{ key: "qa:ask.too_long", params: { max: MAX_QUESTION_CHARS } }], flow: flowOf(flow) };
  const { best, alternatives, suggestions } = chooseAnswer(await deps.knowledge.fresh(tx), text);
  if (!best) {
    // Not sure: close entries are offered to pick from, next to handing the question to a person.
    const offered: Choice[] = suggestions.map((e) => ({ id: `qa:show:${e.id}`, labelKey: "qa:ask.also", labelParams: { question: pick({ vi: e.questions.vi[0] ?? e.id, en: e.questions.en?.[0], km: e.questions.km?.[0] }, locale) } }));
    return {
      replies: [
        {
          key: "qa:ask.not_found",
          choices: [
            ...offered,
            { id: "qa:human", labelKey: "qa:ask.send_human" },
            ...(describesCrime(text) ? [{ id: "qa:report", labelKey: "qa:ask.report" }] : []),
            { id: "menu:main", labelKey: "tip:flow.back" },
          ],
        },
      ],
      flow: flowOf({ name: "ask", question: text }),
    };
  }
  return {
    replies: [answerReply(best, locale, { alternatives, offerReport: describesCrime(text) || (best.reportable && /(toi|nha|hang xom|nguoi|dang|vua|bi)/.test(fold(text))) })],
    flow: flowOf({ name: "ask", question: text, last: best.id }),
  };
}
