import type { Reply } from "./reply.ts";

/**
 * A message of ours or of the platform's: by its outbox row (its platform id is known once the
 * sender has delivered it), or by the id the platform gave it (e.g. the message whose button an
 * officer pressed).
 */
export type MessageRef = { outbox: number } | { platform: number };

/** Kinds of file a person can send and the bot can pass on. */
export type MediaKind = "photo" | "video" | "voice" | "audio" | "document";

/**
 * What the core wants to happen in a conversation, in channel-neutral terms; each channel's renderer
 * turns an intent into its own API calls (src/channels/<name>/render.ts). A channel that cannot do
 * something does the closest thing (no replies-to: a plain message; no edits: a new message).
 */
export type Intent =
  /** A message; `under` another one (shown as a reply to it); `answerFrom` someone (the channel asks that person for a typed answer to it: on Telegram a reply field shown to them, naming them). */
  | { kind: "message"; reply: Reply; under?: MessageRef; answerFrom?: { userId: string; name: string } | "anyone"; single?: boolean }
  /** A message of ours shown again with new text and choices (a tip's card after a change). */
  | { kind: "update"; message: MessageRef; reply: Reply }
  /** The choices under a message taken away (a chooser that was used or cancelled). */
  | { kind: "closeChoices"; message: MessageRef }
  /** A file passed on by reference (a photo a tipster sent), with a caption, maybe under a message. */
  | { kind: "file"; file: { kind: MediaKind; ref: string }; caption?: Reply; under?: MessageRef }
  /**
   * A picture the service makes (a chart), by the reference of a file source (src/core/files.ts):
   * the sender loads its bytes when it sends it, so the outbox keeps only the reference. `name` is
   * the file's name (e.g. "report-2026-05.png"). Channels that cannot show it send the caption.
   */
  | { kind: "image"; image: { ref: string; name: string }; caption?: Reply; under?: MessageRef };

/** What a channel can ask of and take from a person (the resident conversation adapts to it). */
export interface ChannelCaps {
  /** It can ask for the person's location with a button. */
  location: boolean;
  /** It can ask for the person's phone contact with a button. */
  contact: boolean;
  /** Which files a tipster can send: everything, photos only, or none. */
  media: "all" | "photo" | "none";
}
