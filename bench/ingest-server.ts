/**
 * The server under test for bench/ingest.ts, run in a child process of its own so that the load
 * generator does not share its event loop:
 *
 *   node --import tsx bench/ingest-server.ts bare         fastify with POST /webhooks/telegram answering 200
 *   node --import tsx bench/ingest-server.ts service      the real service, started as src/main.ts starts it
 *   node --import tsx bench/ingest-server.ts ingest-only  the real service with the inbox worker stopped
 *                                                        (webhooks store updates; nothing processes them)
 *
 * Configuration comes from the environment, as for src/main.ts (PORT=0 picks a free port). Once
 * listening, the child sends `{ ready: url }` over the IPC channel. Both modes also serve
 * GET /__bench/stats: CPU time, event-loop utilisation and (service modes) how the inbox writes
 * (group commits) and the worker's updates went, so the bench can report where the time goes.
 * SIGTERM stops the server (the service gracefully, as main.ts does, but without waiting longer
 * than a few seconds) and exits.
 */
import { performance } from "node:perf_hooks";
import Fastify, { type FastifyInstance } from "fastify";
import { App, TELEGRAM_WEBHOOK_PATH } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { openDb } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createLogger } from "../src/logger.ts";

export type ServerMode = "bare" | "service" | "ingest-only";

/** Cumulative counters served at GET /__bench/stats; the bench takes differences. */
export interface ServerStats {
  mode: ServerMode;
  /** process.cpuUsage(), microseconds. */
  cpu: { user: number; system: number };
  /** performance.eventLoopUtilization(), milliseconds. */
  elu: { idle: number; active: number };
  rssBytes: number;
  /** Inbox group commits (InboxIngest.write): how many, rows, total and worst time. */
  writes: { batches: number; rows: number; ms: number; maxMs: number; maxRows: number };
  /** Updates the inbox worker processed (successfully or not) and the time they took. */
  processed: { count: number; ms: number; maxMs: number };
}

const MODES: readonly ServerMode[] = ["bare", "service", "ingest-only"];

const stats: ServerStats = {
  mode: "bare",
  cpu: { user: 0, system: 0 },
  elu: { idle: 0, active: 0 },
  rssBytes: 0,
  writes: { batches: 0, rows: 0, ms: 0, maxMs: 0, maxRows: 0 },
  processed: { count: 0, ms: 0, maxMs: 0 },
};

function addStatsRoute(http: FastifyInstance): void {
  http.get("/__bench/stats", async () => {
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    return { ...stats, cpu: { user: cpu.user, system: cpu.system }, elu: { idle: elu.idle, active: elu.active }, rssBytes: process.memoryUsage().rss };
  });
}

function ready(url: string): void {
  if (process.send) process.send({ ready: url });
  else console.log(`READY ${url}`);
}

async function startBare(): Promise<() => Promise<void>> {
  const http = Fastify({ logger: false });
  http.post(TELEGRAM_WEBHOOK_PATH, async (_req, reply) => reply.code(200).send({ ok: true }));
  http.get("/healthz", async () => ({ status: "ok" }));
  addStatsRoute(http);
  await http.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? "127.0.0.1" });
  const addr = http.server.address();
  ready(`http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`);
  return () => http.close();
}

/** Wraps InboxIngest.write (a private method, called as this.write) to time each group commit. */
function traceWrites(app: App): void {
  const ingest = app.ingest as unknown as { write: (batch: unknown[]) => Promise<void> };
  const write = ingest.write.bind(ingest);
  ingest.write = async (batch) => {
    const t0 = performance.now();
    try {
      await write(batch);
    } finally {
      const ms = performance.now() - t0;
      const w = stats.writes;
      w.batches++;
      w.rows += batch.length;
      w.ms += ms;
      w.maxMs = Math.max(w.maxMs, ms);
      w.maxRows = Math.max(w.maxRows, batch.length);
    }
  };
}

/** Wraps the worker's per-update processor to count and time processed updates. */
function traceProcessing(app: App): void {
  const opts = (app.worker as unknown as { opts: { process: (id: number) => Promise<void> } }).opts;
  const processOne = opts.process;
  opts.process = async (id) => {
    const t0 = performance.now();
    try {
      await processOne(id);
    } finally {
      const ms = performance.now() - t0;
      stats.processed.count++;
      stats.processed.ms += ms;
      stats.processed.maxMs = Math.max(stats.processed.maxMs, ms);
    }
  };
}

/** The same start-up as src/main.ts: migrations, reference data, App, start, listen. */
async function startService(mode: "service" | "ingest-only"): Promise<() => Promise<void>> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, [config.telegram.token, config.telegram.webhookSecret]);
  await migrate(config.databaseUrl, (msg) => log.warn(msg));
  const db = await openDb(config.databaseUrl);
  await loadReferenceData(db);
  const app = new App({ config, log, db, processMetrics: true });
  traceWrites(app);
  traceProcessing(app);
  addStatsRoute(app.http);
  await app.start();
  if (mode === "ingest-only") await app.worker.stop(); // updates are stored and queued, never processed
  const url = await app.listen();
  ready(url);
  return () => app.stop();
}

async function main(): Promise<void> {
  const mode = process.argv[2] as ServerMode | undefined;
  if (!mode || !MODES.includes(mode)) {
    console.error(`usage: node --import tsx bench/ingest-server.ts <${MODES.join("|")}>`);
    process.exit(2);
  }
  stats.mode = mode;
  const stop = mode === "bare" ? await startBare() : await startService(mode);
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    // The outbox may hold thousands of rate-limited sends; don't wait for them in a benchmark.
    setTimeout(() => process.exit(0), 5_000).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.on("disconnect", shutdown); // the bench went away
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
