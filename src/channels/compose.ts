import type { Translate } from "../i18n.ts";
import type { OfferedChoice, QuotedParam, Reply, TranslatedParam } from "../core/reply.ts";

const isTranslated = (v: unknown): v is TranslatedParam => typeof v === "object" && v !== null && typeof (v as TranslatedParam).$t === "string";
const isQuoted = (v: unknown): v is QuotedParam => typeof v === "object" && v !== null && typeof (v as QuotedParam).$quote === "string";

/** Marks every line of a quoted block. */
export const QUOTE_MARK = "┃ ";
// Direction overrides, isolates and marks (they can reorder what an officer reads) and control characters.
const HIDDEN_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/**
 * A resident's text as a quoted block: every line (whatever line break it used) starts with the
 * quote mark, and characters that reorder or hide text are removed, so typed lines such as
 * "Trạng thái: ✅ Đã xử lý xong" can never look like the bot's own fields.
 */
export function quoteBlock(text: string): string {
  return text
    .replace(HIDDEN_CONTROLS, "")
    .split(/\r\n|[\r\n\u0085\u2028\u2029]/)
    .map((line) => QUOTE_MARK + line)
    .join("\n");
}

/** Parameters with every `{ $t }` value translated into `locale`. */
export function resolveParams(t: Translate, locale: string, params?: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!params) return undefined;
  const out: Record<string, unknown> = {};
  const one = (v: unknown): unknown => {
    if (isTranslated(v)) return t(locale, v.$t, resolveParams(t, locale, v.params));
    if (isQuoted(v)) return quoteBlock(v.$quote);
    // { $list: [...] } becomes "a, b, c" inside a sentence.
    if (v && typeof v === "object" && Array.isArray((v as { $list?: unknown[] }).$list)) return (v as { $list: unknown[] }).$list.map(one).join(", ");
    return v;
  };
  // An array of values becomes lines of text.
  for (const [k, v] of Object.entries(params)) out[k] = Array.isArray(v) ? v.map(one).join("\n") : one(v);
  return out;
}

/** The full text of a reply: its blocks, separated by blank lines. */
export function composeText(t: Translate, reply: Reply, locale: string): string {
  return [{ key: reply.key, params: reply.params }, ...(reply.more ?? [])]
    .map((b) => t(locale, b.key, resolveParams(t, locale, b.params)))
    .join("\n\n");
}

/** The reply's choices with labels in `locale`. */
export function offeredChoices(t: Translate, reply: Reply, locale: string): OfferedChoice[] {
  return (reply.choices ?? []).map((c) => ({ id: c.id, label: t(locale, c.labelKey, resolveParams(t, locale, c.labelParams)) }));
}
