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
