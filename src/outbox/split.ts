/**
 * Splits `text` into parts of at most `max` UTF-16 code units, cutting at the most natural
 * boundary available in each part: a blank line, then a line break, then the end of a sentence,
 * then a space; only a text with no such boundary is cut mid-word (never inside a surrogate pair).
 * Whitespace at the cut is dropped; nothing else is lost or reordered.
 */
export function splitText(text: string, max: number): string[] {
  if (max < 16) throw new RangeError("max must be at least 16");
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const cut = lastBoundary(window, max);
    const head = rest.slice(0, cut).trimEnd();
    parts.push(head);
    rest = rest.slice(cut).replace(/^\s+/, "");
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}

function lastBoundary(window: string, max: number): number {
  const min = Math.floor(max / 3); // do not make parts absurdly short to honour a boundary
  const candidates: Array<RegExp> = [/\n\s*\n/g, /\n/g, /[.!?…;:](?=\s)/g, /\s/g];
  for (const re of candidates) {
    let best = -1;
    for (const m of window.matchAll(re)) {
      const end = m.index + (re.source.startsWith("[.") ? 1 : 0);
      if (end <= max && end >= min) best = end;
    }
    if (best > 0) return best;
  }
  let cut = max;
  const code = window.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
  return cut;
}
