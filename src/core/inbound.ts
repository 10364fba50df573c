/** Platforms a person can reach us on. */
export type Channel = "telegram" | "zalo" | "web";

/** What a person sent, with platform details stripped away. */
export type InboundInput =
  | { type: "start" }
  | { type: "text"; text: string }
  | { type: "command"; command: string; args: string }
  | { type: "choice"; choiceId: string }
  | { type: "location"; latitude: number; longitude: number }
  | { type: "contact"; phone: string }
  | { type: "media"; kind: "photo" | "video" | "voice" | "audio" | "document" | "sticker"; ref: string; caption?: string }
  /**
   * A file the channel would not accept (its address failed the channel's checks at intake): the
   * file is never stored or passed on; its caption, if any, is kept as the person's words.
   */
  | { type: "file_refused"; kind: "photo" | "video" | "voice" | "audio" | "document"; caption?: string }
  | { type: "unsupported" };

/** One inbound event for the core. */
export interface InboundEvent {
  channel: Channel;
  chat: { platformChatId: string; kind: "private" | "group" };
  input: InboundInput;
}
