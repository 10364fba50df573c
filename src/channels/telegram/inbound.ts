import { rejection, type UpdateVerdict } from "../../inbox/boundary.ts";
import { fitsTelegramUpdate, telegramUpdateSchema } from "./updateSchema.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined);
const id = (v: unknown): number | undefined => (typeof v === "number" && Number.isSafeInteger(v) ? v : undefined);

/** The chat a (validated) Telegram update belongs to, for ordering ("" when it has none, e.g. inline queries). */
function chatKeyOf(update: Json): string {
  for (const field of ["message", "edited_message", "channel_post", "edited_channel_post", "business_message", "edited_business_message", "my_chat_member", "chat_member", "chat_join_request", "message_reaction", "message_reaction_count", "chat_boost", "removed_chat_boost", "deleted_business_messages"]) {
    const chatId = id(obj(obj(update[field])?.chat)?.id);
    if (chatId !== undefined) return String(chatId);
  }
  const cb = obj(update.callback_query);
  if (cb) {
    const chatId = id(obj(obj(cb.message)?.chat)?.id) ?? id(obj(cb.from)?.id);
    if (chatId !== undefined) return String(chatId);
  }
  for (const field of ["inline_query", "chosen_inline_result", "shipping_query", "pre_checkout_query", "poll_answer", "purchased_paid_media", "business_connection"]) {
    const userId = id(obj(obj(update[field])?.from)?.id) ?? id(obj(obj(update[field])?.user)?.id);
    if (userId !== undefined) return String(userId);
  }
  return "";
}

/**
 * Checks a Telegram webhook (or polled) body against the update schema and extracts its keys: the
 * update to store, or why it is refused (never stored, never handled).
 */
export function telegramIncoming(raw: string, body: unknown): UpdateVerdict {
  const update = obj(body);
  const updateId = update?.update_id;
  if (!update || typeof updateId !== "number" || !Number.isSafeInteger(updateId) || updateId < 0) return { ok: false, reason: "not_an_update" };
  // The precompiled check accepts nearly every update; what it does not, the schema decides (and names the reason).
  if (!fitsTelegramUpdate(update)) {
    const parsed = telegramUpdateSchema.safeParse(update);
    if (!parsed.success) return { ok: false, updateKey: String(updateId), ...rejection(parsed.error, update) };
  }
  return { ok: true, update: { channel: "telegram", updateKey: String(updateId), chatKey: chatKeyOf(update), seq: BigInt(updateId), payload: raw } };
}

/** True when a stored Telegram update still fits the schema (rows stored before validation existed may not). */
export function isValidTelegramUpdate(body: unknown): boolean {
  return fitsTelegramUpdate(body) || telegramUpdateSchema.safeParse(body).success;
}
