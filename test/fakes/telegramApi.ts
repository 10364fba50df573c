import { randomBytes, randomInt } from "node:crypto";
import type http from "node:http";
import type { Chat, Message, Update, User } from "grammy/types";
import { FakeHttpApi, TokenBucket, chatKey, postRaw, type Params, type PushResult, type Reply } from "./common.js";

export { type FakeCall, type PushResult, uploadedBytes } from "./common.js";

/** Flood limits enforced by `FakeTelegramApi`; change them at any time through `fake.limits`. */
export interface TelegramLimits {
  /** Sends per second across all chats (not applied to `allow_paid_broadcast: true`). */
  globalPerSecond: number;
  /** Paid broadcast sends (`allow_paid_broadcast: true`) per second across all chats; also that bucket's capacity (Telegram: 1,000). */
  paidPerSecond: number;
  /** Refill rate of each private chat's bucket (chat id > 0). */
  privatePerSecond: number;
  /** Capacity of each private chat's bucket: how many quick sends pass before 429. */
  privateBurst: number;
  /** Sends per minute to each group (chat id < 0); also the group bucket's capacity. */
  groupPerMinute: number;
}

/** Constructor options of `FakeTelegramApi`. */
export interface FakeTelegramApiOptions extends Partial<TelegramLimits> {
  /** Bot token accepted in `/bot<token>/<method>`; default `"123456:TEST-TOKEN"`. */
  token?: string;
}

/** An error injected with `failNext`: HTTP status (= `error_code`), description and optional `parameters`. */
export interface TelegramInjectedError {
  status: number;
  description: string;
  parameters?: object;
}

/** Options of `FakeTelegramApi.pushUpdate`. */
export interface PushUpdateOptions {
  /** Secret header value; default the one given to setWebhook; `null` sends no header. */
  secret?: string | null;
  /** Target URL; default the URL given to setWebhook. */
  url?: string;
  /** Body to send verbatim instead of the JSON of the update. */
  rawBody?: string;
}

/** Webhook registered through setWebhook (`url` is `""` when none is set). */
export interface TelegramWebhook {
  url: string;
  secretToken: string | undefined;
  maxConnections: number | undefined;
  allowedUpdates: string[] | undefined;
}

/** The default bot token of the fake and of the update builders. */
export const TG_TEST_TOKEN = "123456:TEST-TOKEN";

/** Username the fake reports in getMe. */
export const TG_BOT_USERNAME = "taimat_test_bot";

const METHODS = [
  "getMe",
  "sendMessage",
  "sendPhoto",
  "sendVideo",
  "sendDocument",
  "sendVoice",
  "sendLocation",
  "sendChatAction",
  "sendMediaGroup",
  "copyMessage",
  "forwardMessage",
  "editMessageText",
  "editMessageReplyMarkup",
  "editMessageCaption",
  "deleteMessage",
  "answerCallbackQuery",
  "setWebhook",
  "deleteWebhook",
  "getWebhookInfo",
  "getUpdates",
  "getChat",
  "setMyCommands",
  "getFile",
] as const;
type Method = (typeof METHODS)[number];
const CANONICAL = new Map<string, Method>(METHODS.map((m) => [m.toLowerCase(), m]));

const DELIVERY_METHODS: ReadonlySet<string> = new Set([
  "sendMessage",
  "sendPhoto",
  "sendVideo",
  "sendDocument",
  "sendVoice",
  "sendLocation",
  "sendMediaGroup",
  "copyMessage",
]);

const MEDIA_FIELDS = ["photo", "video", "document", "voice", "audio", "animation", "sticker"] as const;

const FIRST_NAMES = ["Nguyễn Văn A", "Trần Thị B", "Lê Hoàng C", "Phạm Minh D", "Hoàng Thị E", "Võ Đức F"];

const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

let lastUpdateId = 100_000_000 + randomInt(1_000_000);
const lastMessageIds = new Map<string, number>();

/** Next `update_id`, shared by every fake and builder in the process so ids never repeat. */
export function nextUpdateId(): number {
  lastUpdateId += 1;
  return lastUpdateId;
}

/** Next message id in a chat, shared by the fakes (outgoing) and builders (incoming), as on Telegram. */
export function nextMessageId(chatId: number | string): number {
  const next = (lastMessageIds.get(chatKey(chatId)) ?? 0) + 1;
  lastMessageIds.set(chatKey(chatId), next);
  return next;
}

/**
 * A realistic Telegram user for `id`: Vietnamese `first_name` picked by id, `username` `user<id>`,
 * `language_code` "vi". Anonymity tests can scan outgoing payloads for these values.
 */
export function tgUser(id: number, overrides: Partial<User> = {}): User {
  return {
    id,
    is_bot: false,
    first_name: FIRST_NAMES[Math.abs(id) % FIRST_NAMES.length] ?? "Nguyễn Văn A",
    username: `user${id}`,
    language_code: "vi",
    ...overrides,
  };
}

/** The bot as it appears in `from` of its own messages (default token's id). */
export function tgBotUser(token = TG_TEST_TOKEN): User {
  return { id: Number(token.split(":")[0]) || 123456, is_bot: true, first_name: "Tai Mắt", username: TG_BOT_USERNAME };
}

function privateChat(user: User): Chat.PrivateChat {
  return {
    id: user.id,
    type: "private",
    first_name: user.first_name,
    ...(user.last_name !== undefined ? { last_name: user.last_name } : {}),
    ...(user.username !== undefined ? { username: user.username } : {}),
  };
}

