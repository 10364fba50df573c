/** One option the person can pick: a button on Telegram and the web, a numbered line on Zalo. */
export interface Choice {
  /** Stable id sent back when chosen; short ASCII (it becomes Telegram callback_data, ≤ 64 bytes). */
  id: string;
  /** Translation key of the label. */
  labelKey: string;
  labelParams?: Record<string, unknown>;
}

/** What the core answers with: data, rendered by each channel. */
export interface Reply {
  /** Translation key of the text. */
  key: string;
  params?: Record<string, unknown>;
  /** Optional text blocks appended after the main text (translation keys). */
  extraKeys?: string[];
  choices?: Choice[];
  /** Ask the person to share a location or a phone contact where the channel can. */
  ask?: "location" | "contact";
}

/** A choice as offered to a person, with its rendered label: kept on the chat to match typed answers. */
export interface OfferedChoice {
  id: string;
  label: string;
}
