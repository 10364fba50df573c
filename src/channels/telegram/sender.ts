import { GrammyError, HttpError, InputFile, type Api } from "grammy";
import type { OutboundCall } from "../../outbox/outbound.ts";
import type { ChannelSender, SendOutcome } from "../../outbox/sender.ts";
import type { FileLoader } from "../../core/files.ts";
import type { BotApiJsonPost } from "./jsonPost.ts";
import { MediaUnavailable, type MediaFile } from "../contract.ts";
import { readAll } from "../mediaFetch.ts";
import { TELEGRAM_FILE_ID } from "./media.ts";

/** Methods addressed by something other than chat_id. */
const WITHOUT_CHAT_ID = new Set(["answerCallbackQuery", "answerInlineQuery"]);

/** Media fields that may carry a web upload (`upload:<id>`) to send as a file. */
const MEDIA_FIELDS = ["photo", "video", "voice", "audio", "document"];
/** A file's name when uploaded, by field, when the platform declared no usable type. */
const DEFAULT_EXTENSION: Record<string, string> = { photo: "jpg", video: "mp4", voice: "ogg", audio: "mp3", document: "bin" };

/** A media field's string that Telegram may be given as is: one of its own file ids (never an address: Telegram would fetch it). */
const sentAsIs = (ref: string) => TELEGRAM_FILE_ID.test(ref);
/** Whether a payload carries a file the sender uploads itself (a web upload, one of our files, another platform's file). */
const needsUpload = (payload: Record<string, unknown>) => MEDIA_FIELDS.some((f) => payload[f] !== undefined && !(typeof payload[f] === "string" && sentAsIs(payload[f] as string)));

/**
 * Text methods whose links Telegram would preview. Previews stay off for everything the bot sends:
 * a tipster's link must not be fetched and shown as a preview in a police group.
 */
const TEXT_METHODS = new Set(["sendMessage", "editMessageText"]);
const NO_PREVIEW = { is_disabled: true };
/** Send methods that take `allow_paid_broadcast` (edits and answers do not). */
const PAID_METHODS = new Set(["sendMessage", "sendPhoto", "sendVideo", "sendAnimation", "sendAudio", "sendDocument", "sendVoice", "sendLocation", "sendMediaGroup", "sendPoll", "copyMessage"]);

/** Sends outbox calls through grammY's API client and classifies Telegram's answers. */
export class TelegramSender implements ChannelSender {
  /**
   * `loadUpload` reads a web chat upload's bytes, so officers' cards can show photos sent from the
   * web; `paidPost`, when given, sends paid broadcast messages (JSON only) without grammY's client.
   */
  constructor(
    private readonly api: Api,
    private readonly loadUpload?: (id: string) => Promise<{ bytes: Uint8Array; mime: string } | null>,
    /** Files the service makes (a report's chart), sent by reference as `{ $file: ref, name }` (src/core/files.ts). */
    private readonly loadFile?: FileLoader,
    private readonly paidPost?: BotApiJsonPost,
    /**
     * Another platform's file (a Zalo tipster's photo or voice address), fetched here through the
     * channel that holds it — its checks run again: allowed host, public address, size and time —
     * and uploaded: Telegram is never handed an address to fetch. Without it such a file is refused.
     */
    private readonly openForeign?: (ref: string) => Promise<MediaFile | null>,
  ) {}

