import crypto from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "../db/client.ts";
import type { Metrics } from "../metrics.ts";
import { isLocalRequest } from "./clientAddress.ts";
import { degradedReason, type ReaderWatch } from "../core/tips/readerWatch.ts";

/**
 * Whether a request may read /metrics: from the machine itself (loopback, not relayed by a proxy),
 * or with `Authorization: Bearer <token>` when a token is configured (compared in constant time).
 */
export function metricsAllowed(req: FastifyRequest, token: string | undefined): boolean {
  if (isLocalRequest(req)) return true;
  if (!token) return false;
  const header = req.headers.authorization;
  if (typeof header !== "string") return false;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  // Digests of equal length: timingSafeEqual needs that, and the token's length does not leak.
  const given = crypto.createHash("sha256").update(m[1]!).digest();
  const expected = crypto.createHash("sha256").update(token).digest();
  return crypto.timingSafeEqual(given, expected);
}

/**
 * GET /healthz (checks the database; answers 200 "degraded", with the reason, while tips or
 * questions wait with no group to show them) and GET /metrics (Prometheus text format; loopback
 * only, or anyone with the bearer token METRICS_TOKEN: 401 with a token configured, 403 without).
 */
export function registerOps(app: FastifyInstance, opts: { db: Db; metrics: Metrics; readers: ReaderWatch; metricsToken?: string }): void {
  app.get("/healthz", async (_req, reply) => {
    try {
      await opts.db.$queryRawUnsafe("SELECT 1");
      const readers = await opts.readers.current();
      const reason = degradedReason(readers);
      if (reason) return { status: "degraded", database: "ok", reason, waiting: { tips: readers.tips, infoCopies: readers.copies, legalQuestions: readers.questions } };
      return { status: "ok", database: "ok" };
    } catch (err) {
      app.log.error({ err }, "health check: database unreachable");
      return reply.code(503).send({ status: "error", database: "unreachable" });
    }
  });

  app.get("/metrics", async (req: FastifyRequest, reply: FastifyReply) => {
    if (!metricsAllowed(req, opts.metricsToken)) {
      if (opts.metricsToken) return reply.code(401).header("www-authenticate", 'Bearer realm="metrics"').send({ error: "unauthorized" });
      return reply.code(403).send({ error: "forbidden" });
    }
    const oldest = await opts.db.inboxUpdate.findFirst({
      where: { status: "pending" },
      orderBy: { id: "asc" },
      select: { receivedAt: true },
    });
    opts.metrics.inboxLag.set(oldest ? (Date.now() - oldest.receivedAt.getTime()) / 1000 : 0);
    await opts.readers.check();
    return reply.header("content-type", opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
}
