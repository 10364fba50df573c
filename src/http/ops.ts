import type { FastifyInstance } from "fastify";
import type { Db } from "../db/client.ts";
import type { Metrics } from "../metrics.ts";
import { degradedReason, type ReaderWatch } from "../core/tips/readerWatch.ts";

/**
 * GET /healthz (checks the database; answers 200 "degraded", with the reason, while tips or
 * questions wait with no group to show them) and GET /metrics (Prometheus text format).
 */
export function registerOps(app: FastifyInstance, opts: { db: Db; metrics: Metrics; readers: ReaderWatch }): void {
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

  app.get("/metrics", async (_req, reply) => {
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
