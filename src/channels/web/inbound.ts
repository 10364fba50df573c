import { z } from "zod";
import type { InboundEvent, InboundInput } from "../../core/inbound.ts";
import type { IncomingUpdate } from "../../inbox/ingest.ts";
import type { Sealer } from "../../security/sealing.ts";

/** A message id chosen by the page (a retry repeats it, so the message has one effect). */
const clientId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
/** Longest text accepted at the HTTP layer; the conversation refuses more than 4000 characters itself, with an explanation. */
export const WEB_TEXT_MAX_CHARS = 8000;

/** What the page may POST to /api/chat/messages. */
export const webMessageSchema = z.discriminatedUnion("type", [
  z.object({ id: clientId, type: z.literal("start") }),
  z.object({
    id: clientId,
    type: z.literal("text"),
    text: z.string().max(WEB_TEXT_MAX_CHARS).refine((t) => t.trim() !== "", { message: "empty" }),
  }),
  z.object({ id: clientId, type: z.literal("choice"), choiceId: z.string().regex(/^[\x21-\x7e]{1,64}$/) }),
  z.object({
    id: clientId,
    type: z.literal("location"),
    latitude: z.number().finite().min(-90).max(90),
    longitude: z.number().finite().min(-180).max(180),
  }),
]);
export type WebMessage = z.infer<typeof webMessageSchema>;

/** What is stored in the inbox for the web: the chat and the person's input (a photo is a stored upload). */
export type WebStoredInput =
  | { type: "start" }
  | { type: "text"; text: string }
  | { type: "choice"; choiceId: string }
  | { type: "location"; latitude: number; longitude: number }
  | { type: "media"; kind: "photo"; ref: string };

/** A stored web input, checked again (same caps as at the HTTP layer) before the core sees it. */
const storedSchema = z.object({
  chat: z.string().regex(/^w:[0-9a-f]{32}$/),
  input: z.discriminatedUnion("type", [
    z.object({ type: z.literal("start") }),
    z.object({ type: z.literal("text"), text: z.string().max(WEB_TEXT_MAX_CHARS) }),
    z.object({ type: z.literal("choice"), choiceId: z.string().regex(/^[\x21-\x7e]{1,64}$/) }),
    z.object({ type: z.literal("location"), latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) }),
    z.object({ type: z.literal("media"), kind: z.literal("photo"), ref: z.string().regex(/^upload:[A-Za-z0-9_-]{1,64}$/) }),
  ]),
});

/** The stored form of a page message, without its client id. */
export function storedInput(message: WebMessage): WebStoredInput {
  switch (message.type) {
    case "start":
      return { type: "start" };
    case "text":
      return { type: "text", text: message.text };
    case "choice":
      return { type: "choice", choiceId: message.choiceId };
    case "location":
      return { type: "location", latitude: message.latitude, longitude: message.longitude };
  }
}

/**
 * The deduplication key of one input of a web chat: the chat and the page's message id, as a keyed
 * handle — a processed row keeps its key (a retry must still be recognised), and a key naming the
 * chat, timed next to a tip's receipt, would link the chat to the tip.
 */
export function webUpdateKey(sealer: Sealer, chatKey: string, clientMessageId: string): string {
  return sealer.handle(`${chatKey}:${clientMessageId}`, "web-update");
}

/**
 * The inbox row for one input of a web chat, under its deduplication key (`webUpdateKey`); the order
 * within the chat is the time it arrived.
 */
export function webIncoming(chatKey: string, updateKey: string, input: WebStoredInput, receivedAt = Date.now()): IncomingUpdate {
  return {
    channel: "web",
    updateKey,
    chatKey,
    seq: BigInt(receivedAt),
    payload: JSON.stringify({ chat: chatKey, input }),
  };
}

/** Turns a stored web inbox payload into a channel-neutral event; undefined when it is not one. */
export function webEvent(body: unknown): InboundEvent | undefined {
  const parsed = storedSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { chat, input } = parsed.data;
  return { channel: "web", chat: { platformChatId: chat, kind: "private" }, input: toInput(input) };
}

function toInput(input: WebStoredInput): InboundInput {
  if (input.type !== "text") return input;
  // Typed commands work as on the other channels ("/start", "/help"; unknown ones get the menu).
  const command = /^\/([A-Za-z0-9_]{1,32})(?:\s+([\s\S]*))?$/.exec(input.text.trim());
  if (!command) return input;
  const name = command[1]!.toLowerCase();
  return name === "start" ? { type: "start" } : { type: "command", command: name, args: command[2] ?? "" };
}
