import type { InboundEvent, InboundInput } from "../../core/inbound.ts";
import { rejection, type UpdateVerdict } from "../../inbox/boundary.ts";
import { mediaAddressRefusal } from "../mediaFetch.ts";
import { ZALO_LIMITS, zaloEventSchema, type ZaloEvent } from "./updateSchema.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined);

/** A Zalo webhook body, wrapped in `{ok, result}` or not (zalo-bot-api.md §5): the event inside, unchecked. */
function unwrap(body: unknown): Json | undefined {
  const outer = obj(body);
  if (!outer) return undefined;
  return "result" in outer && obj(outer.result) ? obj(outer.result) : outer;
}

/** A Zalo body's event when it fits `zaloEventSchema`; undefined otherwise. */
export function unwrapZalo(body: unknown): ZaloEvent | undefined {
  const parsed = zaloEventSchema.safeParse(unwrap(body));
  return parsed.success ? parsed.data : undefined;
}

/**
 * Checks a Zalo webhook (or polled) body against the event schema and extracts its keys: the
 * update to store, or why it is refused (never stored, never handled).
 */
export function zaloIncoming(raw: string, body: unknown): UpdateVerdict {
  const inner = unwrap(body);
  if (!inner || !("event_name" in inner) || !obj(inner.message)) return { ok: false, reason: "not_an_update" };
  const parsed = zaloEventSchema.safeParse(inner);
  if (!parsed.success) {
    const messageId = obj(inner.message)!.message_id;
    const validId = (typeof messageId === "string" && messageId.length <= ZALO_LIMITS.id && /^[\x21-\x7e]+$/.test(messageId)) || Number.isSafeInteger(messageId);
    return { ok: false, ...(validId ? { updateKey: String(messageId) } : {}), ...rejection(parsed.error, inner) };
  }
  const message = parsed.data.message;
  const chatId = message.chat?.id ?? message.from?.id;
  return {
    ok: true,
    update: {
      channel: "zalo",
      updateKey: String(message.message_id),
      chatKey: chatId === undefined ? "" : String(chatId),
      seq: BigInt(message.date ?? Date.now()),
      payload: raw,
    },
  };
}

/**
 * Turns a stored Zalo event into a channel-neutral event; undefined when it does not fit the
 * schema. A photo or voice address that is not HTTPS on one of `mediaHosts` (ZALO_MEDIA_HOSTS),
 * or is longer than MEDIA_ADDRESS_MAX, is never passed on as a file: it becomes `file_refused`
 * (the person is told, the caption kept as their words), so no such address is stored or forwarded.
 */
export function zaloEvent(body: unknown, mediaHosts: readonly string[]): InboundEvent | undefined {
  const event = unwrapZalo(body);
  if (!event) return undefined;
  const message = event.message as Json & ZaloEvent["message"];
  const chatId = message.chat?.id ?? message.from?.id;
  if (chatId === undefined) return undefined;
  return {
    channel: "zalo",
    chat: { platformChatId: String(chatId), kind: message.chat?.chat_type === "GROUP" ? "group" : "private" },
    input: zaloInput(event.event_name, message, mediaHosts),
  };
}

function zaloInput(eventName: string, message: Json, mediaHosts: readonly string[]): InboundInput {
  switch (eventName) {
    case "message.text.received": {
      const text = typeof message.text === "string" ? message.text : "";
      const command = /^\/([A-Za-z0-9_]{1,32})(?:\s+([\s\S]*))?$/.exec(text.trim());
      if (command) {
        const name = command[1]!.toLowerCase();
        return name === "start" ? { type: "start" } : { type: "command", command: name, args: command[2] ?? "" };
      }
      return { type: "text", text };
    }
    case "message.image.received": {
      const url = message.photo_url ?? message.photo;
      if (typeof url !== "string") return { type: "unsupported" };
      const caption = typeof message.caption === "string" && message.caption !== "" ? message.caption : undefined;
      if (mediaAddressRefusal(url, mediaHosts)) return { type: "file_refused", kind: "photo", ...(caption ? { caption } : {}) };
      return { type: "media", kind: "photo", ref: url, caption };
    }
    case "message.sticker.received":
      return { type: "media", kind: "sticker", ref: String(message.sticker ?? "") };
    case "message.voice.received": {
      const url = message.voice_url;
      if (typeof url !== "string") return { type: "unsupported" };
      return mediaAddressRefusal(url, mediaHosts) ? { type: "file_refused", kind: "voice" } : { type: "media", kind: "voice", ref: url };
    }
    default:
      return { type: "unsupported" };
  }
}
