/**
 * Folds Vietnamese text for matching: lower case, no diacritics (đ → d), ASCII apostrophes,
 * single spaces. "Khẩn Cấp" and "khan cap" fold to the same string.
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
