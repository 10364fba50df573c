import type { InboundEvent, InboundInput } from "../../core/inbound.ts";
import type { IncomingUpdate } from "../../inbox/ingest.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined);

/** A Zalo webhook body, wrapped in `{ok, result}` or not (zalo-bot-api.md §5): the event inside. */
export function unwrapZalo(body: unknown): Json | undefined {
  const outer = obj(body);
  if (!outer) return undefined;
  const inner = "result" in outer && obj(outer.result) ? obj(outer.result) : outer;
  if (typeof inner?.event_name !== "string") return undefined;
  const message = obj(inner.message);
  if (!message || typeof message.message_id !== "string" && typeof message.message_id !== "number") return undefined;
  return inner;
}

/** Validates a Zalo webhook body and extracts its keys; undefined when it is not a Zalo event. */
export function zaloIncoming(raw: string, body: unknown): IncomingUpdate | undefined {
  const event = unwrapZalo(body);
  if (!event) return undefined;
  const message = obj(event.message)!;
  const chatId = obj(message.chat)?.id ?? obj(message.from)?.id;
  const date = typeof message.date === "number" && Number.isSafeInteger(message.date) ? message.date : Date.now();
  return {
    channel: "zalo",
    updateKey: String(message.message_id),
    chatKey: chatId === undefined ? "" : String(chatId),
    seq: BigInt(date),
    payload: raw,
  };
}

/** Turns a stored Zalo event into a channel-neutral event. */
export function zaloEvent(body: unknown): InboundEvent | undefined {
  const event = unwrapZalo(body);
  if (!event) return undefined;
  const message = obj(event.message)!;
  const chat = obj(message.chat);
  const chatId = chat?.id ?? obj(message.from)?.id;
  if (chatId === undefined) return undefined;
  return {
    channel: "zalo",
    chat: { platformChatId: String(chatId), kind: chat?.chat_type === "GROUP" ? "group" : "private" },
    input: zaloInput(String(event.event_name), message),
  };
}

function zaloInput(eventName: string, message: Json): InboundInput {
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
      return { type: "media", kind: "photo", ref: url, caption };
    }
    case "message.sticker.received":
      return { type: "media", kind: "sticker", ref: String(message.sticker ?? "") };
    case "message.voice.received":
      return typeof message.voice_url === "string" ? { type: "media", kind: "voice", ref: message.voice_url } : { type: "unsupported" };
    default:
      return { type: "unsupported" };
  }
}
