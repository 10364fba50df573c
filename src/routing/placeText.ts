/**
 * Text helpers of the typed-place search: folded comparison keys, the type words residents put
 * before names, keyboard leftovers and edit distances. No data, no state (see placeIndex.ts,
 * placeSearch.ts). Folding, tone-mark keys and marked keys are the shared ones of `core/text.ts`.
 */
import { fold } from "../core/text.ts";

/** Commune type words a resident may put before a name, folded, longest first. */
export const TYPE_PREFIXES: Array<[RegExp, string]> = [
  [/^(?:phuong|p)(?: |\.\s*)(.+)$/, "phường"],
  // "p1", "f12": numbered wards as written in Hồ Chí Minh City ("F" is the local shorthand).
  [/^[pf](\d+(?: .+)?)$/, "phường"],
  [/^(?:xa|x)(?: |\.\s*)(.+)$/, "xã"],
  [/^(?:dac khu|dk)(?: |\.\s*)(.+)$/, "đặc khu"],
  [/^(?:thi tran|tt)(?: |\.\s*)(.+)$/, "thị trấn"],
  [/^(?:huyen)(?: |\.\s*)(.+)$/, "huyện"],
];
/** Province type words, folded. */
export const PROVINCE_PREFIX = /^(?:tinh|thanh pho|tp|t p)(?: |\.\s*)(.+)$/;
/** Type words of the pre-2025 districts, folded, with their short forms. */
export const DISTRICT_WORDS: Array<[string, string]> = [
  ["quan", "q"],
  ["huyen", "h"],
  ["thi xa", "tx"],
  ["thanh pho", "tp"],
];
/**
 * Folded comparison key: {@link fold}, punctuation and dashes as spaces, apostrophes dropped
 * ("Ea H'Leo" = "ea hleo"), leading zeros of numbers dropped ("Phường 01" = "phuong 1").
 */
