import { z } from "zod";

/**
 * Largest values accepted from Zalo (zalo-bot-api.md §5–6), with a margin so nothing Zalo sends
 * is refused: ids are 20 hexadecimal characters, text and captions 1–2000 characters.
 */
export const ZALO_LIMITS = {
  /** message_id, chat and user ids (Zalo's are 20 characters). */
  id: 128,
  /** event_name, chat_type, message_type. */
  kind: 128,
  /** Text and captions, in UTF-16 code units (4× the platform's 2000). */
  text: 8_000,
  /** photo / photo_url / voice_url / url (CDN links). */
  url: 4_096,
  /** A sticker id. */
  sticker: 256,
  /** display_name. */
  name: 256,
} as const;

const L = ZALO_LIMITS;

/**
 * A Zalo id: a string of visible ASCII characters (Zalo's are hexadecimal; no spaces, controls or
 * lone surrogates, which the database would not keep byte for byte and two ids could then collide
 * as dedupe keys), or an integer JavaScript represents exactly.
 */
const zaloId = z.union([z.string().min(1).max(L.id).regex(/^[\x21-\x7e]+$/), z.int()]);
const party = z.looseObject({ id: zaloId, display_name: z.string().max(L.name).optional() });

/** `message` of a Zalo event: the fields the service reads. A chat (or at least a sender) is required to answer. */
const zaloMessage = z
  .looseObject({
    message_id: zaloId,
    date: z.int().optional(),
    chat: party.extend({ chat_type: z.string().max(L.kind).optional() }).optional(),
    from: party.optional(),
    text: z.string().max(L.text).optional(),
    caption: z.string().max(L.text).optional(),
    photo_url: z.string().max(L.url).optional(),
    photo: z.string().max(L.url).optional(),
    sticker: z.string().max(L.sticker).optional(),
    voice_url: z.string().max(L.url).optional(),
    url: z.string().max(L.url).optional(),
  })
  .refine((m) => m.chat !== undefined || m.from !== undefined, { path: ["chat"], message: "an event names its chat" });

/**
 * A Zalo event (`{event_name, message}`), validated at the boundary. Objects are loose (fields
 * Zalo adds later pass through); a text event must carry its text. Unknown event names are
 * accepted (they get the "unsupported" answer, as before).
 */
export const zaloEventSchema = z
  .looseObject({ event_name: z.string().min(1).max(L.kind), message: zaloMessage })
  .refine((e) => e.event_name !== "message.text.received" || typeof e.message.text === "string", {
    path: ["message", "text"],
    message: "a text event carries its text",
  });

/** A Zalo event that passed `zaloEventSchema`. */
export type ZaloEvent = z.infer<typeof zaloEventSchema>;
