import fs from "node:fs";
import { LOCALES, localeResources, type Translate } from "../../i18n.ts";
import { fromRoot } from "../../paths.ts";
import { NaiveBayes } from "../naiveBayes.ts";
import { CODE_ALPHABET } from "../tips/codes.ts";
import { fold } from "../text.ts";

/** What a resident wants, read from text typed at the main menu. */
export type Intent =
  | "report"
  | "ask"
  | "lookup"
  | "emergency"
  | "subscribe"
  | "stop"
  | "my_data"
  | "delete_my_data"
  | "language"
  | "help"
  | "greeting"
  | "chitchat"
  | "insult"
  | "spam"
  | "unknown";

/** The reading of one message: the intent and what was found in it. */
export interface IntentReading {
  intent: Intent;
  /** A tip code pasted in the message (TM-XXXXXX), for a look-up. */
  code?: string;
  /** A 6-digit PIN pasted next to the code. */
  pin?: string;
  /** The message only names the action ("báo tin", "hỏi đáp"): nothing to keep as content. */
  bare?: boolean;
  /** A language named in the message ("English please"). */
  locale?: string;
}

/** The training corpus (written apart from the evaluation set in test/intents-eval/). */
export const INTENT_TRAINING_FILE = fromRoot("data", "intents", "training.json");

/** The labelled messages the classifier learns from. */
export function intentTrainingSet(file = INTENT_TRAINING_FILE): Array<{ text: string; intent: Intent }> {
  return (JSON.parse(fs.readFileSync(file, "utf8")) as Array<{ text: string; intent: Intent }>).map((m) => ({ text: m.text, intent: m.intent }));
}

/** A reader trained on the shipped corpus (about 25 ms). */
export function loadIntentReader(t: Translate): IntentReader {
  const reader = new IntentReader(t);
  reader.train(intentTrainingSet());
  return reader;
}

/** Lists whose phrases, typed alone, name an action. */
const COMMAND_LISTS = ["report", "ask", "lookup", "emergency", "stop", "subscribe", "my_data", "delete_my_data", "language", "help", "greeting"] as const;
/** Menu labels (any language) that name an action when typed without their emoji. */
const MENU_LABELS: ReadonlyArray<[Intent, string]> = [
  ["report", "tip:menu.report"],
  ["lookup", "tip:menu.lookup"],
  ["ask", "qa:menu.ask"],
  ["subscribe", "campaign:menu.subscribe"],
  ["emergency", "menu.emergency"],
  ["help", "menu.help"],
  ["language", "menu.language"],
];
/** Polite words around a command ("tôi muốn …", "… ạ", "i want to …", "please"), folded. */
const COMMAND_PREFIX = /^(?:(?:toi|minh|em|tui|chau|con|anh|chi|cho toi|cho minh|cho em|xin|vui long|lam on|i|i d|i'd|i would|i want to|i'd like to|i would like to|please|can i|could i|let me|muon|can|dang|duoc|would like to|want to|like to|xin phep|ad oi|admin oi|bot oi)\s+)/;
const COMMAND_SUFFIX = /(?:\s+(?:a|nhe|nha|nhi|voi|di|giup|giup toi|giup em|giup minh|please|pls|now|ngay|luon|cai|nao|nhe ad|a ad))$/;

/** Phrase lists read from `locales/<lang>/intents.json`. */
const LISTS = [
  "report",
  "victim",
  "narrative",
  "crime",
  "ask",
  "question",
  "question_end",
  "emergency",
  "stop",
  "subscribe",
  "my_data",
  "delete_my_data",
  "language",
  "help",
  "greeting",
  "chitchat",
  "insult",
  "spam",
  "lookup",
] as const;
type List = (typeof LISTS)[number];

const KHMER = /[\u1780-\u17ff]/;
const URL = /\b(?:https?:\/\/|www\.|t\.me\/|bit\.ly\/)\S+|\b[a-z0-9-]+\.(?:xyz|biz|top|vip|club|online|site)\b/i;
const CODE_CHARS = `[${CODE_ALPHABET}]`;
const CODE = new RegExp(`\\bTM[\\s\\-–_./#:]*(${CODE_CHARS}{6})(?![A-Z0-9])`, "i");
const PIN = /(?<![\dA-Z])(\d{3})\s?(\d{3})(?!\d)/i;
/** Below this probability nothing is certain enough: the text is kept and the person is offered what the bot can do. */
const MIN_PROBABILITY = 0.5;

let incidentLists: { latin: string[]; khmer: string[] } | undefined;

/**
 * Whether a text describes a crime or its victim (any language, diacritics optional): a phrase of
 * the `crime` or `victim` lists of `locales/<lang>/intents.json`. Used to offer "report this to
 * the police?" under a legal answer.
 */
