import type { FastifyInstance } from "fastify";
import type { Db } from "../db/client.ts";
import type { Metrics } from "../metrics.ts";

/** GET /healthz (checks the database) and GET /metrics (Prometheus text format). */
export function registerOps(app: FastifyInstance, opts: { db: Db; metrics: Metrics }): void {
  app.get("/healthz", async (_req, reply) => {
    try {
      await opts.db.$queryRawUnsafe("SELECT 1");
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
    return reply.header("content-type", opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
}
