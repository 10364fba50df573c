import { NaiveBayes } from "../naiveBayes.ts";
import { foldedWords } from "../text.ts";

/** A knowledge base entry as the search sees it. */
export interface SearchableEntry {
  id: string;
  questions: { vi: string[]; en?: string[]; km?: string[] };
  answers: { vi: string; en?: string; km?: string };
}

/** Abbreviations residents type, expanded before matching (folded forms). */
const ABBREVIATIONS: Record<string, string> = {
  ca: "cong an",
  csgt: "canh sat giao thong",
  cccd: "can cuoc cong dan can cuoc",
  cmnd: "chung minh nhan dan can cuoc",
  gplx: "giay phep lai xe bang lai",
  blhs: "bo luat hinh su",
  bltths: "bo luat to tung hinh su",
  pccc: "phong chay chua chay",
  tdd: "tin dung den",
  otp: "otp ma xac thuc",
  stk: "so tai khoan",
  ck: "chuyen khoan",
  sdt: "so dien thoai",
  vneid: "vneid dinh danh dien tu",
  fb: "facebook mang xa hoi",
  mxh: "mang xa hoi",
  oto: "o to",
  ko: "khong",
  k: "khong",
  dc: "duoc",
  j: "gi",
  vs: "voi",
  ng: "nguoi",
};

/**
 * Very common function words that carry no topic (folded). Kept short: folding merges syllables, and
 * "ma" (ma tuý), "ban" (bán), "co" (cờ bạc), "do" (độ) must stay.
 */
const STOPWORDS = new Set("la thi cua va voi cho toi minh nao gi sao nhu the duoc o tai khi neu hay nay kia roi a nhe vay ha u nhi nhung cac mot".split(" "));

/** Khmer letters (written without spaces between words). */
const KHMER_RUN = /[\u1780-\u17ff]+/g;
/** Khmer signs that do not carry a word on their own: the coeng, vowel signs and diacritics are kept inside the grams. */
const KHMER_GRAM = 3;

/**
 * Folded words of a text, abbreviations expanded, function words dropped. Khmer, which has no
 * spaces between words, is cut into overlapping three-letter grams ("k" + letters), so a Khmer
 * question matches Khmer phrasings that share its words.
 */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const raw of foldedWords(text)) {
    for (const w of (ABBREVIATIONS[raw] ?? raw).split(" ")) if (!STOPWORDS.has(w)) out.push(w);
  }
  for (const run of text.normalize("NFC").match(KHMER_RUN) ?? []) {
    if (run.length <= KHMER_GRAM) out.push(`k${run}`);
    else for (let i = 0; i + KHMER_GRAM <= run.length; i++) out.push(`k${run.slice(i, i + KHMER_GRAM)}`);
  }
  return out;
}

/** Every phrasing of an entry's question, in every language. */
function phrasings(e: SearchableEntry): string[] {
  return [...e.questions.vi, ...(e.questions.en ?? []), ...(e.questions.km ?? [])];
}

/** Edit distance ≤ 1 (typos in words of 4+ letters). */
function near(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length < 4 || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const restA = a.slice(i + (a.length >= b.length ? 1 : 0));
  const restB = b.slice(i + (b.length >= a.length ? 1 : 0));
  return restA === restB;
}

export interface SearchHit {
  id: string;
  score: number;
  /** Share of the question's (weighted) words this entry knows; see `coverage`. */
  coverage: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** The best hit is clear enough to answer with. */
  confident: boolean;
}

/** Features of a text for the ranking: its words, adjacent word pairs, and letter trigrams of longer words (typos, missing tone marks). */
function features(text: string): string[] {
  const w = words(text);
  const out = new Set<string>();
  w.forEach((x, i) => {
    out.add(`w:${x}`);
    if (i > 0) out.add(`b:${w[i - 1]}_${x}`);
    if (!x.startsWith("k") && x.length >= 4) {
      const padded = `#${x}#`;
      for (let j = 0; j + 3 <= padded.length; j++) out.add(`c:${padded.slice(j, j + 3)}`);
    }
  });
  return [...out];
}

