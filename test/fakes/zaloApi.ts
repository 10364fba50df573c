import { randomBytes } from "node:crypto";
import type http from "node:http";
import { FakeHttpApi, TokenBucket, chatKey, postRaw, type Params, type PushResult, type Reply } from "./common.js";

export { type FakeCall, type PushResult } from "./common.js";

/** Rate limits enforced by `FakeZaloApi` (real Zalo publishes none); change them through `fake.limits`. */
export interface ZaloLimits {
  /** Refill rate of each chat's bucket. */
  perChatPerSecond: number;
  /** Capacity of each chat's bucket. */
  perChatBurst: number;
  /** Sends per second across all chats (also the global burst). */
  globalPerSecond: number;
}

/** Constructor options of `FakeZaloApi`. */
export interface FakeZaloApiOptions extends Partial<ZaloLimits> {
  /** Bot token accepted in `/bot<token>/<method>`; default `"1234567890:zalo-test-secret"`. */
  token?: string;
  /** HTTP status of error answers: `"mirror"` (= error_code, default) or always 200 with `ok:false`. */
  errorHttpStatus?: "mirror" | 200;
  /** Accept `http://127.0.0.1` / `http://localhost` webhook URLs (real Zalo wants public HTTPS); default true. */
  allowInsecureWebhook?: boolean;
  /** Description of the 403 sent to blocked chats (real behaviour unknown); default "Forbidden: user has blocked the bot". */
  blockedDescription?: string;
  /** How many times `pushEvent` re-POSTs the same body after a non-2xx answer or a connection error; default 0. */
  resendOnError?: number;
  /** Pause between such re-POSTs, in ms; default 0. */
  resendDelayMs?: number;
  /** getUpdates hold time when the body has no `timeout`, in seconds; default 1 (real Zalo: 30). */
  defaultPollTimeoutSeconds?: number;
  /** Upper bound on any getUpdates hold, in seconds; default none. */
  maxPollTimeoutSeconds?: number;
}

/** An error injected with `failNext`. */
export interface ZaloInjectedError {
  error_code: number;
  description: string;
}

/** Sender of a Zalo message event. */
export interface ZaloSender {
  id: string;
  display_name: string;
  is_bot: boolean;
}

/** `message` of a Zalo webhook/getUpdates event, live-capture shape. */
export interface ZaloEventMessage {
  message_id: string;
  /** Epoch milliseconds. */
  date: number;
  from: ZaloSender;
  chat: { id: string; chat_type: "PRIVATE" | "GROUP" };
  text?: string;
  photo_url?: string;
  caption?: string;
  sticker?: string;
  url?: string;
  message_type?: string;
}

/** An event as Zalo delivers it (unwrapped form). */
export interface ZaloEvent {
  event_name: string;
  message: ZaloEventMessage;
}

/** Options of `FakeZaloApi.pushEvent`. */
export interface PushEventOptions {
  /** Send `{ok:true, result: event}` (as the docs describe) instead of the bare event (as live captures show); default false. */
  wrapped?: boolean;
  /** Secret header value; default the one given to setWebhook; `null` sends no header. */
  secret?: string | null;
  /** Target URL; default the URL given to setWebhook. */
  url?: string;
  /** Body to send verbatim. */
  rawBody?: string;
}

/** Webhook registered through setWebhook (`url` is `""` when none is set). */
export interface ZaloWebhook {
  url: string;
  secretToken: string | undefined;
  /** Epoch ms of the last setWebhook/deleteWebhook. */
  updatedAt: number;
}

/** The default bot token of `FakeZaloApi`. */
export const ZALO_TEST_TOKEN = "1234567890:zalo-test-secret";

const METHODS = new Set([
  "getMe",
  "getUpdates",
  "setWebhook",
  "deleteWebhook",
  "getWebhookInfo",
  "sendMessage",
  "sendPhoto",
  "sendSticker",
  "sendChatAction",
  "sendVoice",
]);

const DELIVERY_METHODS: ReadonlySet<string> = new Set(["sendMessage", "sendPhoto", "sendSticker", "sendVoice"]);

const DISPLAY_NAMES = ["Trần Thị B", "Nguyễn Văn An", "Lê Thị Hồng", "Phạm Quốc Dũng", "Đỗ Thị Mai", "Bùi Văn Long"];

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
const PRIVATE_HOST = /^(localhost|127\.|10\.|192\.168\.|\[::1\])/;

let lastEventDate = 0;

/** A random 20-hex-char id, the shape of Zalo message ids (and a plausible user id). */
export function randomZaloId(): string {
  return randomBytes(10).toString("hex");
}