export function describesCrime(text: string): boolean {
  if (!incidentLists) {
    const latin = new Set<string>();
    const khmer = new Set<string>();
    for (const lang of Object.values(localeResources())) {
      const lists = (lang as { intents?: Record<string, string> }).intents ?? {};
      for (const list of ["crime", "victim"]) {
        for (const raw of (lists[list] ?? "").split("|")) {
          if (KHMER.test(raw)) khmer.add(raw.trim());
          else if (normalise(raw).trim()) latin.add(normalise(raw).trim());
        }
      }
    }
    incidentLists = { latin: [...latin], khmer: [...khmer] };
  }
  const raw = text.normalize("NFC");
  const norm = normalise(raw);
  return incidentLists.latin.some((p) => norm.includes(` ${p} `)) || incidentLists.khmer.some((p) => raw.includes(p));
}

/** A tip code pasted in a message ("TM-W3Y2FK 951744", "tm w3y2fk/951744", "mã TM-W3Y2FK pin 951744"), with the PIN next to it if any. */
export function pastedCode(text: string): { code: string; pin?: string } | undefined {
  const raw = text.normalize("NFC");
  const code = CODE.exec(raw.toUpperCase());
  if (!code) return undefined;
  const pin = PIN.exec(raw.slice(code.index + code[0].length)) ?? PIN.exec(raw.slice(0, code.index));
  return { code: `TM-${code[1]!.toUpperCase()}`, pin: pin ? pin[1]! + pin[2]! : undefined };
}

/** Text as matched: folded, punctuation turned into spaces (Khmer kept as it is). */
function normalise(text: string): string {
  return ` ${fold(text)
    .replace(/[^\p{L}\p{N}\p{M}'/?!%+]+/gu, " ")
    .replace(/([?!])/g, " $1 ")
    .replace(/\s+/g, " ")
    .trim()} `;
}

/** One phrase as matched: Latin phrases on word boundaries, Khmer (no spaces between words) anywhere. */
interface Phrase {
  text: string;
  khmer: boolean;
  /** Number of words: longer phrases say more. */
  words: number;
}

/**
 * Reads free text typed at the main menu: reporting, a legal question, a look-up (with a pasted
 * code and PIN), an emergency, the subscription and personal-data requests, language, help,
 * greetings, small talk, insults and spam. Phrases come from every language's
 * `locales/<lang>/intents.json`, so a Vietnamese-speaking resident who types English (or no
 * diacritics) is understood the same. Anything it cannot place is `unknown` (the caller keeps the
 * text and offers to send it as a tip or a question).
 */
export class IntentReader {
  private readonly lists = new Map<List, Phrase[]>();

  constructor(t: Translate) {
    for (const list of LISTS) {
      const phrases = new Map<string, Phrase>();
      for (const locale of LOCALES) {
        const value = t(locale, `intents:${list}`);
        if (value === `${list}` || value.startsWith("intents:")) continue;
        for (const raw of value.split("|")) {
          const khmer = KHMER.test(raw);
          const text = khmer ? raw.trim() : normalise(raw).trim();
          if (text && !phrases.has(text)) phrases.set(text, { text, khmer, words: text.split(" ").length });
        }
      }
      this.lists.set(list, [...phrases.values()]);
    }
    this.buildCommands(t);
  }

  /** The phrases of `list` found in the normalised text. */
  private found(list: List, norm: string, raw: string): Phrase[] {
    return this.lists.get(list)!.filter((p) => (p.khmer ? raw.includes(p.text) : norm.includes(` ${p.text} `)));
  }

  /**
   * Features of a message for the classifier: folded words and word pairs, letter trigrams (typos
   * and missing tone marks), Khmer letter pairs and triples (Khmer has no spaces between words),
   * which phrase lists it touches, and its shape (question mark, link, length, shouting).
   */
  features(text: string): Record<string, number> {
    const raw = text.normalize("NFC").trim();
    const norm = normalise(raw);
    const words = norm.trim() ? norm.trim().split(" ") : [];
    const f: Record<string, number> = {};
    words.forEach((w, i) => {
      f[`w:${w}`] = 1;
      if (i > 0) f[`b:${words[i - 1]}_${w}`] = 1;
      if (!KHMER.test(w) && w.length >= 3) {
        const padded = `#${w}#`;
        for (let j = 0; j + 3 <= padded.length; j++) f[`c:${padded.slice(j, j + 3)}`] = 1;
      }
    });
    for (const run of raw.match(/[\u1780-\u17ff]+/g) ?? []) {
      for (let j = 0; j + 2 <= run.length; j++) f[`k:${run.slice(j, j + 2)}`] = 1;
      for (let j = 0; j + 3 <= run.length; j++) f[`k:${run.slice(j, j + 3)}`] = 1;
    }
    for (const list of LISTS) if (this.found(list, norm, raw).length) f[`L:${list}`] = 1;
    if (/[?？]\s*$/.test(raw)) f["shape:question_mark"] = 1;
    if (this.endsAsQuestion(norm, raw)) f["shape:question_end"] = 1;
    if (URL.test(raw)) f["shape:link"] = 1;
    if (this.shouting(raw)) f["shape:shouting"] = 1;
    f[words.length <= 2 ? "shape:short" : words.length >= 12 ? "shape:long" : "shape:medium"] = 1;
    return f;
  }

