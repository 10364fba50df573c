import crypto from "node:crypto";
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { jsonTextTooDeep, reportRejected, type UpdateVerdict } from "../inbox/boundary.ts";
import type { InboxIngest } from "../inbox/ingest.ts";
import type { Metrics } from "../metrics.ts";

/** One platform's webhook: where its secret travels and how to read its body. */
export interface WebhookChannel {
  name: string;
  path: string;
  /** Lower-case header carrying the secret. */
  secretHeader: string;
  /** The expected secret; undefined when the channel is not configured (the route answers 503). */
  secret?: string;
  /** Validates a parsed body against the platform's update schema and extracts its keys. */
  toIncoming(raw: string, body: unknown): UpdateVerdict;
}

/** SHA-256 of a secret (one-shot `crypto.hash`: a third of the cost of a `createHash` object, and this runs per request). */
const digest = (secret: string): Buffer => crypto.hash("sha256", secret, "buffer");

/**
 * Compares a given secret with the expected one's digest in constant time (equal-length digests,
 * whatever the inputs' lengths).
 */
export function secretMatches(given: string | string[] | undefined, expectedDigest: Buffer): boolean {
  if (typeof given !== "string") return false;
  return crypto.timingSafeEqual(digest(given), expectedDigest);
}

/** The two acknowledgements, serialised once. */
const ACK_STORED = JSON.stringify({ ok: true, duplicate: false });
const ACK_DUPLICATE = JSON.stringify({ ok: true, duplicate: true });

/**
 * `req.log` on the webhook routes: fastify makes a child logger (with the request id) for every
 * request; here it is made only when something is logged — a refusal or a failure, never an
 * accepted update — which spares the acknowledgement path its cost and its garbage.
 */
function lazyChildLogger(parent: FastifyBaseLogger, bindings: Record<string, unknown>, opts: object): FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined;
  const real = () => (child ??= parent.child(bindings, opts));
  return {
    get level() {
      return (child ?? parent).level;
    },
    set level(level: string) {
      real().level = level;
    },
    fatal: (...args: Parameters<FastifyBaseLogger["fatal"]>) => real().fatal(...args),
    error: (...args: Parameters<FastifyBaseLogger["error"]>) => real().error(...args),
    warn: (...args: Parameters<FastifyBaseLogger["warn"]>) => real().warn(...args),
    info: (...args: Parameters<FastifyBaseLogger["info"]>) => real().info(...args),
    debug: (...args: Parameters<FastifyBaseLogger["debug"]>) => real().debug(...args),
    trace: (...args: Parameters<FastifyBaseLogger["trace"]>) => real().trace(...args),
    silent: (...args: Parameters<FastifyBaseLogger["silent"]>) => real().silent(...args),
    child: (b: Record<string, unknown>, o?: object) => real().child(b, o),
  } as FastifyBaseLogger;
}

/** A webhook body as the content-type parser hands it on: the text, and its JSON unless nested too deep to parse. */
type RawJson = { raw: string; json: unknown; tooDeep?: false } | { raw: string; tooDeep: true };

/**
 * Registers POST routes for platform webhooks. The secret header is checked before the body is
 * read (401, nothing stored); bodies over `bodyLimit` get 413 and malformed JSON 400 (a delivery
 * cut short may come whole next time). A body nested deeper than MAX_JSON_DEPTH is refused before
 * it is parsed, and a parsed body that does not fit the platform's update schema is refused
 * before it is stored: both are answered 200 (the platform would only redeliver the same content,
 * and Telegram holds back the chat's later updates meanwhile), counted in
 * `taimat_updates_rejected_total{channel,reason}` and logged once without their content. An
 * accepted update is committed to the inbox before the 200 is sent; a repeated delivery also gets 200.
 */
export async function registerWebhooks(
  app: FastifyInstance,
  opts: { channels: WebhookChannel[]; ingest: InboxIngest; metrics: Metrics; bodyLimit: number },
): Promise<void> {
  await app.register(async (scope) => {
    scope.setChildLoggerFactory(lazyChildLogger);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(["application/json", "text/plain"], { parseAs: "string", bodyLimit: opts.bodyLimit }, (_req, body, done) => {
      const raw = body as string;
      if (jsonTextTooDeep(raw)) return done(null, { raw, tooDeep: true } satisfies RawJson);
      try {
        done(null, { raw, json: JSON.parse(raw) } satisfies RawJson);
      } catch {
        const err = new Error("malformed JSON") as Error & { statusCode: number };
        err.statusCode = 400;
        done(err, undefined);
      }
    });
    scope.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      const channel = (req.routeOptions.config as { channel?: string }).channel ?? "unknown";
      const reason = status === 413 ? "too_large" : status === 400 ? "malformed" : status === 415 ? "content_type" : "error";
      opts.metrics.updatesRejected.inc({ channel, reason });
      if (status === 500) req.log.error({ err }, "webhook failed; the platform will deliver again");
      void reply.code(status).send({ ok: false, error: status === 500 ? "internal error" : err.message });
    });

    for (const channel of opts.channels) {
      const expected = channel.secret ? digest(channel.secret) : undefined; // computed once, compared per request
      const refuse = (reply: FastifyReply, status: number, reason: string, error: string) => {
        opts.metrics.updatesRejected.inc({ channel: channel.name, reason });
        return reply.code(status).header("connection", "close").send({ ok: false, error });
      };
      scope.post(
        channel.path,
        {
          bodyLimit: opts.bodyLimit,
          config: { channel: channel.name },
          // A callback-style hook (no promise per request): the secret is checked before the body is read.
          onRequest: (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
            if (!expected) return void refuse(reply, 503, "not_configured", `${channel.name} channel is not configured`);
            if (!secretMatches(req.headers[channel.secretHeader], expected)) return void refuse(reply, 401, "bad_secret", "unauthorized");
            done();
          },
        },
        (req, reply) => {
          const body = req.body as RawJson | undefined;
          if (!body) return refuse(reply, 400, "malformed", `not a ${channel.name} update`);
          const verdict: UpdateVerdict = body.tooDeep ? { ok: false, reason: "too_deep" } : channel.toIncoming(body.raw, body.json);
          if (!verdict.ok) {
            reportRejected({ metrics: opts.metrics, log: req.log }, channel.name, verdict);
            return reply.code(200).type("application/json; charset=utf-8").send(JSON.stringify({ ok: true, rejected: verdict.reason }));
          }
          // While it waits for the group commit the request keeps only the raw text it stores, not the
          // parsed tree (less for the garbage collector to copy when it runs meanwhile). The 200 is
          // sent once the commit resolves; a failed write rejects, and the error handler answers 500.
          req.body = undefined;
          return opts.ingest.store(verdict.update).then((result) =>
            reply.code(200).type("application/json; charset=utf-8").send(result === "duplicate" ? ACK_DUPLICATE : ACK_STORED),
          );
        },
      );
    }
  });
}