function realisticName(userId: string): string {
  let hash = 0;
  for (const ch of userId) hash = (hash * 31 + ch.charCodeAt(0)) % 1_000_003;
  return DISPLAY_NAMES[hash % DISPLAY_NAMES.length] ?? "Trần Thị B";
}

/** Common builder options: sender name, message id and date (epoch ms). */
export interface ZaloEventOptions {
  displayName?: string;
  messageId?: string;
  date?: number;
}

function privateEvent(
  eventName: string,
  userId: string,
  content: Partial<ZaloEventMessage>,
  opts: ZaloEventOptions = {},
): ZaloEvent {
  let date = opts.date;
  if (date === undefined) {
    lastEventDate = Math.max(Date.now(), lastEventDate + 1);
    date = lastEventDate;
  }
  return {
    event_name: eventName,
    message: {
      message_id: opts.messageId ?? randomZaloId(),
      date,
      from: { id: userId, display_name: opts.displayName ?? realisticName(userId), is_bot: false },
      chat: { id: userId, chat_type: "PRIVATE" },
      ...content,
    },
  };
}

/**
 * A `message.text.received` event from a private chat. Generated dates are strictly increasing;
 * the display name is a realistic Vietnamese name picked by user id unless given.
 */
export function zaloText(userId: string, text: string, opts?: ZaloEventOptions): ZaloEvent {
  return privateEvent("message.text.received", userId, { text }, opts);
}

/** A `message.image.received` event in the live-capture shape (`photo_url`, `caption` "" when none, `CHAT_PHOTO`). */
export function zaloImage(userId: string, photoUrl: string, caption?: string, opts?: ZaloEventOptions): ZaloEvent {
  return privateEvent(
    "message.image.received",
    userId,
    { photo_url: photoUrl, caption: caption ?? "", message_type: "CHAT_PHOTO" },
    opts,
  );
}

/** A `message.sticker.received` event (`sticker` id, `url` of its image, `CHAT_STICKER`). */
export function zaloSticker(userId: string, stickerId = randomZaloId(), opts?: ZaloEventOptions): ZaloEvent {
  return privateEvent(
    "message.sticker.received",
    userId,
    { sticker: stickerId, url: `https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=${stickerId}&size=130`, message_type: "CHAT_STICKER" },
    opts,
  );
}