/**
 * Finds knowledge base entries for a question: diacritics and tone-mark placement optional,
 * abbreviations expanded, typos tolerated (letter trigrams), word order free, Vietnamese, English
 * and Khmer. Ranking: multinomial naive Bayes, each entry a class learnt from its phrasings in every
 * language plus its answer text at a lower weight — measured on questions written apart from the
 * entries, it ranks the right entry first more often than the full-text index it replaced (see the
 * README). Whether to answer directly also needs the question's words to be known to the entry
 * (`coverage`), so a question about something the knowledge base never mentions is not answered.
 */
export class LegalSearch {
  /** Each entry's question words, for the coverage check. */
  private readonly vocabulary = new Map<string, Set<string>>();
  private readonly ranking = new NaiveBayes<string>({ smoothing: SMOOTHING, priors: false });

  constructor(entries: SearchableEntry[]) {
    for (const e of entries) {
      for (const q of phrasings(e)) this.ranking.add(e.id, features(q));
      this.ranking.add(e.id, features(`${e.answers.vi} ${e.answers.en ?? ""}`), ANSWER_WEIGHT);
    }
    for (const e of entries) this.vocabulary.set(e.id, new Set(phrasings(e).flatMap(words)));
    for (const v of this.vocabulary.values()) for (const w of v) this.documentFrequency.set(w, (this.documentFrequency.get(w) ?? 0) + 1);
  }

  private readonly documentFrequency = new Map<string, number>();

  /** How telling a word is: rare in the knowledge base (or unknown to it) weighs more than "cần", "giấy". */
  private weight(word: string): number {
    return Math.log(1 + this.vocabulary.size / (1 + (this.documentFrequency.get(word) ?? 0)));
  }

  /**
   * Share of the question's meaning found among an entry's phrasings: its words (typos allowed),
   * weighted by how telling each is. A question about something the knowledge base never mentions
   * scores low even when its common words match.
   */
  coverage(question: string, entryId: string): number {
    const vocabulary = this.vocabulary.get(entryId);
    const asked = [...new Set(words(question))];
    if (!vocabulary || asked.length === 0) return 0;
    const known = [...vocabulary];
    let total = 0;
    let found = 0;
    for (const w of asked) {
      const weight = this.weight(w);
      total += weight;
      if (vocabulary.has(w) || known.some((k) => near(w, k))) found += weight;
    }
    return found / total;
  }

  /** Entries ranked for `question`, best first (at most `limit`); `score` is the entry's probability. */
  search(question: string, limit = 5): SearchResult {
    const asked = features(question).filter((f) => this.ranking.knows(f));
    if (asked.length === 0 || this.vocabulary.size === 0) return { hits: [], confident: false };
    const hits = this.ranking
      .rank(asked)
      .slice(0, limit)
      .map((r) => ({ id: r.label, score: r.p, coverage: 0 }));
    for (const h of hits) h.coverage = this.coverage(question, h.id);
    const [first] = hits;
    const confident = !!first && words(question).length > 0 && first.score >= CONFIDENT_PROBABILITY && first.coverage >= MIN_COVERAGE;
    return { hits, confident };
  }
}

/** Additive smoothing of the ranking (chosen on the tuning half of test/qa-heldout/). */
const SMOOTHING = 0.01;
/** Weight of an entry's answer text next to its phrasings (chosen on the tuning half). */
const ANSWER_WEIGHT = 0.3;
/** Probability under which the best entry is not answered directly (chosen on the tuning half of test/qa-heldout/). */
export const CONFIDENT_PROBABILITY = 0.9;
/** Weighted share of the question's words the best entry must know to be answered directly (tuned on test/qa-eval/ and out-of-domain questions). */
export const MIN_COVERAGE = 0.55;
/** Below the direct-answer bar, entries at least this close are offered as suggestions. */
export const SUGGEST_COVERAGE = 0.3;
