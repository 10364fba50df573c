import { NaiveBayes } from "../naiveBayes.ts";
import { fold, foldedWords } from "../text.ts";

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
  ngta: "nguoi ta",
  vk: "vo",
  ck: "chong chuyen khoan",
  cty: "cong ty",
  dt: "dien thoai",
  dtdd: "dien thoai",
  bn: "bao nhieu",
  bnhieu: "bao nhieu",
  nhiu: "nhieu",
  tk: "tai khoan",
  ae: "anh em",
  r: "roi",
  hk: "khong",
  kh: "khong",
  ny: "nguoi yeu",
  xkld: "xuat khau lao dong",
  hs: "hoc sinh",
  nv: "nhan vien",
  tr: "trieu",
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

/** Syllables written with their diacritics (lower case, NFC) when the text has any: "bán" and "bạn" differ here, not after folding. */
function toned(text: string): string[] {
  const lower = text.normalize("NFC").toLowerCase();
  if (fold(lower) === lower) return [];
  return lower.split(/[^\p{L}\p{M}]+/u).filter((x) => x && fold(x) !== x);
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
export function features(text: string): string[] {
  const w = words(text);
  const out = new Set<string>();
  for (const t of toned(text)) out.add(`t:${t}`);
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
 * Nearest phrasings: every phrasing a TF-IDF vector of its features (words weigh more than letter
 * trigrams, word pairs most), compared by cosine through an inverted index; an entry scores its
 * best phrasing plus half its second best. A second opinion next to the naive Bayes ranking.
 * Features are the naive Bayes model's numbers (`NaiveBayes.id`); the inverted index is three flat
 * typed arrays (feature → phrasings and weights), a few megabytes for ~5,500 phrasings.
 */
class NearestPhrasings {
  /** Each phrasing's entry. */
  private readonly owners: string[] = [];
  /** Per feature number: its inverse document frequency times its kind's weight (0: in no phrasing). */
  private readonly idf: Float64Array;
  /** Feature f's postings are the phrasings `docs[offsets[f]] … docs[offsets[f + 1] - 1]`. */
  private readonly offsets: Uint32Array;
  private readonly docs: Uint16Array | Uint32Array;
  /**
   * Each phrasing's vector length: a posting's weight is the feature's `idf` over it (computed
   * when searched, the same number as stored, not kept: a double per posting).
   */
  private readonly norms: Float64Array;
  /** Each phrasing's entry by number (see `entryIds`). */
  private readonly entryOf: Uint32Array;
  private readonly entryIds: string[] = [];
  // Scratch space of `rank`, kept between calls (a search allocates what it returns, little else).
  private readonly sims: Float64Array;
  private readonly touchedDocs: Uint32Array;
  private readonly best: Float64Array;
  private readonly second: Float64Array;
  private readonly touchedEntries: Uint32Array;
  /** Per entry: its place among the entries reached by the search under way. */
  private readonly reached: Uint32Array;

  /** `docs`: each phrasing's entry and its features' numbers (below `features`); `kinds`: each feature's weight by kind. */
  constructor(docs: Array<{ id: string; features: number[] }>, features: number, kinds: Float64Array) {
    const df = new Uint32Array(features);
    for (const d of docs) for (const f of new Set(d.features)) df[f]!++;
    for (const d of docs) this.owners.push(d.id);
    const n = this.owners.length || 1;
    this.idf = new Float64Array(features);
    for (let f = 0; f < features; f++) if (df[f]! > 0) this.idf[f] = Math.log(1 + n / df[f]!) * kinds[f]!;
    const vectors = docs.map((d) => this.vector(d.features));
    this.norms = Float64Array.from(vectors, (v) => v.norm);
    this.offsets = new Uint32Array(features + 1);
    for (const v of vectors) for (const f of v.weights.keys()) this.offsets[f + 1]!++;
    for (let f = 0; f < features; f++) this.offsets[f + 1]! += this.offsets[f]!;
    const size = this.offsets[features]!;
    this.docs = docs.length <= 0x10000 ? new Uint16Array(size) : new Uint32Array(size);
    const next = this.offsets.slice(0, features);
    vectors.forEach((v, i) => {
      for (const f of v.weights.keys()) this.docs[next[f]!++] = i;
    });
    this.sims = new Float64Array(docs.length);
    this.touchedDocs = new Uint32Array(docs.length);
    const numbers = new Map<string, number>();
    this.entryOf = Uint32Array.from(this.owners, (id) => {
      let n = numbers.get(id);
      if (n === undefined) numbers.set(id, (n = this.entryIds.push(id) - 1));
      return n;
    });
    this.best = new Float64Array(this.entryIds.length);
    this.second = new Float64Array(this.entryIds.length);
    this.touchedEntries = new Uint32Array(this.entryIds.length);
    this.reached = new Uint32Array(this.entryIds.length);
  }

  /** A text's unit vector (feature → weight) and the length it was divided by. */
  private vector(fs: number[]): { weights: Map<number, number>; norm: number } {
    const v = new Map<number, number>();
    for (const f of fs) {
      const idf = this.idf[f];
      if (!idf) continue;
      v.set(f, idf);
    }
    let norm = 0;
    for (const x of v.values()) norm += x * x;
    norm = Math.sqrt(norm) || 1;
    for (const [k, x] of v) v.set(k, x / norm);
    return { weights: v, norm };
  }

  /**
   * Entries by similarity to the question's features (numbers), best first (ties in the order the
   * entries were first reached), at most `limit`.
   */
  rank(fs: number[], limit = Infinity): Array<{ id: string; s: number }> {
    const { sims, touchedDocs, best, second, touchedEntries, entryOf } = this;
    let docs = 0;
    for (const [f, w] of this.vector(fs).weights) {
      const idf = this.idf[f]!;
      for (let i = this.offsets[f]!, end = this.offsets[f + 1]!; i < end; i++) {
        const doc = this.docs[i]!;
        if (sims[doc] === 0) touchedDocs[docs++] = doc;
        sims[doc]! += w * (idf / this.norms[doc]!);
      }
    }
    // Each entry's best and second best phrasing; entries listed as first reached.
    let entries = 0;
    for (let k = 0; k < docs; k++) {
      const doc = touchedDocs[k]!;
      const sim = sims[doc]!;
      sims[doc] = 0;
      const e = entryOf[doc]!;
      if (best[e] === 0) {
        touchedEntries[entries++] = e;
        best[e] = sim;
      } else if (sim > best[e]!) {
        second[e] = best[e]!;
        best[e] = sim;
      } else if (sim > second[e]!) second[e] = sim;
    }
    const order = touchedEntries.slice(0, entries);
    const score = (e: number) => best[e]! + 0.5 * second[e]!;
    const reached = this.reached;
    for (let i = 0; i < entries; i++) reached[order[i]!] = i;
    order.sort((a, b) => score(b) - score(a) || reached[a]! - reached[b]!);
    const out: Array<{ id: string; s: number }> = [];
    for (let i = 0; i < entries && i < limit; i++) out.push({ id: this.entryIds[order[i]!]!, s: score(order[i]!) });
    for (let i = 0; i < entries; i++) best[order[i]!] = second[order[i]!] = 0;
    return out;
  }
}

/** A feature's weight in the nearest phrasings by its kind: letter trigrams less than words, word pairs more. */
const kindWeight = (f: string) => (f.startsWith("c:") ? 0.5 : f.startsWith("b:") ? 1.5 : 1);

/**
 * Each entry's question words (for the coverage check), as sorted numbers into one list of the
 * words: a few hundred kilobytes instead of a Set of strings per entry.
 */
class EntryWords {
  private readonly list: string[] = [];
  private readonly numbers = new Map<string, number>();
  private readonly byEntry = new Map<string, Uint32Array>();
  /** Per word number: how many entries know it. */
  private readonly df: Uint32Array;

  constructor(vocabulary: Map<string, Set<string>>) {
    for (const [id, ws] of vocabulary) {
      const own: number[] = [];
      for (const w of ws) {
        let n = this.numbers.get(w);
        if (n === undefined) this.numbers.set(w, (n = this.list.push(w) - 1));
        own.push(n);
      }
      this.byEntry.set(id, Uint32Array.from(own).sort());
    }
    this.df = new Uint32Array(this.list.length);
    for (const own of this.byEntry.values()) for (const n of own) this.df[n]!++;
  }

  /** How many entries. */
  get size(): number {
    return this.byEntry.size;
  }

  /** How many entries know the word (0 for a word none knows). */
  documentFrequency(word: string): number {
    const n = this.numbers.get(word);
    return n === undefined ? 0 : this.df[n]!;
  }

  /** The entry's words, or undefined for an unknown entry. */
  words(entryId: string): string[] | undefined {
    const own = this.byEntry.get(entryId);
    return own && Array.from(own, (n) => this.list[n]!);
  }

  /** Whether the entry knows the word. */
  has(entryId: string, word: string): boolean {
    const own = this.byEntry.get(entryId);
    const n = this.numbers.get(word);
    if (!own || n === undefined) return false;
    let lo = 0;
    let hi = own.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (own[mid] === n) return true;
      if (own[mid]! < n) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
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
  private readonly vocabulary: EntryWords;
  private readonly ranking = new NaiveBayes<string>({ smoothing: SMOOTHING, priors: false });
  private readonly nearest: NearestPhrasings;

  constructor(entries: SearchableEntry[]) {
    // Each phrasing's features are computed once, for both rankings.
    const docs: Array<{ id: string; features: string[] }> = [];
    for (const e of entries) {
      for (const q of phrasings(e)) {
        const f = features(q);
        docs.push({ id: e.id, features: f });
        this.ranking.add(e.id, f);
      }
      this.ranking.add(e.id, features(`${e.answers.vi} ${e.answers.en ?? ""}`), ANSWER_WEIGHT);
    }
    // Both rankings share the naive Bayes model's feature numbers; its training counts are dropped.
    const kinds = new Float64Array(this.ranking.features);
    const number = (f: string) => {
      const id = this.ranking.id(f)!;
      kinds[id] = kindWeight(f);
      return id;
    };
    this.nearest = new NearestPhrasings(
      docs.map((d) => ({ id: d.id, features: d.features.map(number) })),
      this.ranking.features,
      kinds,
    );
    this.ranking.seal();
    const vocabulary = new Map<string, Set<string>>();
    for (const e of entries) vocabulary.set(e.id, new Set(phrasings(e).flatMap(words)));
    this.vocabulary = new EntryWords(vocabulary);
  }

  /** How telling a word is: rare in the knowledge base (or unknown to it) weighs more than "cần", "giấy". */
  private weight(word: string): number {
    return Math.log(1 + this.vocabulary.size / (1 + this.vocabulary.documentFrequency(word)));
  }

  /**
   * Share of the question's meaning found among an entry's phrasings: its words (typos allowed),
   * weighted by how telling each is. A question about something the knowledge base never mentions
   * scores low even when its common words match.
   */
  coverage(question: string | readonly string[], entryId: string): number {
    const known = this.vocabulary.words(entryId);
    const asked = [...new Set(typeof question === "string" ? words(question) : question)];
    if (!known || asked.length === 0) return 0;
    let total = 0;
    let found = 0;
    for (const w of asked) {
      const weight = this.weight(w);
      total += weight;
      if (this.vocabulary.has(entryId, w) || known.some((k) => near(w, k))) found += weight;
    }
    return found / total;
  }

  /**
   * Share of the question's most telling words (rare in the knowledge base or unknown to it) that
   * the entry knows: "nuôi chim yến … có cần xin giấy phép" shares the common half with the drone
   * entry, none of what it is about. 1 when the question has no such word.
   */
  tellingCoverage(question: string | readonly string[], entryId: string): number {
    const known = this.vocabulary.words(entryId);
    if (!known) return 0;
    const telling = [...new Set(typeof question === "string" ? words(question) : question)].filter((w) => this.weight(w) >= TELLING_WEIGHT);
    if (telling.length === 0) return 1;
    // A typo is forgiven only in a longer word here: "chim" is one letter from "chin", "nuoi" from "nuoc".
    return telling.filter((w) => this.vocabulary.has(entryId, w) || (w.length >= 5 && known.some((k) => near(w, k)))).length / telling.length;
  }

  /** Entries ranked for `question`, best first (at most `limit`); `score` is the entry's probability. */
  search(question: string, limit = 5): SearchResult {
    const asked = features(question).filter((f) => this.ranking.knows(f));
    if (asked.length === 0 || this.vocabulary.size === 0) return { hits: [], confident: false };
    // Two rankings, fused by reciprocal rank: the naive Bayes classes and the nearest phrasings.
    const { best: bayes, probability } = this.ranking.top(asked, FUSED_DEPTH);
    const near = this.nearest.rank(
      asked.map((f) => this.ranking.id(f)!),
      FUSED_DEPTH,
    );
    const fused = new Map<string, number>();
    bayes.slice(0, FUSED_DEPTH).forEach((r, i) => fused.set(r.label, (fused.get(r.label) ?? 0) + (1 - NEAREST_WEIGHT) / (i + RANK_OFFSET)));
    near.slice(0, FUSED_DEPTH).forEach((r, i) => fused.set(r.id, (fused.get(r.id) ?? 0) + NEAREST_WEIGHT / (i + RANK_OFFSET)));
    const order = [...fused].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    const hits = order.slice(0, limit).map((id) => ({ id, score: probability(id), coverage: 0 }));
    // The question's words, once for every check below.
    const questionWords = words(question);
    for (const h of hits) h.coverage = this.coverage(questionWords, h.id);
    const [first] = hits;
    // Answered directly only when both rankings put the same entry first, it is probable enough, and
    // the question's telling words are known to it; otherwise the best three are offered.
    const agree = !!first && near[0]?.id === first.id && bayes[0]?.label === first.id;
    const confident =
      agree && questionWords.length > 0 && first.score >= CONFIDENT_PROBABILITY && first.coverage >= MIN_COVERAGE && this.tellingCoverage(questionWords, first.id) >= MIN_TELLING;
    return { hits, confident };
  }
}

/** Share of the fused rank score given to the nearest phrasings (the rest to naive Bayes; chosen by two-fold cross-validation on the tuning half). */
const NEAREST_WEIGHT = 0.5;
/** How many entries of each ranking take part in the fusion. */
const FUSED_DEPTH = 20;
/** Reciprocal-rank offset: the first place counts 1/3, the second 1/4… */
const RANK_OFFSET = 3;
/** Additive smoothing of the ranking (chosen on the tuning half of test/qa-heldout/). */
const SMOOTHING = 0.01;
/** Weight of an entry's answer text next to its phrasings (chosen on the tuning half). */
const ANSWER_WEIGHT = 0.3;
/** Probability under which the best entry is not answered directly (chosen on the tuning half of test/qa-heldout/). */
export const CONFIDENT_PROBABILITY = 0.95;
/** Weighted share of the question's words the best entry must know to be answered directly (tuned on test/qa-eval/ and out-of-domain questions). */
export const MIN_COVERAGE = 0.55;
/** A word at least this telling (see `weight`) is one the question is about. */
const TELLING_WEIGHT = 3;
/** Share of those the best entry must know to be answered directly. */
const MIN_TELLING = 0.5;
/** Below the direct-answer bar, entries at least this close are offered as suggestions. */
export const SUGGEST_COVERAGE = 0.3;
