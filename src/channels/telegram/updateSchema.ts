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

// ---------------------------------------------------------------------------------------------
// The same rules, precompiled: `telegramUpdateSchema` costs ~7 µs an update in zod (its loose
// objects take zod's generic path), this ~0.5 µs. `fitsTelegramUpdate(u)` is true only when
// `telegramUpdateSchema.safeParse(u)` succeeds; when it is false (an invalid update, or a case it
// leaves to zod, e.g. a string longer in UTF-16 units than a limit zod counts in code points), zod
// decides and names the reason. test/telegram.updateCheck.test.ts proves the two agree on every
// field of the schema (walked from the schema itself) and on the fuzzer's updates: a field added to
// the schema and not here fails that test.

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
/** z.int(): an integer in the safe range (finite, not NaN). */
const isInt = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v);
/** z.string().max(max) (and .min(min)), counted in UTF-16 units: never longer than zod's code points. */
const isStr = (v: unknown, max: number, min = 0): boolean => typeof v === "string" && v.length <= max && v.length >= min;
const optStr = (v: unknown, max: number): boolean => v === undefined || (typeof v === "string" && v.length <= max);
/** z.number().min(lo).max(hi): finite. */
const isNum = (v: unknown, lo: number, hi: number): boolean => typeof v === "number" && v >= lo && v <= hi; // NaN fails both comparisons

const fitsChat = (c: unknown): boolean => isObj(c) && isInt(c.id) && isStr(c.type, L.kind, 1);
const fitsUser = (u: unknown): boolean => isObj(u) && isInt(u.id) && optStr(u.first_name, L.name) && optStr(u.last_name, L.name);
const fitsFile = (f: unknown): boolean => isObj(f) && isStr(f.file_id, L.fileId, 1);
const optFile = (f: unknown): boolean => f === undefined || fitsFile(f);

function optEntities(v: unknown): boolean {
  if (v === undefined) return true;
  if (!Array.isArray(v) || v.length > L.entities) return false;
  for (const e of v) {
    if (!isObj(e) || !isStr(e.type, L.kind) || !isInt(e.offset) || (e.offset as number) < 0 || !isInt(e.length) || (e.length as number) < 0) return false;
  }
  return true;
}

function optPhoto(v: unknown): boolean {
  if (v === undefined) return true;
  if (!Array.isArray(v) || v.length < 1 || v.length > L.photoSizes) return false;
  for (const f of v) if (!fitsFile(f)) return false;
  return true;
}

function optMessage(m: unknown): boolean {
  if (m === undefined) return true;
  if (!isObj(m) || !isInt(m.message_id) || !fitsChat(m.chat)) return false;
  if (m.from !== undefined && !fitsUser(m.from)) return false;
  if (!optStr(m.text, L.text) || !optStr(m.caption, L.text) || !optEntities(m.entities) || !optEntities(m.caption_entities) || !optPhoto(m.photo)) return false;
  if (!optFile(m.video) || !optFile(m.voice) || !optFile(m.audio) || !optFile(m.document) || !optFile(m.sticker)) return false;
  const { location, contact, reply_to_message } = m;
  if (location !== undefined && !(isObj(location) && isNum(location.latitude, -90, 90) && isNum(location.longitude, -180, 180))) return false;
  if (contact !== undefined && !(isObj(contact) && isStr(contact.phone_number, L.phone))) return false;
  if (m.migrate_to_chat_id !== undefined && !isInt(m.migrate_to_chat_id)) return false;
  if (reply_to_message !== undefined && !(isObj(reply_to_message) && isInt(reply_to_message.message_id))) return false;
  // The schema's refinements.
  if ((m.chat as Json).type !== "channel" && m.from === undefined) return false;
  if (m.entities !== undefined && m.text === undefined) return false;
  if (m.caption_entities !== undefined && m.caption === undefined) return false;
  return true;
}

function optCallbackQuery(q: unknown): boolean {
  if (q === undefined) return true;
  if (!isObj(q) || !isStr(q.id, L.key, 1) || !fitsUser(q.from)) return false;
  const { data, message } = q;
  if (data !== undefined && !(isStr(data, L.callbackDataBytes) && Buffer.byteLength(data as string, "utf8") <= L.callbackDataBytes)) return false;
  if (message !== undefined && !(isObj(message) && isInt(message.message_id) && fitsChat(message.chat))) return false;
  return true;
}

const optChatMember = (v: unknown): boolean =>
  v === undefined || (isObj(v) && fitsChat(v.chat) && fitsUser(v.from) && isObj(v.new_chat_member) && isStr(v.new_chat_member.status, L.kind, 1));

const optIgnored = (v: unknown): boolean =>
  v === undefined || (isObj(v) && (v.chat === undefined || fitsChat(v.chat)) && (v.from === undefined || fitsUser(v.from)) && (v.user === undefined || fitsUser(v.user)));

/** The update kinds the service does not act on (`ignored` in the schema). */
const IGNORED_KINDS = [
  "chat_join_request",
  "message_reaction",
  "message_reaction_count",
  "inline_query",
  "chosen_inline_result",
  "shipping_query",
  "pre_checkout_query",
  "purchased_paid_media",
  "poll_answer",
  "chat_boost",
  "removed_chat_boost",
  "deleted_business_messages",
  "business_connection",
] as const;

/**
 * True only when `telegramUpdateSchema.safeParse(u).success` would be: the same rules without
 * zod's cost. False also for the few cases left to zod (see above), so a false is never a verdict:
 * call the schema for it.
 */
export function fitsTelegramUpdate(u: unknown): boolean {
  if (!isObj(u) || !isInt(u.update_id) || (u.update_id as number) < 0) return false;
  if (!optMessage(u.message) || !optMessage(u.edited_message) || !optMessage(u.channel_post) || !optMessage(u.edited_channel_post)) return false;
  if (!optMessage(u.business_message) || !optMessage(u.edited_business_message)) return false;
  if (!optCallbackQuery(u.callback_query) || !optChatMember(u.my_chat_member) || !optChatMember(u.chat_member)) return false;
  for (const kind of IGNORED_KINDS) if (!optIgnored(u[kind])) return false;
  return true;
}