/** A `message.unsupported.received` event: no content (files, locations, protected senders…). */
export function zaloUnsupported(userId: string, opts?: ZaloEventOptions): ZaloEvent {
  return privateEvent("message.unsupported.received", userId, {}, opts);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

function isHttpUrl(value: unknown): boolean {
  return typeof value === "string" && /^https?:\/\/[^/\s]+/.test(value);
}

/**
 * Fake Zalo Bot Platform API on `node:http` for tests: `{ok, result | error_code, description}`
 * envelope, text/caption limits, "Quota exceeded" limits, blocked chats, webhook push (wrapped or
 * not, optional resends) and one-event-per-call getUpdates with 408 on timeout.
 */
export class FakeZaloApi extends FakeHttpApi<ZaloInjectedError> {
  /** The token the fake accepts. */
  readonly token: string;
  /** Rate limits, read on every call. */
  limits: ZaloLimits;
  /** HTTP status of errors: `"mirror"` = error_code, or 200. */
  errorHttpStatus: "mirror" | 200;
  /** Whether loopback `http://` webhook URLs are accepted. */
  allowInsecureWebhook: boolean;
  /** Description of the 403 answered to blocked chats. */
  blockedDescription: string;
  /** Re-POSTs by `pushEvent` after a non-2xx answer or connection error. */
  resendOnError: number;
  /** Pause between re-POSTs, in ms. */
  resendDelayMs: number;
  /** getUpdates hold when the body has no timeout, in seconds. */
  defaultPollTimeoutSeconds: number;
  /** Cap on getUpdates holds, in seconds. */
  maxPollTimeoutSeconds: number;
  /** The registered webhook (`url` `""` when none). */
  webhook: ZaloWebhook = { url: "", secretToken: undefined, updatedAt: 0 };

  protected readonly deliveryMethods = DELIVERY_METHODS;

  private readonly globalBucket = new TokenBucket();
  private readonly chatBuckets = new Map<string, TokenBucket>();
  private readonly blocked = new Set<string>();
  private events: object[] = [];

  constructor(opts: FakeZaloApiOptions = {}) {
    super();
    this.token = opts.token ?? ZALO_TEST_TOKEN;
    this.limits = {
      perChatPerSecond: opts.perChatPerSecond ?? 1,
      perChatBurst: opts.perChatBurst ?? 2,
      globalPerSecond: opts.globalPerSecond ?? 20,
    };
    this.errorHttpStatus = opts.errorHttpStatus ?? "mirror";
    this.allowInsecureWebhook = opts.allowInsecureWebhook ?? true;
    this.blockedDescription = opts.blockedDescription ?? "Forbidden: user has blocked the bot";
    this.resendOnError = opts.resendOnError ?? 0;
    this.resendDelayMs = opts.resendDelayMs ?? 0;
    this.defaultPollTimeoutSeconds = opts.defaultPollTimeoutSeconds ?? 1;
    this.maxPollTimeoutSeconds = opts.maxPollTimeoutSeconds ?? Number.POSITIVE_INFINITY;
  }

  /** Makes sends and chat actions to `chatId` fail with error 403 (`blockedDescription`). */
  block(chatId: string): void {
    this.blocked.add(chatKey(chatId));
  }

  /** Lets the bot reach `chatId` again. */
  unblock(chatId: string): void {
    this.blocked.delete(chatKey(chatId));
  }

  /** Queues an event for getUpdates (each call hands out one, consumed on read) and wakes a waiting poll. */
  queueEvent(event: object): void {
    this.events.push(event);
    this.wakeHeld();
  }

  /**
   * POSTs an event to the webhook (or `opts.url`) with header `X-Bot-Api-Secret-Token`, unwrapped by
   * default. Re-POSTs the same body up to `resendOnError` times while the answer is not 2xx.
   * Resolves with the last answer and the number of attempts; rejects when there is no URL or the
   * last attempt could not connect.
   */
  async pushEvent(event: object, opts: PushEventOptions = {}): Promise<PushResult & { attempts: number }> {
    const url = opts.url ?? this.webhook.url;
    if (!url) throw new Error("pushEvent: no webhook is set (call setWebhook first or pass opts.url)");
    const secret = opts.secret === undefined ? this.webhook.secretToken : opts.secret;
    const headers: Record<string, string> = secret == null ? {} : { "x-bot-api-secret-token": secret };
    const body = opts.rawBody ?? JSON.stringify(opts.wrapped ? { ok: true, result: event } : event);
    const maxAttempts = 1 + Math.max(0, this.resendOnError);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await postRaw(url, body, headers);
        if ((result.status >= 200 && result.status < 300) || attempt >= maxAttempts) return { ...result, attempts: attempt };
      } catch (error) {
        if (attempt >= maxAttempts) throw error;
      }
      if (this.resendDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.resendDelayMs));
    }
  }

  protected route(pathname: string): { token: string; method: string } | undefined {
    const match = /^\/bot([^/]+)\/([^/]+)$/.exec(pathname);
    if (!match?.[1] || !match[2]) return undefined;
    return { token: match[1], method: match[2] };
  }

  protected routingError(kind: "not-found" | "unauthorized" | "bad-body", detail?: string): Reply {
    if (kind === "unauthorized") return this.fail(401, "Unauthorized");
    if (kind === "bad-body") return this.fail(400, `Bad Request: invalid JSON body: ${detail ?? ""}`.trim());
    return this.fail(400, "Bad Request: wrong path");
  }

  protected injectedReply(error: ZaloInjectedError): Reply {
    return this.fail(error.error_code, error.description);
  }

  protected async handle(method: string, p: Params, res: http.ServerResponse): Promise<Reply | undefined> {
    if (!METHODS.has(method)) return this.fail(400, "Bad Request: invalid method name");
    switch (method) {
      case "getMe":
        return this.ok({
          id: this.token.split(":")[0] ?? "",
          account_name: "bot.taimat",
          account_type: "BASIC",
          can_join_groups: false,
        });
      case "sendMessage": {
        const text = p.text;
        return (
          this.checkChat(p) ??
          (typeof text !== "string" || text.length === 0 ? this.fail(400, "Bad Request: text must not be empty") : undefined) ??
          (typeof text === "string" && text.length > 2000 ? this.fail(400, "Bad Request: text must be at most 2000 characters") : undefined) ??
          this.send(p)
        );
      }
      case "sendPhoto":
        return (
          this.checkChat(p) ??
          (isHttpUrl(p.photo) ? undefined : this.fail(400, "Bad Request: photo must be a valid image URL")) ??
          (p.caption !== undefined && String(p.caption).length > 2000
            ? this.fail(400, "Bad Request: caption must be at most 2000 characters")
            : undefined) ??
          this.send(p)
        );
      case "sendSticker":
        return this.checkChat(p) ?? (isEmpty(p.sticker) ? this.fail(400, "Bad Request: sticker is required") : undefined) ?? this.send(p);
      case "sendVoice":
        return (
          this.checkChat(p) ??
          (isHttpUrl(p.voice_url) ? undefined : this.fail(400, "Bad Request: voice_url must be a valid URL")) ??
          this.send(p)
        );
      case "sendChatAction":
        return (
          this.checkChat(p) ??
          (p.action === "typing" || p.action === "upload_photo"
            ? undefined
            : this.fail(400, "Bad Request: action must be typing or upload_photo")) ??
          (this.blocked.has(chatKey(p.chat_id)) ? this.fail(403, this.blockedDescription) : undefined) ?? {
            status: 200,
            body: { ok: true },
          }
        );
      case "setWebhook":
        return this.setWebhook(p);
      case "deleteWebhook":
        this.webhook = { url: "", secretToken: undefined, updatedAt: Date.now() };
        return this.ok({ url: "", updated_at: this.webhook.updatedAt });
      case "getWebhookInfo":
        return this.ok({ url: this.webhook.url, updated_at: this.webhook.updatedAt });
      case "getUpdates":
        return this.getUpdates(p, res);
      default:
        return this.fail(400, "Bad Request: invalid method name");
    }
  }

  private ok(result: unknown): Reply {
    return { status: 200, body: { ok: true, result } };
  }

  private fail(code: number, description: string): Reply {
    return {
      status: this.errorHttpStatus === 200 ? 200 : code,
      body: { ok: false, error_code: code, description },
    };
  }

  private checkChat(p: Params): Reply | undefined {
    if (typeof p.chat_id !== "string" || p.chat_id === "") {
      return this.fail(400, isEmpty(p.chat_id) ? "Bad Request: chat_id is required" : "Bad Request: chat_id must be a string");
    }
    return undefined;
  }

  /** Blocked → 403, over a limit → 429 "Quota exceeded" (nothing consumed), else a sent-message result. */
  private send(p: Params): Reply {
    const key = chatKey(p.chat_id);
    if (this.blocked.has(key)) return this.fail(403, this.blockedDescription);
    const now = Date.now();
    const { perChatPerSecond, perChatBurst, globalPerSecond } = this.limits;
    let bucket = this.chatBuckets.get(key);
    if (!bucket) this.chatBuckets.set(key, (bucket = new TokenBucket()));
    if (
      bucket.waitMs(perChatBurst, perChatPerSecond, now) > 0 ||
      this.globalBucket.waitMs(globalPerSecond, globalPerSecond, now) > 0
    ) {
      return this.fail(429, "Quota exceeded");
    }
    bucket.take(perChatBurst, perChatPerSecond, now);
    this.globalBucket.take(globalPerSecond, globalPerSecond, now);
    return this.ok({ message_id: randomZaloId(), date: now });
  }

  private setWebhook(p: Params): Reply {
    const url = typeof p.url === "string" ? p.url : "";
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    const insecureOk = this.allowInsecureWebhook && parsed?.protocol === "http:" && LOOPBACK_HOSTS.has(parsed.hostname);
    const secureOk =
      parsed?.protocol === "https:" && (this.allowInsecureWebhook || !PRIVATE_HOST.test(parsed.hostname));
    if (!insecureOk && !secureOk) return this.fail(400, "Bad Request: url must be a public HTTPS URL");
    if (isEmpty(p.secret_token)) return this.fail(400, "The secret_token must not be empty");
    const secret = String(p.secret_token);
    if (secret.length < 8 || secret.length > 256) {
      return this.fail(400, "Bad Request: secret_token must be 8-256 characters");
    }
    this.webhook = { url, secretToken: secret, updatedAt: Date.now() };
    return this.ok({ url, updated_at: this.webhook.updatedAt });
  }

  private getUpdates(p: Params, res: http.ServerResponse): Promise<Reply | undefined> {
    if (this.webhook.url) {
      return Promise.resolve(this.fail(400, "Bad Request: webhook is active, call deleteWebhook before getUpdates"));
    }
    const requested = p.timeout === undefined || p.timeout === "" ? this.defaultPollTimeoutSeconds : Number(p.timeout);
    const seconds = Math.min(this.maxPollTimeoutSeconds, Number.isFinite(requested) ? Math.max(0, requested) : this.defaultPollTimeoutSeconds);
    return this.hold(
      res,
      seconds * 1000,
      () => {
        const event = this.events.shift();
        return event === undefined ? undefined : this.ok(event);
      },
      () => this.fail(408, "Request timeout"),
    );
  }
}
