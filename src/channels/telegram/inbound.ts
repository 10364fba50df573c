import type { IncomingUpdate } from "../../inbox/ingest.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined);

/** The chat a Telegram update belongs to, for ordering ("" when it has none, e.g. inline queries). */
function chatKeyOf(update: Json): string {
  for (const field of ["message", "edited_message", "channel_post", "edited_channel_post", "business_message", "my_chat_member", "chat_member", "chat_join_request", "message_reaction"]) {
    const id = obj(obj(update[field])?.chat)?.id;
    if (id !== undefined) return String(id);
  }
  const cb = obj(update.callback_query);
  if (cb) {
    const id = obj(obj(cb.message)?.chat)?.id ?? obj(cb.from)?.id;
    if (id !== undefined) return String(id);
  }
  for (const field of ["inline_query", "chosen_inline_result", "shipping_query", "pre_checkout_query", "poll_answer"]) {
    const id = obj(obj(update[field])?.from)?.id ?? obj(obj(update[field])?.user)?.id;
    if (id !== undefined) return String(id);
  }
  return "";
}

/** Validates a Telegram webhook body and extracts its keys; undefined when it is not an Update. */
export function telegramIncoming(raw: string, body: unknown): IncomingUpdate | undefined {
  const update = obj(body);
  const id = update?.update_id;
  if (!update || typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) return undefined;
  return { channel: "telegram", updateKey: String(id), chatKey: chatKeyOf(update), seq: BigInt(id), payload: raw };
}
