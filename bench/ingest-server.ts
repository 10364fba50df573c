/**
 * The server under test for bench/ingest.ts, run in a child process of its own so that the load
 * generator does not share its event loop:
 *
 *   node dist/bench/ingest-server.js bare         fastify with POST /webhooks/telegram answering 200
 *   node dist/bench/ingest-server.js service      the real service: runs src/main.ts itself
 *   node dist/bench/ingest-server.js ingest-only  the real service with the inbox worker stopped
 *                                                        (webhooks store updates; nothing processes them)
 *
 * Configuration comes from the environment, as for src/main.ts (PORT=0 picks a free port). Once
 * listening, the child sends `{ ready: url }` over the IPC channel. Both modes also serve
 * GET /__bench/stats: CPU time, event-loop utilisation and (service modes) how the inbox writes
 * (group commits) and the worker's updates went, so the bench can report where the time goes.
 * SIGTERM stops the server (the service through src/main.ts's own graceful shutdown).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import { monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks";
import Fastify, { type FastifyInstance } from "fastify";
import { App, TELEGRAM_WEBHOOK_PATH } from "../src/app.ts";

export type ServerMode = "bare" | "service" | "ingest-only";

/** Cumulative counters served at GET /__bench/stats; the bench takes differences. */
export interface ServerStats {
  mode: ServerMode;
  /** process.cpuUsage(), microseconds. */
  cpu: { user: number; system: number };
  /** performance.eventLoopUtilization(), milliseconds. */
  elu: { idle: number; active: number };
  rssBytes: number;
  /** Event-loop delay since the previous stats request (each request starts a new window), ms. */
  loopDelay: { p99Ms: number; maxMs: number };
  /** Inbox group commits (InboxIngest.write): how many, rows, total and worst time. */
  writes: { batches: number; rows: number; ms: number; maxMs: number; maxRows: number };
  /** Updates the inbox worker processed (successfully or not) and the time they took. */
  processed: { count: number; ms: number; maxMs: number };
  /** SQLite statements prepared on the service's connection (see traceSql). */
  sql: { statements: number };
  /**
   * CPU time of the main thread (JavaScript, the event loop, synchronous SQLite) and of all other
   * threads together (V8's garbage-collection helpers, libuv's pool), ms; from /proc (Linux only, else 0).
   */
  threads: { mainMs: number; otherMs: number };
  /** Garbage-collection pauses on the main thread: young-generation (scavenges) and full (mark-sweep-compact) ones, count and ms. */
  gc: { minor: number; minorMs: number; major: number; majorMs: number };
}

const MODES: readonly ServerMode[] = ["bare", "service", "ingest-only"];

const stats: ServerStats = {
  mode: "bare",
  cpu: { user: 0, system: 0 },
  elu: { idle: 0, active: 0 },
  rssBytes: 0,
  loopDelay: { p99Ms: 0, maxMs: 0 },
  writes: { batches: 0, rows: 0, ms: 0, maxMs: 0, maxRows: 0 },
  processed: { count: 0, ms: 0, maxMs: 0 },
  sql: { statements: 0 },
  threads: { mainMs: 0, otherMs: 0 },
  gc: { minor: 0, minorMs: 0, major: 0, majorMs: 0 },
};

/** On-CPU time of one thread, ms (the first field of its schedstat, in ns); 0 where /proc is missing. */
function threadMs(tid: string): number {
  try {
    return Number(fs.readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return 0;
  }
}

function threadTimes(): { mainMs: number; otherMs: number } {
  let tids: string[];
  try {
    tids = fs.readdirSync("/proc/self/task");
  } catch {
    return { mainMs: 0, otherMs: 0 };
  }
  const main = String(process.pid);
  let mainMs = 0;
  let otherMs = 0;
  for (const tid of tids) {
    if (tid === main) mainMs = threadMs(tid);
    else otherMs += threadMs(tid);
  }
  return { mainMs, otherMs };
}

// GC entries: kind 1 = minor (scavenge), 2 = major (mark-sweep-compact), 4 = incremental marking, 8 = weak callbacks.
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === 1) {
      stats.gc.minor++;
      stats.gc.minorMs += e.duration;
    } else {
      stats.gc.major++;
      stats.gc.majorMs += e.duration;
    }
  }
}).observe({ entryTypes: ["gc"] });

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function addStatsRoute(http: FastifyInstance): void {
  http.get("/__bench/stats", async (): Promise<ServerStats> => {
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const delay = { p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 };
    loopDelay.reset();
    // With --server-node-args (e.g. --trace-gc-nvp), marks in the log tell the bench's runs apart.
    if (process.env.BENCH_STATS_MARKS === "1") process.stdout.write(`STATS-MARK ${Math.round(performance.now())} ms\n`);
    return {
      ...stats,
      cpu: { user: cpu.user, system: cpu.system },
      elu: { idle: elu.idle, active: elu.active },
      rssBytes: process.memoryUsage().rss,
      loopDelay: delay,
      threads: threadTimes(),
    };
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

/**
 * Wraps the worker's per-update processor to count and time processed updates. With `yieldFirst`
 * (BENCH_WORKER_YIELD=1, an experiment) each update first waits for a setImmediate, as if the
 * worker yielded to the event loop between updates.
 */
function traceProcessing(app: App, yieldFirst: boolean): void {
  const opts = (app.worker as unknown as { opts: { process: (id: number) => Promise<void> } }).opts;
  const processOne = opts.process;
  opts.process = async (id) => {
    if (yieldFirst) await new Promise<void>((resolve) => setImmediate(resolve));
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

/**
 * Counts the SQLite statements prepared on the service's connection (src/db/client.ts keeps
 * prepared statements and reuses them, so after warm-up this should stay near zero).
 */
function traceSql(): void {
  const Database = createRequire(import.meta.url)("better-sqlite3") as { prototype: { prepare: (this: unknown, sql: string) => unknown } };
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: unknown, sql: string) {
    stats.sql.statements++;
    return prepare.call(this, sql);
  };
}

/**
 * Starts the real service by running src/main.ts itself (configuration from the environment,
 * migrations, reference data, `new App(...)`, `start()`, `listen()`, its signal handlers), with
 * App's methods wrapped so the bench's instrumentation is installed on the instance it creates.
 */
async function startService(mode: "service" | "ingest-only"): Promise<void> {
  traceSql();
  const proto = App.prototype as {
    start: (this: App) => Promise<void>;
    listen: (this: App, port?: number, host?: string) => Promise<string>;
  };
  const start = proto.start;
  proto.start = async function (this: App) {
    traceWrites(this);
    traceProcessing(this, process.env.BENCH_WORKER_YIELD === "1");
    addStatsRoute(this.http); // before start(), which makes the routes ready
    await start.call(this);
    if (mode === "ingest-only") await this.worker.stop(); // updates are stored and queued, never processed
  };
  const listen = proto.listen;
  proto.listen = async function (this: App, port?: number, host?: string) {
    const url = await listen.call(this, port, host);
    ready(url);
    return url;
  };
  await import("../src/main.ts");
}

async function main(): Promise<void> {
  const mode = process.argv[2] as ServerMode | undefined;
  if (!mode || !MODES.includes(mode)) {
    console.error(`usage: node dist/bench/ingest-server.js <${MODES.join("|")}>  (after npm run build)`);
    process.exit(2);
  }
  stats.mode = mode;
  // The bench went away: stop too (src/main.ts handles SIGTERM for the service).
  process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
  if (mode !== "bare") return startService(mode);
  const stop = await startBare();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
