/**
 * Vietnamese text helpers shared by every module that matches typed words: folding (case,
 * diacritics, đ, apostrophes), the key a typed word is looked up under, word lists from the
 * locale files, tone-mark keys ("Hoà" = "Hòa") and word splitting. No data, no state.
 */

/**
 * Folds Vietnamese text for matching: lower case, no diacritics (đ → d), ASCII apostrophes,
 * single spaces. "Khẩn Cấp" and "khan cap" fold to the same string, and so do the two placements
 * of a tone mark ("Hoà", "Hòa"). Scripts without Latin diacritics (Khmer) keep their signs.
 */
export function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, "d")
    .replace(/[’‘`´]/g, "'")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/** A label or typed answer reduced to its words: folded, emoji and punctuation dropped ("🚨 Báo tin tội phạm" → "bao tin toi pham"). */
export function foldLabel(text: string): string {
  return fold(text)
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, " ")
    .trim();
}

/**
 * The key a typed word or phrase is compared under against a word list (control words, keywords,
 * data requests): {@link fold}ed, trailing punctuation dropped ("Huỷ!" → "huy", "help?" → "help").
 */
export function typedKey(text: string): string {
  return fold(text).replace(/[.!?…,;:]+$/u, "").trim();
}

/** The {@link typedKey}s of a "|"-separated word list from a locale file ("huỷ|hủy|cancel" → ["huy", "huy", "cancel"]), empty entries left out. */
export function listKeys(list: string): string[] {
  return list
    .split("|")
    .map(typedKey)
    .filter(Boolean);
}

/** The folded ASCII words of a text, letters and digits only ("Bị lừa 5 triệu?" → ["bi", "lua", "5", "trieu"]); other scripts are left out. */
export function foldedWords(text: string): string[] {
  return fold(text)
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * Comparison text that keeps diacritics: NFC, lower case, apostrophes dropped, punctuation as
 * spaces, leading zeros of numbers dropped ("Phường 01" → "phường 1").
 */
export function markedKey(text: string): string {
  return text
    .normalize("NFC")
    .toLowerCase()
    .replace(/['’‘`´]/g, "")
    .replace(/[^\p{L}\p{M}0-9]+/gu, " ")
    .replace(/(^| )0+(\d)/g, "$1$2")
    .trim();
}

/** The five tone marks (huyền, sắc, ngã, hỏi, nặng) as combining characters. */
const TONE_MARKS = /[\u0300\u0301\u0303\u0309\u0323]/g;

/**
 * Key that keeps diacritics but not where the tone mark sits: each syllable's tone mark moves to
 * its end, so "Hoà" = "Hòa" and "Thuỷ" = "Thủy", while "Thành" ≠ "Thạnh". Lower case, apostrophes
 * dropped, punctuation as spaces, leading zeros of a syllable's number dropped.
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
      const tones = syllable.match(TONE_MARKS);
      const digits = syllable.replace(/^0+(\d)/, "$1");
      return tones ? digits.replace(TONE_MARKS, "") + tones.join("") : digits;
    })
    .join(" ");
}

const MARKS = /[\u0300-\u036f]/g;

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
