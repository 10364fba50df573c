import { personRateKey } from "../../core/rateLimit.ts";
import crypto from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { WebFloodLimits } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import { clientAddress } from "../../http/clientAddress.ts";
import { isLocale, type Translate } from "../../i18n.ts";
import { jsonTextTooDeep } from "../../inbox/boundary.ts";
import type { InboxIngest } from "../../inbox/ingest.ts";
import type { Logger } from "../../logger.ts";
import type { Metrics } from "../../metrics.ts";
import { PlatformLimiter } from "../../outbox/limiter.ts";
import type { Sealer } from "../../security/sealing.ts";
import { WebHub, type WebChatEvent } from "./hub.ts";
import { WEB_IMAGE_TYPES, ImageDecoder, ImageQueueFullError, UnreadableImageError, sniffImageType } from "./images.ts";
import { WEB_TEXT_MAX_CHARS, storedInput, webIncoming, webMessageSchema, webUpdateKey } from "./inbound.ts";
import { openHistory } from "./history.ts";
import { WebPage } from "./page.ts";
import { WEB_MESSAGE_METHOD, WebRenderer, type WebMessagePayload } from "./render.ts";
import { WebSender } from "./sender.ts";
import { SessionIssuer, type WebSession } from "./session.ts";
import { HourlyQuota, OpenCounter, TokenBuckets, takeAll } from "./throttle.ts";
import { UploadStorage } from "./uploadStorage.ts";
import { expireUploads, storeUpload } from "./uploads.ts";

/** HTTP paths of the web chat. */
export const WEB_PATHS = {
  page: "/",
  strings: "/api/chat/strings",
  messages: "/api/chat/messages",
  uploads: "/api/chat/uploads",
  events: "/api/chat/events",
  assets: "/static/",
} as const;

/** The page's id for an upload (`?id=`): a retry with the same id has one effect. */
const UPLOAD_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** Largest message body (JSON); a longer text gets 413 with the translated "too long". */
export const MESSAGE_BODY_LIMIT_BYTES = 16 * 1024;
/** Messages the history holds on a fresh page load. */
export const HISTORY_MESSAGES = 100;
/** SSE comment sent this often, so proxies and phones keep the stream open and dead ones are noticed. */
export const HEARTBEAT_MS = 25_000;

/** Security headers on every web chat response: a strict CSP (no inline script, nothing from elsewhere). */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "permissions-policy": "geolocation=(self), camera=(), microphone=(), payment=()",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export interface WebChannelOptions {
  db: Db;
  t: Translate;
  /** Seals the chat on stored uploads. */
  sealer: Sealer;
  metrics: Metrics;
  log: Logger;
  uploadLimitBytes: number;
  uploadsPerHour: number;
  /**
   * Always send the session cookie with `Secure` (PUBLIC_URL is https). Otherwise it is sent with
   * `Secure` when the request came over HTTPS: directly, or through a trusted proxy's
   * X-Forwarded-Proto (TRUST_PROXY).
   */
  secureCookies: boolean;
  /** Flood limits (messages, uploads, event streams, image decoding, stored bytes). */
  limits: WebFloodLimits;
}

/** What the web routes need from the application once it is built. */
export interface WebRoutesOptions {
  /** The durable inbox every channel's input goes through (photos too: see storeUpload). */
  ingest: InboxIngest;
}

type Req = FastifyRequest;
type ErrorCode =
  | "bad_request"
  | "empty"
  | "too_long"
  | "too_large"
  | "wrong_type"
  | "unreadable_image"
  | "too_many_uploads"
  | "too_fast"
  | "busy"
  | "uploads_busy"
  | "too_many_streams"
  | "forbidden"
  | "server";

/**
 * The web chat: a page served at `/` talking to the same core as the platforms. Input goes through
 * the durable inbox (answered 202 once stored; a retried message id has one effect), replies through
 * the outbox (`WebRenderer` → `WebSender` → the open pages over Server-Sent Events), and the outbox
 * rows of the chat are its history. The session is an httpOnly cookie; the database only ever sees
 * a hash of it.
 */
