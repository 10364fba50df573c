import crypto from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "../../db/client.ts";
import { isLocale, type Translate } from "../../i18n.ts";
import { jsonTextTooDeep } from "../../inbox/boundary.ts";
import type { InboxIngest, InboxRef } from "../../inbox/ingest.ts";
import type { Logger } from "../../logger.ts";
import type { Metrics } from "../../metrics.ts";
import { PlatformLimiter } from "../../outbox/limiter.ts";
import type { Sealer } from "../../security/sealing.ts";
import { WebHub, type WebChatEvent } from "./hub.ts";
import { WEB_IMAGE_TYPES, UnreadableImageError, cleanImage, sniffImageType } from "./images.ts";
import { WEB_TEXT_MAX_CHARS, storedInput, webIncoming, webMessageSchema } from "./inbound.ts";
import { WebPage } from "./page.ts";
import { WEB_MESSAGE_METHOD, WebRenderer, type WebMessagePayload } from "./render.ts";
import { WebSender } from "./sender.ts";
import { resolveSession, type WebSession } from "./session.ts";
import { SessionThrottle } from "./throttle.ts";
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
  /** Send the session cookie with `Secure` (the service is reached over HTTPS). */
  secureCookies: boolean;
}

/** What the web routes need from the application once it is built. */
export interface WebRoutesOptions {
  /** The durable inbox every channel's input goes through. */
  ingest: InboxIngest;
  /** Told about inbox rows stored outside `ingest` (an upload and its update are one transaction). */
  onStored: (rows: InboxRef[]) => void;
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
  private readonly page: WebPage;
  private readonly messageThrottle = new SessionThrottle(20, 2);
  private readonly uploadThrottle = new SessionThrottle(5, 0.2);

  constructor(private readonly opts: WebChannelOptions) {
    this.renderer = new WebRenderer(opts.t);
    this.sender = new WebSender(opts.db, this.hub);
    this.page = new WebPage(opts.t, { uploadLimitBytes: opts.uploadLimitBytes });
  }

  /** Periodic job: deletes stale uploads nothing refers to. */
  async housekeeping(now = new Date()): Promise<void> {
    const deleted = await expireUploads(this.opts.db, now);
    if (deleted) this.opts.log.info({ deleted }, "web chat: stale uploads deleted");
  }

