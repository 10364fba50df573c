import { z } from "zod";

/**
 * Largest values accepted from Telegram. The Bot API's own limits (telegram-notes.md §5) with a
 * margin, so nothing Telegram sends is refused while a 900,000-character field is: text 1–4096
 * and captions 0–1024 (4096 with Premium) characters, names 64, callback data 64 bytes.
 */
export const TELEGRAM_LIMITS = {
  /** Message text and captions, in UTF-16 code units (4× the platform's 4096). */
  text: 16_384,
  /** A file_id (Telegram's are about 70–160 characters). */
  fileId: 1_024,
  /** first_name / last_name (64 on Telegram). */
  name: 256,
  /** callback_query.data, in UTF-8 bytes (exactly Telegram's limit). */
  callbackDataBytes: 64,
  /** callback_query.id and similar short keys. */
  key: 128,
  /** A shared contact's phone number. */
  phone: 64,
  /** chat.type, a member's status, an entity's type. */
  kind: 32,
  /** Entities of one text or caption. */
  entities: 10_000,
  /** Sizes of one photo (Telegram sends about four). */
  photoSizes: 100,
} as const;

const L = TELEGRAM_LIMITS;

/** A Telegram id (chat, user, message, update): an integer JavaScript represents exactly. */
const tgId = z.int();
const text = z.string().max(L.text);
const name = z.string().max(L.name);

const chat = z.looseObject({ id: tgId, type: z.string().min(1).max(L.kind) });
const user = z.looseObject({ id: tgId, first_name: name.optional(), last_name: name.optional() });
const entities = z
  .array(z.looseObject({ type: z.string().max(L.kind), offset: z.int().min(0), length: z.int().min(0) }))
  .max(L.entities)
  .optional();
const file = z.looseObject({ file_id: z.string().min(1).max(L.fileId) });

/**
 * A message (also an edited message, a channel post, a business message): the fields the bot and
 * grammY's filters read. `from` is required except in channels (Telegram puts a placeholder user
 * in `from` even for messages sent on behalf of a chat).
 */
const message = z
  .looseObject({
    message_id: tgId,
    chat,
    from: user.optional(),
    text: text.optional(),
    caption: text.optional(),
    entities,
    caption_entities: entities,
    photo: z.array(file).min(1).max(L.photoSizes).optional(),
    video: file.optional(),
    voice: file.optional(),
    audio: file.optional(),
    document: file.optional(),
    sticker: file.optional(),
    location: z.looseObject({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) }).optional(),
    contact: z.looseObject({ phone_number: z.string().max(L.phone) }).optional(),
    migrate_to_chat_id: tgId.optional(),
    reply_to_message: z.looseObject({ message_id: tgId }).optional(),
  })
  .refine((m) => m.chat.type === "channel" || m.from !== undefined, { path: ["from"], message: "a message outside a channel has a sender" })
  // Entities describe a text or caption (grammY's command matching reads the text they point into).
  .refine((m) => m.entities === undefined || m.text !== undefined, { path: ["text"], message: "entities without text" })
  .refine((m) => m.caption_entities === undefined || m.caption !== undefined, { path: ["caption"], message: "caption entities without caption" });

/** A button press: who pressed, the data, and the message it was under (possibly inaccessible: chat and id only). */
const callbackQuery = z.looseObject({
  id: z.string().min(1).max(L.key),
  from: user,
  data: z
    .string()
    .max(L.callbackDataBytes)
    .superRefine((d, ctx) => {
      if (Buffer.byteLength(d, "utf8") > L.callbackDataBytes) {
        ctx.addIssue({ code: "too_big", origin: "string", maximum: L.callbackDataBytes, inclusive: true, input: d, message: "callback data over 64 bytes" });
      }
    })
    .optional(),
  message: z.looseObject({ message_id: tgId, chat }).optional(),
});

/** A membership change (the bot blocked or unblocked, added to or removed from a group). */
const chatMemberUpdated = z.looseObject({
  chat,
  from: user,
  new_chat_member: z.looseObject({ status: z.string().min(1).max(L.kind) }),
});

/**
 * Update kinds the service does not act on: accepted as they are, but where they carry a chat or
 * a user (which grammY's context and the inbox's ordering key read), those must be well formed.
 */
const ignored = z.looseObject({ chat: chat.optional(), from: user.optional(), user: user.optional() }).optional();

/**
 * The parts of a Telegram Update the service reads, validated at the boundary. Objects are loose
 * (fields Telegram adds later pass through untouched); anything that does not fit is refused
 * before it is stored, so the handlers only ever see well-formed updates.
 */
export const telegramUpdateSchema = z.looseObject({
  update_id: z.int().min(0),
  message: message.optional(),
  edited_message: message.optional(),
  channel_post: message.optional(),
  edited_channel_post: message.optional(),
  business_message: message.optional(),
  edited_business_message: message.optional(),
  callback_query: callbackQuery.optional(),
  my_chat_member: chatMemberUpdated.optional(),
  chat_member: chatMemberUpdated.optional(),
  chat_join_request: ignored,
  message_reaction: ignored,
  message_reaction_count: ignored,
  inline_query: ignored,
  chosen_inline_result: ignored,
  shipping_query: ignored,
  pre_checkout_query: ignored,
  purchased_paid_media: ignored,
  poll_answer: ignored,
  chat_boost: ignored,
  removed_chat_boost: ignored,
  deleted_business_messages: ignored,
  business_connection: ignored,
});

/** A Telegram update that passed `telegramUpdateSchema`. */
export type TelegramUpdate = z.infer<typeof telegramUpdateSchema>;
