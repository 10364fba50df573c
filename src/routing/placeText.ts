/**
 * Text helpers of the typed-place search: folding to comparison keys, tone-mark keys, the type words
 * residents put before names, and edit distances. No data, no state (see placeIndex.ts, placeSearch.ts).
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

/**
 * Key that keeps diacritics but not where the tone mark sits: each syllable's tone mark moves to
 * its end, so "Hoà" = "Hòa" and "Thuỷ" = "Thủy", while "Thành" ≠ "Thạnh".
 */
export function toneKey(text: string): string {
  return text
    .normalize("NFD")
    .toLowerCase()
    .replace(/['’‘`´]/g, "")
    .replace(/[^\p{L}\p{M}0-9]+/gu, " ")
    .trim()
    .split(" ")
    .map((syllable) => {
      const tones = syllable.match(/[\u0300\u0301\u0303\u0309\u0323]/g);
      const digits = syllable.replace(/^0+(\d)/, "$1");
      return tones ? digits.replace(/[\u0300\u0301\u0303\u0309\u0323]/g, "") + tones.join("") : digits;
    })
    .join(" ");
}

/**
 * Whether every diacritic typed is present in the same syllable of the name: "Tân Thanh" fits both
 * "Tân Thành" and "Tân Thạnh", "Tan Thạnh" only the latter. Both arguments are {@link toneKey}s.
 */
export function marksCompatible(typed: string, name: string): boolean {
  const a = typed.replace(/đ/g, "d\u0335").split(" ");
  const b = name.replace(/đ/g, "d\u0335").split(" ");
  if (a.length !== b.length) return false;
  return a.every((syllable, i) => {
    const other = b[i] as string;
    if (syllable.replace(MARKS, "") !== other.replace(MARKS, "")) return false;
    return (syllable.match(MARKS) ?? []).every((mark) => other.includes(mark));
  });
}

const MARKS = /[\u0300-\u036f]/g;

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

/** Index and query terms: each word, plus the whole name without spaces (always last), the term that gets fuzzy matching. */
export function searchTerms(key: string): string[] {
  const words = key.split(" ").filter(Boolean);
  return words.length > 1 ? [...words, words.join("")] : words;
}

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
