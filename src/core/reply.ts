/** One option the person can pick: a button on Telegram and the web, a numbered line on Zalo. */
export interface Choice {
  /** Stable id sent back when chosen; short ASCII (≤ 64 bytes: channels carry it in their button data). */
  id: string;
  /** Translation key of the label. */
  labelKey: string;
  labelParams?: Record<string, unknown>;
}

/**
 * A parameter whose value is itself translated in the person's language, e.g.
 * `{ place: { $t: "tip:place.province_only", params: { province: "Tỉnh Cao Bằng" } } }`.
 */
export interface TranslatedParam {
  $t: string;
  params?: Record<string, unknown>;
}

/**
 * Text written by someone outside the police (a tipster, an asker), shown to officers or staff as
 * a quoted block so that none of its lines can pass for a field of the bot's own message.
 */
export interface QuotedParam {
  $quote: string;
}

/** Marks a resident's text to be shown as a quoted block. */
export function quoted(text: string): QuotedParam {
  return { $quote: text };
}

/**
 * A link inside a text: `{ link: { $link: "https://…", text: { $t: "officer:card.map" } } }`. Channels
 * that can show links under a text (Telegram) do so; the others show the text and the address.
 */
export interface LinkParam {
  $link: string;
  /** What the link reads as: plain text or a translated value. */
  text: string | TranslatedParam;
}

/** Marks `url` as a link reading `text`. */
export function link(url: string, text: string | TranslatedParam): LinkParam {
  return { $link: url, text };
}

/** One block of text: a translation key and its parameters. */
export interface TextBlock {
  key: string;
  params?: Record<string, unknown>;
  /** Translation key of a field label shown before the text (bold where the channel can). */
  label?: string;
  /** The whole block is emphasised (bold where the channel can): headers and warnings. */
  strong?: boolean;
}

/** What the core answers with: data, rendered by each channel. */
export interface Reply {
  /** Translation key of the text. */
  key: string;
  params?: Record<string, unknown>;
  /** Label of the first block (see TextBlock). */
  label?: string;
  /** The first block is emphasised (see TextBlock). */
  strong?: boolean;
  /** Further blocks, each its own paragraph (e.g. a notice, then the next question). */
  more?: TextBlock[];
  /** The blocks are lines of one paragraph (no blank line between them), e.g. the fields of a card. */
  compact?: boolean;
  choices?: Choice[];
  /** Buttons per row where the channel lays them out (default 1). */
  columns?: number;
  /** Ask the person to share a location or a phone contact where the channel can. */
  ask?: "location" | "contact";
  /** The text links the person to a secret (a tip code and PIN): not kept once delivered. */
  sensitive?: boolean;
  /**
   * Someone may be in danger right now (the emergency numbers, a tip marked life-threatening): a
   * channel that can offer a one-tap call to the police emergency number (113) does so.
   */
  urgent?: boolean;
}

/** A choice as offered to a person, with its rendered label: kept on the chat to match typed answers. */
export interface OfferedChoice {
  id: string;
  label: string;
}