  async send(chat: { platformChatId: string }, call: OutboundCall): Promise<SendOutcome> {
    const raw = this.api.raw as unknown as Record<string, (p: Record<string, unknown>) => Promise<unknown>>;
    const fn = raw[call.method];
    if (typeof fn !== "function") return { kind: "rejected", reason: `unknown method ${call.method}` };
    const payload: Record<string, unknown> = WITHOUT_CHAT_ID.has(call.method) ? { ...call.payload } : { chat_id: chat.platformChatId, ...call.payload };
    if (TEXT_METHODS.has(call.method) && payload.link_preview_options === undefined) payload.link_preview_options = NO_PREVIEW;
    // A paid campaign's message: Telegram's paid broadcast (up to 1,000 a second, billed in Stars).
    if (call.bulkPaid && PAID_METHODS.has(call.method)) {
      payload.allow_paid_broadcast = true;
      // Up to 1,000 a second: the lean client (a campaign message is JSON; uploads still go below).
      if (this.paidPost && !needsUpload(payload)) {
        const answer = await this.paidPost.call(call.method, payload);
        if (answer.ok === true) {
          const messageId = (answer.result as { message_id?: number } | undefined)?.message_id;
          return { kind: "sent", messageId: messageId === undefined ? undefined : String(messageId) };
        }
        if (answer.ok === "network") return { kind: "transient", reason: `network: ${answer.reason}` };
        return classifyApiError(answer.error_code, answer.description, answer.parameters);
      }
    }
    for (const field of MEDIA_FIELDS) {
      const ref = payload[field];
      if (typeof ref === "string" && ref.startsWith("upload:")) {
        const upload = await this.loadUpload?.(ref.slice(7));
        if (!upload) return { kind: "rejected", reason: `upload ${ref} is gone` };
        payload[field] = new InputFile(Buffer.from(upload.bytes), `photo.${upload.mime.split("/")[1] ?? "jpg"}`);
      } else if (typeof ref === "string" && !sentAsIs(ref)) {
        const fetched = await this.fetchForeign(field, ref);
        if ("outcome" in fetched) return fetched.outcome;
        payload[field] = fetched.file;
      }
      // An object, never a string: a file id or address a person sent can never pass for one of ours.
      if (ref && typeof ref === "object" && typeof (ref as { $file?: unknown }).$file === "string") {
        const { $file, name } = ref as { $file: string; name?: unknown };
        const file = await this.loadFile?.($file);
        if (!file) return { kind: "rejected", reason: `file ${$file} is gone` };
        payload[field] = new InputFile(Buffer.from(file.bytes), typeof name === "string" && name ? name : file.name);
      }
    }
    try {
      const result = await fn(payload);
      const messageId = (result as { message_id?: number } | undefined)?.message_id;
      return { kind: "sent", messageId: messageId === undefined ? undefined : String(messageId) };
    } catch (err) {
      return classifyTelegramError(err);
    }
  }

  /**
   * Reads another platform's file to upload it. Refused (wrong host, private address, redirect
   * elsewhere, too big or slow) or gone: the call is rejected (retrying cannot help); a network or
   * server failure is transient. Reasons never repeat the address.
   */
  private async fetchForeign(field: string, ref: string): Promise<{ file: InputFile } | { outcome: SendOutcome }> {
    if (!this.openForeign) return { outcome: { kind: "rejected", reason: "file refused: not a Telegram file" } };
    try {
      const file = await this.openForeign(ref);
      if (!file) return { outcome: { kind: "rejected", reason: "file is gone" } };
      const bytes = await readAll(file.stream);
      const subtype = /^[a-z]+\/([a-z0-9]{1,8})(?:[;\s]|$)/i.exec(file.declaredType ?? "")?.[1]?.toLowerCase();
      return { file: new InputFile(bytes, `${field}.${subtype ?? DEFAULT_EXTENSION[field] ?? "bin"}`) };
    } catch (err) {
      if (err instanceof MediaUnavailable) return { outcome: { kind: "rejected", reason: `file refused: ${err.reason}` } };
      return { outcome: { kind: "transient", reason: err instanceof Error ? err.message : "file download failed" } };
    }
  }
}

/** Maps a grammY error to what the outbox should do (telegram-notes.md §2). */
export function classifyTelegramError(err: unknown): SendOutcome {
  if (err instanceof GrammyError) return classifyApiError(err.error_code, err.description, err.parameters);
  if (err instanceof HttpError) return { kind: "transient", reason: `network: ${String((err.error as Error)?.message ?? err.message)}` };
  return { kind: "transient", reason: String((err as Error)?.message ?? err) };
}

/** Maps a Bot API error answer (`ok: false`) to what the outbox should do (telegram-notes.md §2). */
export function classifyApiError(code: number, description: string, parameters?: { retry_after?: number; migrate_to_chat_id?: number }): SendOutcome {
  const reason = `${code} ${description}`;
  if (code === 429) {
    const after = parameters?.retry_after;
    return { kind: "rate_limited", retryAfterMs: typeof after === "number" ? after * 1000 : undefined, reason };
  }
  if (code === 403) return { kind: "blocked", reason };
  const migrated = parameters?.migrate_to_chat_id;
  if (migrated !== undefined) return { kind: "migrated", newChatId: String(migrated) };
  if (code === 400 && /message is not modified/i.test(description)) return { kind: "sent" };
  if (code >= 500) return { kind: "transient", reason };
  return { kind: "rejected", reason };
}