export class WebChannel {
  readonly hub = new WebHub();
  readonly renderer: WebRenderer;
  readonly sender: WebSender;
  /** Generous: the "platform" is our own page. */
  readonly limiter = new PlatformLimiter({ globalPerSecond: 1000, chatPerSecond: 50, chatBurst: 50, groupPerMinute: 600 });
  /** Photos are decoded a few at a time, with a pixel cap. */
  readonly images: ImageDecoder;
  /** The quota on stored photos. */
  readonly storage: UploadStorage;
  private readonly page: WebPage;
  private readonly sessions: SessionIssuer;
  /** The session each request was resolved to by the route's limits hook. */
  private readonly requestSessions = new WeakMap<Req, WebSession>();
  // Messages: per session, per client address, for everyone (token buckets, checked together).
  private readonly messageSession: TokenBuckets;
  private readonly messageAddress: TokenBuckets;
  private readonly messageGlobal: TokenBuckets;
  // Uploads: a short burst per session, then hourly counts and bytes per address and for everyone
  // (the per-session hourly count is kept in the database: see storeUpload).
  private readonly uploadSession = new TokenBuckets(5, 0.2);
  private readonly uploadAddress: HourlyQuota;
  private readonly uploadGlobal: HourlyQuota;
  // Event streams: open at once per address and in total; opened per address (a reconnect storm).
  private readonly streams: OpenCounter;
  private readonly streamOpens: TokenBuckets;
  /** 429 bodies by language, reason and wait: a flood is refused without translating each time. */
  private readonly refusals = new Map<string, string>();

  constructor(private readonly opts: WebChannelOptions) {
    this.renderer = new WebRenderer(opts.t);
    this.sender = new WebSender(opts.db, this.hub);
    this.page = new WebPage(opts.t, { uploadLimitBytes: opts.uploadLimitBytes });
    this.sessions = new SessionIssuer(opts.sealer);
    const l = opts.limits;
    this.messageSession = new TokenBuckets(l.messages.session.burst, l.messages.session.perSecond);
    this.messageAddress = new TokenBuckets(l.messages.address.burst, l.messages.address.perSecond);
    this.messageGlobal = new TokenBuckets(l.messages.global.burst, l.messages.global.perSecond);
    this.uploadAddress = new HourlyQuota(l.uploads.addressPerHour, l.uploads.addressBytesPerHour);
    this.uploadGlobal = new HourlyQuota(l.uploads.globalPerHour, l.uploads.globalBytesPerHour);
    this.streams = new OpenCounter(l.streams.perAddress, l.streams.total);
    this.streamOpens = new TokenBuckets(Math.max(10, l.streams.perAddress), 1);
    this.images = new ImageDecoder({ maxPixels: l.images.maxPixels, concurrency: l.images.decodeConcurrency });
    this.storage = new UploadStorage({ db: opts.db, quotaBytes: l.uploadStorageBytes, metrics: opts.metrics, log: opts.log });
  }

  /** Periodic job: deletes stale uploads nothing refers to, then re-reads the stored total. */
  async housekeeping(now = new Date()): Promise<void> {
    const deleted = await expireUploads(this.opts.db, now);
    if (deleted) {
      this.opts.metrics.webUploadsDeleted.inc({ reason: "expired" }, deleted);
      this.opts.log.info({ deleted }, "web chat: stale uploads deleted");
    }
    await this.storage.refresh();
  }

