import type { Translate } from "../i18n.ts";
import type { OfferedChoice, Reply } from "../core/reply.ts";

/** The full text of a reply: its main text and extra blocks, separated by blank lines. */
export function composeText(t: Translate, reply: Reply, locale: string): string {
  return [reply.key, ...(reply.extraKeys ?? [])].map((k, i) => t(locale, k, i === 0 ? reply.params : undefined)).join("\n\n");
}

/** The reply's choices with labels in `locale`. */
export function offeredChoices(t: Translate, reply: Reply, locale: string): OfferedChoice[] {
  return (reply.choices ?? []).map((c) => ({ id: c.id, label: t(locale, c.labelKey, c.labelParams) }));
}
