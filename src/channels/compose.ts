import type { Translate } from "../i18n.ts";
import type { LinkParam, OfferedChoice, QuotedParam, Reply, TextBlock, TranslatedParam } from "../core/reply.ts";
import type { Intent } from "../core/intents.ts";
import type { RenderedReply } from "../outbox/outbound.ts";

const isLink = (v: unknown): v is LinkParam => typeof v === "object" && v !== null && typeof (v as LinkParam).$link === "string";
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

/** Formatting a channel shows its own way: emphasised text, or a link. */
export type Mark = { kind: "bold"; text: string } | { kind: "link"; text: string; url: string };

/** A composed text whose marks stand as single private-use characters (`markChar(i)` for `marks[i]`). */
export interface MarkedText {
  text: string;
  marks: Mark[];
}

const MARK_BASE = 0xe000;
const MARK_COUNT = 0x100;
/** The characters that stand for marks; removed from every value so that none can be forged. */
export const MARK_CHARS = /[\ue000-\ue0ff]/g;
const HAS_MARK = /[\ue000-\ue0ff]/;

/** A mark as plain text: the text itself, a link as "text (address)". */
export function plainMark(m: Mark): string {
  return m.kind === "link" ? `${m.text} (${m.url})` : m.text;
}

type Marker = (m: Mark) => string;

function resolveWith(t: Translate, locale: string, params: Record<string, unknown> | undefined, mark: Marker): Record<string, unknown> | undefined {
  if (!params) return undefined;
  const out: Record<string, unknown> = {};
  const one = (v: unknown): unknown => {
    if (typeof v === "string") return v.replace(MARK_CHARS, "");
    if (isTranslated(v)) return t(locale, v.$t, resolveWith(t, locale, v.params, mark));
    if (isQuoted(v)) return quoteBlock(v.$quote.replace(MARK_CHARS, ""));
    if (isLink(v)) return mark({ kind: "link", url: v.$link, text: String(one(v.text)).replace(MARK_CHARS, "") });
    // { $list: [...] } becomes "a, b, c" inside a sentence.
    if (v && typeof v === "object" && Array.isArray((v as { $list?: unknown[] }).$list)) return (v as { $list: unknown[] }).$list.map(one).join(", ");
    return v;
  };
  // An array of values becomes lines of text.
  for (const [k, v] of Object.entries(params)) out[k] = Array.isArray(v) ? v.map(one).join("\n") : one(v);
  return out;
}

/** Parameters with every `{ $t }` value translated into `locale` (links as plain "text (address)"). */
export function resolveParams(t: Translate, locale: string, params?: Record<string, unknown>): Record<string, unknown> | undefined {
  return resolveWith(t, locale, params, plainMark);
}

/**
 * The full text of a reply with its labels, emphasis and links kept as marks, for channels that
 * format text: blocks separated by blank lines (by line breaks when the reply is compact), a
 * block's label before its text.
 */
export function composeMarked(t: Translate, reply: Reply, locale: string): MarkedText {
  const marks: Mark[] = [];
  const mark: Marker = (m) => {
    if (marks.length >= MARK_COUNT) return plainMark(m);
    marks.push(m);
    return String.fromCharCode(MARK_BASE + marks.length - 1);
  };
  const block = (b: TextBlock): string => {
    let text = t(locale, b.key, resolveWith(t, locale, b.params, mark));
    if (b.strong && text && !HAS_MARK.test(text)) text = mark({ kind: "bold", text });
    if (b.label) text = mark({ kind: "bold", text: t(locale, b.label) }) + (text.startsWith("\n") ? "" : " ") + text;
    return text;
  };
  const blocks: TextBlock[] = [{ key: reply.key, params: reply.params, label: reply.label, strong: reply.strong }, ...(reply.more ?? [])];
  return { text: blocks.map(block).join(reply.compact ? "\n" : "\n\n"), marks };
}

/** Replaces every mark of a composed text with `render(mark)`; other text goes through `escape`. */
export function expandMarks(marked: string, marks: Mark[], render: (m: Mark) => string, escape: (s: string) => string = (s) => s): string {
  return escape(marked).replace(MARK_CHARS, (c) => {
    const m = marks[c.charCodeAt(0) - MARK_BASE];
    return m ? render(m) : "";
  });
}

/** The full text of a reply as plain text: its blocks separated by blank lines (line breaks when compact), labels inline, links as "text (address)". */
export function composeText(t: Translate, reply: Reply, locale: string): string {
  const { text, marks } = composeMarked(t, reply, locale);
  return expandMarks(text, marks, plainMark);
}

/** The reply's choices with labels in `locale`. */
export function offeredChoices(t: Translate, reply: Reply, locale: string): OfferedChoice[] {
  return (reply.choices ?? []).map((c) => ({ id: c.id, label: t(locale, c.labelKey, resolveParams(t, locale, c.labelParams)) }));
}

/**
 * An intent on a channel that can neither reply under a message nor edit one (Zalo, the web chat):
 * a message or an update is a new message, a file is its caption (the file itself is not passed
 * on there), taking choices away needs nothing.
 */
export function plainIntent(renderer: { render(reply: Reply, locale: string): RenderedReply }, intent: Intent, locale: string): RenderedReply {
  switch (intent.kind) {
    case "message":
    case "update":
      return renderer.render(intent.reply, locale);
    case "file":
    case "image":
      return intent.caption ? renderer.render(intent.caption, locale) : { calls: [], offered: [] };
    case "closeChoices":
      return { calls: [], offered: [] };
  }
}