  /** Registers the page, its files and the chat API on `http`. */
  register(http: FastifyInstance, routes: WebRoutesOptions): void {
    // Open event streams would keep the server from closing: end them first.
    http.addHook("preClose", (done) => {
      this.hub.closeAll();
      done();
    });

    void http.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
        if (jsonTextTooDeep(body as string)) return done(Object.assign(new Error("JSON nested too deeply"), { statusCode: 400 }), undefined);
        try {
          done(null, JSON.parse(body as string));
        } catch {
          done(Object.assign(new Error("malformed JSON"), { statusCode: 400 }), undefined);
        }
      });
      scope.addContentTypeParser([...WEB_IMAGE_TYPES], { parseAs: "buffer" }, (_req, body, done) => done(null, body));

      scope.addHook("onSend", async (_req, reply, payload) => {
        reply.headers(SECURITY_HEADERS);
        return payload;
      });
      // A request from another site is refused (the cookie is SameSite=Strict anyway).
      scope.addHook("onRequest", async (req, reply) => {
        if (req.method !== "POST") return;
        const site = req.headers["sec-fetch-site"];
        const origin = req.headers.origin;
        const crossSite = (typeof site === "string" && site !== "same-origin" && site !== "none") || (typeof origin === "string" && !sameHost(origin, req.headers.host));
        if (crossSite) return this.refuse(req, reply, 403, "forbidden");
      });
      scope.setErrorHandler(async (err: Error & { statusCode?: number }, req, reply) => {
        const upload = req.routeOptions.url === WEB_PATHS.uploads;
        const status = err.statusCode ?? 500;
        if (status === 413) {
          reply.header("connection", "close");
          return upload ? this.refuse(req, reply, 413, "too_large", { max: this.maxMb() }) : this.refuse(req, reply, 413, "too_long");
        }
        if (status === 415) return this.refuse(req, reply, 415, upload ? "wrong_type" : "bad_request");
        if (status >= 400 && status < 500) return this.refuse(req, reply, status, "bad_request");
        req.log.error({ err }, "web chat request failed");
        return this.refuse(req, reply, 500, "server");
      });

      scope.get(WEB_PATHS.page, async (req, reply) => {
        const session = this.session(req, reply, true);
        const locale = (session.fresh ? undefined : await this.chatLocale(session.chatKey)) ?? "vi";
        return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(this.page.html(locale));
      });

      scope.get(`${WEB_PATHS.assets}:file`, async (req, reply) => {
        const asset = this.page.assets.get((req.params as { file: string }).file);
        if (!asset) return reply.code(404).send({ ok: false });
        reply.header("cache-control", "no-cache").header("etag", asset.etag);
        if (req.headers["if-none-match"] === asset.etag) return reply.code(304).send();
        return reply.type(asset.type).send(asset.body);
      });

      scope.get(WEB_PATHS.strings, async (req, reply) => {
        const lang = (req.query as { lang?: string }).lang;
        const locale = isLocale(lang) ? lang : "vi";
        return reply.header("cache-control", "no-cache").send({ lang: locale, strings: this.page.stringsFor(locale) });
      });

      // Limits are checked when the request arrives, before its body is read.
      scope.post(WEB_PATHS.messages, { bodyLimit: MESSAGE_BODY_LIMIT_BYTES, onRequest: async (req, reply) => this.limitMessage(req, reply) }, async (req, reply) => {
        const session = this.sessionOf(req, reply);
        const parsed = webMessageSchema.safeParse(req.body);
        if (!parsed.success) {
          const body = req.body as { type?: unknown; text?: unknown } | undefined;
          const code: ErrorCode =
            body?.type === "text" && typeof body.text === "string"
              ? body.text.length > WEB_TEXT_MAX_CHARS
                ? "too_long"
                : body.text.trim() === ""
                  ? "empty"
                  : "bad_request"
              : "bad_request";
          return this.refuse(req, reply, 400, code, undefined, session);
        }
        const message = parsed.data;
        const result = await routes.ingest.store(webIncoming(session.chatKey, webUpdateKey(this.opts.sealer, session.chatKey, message.id), storedInput(message)));
        return reply.code(202).send({ ok: true, duplicate: result === "duplicate" });
      });

      scope.post(WEB_PATHS.uploads, { bodyLimit: this.opts.uploadLimitBytes, onRequest: async (req, reply) => this.limitUpload(req, reply) }, async (req, reply) => {
        const session = this.sessionOf(req, reply);
        const queryId = (req.query as { id?: unknown }).id;
        if (!Buffer.isBuffer(req.body) || !sniffImageType(req.body)) return this.refuse(req, reply, 415, "wrong_type", undefined, session);
        if (await this.uploadLimitReached(session.chatKey)) {
          return this.refuse(req, reply, 429, "too_many_uploads", { max: this.opts.uploadsPerHour }, session);
        }
        if (!(await this.storage.makeRoom(req.body.length))) return this.tooMany(req, reply, "uploads_busy", 10 * 60_000);
        let image;
        try {
          image = await this.images.clean(req.body);
        } catch (err) {
          if (err instanceof UnreadableImageError) return this.refuse(req, reply, 422, "unreadable_image", undefined, session);
          if (err instanceof ImageQueueFullError) return this.tooMany(req, reply, "uploads_busy", 5_000);
          throw err;
        }
        const result = await storeUpload(routes.ingest, {
          chatKey: session.chatKey,
          clientMessageId: typeof queryId === "string" ? queryId : crypto.randomUUID(),
          image,
          uploadsPerHour: this.opts.uploadsPerHour,
          sealer: this.opts.sealer,
        });
        if (result.kind === "limited") return this.refuse(req, reply, 429, "too_many_uploads", { max: this.opts.uploadsPerHour }, session);
        if (result.kind === "stored") this.storage.added(image.bytes.length);
        return reply.code(202).send({ ok: true, duplicate: result.kind === "duplicate" });
      });

      scope.get(WEB_PATHS.events, async (req, reply) => this.stream(req, reply));
    });
  }

  /**
   * The request's session: the one in its cookie when this service issued it, else a new one (a
   * client-chosen id is never adopted). Sets the cookie on the reply when one is issued or renewed.
   */
  private session(req: Req, reply: FastifyReply, renew = false): WebSession {
    const session = this.sessions.resolve(req.headers.cookie, this.secure(req), renew);
    if (session.setCookie) reply.header("set-cookie", session.setCookie);
    return session;
  }

  /** The session the route's limits hook resolved (and set the cookie for). */
  private sessionOf(req: Req, reply: FastifyReply): WebSession {
    return this.requestSessions.get(req) ?? this.session(req, reply);
  }

  /** Whether the cookie gets `Secure`: PUBLIC_URL is https, or this request came over HTTPS (directly or via a trusted proxy). */
  private secure(req: Req): boolean {
    return this.opts.secureCookies || req.protocol === "https";
  }

  /**
   * A message is allowed when its session, its client address and the web chat as a whole each
   * have a token: a flood from fresh sessions (no cookie) still spends its address's budget, and a
   * flood from many addresses the global one, so the web chat cannot take the inbox from the
   * other channels' residents. Refused: 429 with Retry-After and the translated explanation.
   */
  private async limitMessage(req: Req, reply: FastifyReply) {
    // A refused request costs as little as possible (a flood is mostly refused): no new session is
    // sealed for it and its answer is cached; the session is issued once the message is accepted.
    const existing = this.sessions.peek(req.headers.cookie);
    const limit = takeAll([
      [this.messageAddress, clientAddress(req)],
      [this.messageGlobal, ""],
      ...(existing ? [[this.messageSession, existing] as [TokenBuckets, string]] : []),
    ]);
    if (!limit.ok) return this.tooMany(req, reply, limit.refusedBy === 1 ? "busy" : "too_fast", limit.waitMs);
    this.requestSessions.set(req, this.session(req, reply));
  }

  /**
   * Uploads: a short burst per session; per client address and for everyone, photos and bytes an
   * hour (counted when the request arrives, before the body is read or decoded, so refused and
   * unreadable photos count too).
   */
  private async limitUpload(req: Req, reply: FastifyReply) {
    const session = this.session(req, reply);
    this.requestSessions.set(req, session);
    const queryId = (req.query as { id?: unknown }).id;
    if (queryId !== undefined && (typeof queryId !== "string" || !UPLOAD_ID.test(queryId))) {
      return this.refuse(req, reply, 400, "bad_request", undefined, session);
    }
    const address = clientAddress(req);
    const declared = Number(req.headers["content-length"]);
    const bytes = Number.isFinite(declared) && declared > 0 ? Math.min(declared, this.opts.uploadLimitBytes) : this.opts.uploadLimitBytes;
    const wait = Math.max(this.uploadAddress.waitMs(address, bytes), this.uploadGlobal.waitMs("", bytes));
    if (wait > 0) return this.tooMany(req, reply, "uploads_busy", wait);
    const burst = this.uploadSession.waitMs(session.chatKey);
    if (burst > 0 || !this.uploadSession.take(session.chatKey)) return this.tooMany(req, reply, "too_fast", burst);
    this.uploadAddress.add(address, bytes);
    this.uploadGlobal.add("", bytes);
  }

  /**
   * 429 with Retry-After (whole seconds, at least 1) and the translated explanation. Uploads and
   * event streams also close the connection (an upload's body is not read; a stream holds a socket).
   */
  private tooMany(req: Req, reply: FastifyReply, code: ErrorCode, waitMs: number) {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    reply.header("retry-after", String(seconds));
    if (req.method !== "POST" || req.routeOptions.url !== WEB_PATHS.messages) reply.header("connection", "close");
    this.opts.metrics.updatesRejected.inc({ channel: "web", reason: code });
    const locale = this.requestLocale(req) ?? "vi";
    const key = `${locale}\u0000${code}\u0000${seconds}`;
    let body = this.refusals.get(key);
    if (body === undefined) {
      if (this.refusals.size >= 1_000) this.refusals.clear();
      const message = this.opts.t(locale, `web:error.${code}`, { seconds, minutes: Math.max(1, Math.ceil(seconds / 60)) });
      this.refusals.set(key, (body = JSON.stringify({ ok: false, error: code, message })));
    }
    return reply.code(429).type("application/json; charset=utf-8").send(body);
  }

  /** The language a request asks for without reading the database: the page's (x-tm-lang), else the browser's first choice. */
  private requestLocale(req: Req): string | undefined {
    const header = req.headers["x-tm-lang"];
    if (isLocale(header)) return header;
    const accepted = /^\s*([a-z]{2})/i.exec(String(req.headers["accept-language"] ?? ""))?.[1]?.toLowerCase();
    return isLocale(accepted) ? accepted : undefined;
  }

  private maxMb(): string {
    return String(Math.round((this.opts.uploadLimitBytes / (1024 * 1024)) * 10) / 10);
  }

  private async chatLocale(chatKey: string): Promise<string | undefined> {
    const chat = await this.opts.db.chat.findUnique({ where: { channel_platformChatId: { channel: "web", platformChatId: chatKey } }, select: { locale: true } });
    return chat?.locale ?? undefined;
  }

  /**
   * The language of an error message: the page's (x-tm-lang), else the chat's, else the browser's
   * first choice, else Vietnamese. A refused flood (429) never reads the database for it.
   */
  private async localeOf(req: Req, session?: WebSession): Promise<string> {
    const header = req.headers["x-tm-lang"];
    if (isLocale(header)) return header;
    const chatKey = session ? (session.fresh ? undefined : session.chatKey) : this.sessions.peek(req.headers.cookie);
    const locale = chatKey ? await this.chatLocale(chatKey).catch(() => undefined) : undefined;
    if (isLocale(locale)) return locale;
    return this.requestLocale(req) ?? "vi";
  }

  /** Answers an error the person can cause: a status, a code and the translated explanation. Nothing is stored. */
  private async refuse(req: Req, reply: FastifyReply, status: number, code: ErrorCode, params?: Record<string, unknown>, session?: WebSession) {
    this.opts.metrics.updatesRejected.inc({ channel: "web", reason: code });
    const locale = await this.localeOf(req, session);
    return reply.code(status).send({ ok: false, error: code, message: this.opts.t(locale, `web:error.${code}`, params) });
  }

  /** True when the session's hourly upload limit is already used up (checked before decoding anything). */
  private async uploadLimitReached(chatKey: string): Promise<boolean> {
    const row = await this.opts.db.rateCounter.findUnique({ where: { key: personRateKey(this.opts.sealer, "upload", chatKey) } });
    return !!row && Date.now() - row.windowStart.getTime() < 60 * 60_000 && row.count >= this.opts.uploadsPerHour;
  }

  /**
   * GET /api/chat/events: Server-Sent Events. First the history (the chat's messages after
   * Last-Event-ID, or its last HISTORY_MESSAGES), then an `event: ready`, then live messages; each
   * message's SSE id is its outbox id, so a reconnecting EventSource gets nothing twice.
   */
  private async stream(req: Req, reply: FastifyReply): Promise<void> {
    // Limits first: opened per address (a reconnect storm), open per address and in total (each
    // stream holds a socket and a file descriptor). `?probe=1` only asks whether a stream would be
    // allowed now (204), so the page can show why it was refused: EventSource cannot read a 429.
    const address = clientAddress(req);
    const opened = this.streams.open(address);
    if (opened === "total") return void (await this.tooMany(req, reply, "busy", 5_000));
    if (opened === "key") return void (await this.tooMany(req, reply, "too_many_streams", 30_000));
    const opening = this.streamOpens.waitMs(address);
    if (opening > 0 || !this.streamOpens.take(address)) {
      opened();
      return void (await this.tooMany(req, reply, "too_fast", opening));
    }
    if ((req.query as { probe?: string }).probe !== undefined) {
      opened();
      return void (await reply.code(204).send());
    }
    this.opts.metrics.webStreamsOpen.set(this.streams.size);
    const release = () => {
      opened();
      this.opts.metrics.webStreamsOpen.set(this.streams.size);
    };
    const session = this.sessions.resolve(req.headers.cookie, this.secure(req));
    const lastHeader = req.headers["last-event-id"] ?? (req.query as { after?: string }).after;
    const after = typeof lastHeader === "string" && /^\d{1,15}$/.test(lastHeader) ? Number(lastHeader) : undefined;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      ...SECURITY_HEADERS,
      ...(session.setCookie ? { "set-cookie": session.setCookie } : {}),
    });
    res.write("retry: 3000\n\n");

    let lastId = after ?? 0;
    let live = false;
    const waiting: WebChatEvent[] = [];
    const write = (event: WebChatEvent) => {
      if (event.id <= lastId) return;
      lastId = event.id;
      res.write(`id: ${event.id}\nevent: message\ndata: ${JSON.stringify(event)}\n\n`);
    };
    let closed = false;
    const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    // Subscribe before reading the history, so a message sent meanwhile is not missed.
    const unsubscribe = this.hub.subscribe(session.chatKey, {
      deliver: (event) => (live ? write(event) : waiting.push(event)),
      close: () => res.end(),
    });
    res.on("close", () => {
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      release();
    });

    let history: WebChatEvent[];
    try {
      history = await this.history(session.chatKey, after);
    } catch (err) {
      req.log.error({ err }, "web chat history failed");
      res.end();
      return;
    }
    if (closed) return;
    for (const event of history) write(event);
    live = true;
    for (const event of waiting.sort((a, b) => a.id - b.id)) write(event);
    res.write(`event: ready\ndata: ${JSON.stringify({ history: history.length })}\n\n`);
  }

  /** The chat's messages after `after` (oldest first), or its last HISTORY_MESSAGES. */
  private async history(chatKey: string, after?: number): Promise<WebChatEvent[]> {
    const { db } = this.opts;
    const chat = await db.chat.findUnique({ where: { channel_platformChatId: { channel: "web", platformChatId: chatKey } }, select: { id: true } });
    if (!chat) return [];
    // Pending rows too: the sender may be publishing one right now (the page drops repeats by id).
    // Not a pending secret, though: it is published by the sender to this page, then scrubbed.
    const where = {
      chatId: chat.id,
      channel: "web",
      method: WEB_MESSAGE_METHOD,
      OR: [{ status: "sent" }, { status: "pending", sensitive: false }],
    };
    const select = { id: true, payload: true, createdAt: true } as const;
    const rows =
      after === undefined
        ? (await db.outboxMessage.findMany({ where, select, orderBy: { id: "desc" }, take: HISTORY_MESSAGES })).reverse()
        : await db.outboxMessage.findMany({ where: { ...where, id: { gt: after } }, select, orderBy: { id: "asc" }, take: HISTORY_MESSAGES * 2 });
    return rows.map((row) => this.eventOf(row));
  }

  /** One web chat message as its pages receive it, read from its outbox row (several instances: see src/cluster/webRelay.ts). */
  async messageEvent(id: number): Promise<WebChatEvent | undefined> {
    const row = await this.opts.db.outboxMessage.findFirst({ where: { id, channel: "web", method: WEB_MESSAGE_METHOD }, select: { id: true, payload: true, createdAt: true } });
    return row ? this.eventOf(row) : undefined;
  }

  private eventOf(row: { id: number; payload: string; createdAt: Date }): WebChatEvent {
    const payload = openHistory(this.opts.sealer, row.payload) as Partial<WebMessagePayload> & { scrubbed?: boolean };
    const at = row.createdAt.toISOString();
    if (payload.scrubbed || typeof payload.text !== "string") return { id: row.id, at, scrubbed: true };
    return { id: row.id, at, ...(payload as WebMessagePayload) };
  }
}

/** Whether an Origin header names the host the request was sent to. */
function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