  /** Registers the page, its files and the chat API on `http`. */
  register(http: FastifyInstance, routes: WebRoutesOptions): void {
    const { db, metrics } = this.opts;
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
        const locale = (await this.chatLocale(session.chatKey)) ?? "vi";
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

      scope.post(WEB_PATHS.messages, { bodyLimit: MESSAGE_BODY_LIMIT_BYTES }, async (req, reply) => {
        const session = this.session(req, reply);
        if (!this.messageThrottle.take(session.chatKey)) return this.refuse(req, reply, 429, "too_fast", undefined, session);
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
        const result = await routes.ingest.store(webIncoming(session.chatKey, message.id, storedInput(message)));
        return reply.code(202).send({ ok: true, duplicate: result === "duplicate" });
      });

      scope.post(WEB_PATHS.uploads, { bodyLimit: this.opts.uploadLimitBytes }, async (req, reply) => {
        const session = this.session(req, reply);
        const queryId = (req.query as { id?: unknown }).id;
        if (queryId !== undefined && (typeof queryId !== "string" || !/^[A-Za-z0-9_-]{8,64}$/.test(queryId))) {
          return this.refuse(req, reply, 400, "bad_request", undefined, session);
        }
        if (!this.uploadThrottle.take(session.chatKey)) return this.refuse(req, reply, 429, "too_fast", undefined, session);
        if (!Buffer.isBuffer(req.body) || !sniffImageType(req.body)) return this.refuse(req, reply, 415, "wrong_type", undefined, session);
        if (await this.uploadLimitReached(session.chatKey)) {
          return this.refuse(req, reply, 429, "too_many_uploads", { max: this.opts.uploadsPerHour }, session);
        }
        let image;
        try {
          image = await cleanImage(req.body);
        } catch (err) {
          if (err instanceof UnreadableImageError) return this.refuse(req, reply, 422, "unreadable_image", undefined, session);
          throw err;
        }
        const result = await storeUpload(db, {
          chatKey: session.chatKey,
          clientMessageId: typeof queryId === "string" ? queryId : crypto.randomUUID(),
          image,
          uploadsPerHour: this.opts.uploadsPerHour,
          sealer: this.opts.sealer,
        });
        if (result.kind === "limited") return this.refuse(req, reply, 429, "too_many_uploads", { max: this.opts.uploadsPerHour }, session);
        if (result.kind === "stored") {
          metrics.updatesReceived.inc({ channel: "web" });
          routes.onStored([result.inbox]);
        } else {
          metrics.updatesDeduplicated.inc({ channel: "web" });
        }
        return reply.code(202).send({ ok: true, duplicate: result.kind === "duplicate" });
      });

      scope.get(WEB_PATHS.events, async (req, reply) => this.stream(req, reply));
    });
  }

  /** The request's session; sets the cookie on the reply when a new one is issued (or renewed). */
  private session(req: Req, reply: FastifyReply, renew = false): WebSession {
    const session = resolveSession(req.headers.cookie, this.opts.secureCookies, renew);
    if (session.setCookie) reply.header("set-cookie", session.setCookie);
    return session;
  }

  private maxMb(): string {
    return String(Math.round((this.opts.uploadLimitBytes / (1024 * 1024)) * 10) / 10);
  }

  private async chatLocale(chatKey: string): Promise<string | undefined> {
    const chat = await this.opts.db.chat.findUnique({ where: { channel_platformChatId: { channel: "web", platformChatId: chatKey } }, select: { locale: true } });
    return chat?.locale ?? undefined;
  }

  /** The language of an error message: the page's (x-tm-lang), else the chat's, else Vietnamese. */
  private async localeOf(req: Req, session?: WebSession): Promise<string> {
    const header = req.headers["x-tm-lang"];
    if (isLocale(header)) return header;
    const chatKey = session?.chatKey ?? resolveSession(req.headers.cookie, false).chatKey;
    const locale = await this.chatLocale(chatKey).catch(() => undefined);
    return isLocale(locale) ? locale : "vi";
  }

  /** Answers an error the person can cause: a status, a code and the translated explanation. Nothing is stored. */
  private async refuse(req: Req, reply: FastifyReply, status: number, code: ErrorCode, params?: Record<string, unknown>, session?: WebSession) {
    this.opts.metrics.updatesRejected.inc({ channel: "web", reason: code });
    const locale = await this.localeOf(req, session);
    return reply.code(status).send({ ok: false, error: code, message: this.opts.t(locale, `web:error.${code}`, params) });
  }

  /** True when the session's hourly upload limit is already used up (checked before decoding anything). */
  private async uploadLimitReached(chatKey: string): Promise<boolean> {
    const row = await this.opts.db.rateCounter.findUnique({ where: { key: `upload:${chatKey}` } });
    return !!row && Date.now() - row.windowStart.getTime() < 60 * 60_000 && row.count >= this.opts.uploadsPerHour;
  }

  /**
   * GET /api/chat/events: Server-Sent Events. First the history (the chat's messages after
   * Last-Event-ID, or its last HISTORY_MESSAGES), then an `event: ready`, then live messages; each
   * message's SSE id is its outbox id, so a reconnecting EventSource gets nothing twice.
   */
  private async stream(req: Req, reply: FastifyReply): Promise<void> {
    const session = resolveSession(req.headers.cookie, this.opts.secureCookies);
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
    return rows.map((row): WebChatEvent => {
      const payload = JSON.parse(row.payload) as Partial<WebMessagePayload> & { scrubbed?: boolean };
      const at = row.createdAt.toISOString();
      if (payload.scrubbed || typeof payload.text !== "string") return { id: row.id, at, scrubbed: true };
      return { id: row.id, at, ...(payload as WebMessagePayload) };
    });
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