export function normalizeKey(text: string): string {
  return fold(text)
    .replace(/'/g, "")
    .replace(/[^a-z0-9]+/g, " ")
    .replace(/\b0+(\d)/g, "$1")
    .trim();
}

/** Optimal-string-alignment distance (Damerau: a swap of neighbours is one edit); stops early above `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  if (rows[0].length <= n) for (let r = 0; r < 3; r++) rows[r] = new Uint16Array(2 * n + 2);
  let [prev2, prev, cur] = rows;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        d = Math.min(d, (prev2[j - 2] as number) + 1);
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] as number;
}

/** Scratch rows of {@link editDistance}, grown on demand. */
const rows: [Uint16Array, Uint16Array, Uint16Array] = [new Uint16Array(64), new Uint16Array(64), new Uint16Array(64)];

/** "Phường Ba Đình" → "Ba Đình" (the type word of a full unit name dropped). */
export function stripTypeWord(name: string): string {
  return name.replace(/^(Phường|Xã|Đặc khu|Thị trấn|Huyện)\s+/iu, "");
}

/** A folded province name without its "tỉnh"/"thành phố"/"tp" word. */
export function stripProvinceWord(key: string): string {
  return PROVINCE_PREFIX.exec(key)?.[1] ?? key;
}

/** Drops the first `n` words of a tone key (the type word the folded reading stripped). */
export function dropWords(tone: string, n: number): string {
  return tone.split(" ").slice(n).join(" ");
}

/** Folded forms under which a pre-2025 district may be named: "quận 3", "q3", "q.3", "huyện Tân Thạnh", "Tân Thạnh"… */
export function districtForms(district: string): string[] {
  const key = normalizeKey(district);
  const forms = new Set([key]);
  for (const [word, short] of DISTRICT_WORDS) {
    if (!key.startsWith(`${word} `)) continue;
    const bare = key.slice(word.length + 1);
    const numbered = /^\d+$/.test(bare);
    if (!numbered) forms.add(bare);
    forms.add(`${short} ${bare}`);
    if (numbered) forms.add(`${short}${bare}`);
  }
  return [...forms];
}

/** Vietnamese vowels, folded. */
const VOWEL = /[aeiouy]/;
/** Telex two-key sequences an IME should have turned into one letter. */
const TELEX_LETTERS: Array<[RegExp, string]> = [
  [/^dd/, "đ"],
  [/uow/, "ươ"],
  [/aa/, "â"],
  [/ee/, "ê"],
  [/oo/, "ô"],
  [/aw/, "ă"],
  [/ow/, "ơ"],
  [/uw/, "ư"],
];

/**
 * Undoes what a Telex or VNI keyboard leaves when the input method is off: tone keys after a vowel
 * ("hoangf", "hoafng" → "hoang"; s f r x j end no Vietnamese syllable), VNI digits inside a word
 * ("hoa2ng" → "hoang"), and two-key letters ("dd" → "đ", "aa" → "â", "uw" → "ư"). The tone itself is
 * dropped (tone placement rules are not worth guessing: a missing mark costs little). `changed`
 * counts the words altered. Takes and returns a {@link markedKey}.
 */
export function imeCleanup(text: string): { text: string; changed: number } {
  let changed = 0;
  const words = text.split(" ").map((word) => {
    if (word.length < 2 || /^\d+$/.test(word)) return word;
    let w = word;
    const letters = w.replace(/\d/g, "");
    // VNI: digits after a vowel in a word of at least two letters ("p12", "q3" are not touched).
    if (letters.length >= 2 && /\d/.test(w) && /^\p{L}/u.test(w)) {
      const firstVowel = fold(w).search(VOWEL);
      if (firstVowel >= 0 && firstVowel < w.search(/\d/)) w = w.replace(/[1-9]/g, "").replace(/0/g, "");
    }
    // Telex tone keys: s f r x j after a vowel, followed only by a syllable's final consonants.
    w = w.replace(/^(.*?[aeiouyăâêôơưàáảãạ].*?)[sfrxj]((?:ng|nh|ch|[nmctp])?)$/u, (_m, head: string, tail: string) =>
      fold(head).search(VOWEL) >= 0 ? head + tail : _m,
    );
    for (const [re, letter] of TELEX_LETTERS) w = w.replace(re, letter);
    if (w !== word) changed++;
    return w;
  });
  return { text: words.join(" "), changed };
}

/** Diacritics cost in {@link placeDistance}: a mark left out, a mark that is not the name's. */
const MARK_OMITTED = 0.15;
const MARK_CONFLICT = 0.6;
/** A space more or less ("Tânthành", "Tân Thà nh"). */
const SPACE_EDIT = 0.1;
/** A letter typed twice ("Hoàngg"). */
const DOUBLED_LETTER = 0.5;
/** i and y are often swapped in Vietnamese spelling. */
const I_Y = 0.5;

/** Highest char code with a table entry: Vietnamese letters all lie below (Latin Extended Additional ends at U+1EFF). */
const TABLE_SIZE = 0x1f00;
/** Per char code: the letter without diacritics (đ → d), and the bit set of its diacritics (tones, circumflex, breve, horn, stroke). */
const BASE = new Uint16Array(TABLE_SIZE);
const MARKS_OF = new Uint16Array(TABLE_SIZE);
for (let code = 0; code < TABLE_SIZE; code++) {
  const ch = String.fromCharCode(code);
  const folded = fold(ch);
  BASE[code] = folded.length === 1 ? folded.charCodeAt(0) : code;
  let m = ch === "đ" ? 1 << 10 : 0;
  for (const c of ch.normalize("NFD").slice(1)) {
    const i = [0x300, 0x301, 0x303, 0x309, 0x323, 0x302, 0x306, 0x31b].indexOf(c.charCodeAt(0));
    if (i >= 0) m |= 1 << i;
  }
  MARKS_OF[code] = m;
}
const baseOf = (code: number) => (code < TABLE_SIZE ? (BASE[code] as number) : code);
const marksOf = (code: number) => (code < TABLE_SIZE ? (MARKS_OF[code] as number) : 0);

function substitution(a: number, b: number, marked: boolean): number {
  if (a === b) return 0;
  const ba = baseOf(a);
  const bb = baseOf(b);
  if (ba === bb) {
    if (!marked) return 0;
    const ma = marksOf(a);
    return (ma & ~marksOf(b)) === 0 ? MARK_OMITTED : MARK_CONFLICT;
  }
  if ((ba === 105 && bb === 121) || (ba === 121 && bb === 105)) return I_Y;
  return 1;
}

/**
 * Weighted edit distance between a typed {@link markedKey} and a name's, for ranking typo
 * candidates: a letter added, dropped, changed or two swapped cost 1; a letter typed twice 0.5; a
 * space more or less 0.1; i/y 0.5. Diacritics count only when the resident typed some (`marked`):
 * then a mark left out costs 0.15 and a mark that differs from the name's 0.6, so "Hả Tiến" is
 * nearer "Hải Tiến" (one letter) than "Hà Tiên" (two marks). Stops early above `max`.
 */
export function placeDistance(typed: string, name: string, marked: boolean, max: number): number {
  const m = typed.length;
  const n = name.length;
  if (fRows[0].length <= n) for (let r = 0; r < 3; r++) fRows[r] = new Float64Array(2 * n + 2);
  let [prev2, prev, cur] = fRows;
  prev[0] = 0;
  for (let j = 1; j <= n; j++) prev[j] = (prev[j - 1] as number) + (name.charCodeAt(j - 1) === 32 ? SPACE_EDIT : 1);
  for (let i = 1; i <= m; i++) {
    const a = typed.charCodeAt(i - 1);
    const drop = a === 32 ? SPACE_EDIT : i > 1 && a === typed.charCodeAt(i - 2) ? DOUBLED_LETTER : 1;
    cur[0] = (prev[0] as number) + drop;
    let rowMin = cur[0] as number;
    for (let j = 1; j <= n; j++) {
      const b = name.charCodeAt(j - 1);
      let d = Math.min((prev[j] as number) + drop, (cur[j - 1] as number) + (b === 32 ? SPACE_EDIT : 1), (prev[j - 1] as number) + substitution(a, b, marked));
      if (i > 1 && j > 1 && a === name.charCodeAt(j - 2) && typed.charCodeAt(i - 2) === b && a !== b) d = Math.min(d, (prev2[j - 2] as number) + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] as number;
}

/** Scratch rows of {@link placeDistance}, grown on demand. */
const fRows: [Float64Array, Float64Array, Float64Array] = [new Float64Array(64), new Float64Array(64), new Float64Array(64)];

/**
 * Letter counts of a folded key (a–z with y counted as i, all digits together; spaces ignored), for
 * {@link histogramBound}.
 */
export function letterHistogram(folded: string): Uint8Array {
  const counts = new Uint8Array(27);
  for (let i = 0; i < folded.length; i++) {
    const c = folded.charCodeAt(i);
    const bucket = c >= 97 && c <= 122 ? (c === 121 ? 8 : c - 97) : c >= 48 && c <= 57 ? 26 : -1;
    if (bucket >= 0) counts[bucket] = (counts[bucket] as number) + 1;
  }
  return counts;
}

/**
 * A lower bound of {@link placeDistance} from letter counts alone: every letter counted differently
 * needs an edit worth at least 0.5 (a letter typed twice; a changed letter settles two counts for 1).
 * Cheap enough to skip most names before the full distance.
 */
export function histogramBound(a: Uint8Array, b: Uint8Array): number {
  let l1 = 0;
  for (let i = 0; i < 27; i++) l1 += Math.abs((a[i] as number) - (b[i] as number));
  return 0.5 * l1;
}
