/**
 * The service under test for bench/broadcast.ts: runs src/main.ts itself (configuration from the
 * environment, migrations, reference data, `new App(...)`, `start()`, `listen()`, its signal
 * handlers) in a child process of its own, with light instrumentation of the campaign engine:
 *
 *   node dist/bench/broadcast-server.js      (compiled by `npm run build`, as `npm start` runs the service)
 *
 * Once listening, the child sends `{ ready: url }` over the IPC channel and serves
 * GET /__bench/stats (CPU, event-loop utilisation and delay, memory, and how long each step of the
 * campaign engine's ticks took). SIGTERM stops it through src/main.ts's graceful shutdown.
 *
 * Experiments (environment; off unless set): BENCH_CAMPAIGN_WINDOW=N sets the engine's outbox
 * window (default 30), BENCH_CAMPAIGN_TICK_MS=N adds a second engine timer at that interval (the
 * service's own 1-second timer keeps running; ticks never overlap).
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { App } from "../src/app.ts";
import { CampaignEngine } from "../src/core/campaigns/engine.ts";
import type { OutboxRef } from "../src/outbox/outbound.ts";

/** Time spent in one engine step, summed over the run. */
export interface StepStats {
  count: number;
  ms: number;
  maxMs: number;
}

/** Cumulative counters served at GET /__bench/stats; the bench takes differences. */
export interface BroadcastServerStats {
  /** process.cpuUsage(), microseconds. */
  cpu: { user: number; system: number };
  /** performance.eventLoopUtilization(), milliseconds. */
  elu: { idle: number; active: number };
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
  /** Event-loop delay since the previous stats request (each request starts a new window), ms. */
  loopDelay: { p99Ms: number; maxMs: number };
  /** Engine ticks that ran, and calls that found a tick still running (so did nothing). */
  ticks: { ran: number; skipped: number };
  /** Per engine step: startDueRuns, materialize, reconcile, feed, finishRuns, and the whole tick. */
  steps: Record<string, StepStats>;
  /** Campaign outbox rows handed to the sender by the engine (feed), and in how many hand-overs. */
  fed: { rows: number; batches: number; maxBatch: number };
  /** The experiments in force. */
  experiment: { window?: number; tickMs?: number };
}

const STEPS = ["tick", "startDueRuns", "materialize", "reconcile", "feed", "finishRuns"] as const;

const stats: BroadcastServerStats = {
  cpu: { user: 0, system: 0 },
  elu: { idle: 0, active: 0 },
  memory: { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 },
  loopDelay: { p99Ms: 0, maxMs: 0 },
  ticks: { ran: 0, skipped: 0 },
  steps: Object.fromEntries(STEPS.map((s) => [s, { count: 0, ms: 0, maxMs: 0 }])),
  fed: { rows: 0, batches: 0, maxBatch: 0 },
  experiment: {},
};

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function record(step: string, ms: number): void {
  const s = (stats.steps[step] ??= { count: 0, ms: 0, maxMs: 0 });
  s.count++;
  s.ms += ms;
  s.maxMs = Math.max(s.maxMs, ms);
}

type AsyncMethod = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/** Times the engine's steps (its private methods, wrapped on the prototype). */
function traceEngine(): void {
  const proto = CampaignEngine.prototype as unknown as Record<string, AsyncMethod>;
  for (const step of STEPS) {
    const original = proto[step];
    if (typeof original !== "function") throw new Error(`CampaignEngine.${step} not found: update bench/broadcast-server.ts`);
    proto[step] = async function (this: unknown, ...args: unknown[]) {
      if (step === "tick" && (this as { running?: boolean }).running) {
        stats.ticks.skipped++;
        return original.apply(this, args);
      }
      const t0 = performance.now();
      try {
        return await original.apply(this, args);
      } finally {
        record(step, performance.now() - t0);
        if (step === "tick") stats.ticks.ran++;
      }
    };
  }
}

function positiveIntEnv(name: string): number | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

async function main(): Promise<void> {
  // The bench went away: stop too (src/main.ts handles SIGTERM).
  process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
  traceEngine();
  const window = positiveIntEnv("BENCH_CAMPAIGN_WINDOW");
  const tickMs = positiveIntEnv("BENCH_CAMPAIGN_TICK_MS");
  stats.experiment = { ...(window ? { window } : {}), ...(tickMs ? { tickMs } : {}) };

  const proto = App.prototype as {
    start: (this: App) => Promise<void>;
    listen: (this: App, port?: number, host?: string) => Promise<string>;
  };
  const start = proto.start;
  proto.start = async function (this: App) {
    const engineOpts = (this.campaigns as unknown as { opts: { notify: (refs: OutboxRef[]) => void; window?: number } }).opts;
    const notify = engineOpts.notify;
    engineOpts.notify = (refs) => {
      if (refs.length) {
        stats.fed.rows += refs.length;
        stats.fed.batches++;
        stats.fed.maxBatch = Math.max(stats.fed.maxBatch, refs.length);
      }
      notify(refs);
    };
    if (window) engineOpts.window = window;
    this.http.get("/__bench/stats", async (): Promise<BroadcastServerStats> => {
      const cpu = process.cpuUsage();
      const elu = performance.eventLoopUtilization();
      const delay = { p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 };
      loopDelay.reset();
      const m = process.memoryUsage();
      return {
        ...stats,
        cpu: { user: cpu.user, system: cpu.system },
        elu: { idle: elu.idle, active: elu.active },
        memory: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers },
        loopDelay: delay,
      };
    });
    await start.call(this);
    if (tickMs) {
      const timer = setInterval(() => {
        this.campaigns.tick().catch((err: unknown) => console.error("bench extra campaign tick failed", err));
      }, tickMs);
      timer.unref();
    }
  };
  const listen = proto.listen;
  proto.listen = async function (this: App, port?: number, host?: string) {
    const url = await listen.call(this, port, host);
    if (process.send) process.send({ ready: url });
    else console.log(`READY ${url}`);
    return url;
  };
  await import("../src/main.ts");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