function groupChat(groupId: number): Chat.GroupChat | Chat.SupergroupChat {
  const title = `Công an xã - tổ ${Math.abs(groupId) % 1000}`;
  return groupId <= -1_000_000_000_000 ? { id: groupId, type: "supergroup", title } : { id: groupId, type: "group", title };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function incoming(chatId: number, from: User, content: Record<string, unknown>, messageId?: number): Update {
  const chat = chatId > 0 ? privateChat({ ...from, id: chatId }) : groupChat(chatId);
  const message = {
    message_id: messageId ?? nextMessageId(chatId),
    date: nowSeconds(),
    chat,
    from,
    ...content,
  } as Message & Update.NonChannel;
  return { update_id: nextUpdateId(), message };
}

/** A text message from a private chat (user id = chat id). */
export function tgPrivateText(
  chatId: number,
  text: string,
  opts: { from?: Partial<User>; messageId?: number } = {},
): Update {
  return incoming(chatId, tgUser(chatId, opts.from), { text }, opts.messageId);
}

/** A command such as `/start` (plus optional args) from a private chat, with its `bot_command` entity. */
export function tgCommand(chatId: number, command: string, args?: string): Update {
  const cmd = command.startsWith("/") ? command : `/${command}`;
  const text = args ? `${cmd} ${args}` : cmd;
  return incoming(chatId, tgUser(chatId), { text, entities: [{ type: "bot_command", offset: 0, length: cmd.length }] });
}

/**
 * A button press on the bot's message `messageId` in `chatId`. In groups pass `from` (the officer);
 * the fake fills the message's text and keyboard when it sent that message itself.
 */
export function tgCallback(chatId: number, data: string, messageId: number, from?: Partial<User>): Update {
  const user = tgUser(from?.id ?? (chatId > 0 ? chatId : 5_550_001), from);
  const chat = chatId > 0 ? privateChat({ ...user, id: chatId }) : groupChat(chatId);
  return {
    update_id: nextUpdateId(),
    callback_query: {
      id: String(randomInt(1, 2 ** 47)),
      from: user,
      chat_instance: String(-randomInt(1, 2 ** 47)),
      data,
      message: { message_id: messageId, date: nowSeconds(), chat, from: tgBotUser() } as Message,
    },
  };
}

/** A shared location from a private chat. */
export function tgLocation(chatId: number, latitude: number, longitude: number): Update {
  return incoming(chatId, tgUser(chatId), { location: { latitude, longitude } });
}

/** A shared contact (the user's own phone, as sent by a `request_contact` button). */
export function tgContact(chatId: number, phoneNumber: string, firstName: string): Update {
  return incoming(chatId, tgUser(chatId), { contact: { phone_number: phoneNumber, first_name: firstName, user_id: chatId } });
}

/** A text message in a group from user `fromId`, optionally replying to the bot's message `replyToMessageId`. */
export function tgGroupText(groupId: number, fromId: number, text: string, replyToMessageId?: number): Update {
  const content: Record<string, unknown> = { text };
  if (replyToMessageId !== undefined) {
    content.reply_to_message = { message_id: replyToMessageId, date: nowSeconds(), chat: groupChat(groupId), from: tgBotUser() };
  }
  return incoming(groupId, tgUser(fromId), content);
}

type StoredMessage = Record<string, unknown> & { message_id: number; chat: Record<string, unknown> };

function ok(result: unknown, description?: string): Reply {
  return { status: 200, body: { ok: true, result, ...(description ? { description } : {}) } };
}

function fail(code: number, description: string, parameters?: object): Reply {
  return { status: code, body: { ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

function randomFileId(prefix: string): string {
  return `${prefix}${randomBytes(30).toString("base64url")}`;
}

/** A formatting entity as Telegram reports it on a message (offsets and lengths in UTF-16 code units). */
export interface TgEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  user?: { id: number; is_bot: boolean; first_name: string };
}

/** Tags Telegram's HTML parse mode accepts, and the entity each one makes. */
const HTML_TAGS: Record<string, string> = {
  b: "bold", strong: "bold", i: "italic", em: "italic", u: "underline", ins: "underline",
  s: "strikethrough", strike: "strikethrough", del: "strikethrough", span: "spoiler", "tg-spoiler": "spoiler",
  a: "text_link", code: "code", pre: "pre", blockquote: "blockquote", "tg-emoji": "custom_emoji",
};
const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/**
 * Parses a text the way Telegram does for `parse_mode` (HTML only; other modes are taken raw): the
 * text shown and its entities, or the 400 description Telegram gives for malformed markup (an
 * unknown tag, a tag left open, an end tag that does not match, a `<` that opens no tag). Named
 * (`&lt;` `&gt;` `&amp;` `&quot;`) and numeric entities are decoded; any other `&` stays as typed.
 */
export function parseTelegramText(text: string, parseMode: unknown): { text: string; entities: TgEntity[] } | { error: string } {
  if (typeof parseMode !== "string" || parseMode.toUpperCase() !== "HTML") return { text, entities: [] };
  const bad = (why: string) => ({ error: `Bad Request: can't parse entities: ${why}` });
  const byteOffset = (i: number) => Buffer.byteLength(text.slice(0, i), "utf8");
  let out = "";
  const entities: TgEntity[] = [];
  const open: Array<{ tag: string; start: number; url?: string }> = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "&") {
      const m = /^&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/i.exec(text.slice(i, i + 12));
      const name = m?.[1];
      const decoded = !name ? undefined : name.startsWith("#x") || name.startsWith("#X") ? String.fromCodePoint(parseInt(name.slice(2), 16)) : name.startsWith("#") ? String.fromCodePoint(Number(name.slice(1))) : NAMED_ENTITIES[name.toLowerCase()];
      if (decoded !== undefined) {
        out += decoded;
        i += m![0].length;
      } else {
        out += c;
        i += 1;
      }
      continue;
    }
    if (c !== "<") {
      out += c;
      i += 1;
      continue;
    }
    const begin = i;
    const close = text.indexOf(">", i);
    if (close === -1) return bad(`Unclosed start tag at byte offset ${byteOffset(begin)}`);
    const inside = text.slice(i + 1, close);
    i = close + 1;
    if (inside.startsWith("/")) {
      const name = inside.slice(1).trim().toLowerCase();
      const top = open.pop();
      if (!top) return bad(`Unexpected end tag at byte offset ${byteOffset(begin)}`);
      if (name && name !== top.tag) return bad(`Unmatched end tag at byte offset ${byteOffset(begin)}, expected "</${top.tag}>", found "</${name}>"`);
      if (out.length > top.start) {
        const user = top.url !== undefined ? /^tg:\/\/user\?id=(\d+)$/.exec(top.url) : null;
        // Telegram turns a link to tg://user?id=… into a mention of that user.
        if (user) entities.push({ type: "text_mention", offset: top.start, length: out.length - top.start, user: { id: Number(user[1]), is_bot: false, first_name: "" } });
        else entities.push({ type: HTML_TAGS[top.tag]!, offset: top.start, length: out.length - top.start, ...(top.url !== undefined ? { url: top.url } : {}) });
      }
      continue;
    }
    const tag = /^[^\s]*/.exec(inside)![0].toLowerCase();
    if (!(tag in HTML_TAGS)) return bad(`Unsupported start tag "${tag}" at byte offset ${byteOffset(begin)}`);
    const attributes = inside.slice(tag.length);
    let url: string | undefined;
    if (tag === "a") {
      const href = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(attributes);
      const raw = href ? (href[1] ?? href[2] ?? href[3] ?? "") : "";
      url = raw.replace(/&(lt|gt|amp|quot);/g, (_, n: string) => NAMED_ENTITIES[n]!);
    }
    open.push({ tag, start: out.length, url });
  }
  if (open.length) return bad(`Can't find end tag corresponding to start tag "${open.at(-1)!.tag}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text: out, entities };
}

/** Text as Telegram sees it after entity parsing (call after the text was checked). */
function visibleText(text: string, parseMode: unknown): string {
  const parsed = parseTelegramText(text, parseMode);
  return "error" in parsed ? text : parsed.text;
}

/** The text a call's payload shows in Telegram (`text`, else `caption`; HTML parsed when `parse_mode` says so). */
export function tgShownText(payload: Record<string, unknown>): string {
  const raw = payload.text ?? payload.caption;
  return raw === undefined || raw === null ? "" : visibleText(String(raw), payload.parse_mode);
}

/** The entities Telegram would report for a checked text (none without a parse mode). */
function entitiesOf(text: string, parseMode: unknown): TgEntity[] | undefined {
  const parsed = parseTelegramText(text, parseMode);
  return "error" in parsed || parsed.entities.length === 0 ? undefined : parsed.entities;
}

/** How the fake's file server sends a file added with `addFile` (default: all at once, with its length). */
export interface FileServing {
  /** Sent without Content-Length (chunked), as a server hiding the size would. */
  chunked?: boolean;
  /** Only these first bytes are sent, then the connection stays open with nothing more (a stalled download). */
  stallAfter?: number;
  /** The size `getFile` reports (`null`: none); default the real size. */
  reportedSize?: number | null;
}

/**
 * Fake Telegram Bot API server on `node:http` for tests: Telegram's envelope and error texts,
 * flood limits (token buckets), blocked and migrated chats, webhook and long polling, injected
 * failures, and a record of every call.
 */
export class FakeTelegramApi extends FakeHttpApi<TelegramInjectedError> {
  /** The token the fake accepts. */
  readonly token: string;
  /** Flood limits, read on every call. */
  limits: TelegramLimits;
  /** The registered webhook (`url` `""` when none). */
  webhook: TelegramWebhook = { url: "", secretToken: undefined, maxConnections: undefined, allowedUpdates: undefined };

  protected readonly deliveryMethods = DELIVERY_METHODS;

  private readonly bot: User;
  private readonly globalBucket = new TokenBucket();
  private readonly paidBucket = new TokenBucket();
  private readonly chatBuckets = new Map<string, TokenBucket>();
  private readonly blocked = new Map<string, string>();
  private readonly migrated = new Map<string, number>();
  private readonly messages = new Map<string, StoredMessage>();
  private updates: Array<Record<string, unknown> & { update_id: number }> = [];
  private readonly commandMenus = new Map<string, Array<{ command: string; description: string }>>();
  /** Files the fake holds by file id: `getFile` gives their path, `/file/bot<token>/<path>` their bytes. */
  private readonly files = new Map<string, { path: string; bytes: Buffer } & FileServing>();
  /** Every file download asked of the fake (`/file/bot<token>/<path>`), with the status answered. */
  downloads: Array<{ path: string; status: number }> = [];
  /** Paths of downloads whose connection the client closed before the whole file was sent. */
  abandonedDownloads: string[] = [];

  constructor(opts: FakeTelegramApiOptions = {}) {
    super();
    this.token = opts.token ?? TG_TEST_TOKEN;
    this.bot = tgBotUser(this.token);
    this.limits = {
      globalPerSecond: opts.globalPerSecond ?? 30,
      paidPerSecond: opts.paidPerSecond ?? 1000,
      privatePerSecond: opts.privatePerSecond ?? 1,
      privateBurst: opts.privateBurst ?? 3,
      groupPerMinute: opts.groupPerMinute ?? 20,
    };
  }

  /**
   * Makes sends, edits and chat actions to `chatId` fail with 403. The default description is
   * "Forbidden: bot was blocked by the user" (private) or "Forbidden: bot was kicked from the group chat".
   */
  block(chatId: number | string, description?: string): void {
    const group = Number(chatId) < 0;
    this.blocked.set(
      chatKey(chatId),
      description ?? (group ? "Forbidden: bot was kicked from the group chat" : "Forbidden: bot was blocked by the user"),
    );
  }

  /** Lets the bot reach `chatId` again. */
  unblock(chatId: number | string): void {
    this.blocked.delete(chatKey(chatId));
  }

  /** Marks group `oldId` as upgraded: every call naming it answers 400 with `parameters.migrate_to_chat_id = newId`. */
  migrate(oldId: number | string, newId: number): void {
    this.migrated.set(chatKey(oldId), newId);
  }

  /** Makes `fileId` (as a resident's message carries it) a file the bot can fetch with getFile; returns its file_path. */
  addFile(fileId: string, bytes: Uint8Array, name = "file.jpg", serving: FileServing = {}): string {
    const path = `photos/${randomBytes(6).toString("hex")}-${name}`;
    this.files.set(fileId, { path, bytes: Buffer.from(bytes), ...serving });
    return path;
  }

  protected override serveRaw(pathname: string, res: http.ServerResponse): boolean {
    const match = /^\/file\/bot([^/]+)\/(.+)$/.exec(pathname);
    if (!match) return false;
    const file = match[1] === this.token ? [...this.files.values()].find((f) => f.path === decodeURIComponent(match[2]!)) : undefined;
    const status = file ? 200 : match[1] === this.token ? 404 : 401;
    this.downloads.push({ path: decodeURIComponent(match[2]!), status });
    if (!file) {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: false, error_code: status, description: status === 404 ? "Not Found" : "Unauthorized" }));
      return true;
    }
    // Telegram's file server declares a generic type; the console must not trust it anyway.
    res.writeHead(200, { "content-type": "application/octet-stream", ...(file.chunked ? {} : { "content-length": String(file.bytes.length) }) });
    res.once("close", () => {
      if (!res.writableFinished) this.abandonedDownloads.push(file.path);
    });
    const sent = file.stallAfter === undefined ? file.bytes : file.bytes.subarray(0, file.stallAfter);
    // Sent as the client reads it (a client that hangs up early leaves the rest unsent).
    let at = 0;
    const pump = (): void => {
      while (at < sent.length) {
        const piece = sent.subarray(at, (at += 16_384));
        if (!res.write(piece)) return void res.once("drain", pump);
      }
      if (file.stallAfter === undefined) res.end();
    };
    pump();
    return true;
  }

  /** Messages the fake knows in a chat (sent by the bot or seen in pushed/queued updates), by message id. */
  messagesIn(chatId: number | string): StoredMessage[] {
    const prefix = `${chatKey(chatId)}:`;
    return [...this.messages.entries()].filter(([key]) => key.startsWith(prefix)).map(([, message]) => message);
  }

  /** Queues an update for getUpdates (assigning `update_id` if missing) and wakes a waiting long poll. */
  queueUpdate<U extends object>(update: U): U & { update_id: number } {
    const withId = this.prepareUpdate(update);
    this.updates.push(withId);
    this.updates.sort((a, b) => a.update_id - b.update_id);
    this.wakeHeld();
    return withId as U & { update_id: number };
  }

  /**
   * POSTs an update to the webhook (or `opts.url`) with header `X-Telegram-Bot-Api-Secret-Token`,
   * assigning `update_id` if missing. Resolves with the receiver's status and body; rejects when
   * there is no URL or the connection fails.
   */
  async pushUpdate(update: object, opts: PushUpdateOptions = {}): Promise<PushResult> {
    const url = opts.url ?? this.webhook.url;
    if (!url) throw new Error("pushUpdate: no webhook is set (call setWebhook first or pass opts.url)");
    const withId = this.prepareUpdate(update);
    const secret = opts.secret === undefined ? this.webhook.secretToken : opts.secret;
    const headers: Record<string, string> = secret == null ? {} : { "x-telegram-bot-api-secret-token": secret };
    return postRaw(url, opts.rawBody ?? JSON.stringify(withId), headers);
  }

  protected route(pathname: string): { token: string; method: string } | undefined {
    const match = /^\/bot([^/]+)\/(?:test\/)?([^/]+)$/.exec(pathname);
    if (!match?.[1] || !match[2]) return undefined;
    return { token: match[1], method: CANONICAL.get(match[2].toLowerCase()) ?? match[2] };
  }

  protected routingError(kind: "not-found" | "unauthorized" | "bad-body", detail?: string): Reply {
    if (kind === "unauthorized") return fail(401, "Unauthorized");
    if (kind === "bad-body") return fail(400, `Bad Request: can't parse JSON: ${detail ?? ""}`.trim());
    return fail(404, "Not Found");
  }

  protected injectedReply(error: TelegramInjectedError): Reply {
    return fail(error.status, error.description, error.parameters);
  }

  protected async handle(method: string, p: Params, res: http.ServerResponse): Promise<Reply | undefined> {
    const known = method as Method;
    switch (known) {
      case "getMe":
        return ok({
          ...this.bot,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
          can_connect_to_business: false,
          has_main_web_app: false,
          has_topics_enabled: false,
          allows_users_to_create_topics: false,
          can_manage_bots: false,
          supports_join_request_queries: false,
        });
      case "sendMessage":
        return this.sendMessage(p);
      case "sendPhoto":
      case "sendVideo":
      case "sendDocument":
      case "sendVoice":
        return this.sendMedia(method, p);
      case "sendLocation":
        return this.sendLocation(p);
      case "sendChatAction":
        return this.sendChatAction(p);
      case "sendMediaGroup":
        return this.sendMediaGroup(p);
      case "copyMessage":
      case "forwardMessage":
        return this.copyOrForward(known, p);
      case "editMessageText":
      case "editMessageCaption":
      case "editMessageReplyMarkup":
        return this.edit(known, p);
      case "deleteMessage":
        return this.deleteMessage(p);
      case "answerCallbackQuery":
        if (isEmpty(p.callback_query_id)) {
          return fail(400, "Bad Request: query is too old and response timeout expired or query ID is invalid");
        }
        if (typeof p.text === "string" && p.text.length > 200) return fail(400, "Bad Request: MESSAGE_TOO_LONG");
        return ok(true);
      case "setWebhook":
        return this.setWebhook(p);
      case "deleteWebhook":
        if (p.drop_pending_updates === true) this.updates = [];
        if (!this.webhook.url) return ok(true, "Webhook is already deleted");
        this.webhook = { url: "", secretToken: undefined, maxConnections: undefined, allowedUpdates: undefined };
        return ok(true, "Webhook was deleted");
      case "getWebhookInfo":
        return ok({
          url: this.webhook.url,
          has_custom_certificate: false,
          pending_update_count: this.updates.length,
          ...(this.webhook.url ? { max_connections: this.webhook.maxConnections ?? 40 } : {}),
          ...(this.webhook.allowedUpdates ? { allowed_updates: this.webhook.allowedUpdates } : {}),
        });
      case "getUpdates":
        return this.getUpdates(p, res);
      case "getChat":
        return this.checkChat(p) ?? ok({ ...this.chatObject(p.chat_id), accent_color_id: 0, max_reaction_count: 11 });
      case "setMyCommands":
        return this.setMyCommands(p);
      case "getFile": {
        const file = typeof p.file_id === "string" ? this.files.get(p.file_id) : undefined;
        if (!file) return fail(400, "Bad Request: invalid file_id");
        const size = file.reportedSize === undefined ? file.bytes.length : file.reportedSize;
        return ok({ file_id: p.file_id, file_unique_id: `${String(p.file_id).slice(0, 8)}-u`, ...(size === null ? {} : { file_size: size }), file_path: file.path });
      }
      default:
        return fail(404, "Not Found");
    }
  }

  private prepareUpdate(update: object): Record<string, unknown> & { update_id: number } {
    const u = { ...(update as Record<string, unknown>) };
    if (typeof u.update_id !== "number") u.update_id = nextUpdateId();
    for (const key of ["message", "edited_message", "channel_post", "edited_channel_post"]) {
      const message = u[key];
      if (isRecord(message)) {
        this.remember(message);
        u[key] = this.enrich(message, "reply_to_message");
      }
    }
    const query = u.callback_query;
    if (isRecord(query) && isRecord(query.message)) {
      const known = this.lookup(query.message);
      if (known) u.callback_query = { ...query, message: { ...query.message, ...known } };
    }
    return u as Record<string, unknown> & { update_id: number };
  }

  private enrich(message: Record<string, unknown>, field: string): Record<string, unknown> {
    const inner = message[field];
    if (!isRecord(inner)) return message;
    const known = this.lookup(inner);
    return known ? { ...message, [field]: { ...inner, ...known } } : message;
  }

  private lookup(message: Record<string, unknown>): StoredMessage | undefined {
    const chat = message.chat;
    if (!isRecord(chat)) return undefined;
    return this.messages.get(`${chatKey(chat.id)}:${String(message.message_id)}`);
  }

  private remember(message: Record<string, unknown>): void {
    const chat = message.chat;
    if (!isRecord(chat) || typeof message.message_id !== "number") return;
    this.messages.set(`${chatKey(chat.id)}:${message.message_id}`, message as StoredMessage);
    const counter = lastMessageIds.get(chatKey(chat.id)) ?? 0;
    if (message.message_id > counter) lastMessageIds.set(chatKey(chat.id), message.message_id);
  }

  private chatObject(chatId: unknown): Record<string, unknown> {
    const n = Number(chatId);
    if (Number.isInteger(n) && n > 0) return { ...privateChat(tgUser(n)) };
    if (Number.isInteger(n) && n < 0) return { ...groupChat(n) };
    const username = String(chatId).replace(/^@/, "");
    let hash = 0;
    for (const ch of username) hash = (hash * 31 + ch.charCodeAt(0)) % 1_000_000_000;
    return { id: -1_001_000_000_000 - hash, type: "channel", title: username, username };
  }

  /** Missing chat id or migrated group → error reply. */
  private checkChat(p: Params, field = "chat_id"): Reply | undefined {
    const chatId = p[field];
    if (isEmpty(chatId)) return fail(400, `Bad Request: ${field} is empty`);
    const newId = this.migrated.get(chatKey(chatId));
    if (newId !== undefined) {
      return fail(400, "Bad Request: group chat was upgraded to a supergroup chat", { migrate_to_chat_id: newId });
    }
    return undefined;
  }

  /** Blocked chat → 403; flood limits → 429 (nothing consumed); otherwise consumes one token from each bucket. */
  private admit(chatId: unknown, p: Params, limited = true): Reply | undefined {
    const key = chatId === undefined ? undefined : chatKey(chatId);
    const blockedDescription = key === undefined ? undefined : this.blocked.get(key);
    if (blockedDescription !== undefined) return fail(403, blockedDescription);
    if (!limited) return undefined;
    const now = Date.now();
    const { globalPerSecond, paidPerSecond, privatePerSecond, privateBurst, groupPerMinute } = this.limits;
    const buckets: Array<[TokenBucket, number, number]> = [];
    // Paid broadcasts have their own overall limit instead of the free one.
    if (p.allow_paid_broadcast === true) buckets.push([this.paidBucket, paidPerSecond, paidPerSecond]);
    else buckets.push([this.globalBucket, globalPerSecond, globalPerSecond]);
    if (key !== undefined) {
      let bucket = this.chatBuckets.get(key);
      if (!bucket) this.chatBuckets.set(key, (bucket = new TokenBucket()));
      const isPrivate = Number(key) > 0;
      buckets.push(isPrivate ? [bucket, privateBurst, privatePerSecond] : [bucket, groupPerMinute, groupPerMinute / 60]);
    }
    const waitMs = Math.max(0, ...buckets.map(([bucket, capacity, rate]) => bucket.waitMs(capacity, rate, now)));
    if (waitMs > 0) {
      const seconds = Number.isFinite(waitMs) ? Math.max(1, Math.ceil(waitMs / 1000)) : 3600;
      return fail(429, `Too Many Requests: retry after ${seconds}`, { retry_after: seconds });
    }
    for (const [bucket, capacity, rate] of buckets) bucket.take(capacity, rate, now);
    return undefined;
  }

  /** Parses and validates `reply_markup`; returns the inline keyboard markup to echo, or an error. */
  private checkMarkup(p: Params): { error?: Reply; inline?: Record<string, unknown> } {
    let markup = p.reply_markup;
    if (markup === undefined || markup === null) return {};
    if (typeof markup === "string") {
      try {
        markup = JSON.parse(markup) as unknown;
      } catch {
        return { error: fail(400, "Bad Request: can't parse reply keyboard markup JSON object") };
      }
    }
    if (!isRecord(markup)) return { error: fail(400, "Bad Request: can't parse reply keyboard markup JSON object") };
    if (markup.inline_keyboard === undefined) return {};
    const rows = markup.inline_keyboard;
    if (!Array.isArray(rows) || rows.some((row) => !Array.isArray(row))) {
      return { error: fail(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays") };
    }
    for (const button of rows.flat() as unknown[]) {
      if (!isRecord(button)) return { error: fail(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object") };
      if (isEmpty(button.text)) return { error: fail(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard") };
      if ("callback_data" in button) {
        const data = button.callback_data;
        const bytes = typeof data === "string" ? Buffer.byteLength(data, "utf8") : 0;
        if (bytes < 1 || bytes > 64) return { error: fail(400, "Bad Request: BUTTON_DATA_INVALID") };
      }
    }
    return { inline: markup };
  }

  private checkText(p: Params): Reply | undefined {
    const parsed = typeof p.text === "string" || typeof p.text === "number" ? parseTelegramText(String(p.text), p.parse_mode) : { text: "" };
    if ("error" in parsed) return fail(400, parsed.error);
    const text = parsed.text;
    if (text.trim().length === 0) return fail(400, "Bad Request: message text is empty");
    if (text.length > 4096) return fail(400, "Bad Request: message is too long");
    return undefined;
  }

  private checkCaption(caption: unknown, parseMode: unknown): Reply | undefined {
    if (caption === undefined || caption === null) return undefined;
    const parsed = parseTelegramText(String(caption), parseMode);
    if ("error" in parsed) return fail(400, parsed.error);
    if (parsed.text.length > 1024) return fail(400, "Bad Request: message caption is too long");
    return undefined;
  }

  private newMessage(chatId: unknown, p: Params, content: Record<string, unknown>, markup?: Record<string, unknown>): StoredMessage {
    const chat = this.chatObject(chatId);
    const message: StoredMessage = {
      message_id: nextMessageId(chat.id as number),
      from: this.bot,
      chat,
      date: nowSeconds(),
      ...content,
    };
    const replyTo = isRecord(p.reply_parameters) ? p.reply_parameters.message_id : p.reply_to_message_id;
    if (replyTo !== undefined) {
      const original = this.messages.get(`${chatKey(chat.id)}:${String(replyTo)}`);
      if (original) message.reply_to_message = original;
    }
    if (markup) message.reply_markup = markup;
    this.messages.set(`${chatKey(chat.id)}:${message.message_id}`, message);
    return message;
  }

  private sendMessage(p: Params): Reply {
    const markup = this.checkMarkup(p);
    const entities = this.checkEntities(p);
    const error = this.checkChat(p) ?? this.checkText(p) ?? markup.error ?? entities.error ?? this.admit(p.chat_id, p);
    if (error) return error;
    // Formatting comes from parse_mode, or else from explicit entities (Telegram ignores entities with a parse_mode).
    const parsed = entitiesOf(String(p.text), p.parse_mode);
    const content: Record<string, unknown> = { text: visibleText(String(p.text), p.parse_mode) };
    if (parsed) content.entities = parsed;
    else if (entities.list) content.entities = entities.list;
    return ok(this.newMessage(p.chat_id, p, content, markup.inline));
  }

  /**
   * Checks `entities` as Telegram does: a list of objects with a known type, inside the text
   * (offset and length in UTF-16 code units); a text_mention names a user by id, a text_link has a url.
   */
  private checkEntities(p: Params): { error?: Reply; list?: Array<Record<string, unknown>> } {
    let entities = p.entities;
    if (entities === undefined || entities === null) return {};
    if (typeof entities === "string") {
      try {
        entities = JSON.parse(entities) as unknown;
      } catch {
        return { error: fail(400, "Bad Request: can't parse entities JSON object") };
      }
    }
    if (!Array.isArray(entities)) return { error: fail(400, "Bad Request: can't parse entities JSON object") };
    const length = String(p.text ?? "").length;
    for (const e of entities as unknown[]) {
      if (!isRecord(e) || typeof e.type !== "string" || !Number.isInteger(e.offset) || !Number.isInteger(e.length)) {
        return { error: fail(400, "Bad Request: can't parse MessageEntity") };
      }
      if ((e.offset as number) < 0 || (e.length as number) < 1 || (e.offset as number) + (e.length as number) > length) {
        return { error: fail(400, "Bad Request: entity beyond the end of the text") };
      }
      if (e.type === "text_mention" && !(isRecord(e.user) && Number.isInteger(e.user.id))) return { error: fail(400, "Bad Request: USER_ID_INVALID") };
      if (e.type === "text_link" && typeof e.url !== "string") return { error: fail(400, "Bad Request: can't parse url") };
    }
    return { list: entities as Array<Record<string, unknown>> };
  }

  private mediaObject(field: string, input: unknown): unknown {
    const reused = typeof input === "string" && !/^(https?|attach):\/\//.test(input) ? input : undefined;
    const fileId = reused ?? randomFileId(field === "photo" ? "AgACAgIAAxkDAAI" : "BQACAgIAAxkDAAI");
    const file_unique_id = randomBytes(12).toString("base64url");
    switch (field) {
      case "photo":
        return [
          { file_id: fileId, file_unique_id, width: 90, height: 68, file_size: 1_391 },
          { file_id: `${fileId}B`, file_unique_id: `${file_unique_id}B`, width: 1280, height: 960, file_size: 98_640 },
        ];
      case "video":
        return { file_id: fileId, file_unique_id, width: 1280, height: 720, duration: 12, mime_type: "video/mp4", file_size: 1_048_576 };
      case "voice":
        return { file_id: fileId, file_unique_id, duration: 4, mime_type: "audio/ogg", file_size: 12_345 };
      default: {
        const name = isRecord(input) && typeof input.filename === "string" ? input.filename : "document.pdf";
        return { file_id: fileId, file_unique_id, file_name: name, mime_type: "application/octet-stream", file_size: 54_321 };
      }
    }
  }

  private sendMedia(method: string, p: Params): Reply {
    const field = method.slice(4).toLowerCase();
    const markup = this.checkMarkup(p);
    const error =
      this.checkChat(p) ??
      (isEmpty(p[field]) ? fail(400, `Bad Request: there is no ${field} in the request`) : undefined) ??
      (typeof p[field] === "string" && String(p[field]).startsWith("attach://") && !isRecord(p[String(p[field]).slice(9)])
        ? fail(400, "Bad Request: wrong file identifier/HTTP URL specified")
        : undefined) ??
      this.checkCaption(p.caption, p.parse_mode) ??
      markup.error ??
      this.admit(p.chat_id, p);
    if (error) return error;
    const content: Record<string, unknown> = { [field]: this.mediaObject(field, p[field]) };
    if (!isEmpty(p.caption)) content.caption = visibleText(String(p.caption), p.parse_mode);
    return ok(this.newMessage(p.chat_id, p, content, markup.inline));
  }

  private sendLocation(p: Params): Reply {
    const latitude = Number(p.latitude);
    const longitude = Number(p.longitude);
    const markup = this.checkMarkup(p);
    const error =
      this.checkChat(p) ??
      (isEmpty(p.latitude) || !(Math.abs(latitude) <= 90) ? fail(400, "Bad Request: wrong latitude specified") : undefined) ??
      (isEmpty(p.longitude) || !(Math.abs(longitude) <= 180) ? fail(400, "Bad Request: wrong longitude specified") : undefined) ??
      markup.error ??
      this.admit(p.chat_id, p);
    if (error) return error;
    const location: Record<string, unknown> = { latitude, longitude };
    if (p.horizontal_accuracy !== undefined) location.horizontal_accuracy = Number(p.horizontal_accuracy);
    if (p.live_period !== undefined) location.live_period = Number(p.live_period);
    return ok(this.newMessage(p.chat_id, p, { location }, markup.inline));
  }

  private sendChatAction(p: Params): Reply {
    return (
      this.checkChat(p) ??
      (isEmpty(p.action) ? fail(400, "Bad Request: wrong parameter action in request") : undefined) ??
      this.admit(p.chat_id, p, false) ??
      ok(true)
    );
  }

  private sendMediaGroup(p: Params): Reply {
    const media = p.media;
    const chatError = this.checkChat(p);
    if (chatError) return chatError;
    if (!Array.isArray(media) || media.length === 0) return fail(400, "Bad Request: media group must include 2-10 items");
    if (media.length > 10) return fail(400, "Bad Request: too many messages to send as an album");
    for (const item of media as unknown[]) {
      if (!isRecord(item) || isEmpty(item.media)) return fail(400, "Bad Request: can't parse InputMedia: media not found");
      const captionError = this.checkCaption(item.caption, item.parse_mode);
      if (captionError) return captionError;
    }
    const limitError = this.admit(p.chat_id, p);
    if (limitError) return limitError;
    const groupId = String(randomInt(1, 2 ** 47) * 1000);
    const messages = (media as Array<Record<string, unknown>>).map((item) => {
      const kind = typeof item.type === "string" ? item.type : "photo";
      const content: Record<string, unknown> = { media_group_id: groupId, [kind]: this.mediaObject(kind, item.media) };
      if (!isEmpty(item.caption)) content.caption = visibleText(String(item.caption), item.parse_mode);
      return this.newMessage(p.chat_id, p, content);
    });
    return ok(messages);
  }

  private copyOrForward(method: "copyMessage" | "forwardMessage", p: Params): Reply {
    const markup = this.checkMarkup(p);
    const error =
      this.checkChat(p) ??
      this.checkChat(p, "from_chat_id") ??
      (isEmpty(p.message_id) ? fail(400, "Bad Request: message identifier is not specified") : undefined) ??
      (method === "copyMessage" ? this.checkCaption(p.caption, p.parse_mode) : undefined) ??
      markup.error ??
      this.admit(p.chat_id, p);
    if (error) return error;
    const source = this.messages.get(`${chatKey(p.from_chat_id)}:${String(p.message_id)}`);
    const content: Record<string, unknown> = {};
    for (const field of ["text", "entities", "caption", "location", "contact", ...MEDIA_FIELDS]) {
      if (source && source[field] !== undefined) content[field] = source[field];
    }
    if (method === "copyMessage") {
      if (p.caption !== undefined) content.caption = visibleText(String(p.caption), p.parse_mode);
      return ok({ message_id: this.newMessage(p.chat_id, p, content, markup.inline).message_id });
    }
    const sender = source && isRecord(source.from) ? source.from : this.chatObject(p.from_chat_id);
    content.forward_origin = { type: "user", sender_user: sender, date: source?.date ?? nowSeconds() };
    return ok(this.newMessage(p.chat_id, p, content));
  }

  private edit(method: "editMessageText" | "editMessageCaption" | "editMessageReplyMarkup", p: Params): Reply {
    const markup = this.checkMarkup(p);
    const inline = !isEmpty(p.inline_message_id);
    const error =
      (inline ? undefined : this.checkChat(p)) ??
      (!inline && isEmpty(p.message_id) ? fail(400, "Bad Request: message identifier is not specified") : undefined) ??
      (method === "editMessageText" ? this.checkText(p) : undefined) ??
      (method === "editMessageCaption" ? this.checkCaption(p.caption, p.parse_mode) : undefined) ??
      markup.error;
    if (error) return error;
    if (inline) return this.admit(undefined, p) ?? ok(true);
    const key = `${chatKey(p.chat_id)}:${String(p.message_id)}`;
    const current: StoredMessage = this.messages.get(key) ?? {
      message_id: Number(p.message_id),
      from: this.bot,
      chat: this.chatObject(p.chat_id),
      date: nowSeconds(),
    };
    const next: StoredMessage = { ...current };
    if (markup.inline) next.reply_markup = markup.inline;
    else delete next.reply_markup;
    if (method === "editMessageText") {
      if (current.text === undefined && MEDIA_FIELDS.some((f) => current[f] !== undefined)) {
        return fail(400, "Bad Request: there is no text in the message to edit");
      }
      next.text = visibleText(String(p.text), p.parse_mode);
      const entities = entitiesOf(String(p.text), p.parse_mode);
      if (entities) next.entities = entities;
      else delete next.entities;
    } else if (method === "editMessageCaption") {
      if (isEmpty(p.caption)) delete next.caption;
      else next.caption = visibleText(String(p.caption), p.parse_mode);
    }
    if (
      next.text === current.text &&
      next.caption === current.caption &&
      JSON.stringify(next.entities) === JSON.stringify(current.entities) &&
      JSON.stringify(next.reply_markup) === JSON.stringify(current.reply_markup)
    ) {
      return fail(
        400,
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      );
    }
    const admitted = this.admit(p.chat_id, p);
    if (admitted) return admitted;
    next.edit_date = nowSeconds();
    this.messages.set(key, next);
    return ok(next);
  }

  private deleteMessage(p: Params): Reply {
    const error =
      this.checkChat(p) ?? (isEmpty(p.message_id) ? fail(400, "Bad Request: message identifier is not specified") : undefined);
    if (error) return error;
    this.messages.delete(`${chatKey(p.chat_id)}:${String(p.message_id)}`);
    return ok(true);
  }

  private setWebhook(p: Params): Reply {
    const url = typeof p.url === "string" ? p.url : "";
    if (p.secret_token !== undefined && !SECRET_TOKEN.test(String(p.secret_token))) {
      return fail(400, "Bad Request: secret token contains unallowed characters");
    }
    if (url !== "" && !/^https?:\/\/[^/\s]+/.test(url)) return fail(400, "Bad Request: invalid webhook URL specified");
    const maxConnections = p.max_connections === undefined ? undefined : Number(p.max_connections);
    if (maxConnections !== undefined && !(maxConnections >= 1 && maxConnections <= 100)) {
      return fail(400, "Bad Request: max_connections must be between 1 and 100");
    }
    if (p.drop_pending_updates === true) this.updates = [];
    if (url === "") {
      this.webhook = { url: "", secretToken: undefined, maxConnections: undefined, allowedUpdates: undefined };
      return ok(true, "Webhook was deleted");
    }
    this.webhook = {
      url,
      secretToken: p.secret_token === undefined ? undefined : String(p.secret_token),
      maxConnections,
      allowedUpdates: Array.isArray(p.allowed_updates) ? (p.allowed_updates as string[]) : this.webhook.allowedUpdates,
    };
    return ok(true, "Webhook was set");
  }

  private async getUpdates(p: Params, res: http.ServerResponse): Promise<Reply | undefined> {
    if (this.webhook.url) {
      return fail(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    this.settleHeld(fail(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"));
    const offset = Number(p.offset ?? 0);
    if (offset > 0) this.updates = this.updates.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.updates = this.updates.slice(offset);
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100) || 100));
    const timeoutMs = Math.max(0, Number(p.timeout ?? 0) || 0) * 1000;
    return this.hold(
      res,
      timeoutMs,
      () => (this.updates.length > 0 ? ok(this.updates.slice(0, limit)) : undefined),
      () => ok([]),
    );
  }

  private setMyCommands(p: Params): Reply {
    let commands = p.commands;
    if (typeof commands === "string") {
      try {
        commands = JSON.parse(commands) as unknown;
      } catch {
        return fail(400, "Bad Request: can't parse commands JSON object");
      }
    }
    if (!Array.isArray(commands)) return fail(400, 'Bad Request: parameter "commands" is required');
    if (commands.length > 100) return fail(400, "Bad Request: too many commands specified");
    for (const command of commands as unknown[]) {
      if (!isRecord(command) || typeof command.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(command.command)) {
        return fail(400, "Bad Request: BOT_COMMAND_INVALID");
      }
      if (typeof command.description !== "string" || command.description.length < 1 || command.description.length > 256) {
        return fail(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
      }
    }
    let scope: unknown = p.scope ?? { type: "default" };
    if (typeof scope === "string") {
      try {
        scope = JSON.parse(scope) as unknown;
      } catch {
        return fail(400, "Bad Request: can't parse BotCommandScope JSON object");
      }
    }
    const scopeType = isRecord(scope) ? scope.type : undefined;
    if (typeof scopeType !== "string" || !COMMAND_SCOPES.has(scopeType)) return fail(400, "Bad Request: wrong parameter scope type");
    if (["chat", "chat_administrators", "chat_member"].includes(scopeType) && isEmpty((scope as Record<string, unknown>).chat_id)) {
      return fail(400, "Bad Request: chat_id is empty");
    }
    const language = p.language_code ?? "";
    if (typeof language !== "string" || !/^([a-z]{2})?$/.test(language)) return fail(400, "Bad Request: LANG_CODE_INVALID");
    const key = commandMenuKey(scope as Record<string, unknown>, language);
    if (commands.length === 0) this.commandMenus.delete(key);
    else this.commandMenus.set(key, (commands as Array<{ command: string; description: string }>).map((c) => ({ command: c.command, description: c.description })));
    return ok(true);
  }

  /**
   * The command menu registered for a scope and language (exactly as set, no fall-back), or
   * undefined. `scope` as in setMyCommands (`{ type: "all_group_chats" }`); `language` "" for none.
   */
  commandMenu(scope: { type: string; chat_id?: number | string; user_id?: number }, language = ""): Array<{ command: string; description: string }> | undefined {
    return this.commandMenus.get(commandMenuKey(scope, language));
  }

  /**
   * The menu a user sees, as Telegram picks it: the narrowest scope first (all private chats or all
   * group chats, then default), for each the user's language before the list without a language.
   */
  commandMenuFor(chat: "private" | "group", language: string): Array<{ command: string; description: string }> | undefined {
    for (const type of [chat === "private" ? "all_private_chats" : "all_group_chats", "default"]) {
      const found = this.commandMenu({ type }, language) ?? this.commandMenu({ type }, "");
      if (found) return found;
    }
    return undefined;
  }
}

const COMMAND_SCOPES: ReadonlySet<string> = new Set(["default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat", "chat_administrators", "chat_member"]);

function commandMenuKey(scope: Record<string, unknown>, language: string): string {
  return JSON.stringify([scope.type, scope.chat_id === undefined ? null : String(scope.chat_id), scope.user_id ?? null, language]);
}