  /**
   * Trains the classifier: multinomial naive Bayes over `features()`, with additive smoothing
   * (α = 0.05, chosen on the tuning half of the evaluation set). Measured against @nlpjs/neural on
   * the same features and data: more accurate on messages it was not trained on, and trained in
   * milliseconds instead of minutes (see bench/intents.ts and the README).
   */
  train(examples: ReadonlyArray<{ text: string; intent: Intent }>, alpha = 0.05): void {
    const model = new NaiveBayes<Intent>({ smoothing: alpha, priors: true });
    for (const e of examples) model.add(e.intent, Object.keys(this.features(e.text)));
    this.model = model.seal();
  }

  private model: NaiveBayes<Intent> | undefined;

  /** Each intent's probability for a message (features the corpus never saw are ignored). */
  private classify(text: string): Array<{ intent: Intent; p: number }> {
    return this.model!.rank(Object.keys(this.features(text))).map((r) => ({ intent: r.label, p: r.p }));
  }

  /** Reads one message: rules for what is certain (a pasted code, noise), the classifier for the rest. */
  read(text: string): IntentReading {
    const raw = text.normalize("NFC").trim();
    const norm = normalise(raw);
    const letters = raw.replace(/[^\p{L}]/gu, "");

    const pasted = pastedCode(raw);
    if (pasted) return { intent: "lookup", ...pasted };
    if (letters.length === 0) return { intent: /^[\s?？]+$/.test(raw) ? "help" : "spam" };
    if (/(.)\1{5,}/u.test(letters) && new Set(letters.toLowerCase()).size <= 4) return { intent: "spam" };
    const command = this.command(norm);
    if (command) return command;
    if (!this.model) throw new Error("IntentReader: not trained (use loadIntentReader)");

    const [first] = this.classify(raw);
    if (!first || first.p < MIN_PROBABILITY) return { intent: "unknown" };
    const best = first.intent;
    const reading: IntentReading = { intent: best };
    if (best === "language") reading.locale = this.namedLocale(norm, raw);
    if (best === "report" || best === "ask") {
      const words = norm.trim().split(" ").length;
      const content = ["crime", "victim", "narrative", "question"].some((l) => this.found(l as List, norm, raw).length > 0);
      reading.bare = words <= 5 && !content;
    }
    return reading;
  }

  /**
   * A message that is only an action's name, a menu label without its emoji, or a synonym ("báo
   * tin", "tôi muốn tố giác", "Tra cứu tin báo", "check my report", "khẩn cấp"), polite words around
   * it allowed: that action, decided without the classifier. Ambiguous names decide nothing.
   */
  private command(norm: string): IntentReading | undefined {
    let core = norm.trim();
    for (;;) {
      const before = core;
      core = core.replace(COMMAND_PREFIX, "").replace(COMMAND_SUFFIX, "").trim();
      if (core === before) break;
    }
    if (!core) return undefined;
    const hits = new Set<Intent>();
    for (const [intent, names] of this.commands) if (names.has(core)) hits.add(intent);
    if (hits.size !== 1) return undefined;
    const [intent] = hits as Set<Intent>;
    return intent === "report" || intent === "ask" ? { intent, bare: true } : { intent: intent! };
  }

  /** Whole-message names of each action: its phrase list and its menu label, in every language. */
  private readonly commands = new Map<Intent, Set<string>>();

  private buildCommands(t: Translate): void {
    const add = (intent: Intent, text: string) => {
      const key = normalise(text).trim();
      if (!key) return;
      if (!this.commands.has(intent)) this.commands.set(intent, new Set());
      this.commands.get(intent)!.add(key);
    };
    for (const intent of COMMAND_LISTS) for (const p of this.lists.get(intent)!) add(intent, p.text);
    for (const locale of LOCALES) {
      for (const [intent, key] of MENU_LABELS) add(intent, t(locale, key).replace(/[^\p{L}\p{N}\p{M}\s'/]+/gu, " "));
    }
  }

  /** Extra question weight when the message ends like a Vietnamese yes/no question ("… không", "… ko ạ"). */
  private endsAsQuestion(norm: string, raw: string): number {
    const tail = norm.trim().split(" ").slice(-2).join(" ");
    return this.lists.get("question_end")!.some((p) => (p.khmer ? raw.trimEnd().endsWith(p.text) : tail === p.text || tail.endsWith(` ${p.text}`))) ? 1 : 0;
  }

  private shouting(raw: string): boolean {
    const letters = raw.replace(/[^\p{L}]/gu, "");
    return letters.length >= 12 && letters === letters.toUpperCase() && letters !== letters.toLowerCase();
  }

  private namedLocale(norm: string, raw: string): string | undefined {
    if (/ (english|tieng anh|anh ngu) /.test(norm) || raw.includes("អង់គ្លេស")) return "en";
    if (/ (khmer|khome|kho me|tieng khmer) /.test(norm) || raw.includes("ខ្មែរ")) return "km";
    if (/ (vietnamese|tieng viet) /.test(norm) || raw.includes("វៀតណាម")) return "vi";
    return undefined;
  }
}
