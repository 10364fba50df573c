import type { Translate } from "../i18n.ts";
import type { OfferedChoice, Reply, TranslatedParam } from "../core/reply.ts";

const isTranslated = (v: unknown): v is TranslatedParam => typeof v === "object" && v !== null && typeof (v as TranslatedParam).$t === "string";

/** Parameters with every `{ $t }` value translated into `locale`. */
export function resolveParams(t: Translate, locale: string, params?: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!params) return undefined;
  const out: Record<string, unknown> = {};
  const one = (v: unknown): unknown => {
    if (isTranslated(v)) return t(locale, v.$t, resolveParams(t, locale, v.params));
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
