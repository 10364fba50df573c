/**
 * Webhook ingest benchmark: how many Telegram updates per second the service acknowledges (each
 * one committed to the SQLite inbox before its 200), against a bare fastify route on the same
 * machine with the same load.
 *
 *   npm run bench:ingest                               bare route, then the service (worker and outbox running)
 *   npm run bench:ingest -- --variants=bare,service,ingest-only
 *                                                      also the service with the inbox worker stopped
 *   npm run bench:ingest -- --cpu-prof[=DIR]           CPU profiles of the server children (kept in DIR)
 *   npm run bench:ingest -- --worker-yield             experiment: the service's inbox worker waits for a
 *                                                      setImmediate before each update (see ingest-server.ts)
 *   npm run bench:ingest -- --server-node-args="--trace-gc-nvp" --keep-logs=DIR
 *                                                      Node options for the server children; their logs kept in DIR
 *   other options: --requests=20000 --connections=50 --chats=2000 --warmup=5000 --drain-seconds=5
 *                  --runs=3 (each server is measured this many times, each run with new update ids;
 *                  the median run by throughput is reported)
 *
 * Both servers first get the same warm-up (5,000 requests, so the JIT has compiled their hot paths;
 * with 500 the bare route's first measured run was still ~40 % slower than its later ones). During
 * the load the service's inbox worker keeps to INBOX_FLOOD_SHARE of the event loop (a flood:
 * acknowledgements first); how fast it drains the backlog afterwards is printed too.
 *
 * Each server runs in a child process (bench/ingest-server.ts) so autocannon does not share its
 * event loop. The service gets a fresh temporary SQLite file and a FakeTelegramApi running here, so
 * its inbox worker and outbox really work while the webhooks are loaded. Every request carries a
 * distinct, realistic `message` update (private chats, update_id increasing); both servers get the
 * same bodies and headers. After the service run the inbox is checked to hold every acknowledged
 * update. Exits non-zero only on errors (non-2xx answers, connection errors, missing rows), never
 * because a goal was missed.
 */
import type { ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { EventEmitter } from "node:events";
import Database from "better-sqlite3";
import { FakeTelegramApi, tgUser } from "../test/fakes/telegramApi.ts";
import type { ServerMode, ServerStats } from "./ingest-server.ts";
import { cleanUpOnExit, intOption, option, runBench, serverReady, spawnServer, stopChild } from "./lib.ts";

// ---------------------------------------------------------------------------------------------
// autocannon ships no types; the part of its programmatic API used here.

interface AcHistogram {
  average: number;
  max: number;
  p50: number;
  p99: number;
}
interface AcResult {
  latency: AcHistogram;
  duration: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  non2xx: number;
  "2xx": number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AcRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}
interface AcOptions {
  url: string;
  method: string;
  connections: number;
  amount: number;
  timeout: number;
  headers: Record<string, string>;
  requests: Array<{ setupRequest: (req: AcRequest) => AcRequest }>;
}
type Autocannon = (opts: AcOptions, done: (err: Error | null, result: AcResult) => void) => EventEmitter;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

// ---------------------------------------------------------------------------------------------
// Options

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The server child runs compiled, as `npm start` runs the service (`npm run bench:ingest` builds first). */
const SERVER_SCRIPT = path.join(ROOT, "dist", "bench", "ingest-server.js");
if (!fs.existsSync(SERVER_SCRIPT)) throw new Error(`${SERVER_SCRIPT} is missing: run "npm run build" (npm run bench:ingest does)`);
const WEBHOOK_PATH = "/webhooks/telegram";
const SECRET = "bench-secret_4f1c9a";
const GOAL_RPS = 1_500;
const GOAL_RATIO = 0.3;


const REQUESTS = (intOption("requests") ?? 20_000);
const CONNECTIONS = (intOption("connections") ?? 50);
const CHATS = (intOption("chats") ?? 2_000);
const WARMUP = (intOption("warmup") ?? 5_000);
const RUNS = (intOption("runs") ?? intOption("bare-runs") ?? 3);
const DRAIN_SECONDS = (intOption("drain-seconds") ?? 5);
const VARIANTS = (option("variants") || "bare,service").split(",").map((v) => v.trim()) as ServerMode[];
for (const v of VARIANTS) if (!["bare", "service", "ingest-only"].includes(v)) throw new Error(`unknown variant ${v}`);
if (!VARIANTS.includes("bare") || !VARIANTS.includes("service")) throw new Error("--variants must include bare and service");
const WORKER_YIELD = option("worker-yield") !== undefined;
const cpuProfOpt = option("cpu-prof");
const CPU_PROF_DIR = cpuProfOpt === undefined ? undefined : path.resolve(cpuProfOpt || `/tmp/taimat-bench-prof-${Date.now()}`);
/** Extra Node options for the server children (e.g. --server-node-args="--trace-gc-nvp"), space-separated. */
const SERVER_NODE_ARGS = (option("server-node-args") ?? "").split(" ").filter(Boolean);
/** Copy each server child's log into this folder before the temporary folder is removed. */
const keepLogsOpt = option("keep-logs");
const KEEP_LOGS_DIR = keepLogsOpt === undefined ? undefined : path.resolve(keepLogsOpt || `/tmp/taimat-bench-logs-${Date.now()}`);

// ---------------------------------------------------------------------------------------------
// Request bodies: realistic private-chat message updates, update_id increasing, spread over chats.

const TEXTS = [
  "/start",
  "Xin chào",
  "113",
  "Tôi muốn báo tin: có mấy người lạ hay đứng trước cổng trường tiểu học vào buổi chiều",
  "/help",
  "khẩn cấp",
  "Cho tôi hỏi thủ tục đăng ký tạm trú làm ở đâu?",
  "Làm sao để báo mất căn cước?",
  "cảm ơn anh",
  "Ở thôn 3 có người đánh bạc gần bờ sông, tối nào cũng tụ tập",
];

/** `count` updates with ids from `firstId`; update k is the (k / chats)-th message of chat k % chats. */
function makeBodies(count: number, firstId: number, firstChatId: number, chats: number): string[] {
  const date = Math.floor(Date.now() / 1000);
  const bodies: string[] = [];
  for (let k = 0; k < count; k++) {
    const chatId = firstChatId + (k % chats) * 7_919;
    const nth = Math.floor(k / chats);
    const text = TEXTS[nth % TEXTS.length]!;
    const from = tgUser(chatId);
    const message: Record<string, unknown> = {
      message_id: nth + 1,
      from,
      chat: { id: chatId, type: "private", first_name: from.first_name, username: from.username },
      date: date + nth,
      text,
    };
    if (text.startsWith("/")) message.entities = [{ type: "bot_command", offset: 0, length: text.length }];
    bodies.push(JSON.stringify({ update_id: firstId + k, message }));
  }
  return bodies;
}

const MEASURED_FIRST_ID = 700_000_000;
const WARMUP_FIRST_ID = 600_000_000;
/** Run i's bodies: the same chats every run, update ids continuing from the previous run. */
const measuredBodies = Array.from({ length: RUNS }, (_, i) => makeBodies(REQUESTS, MEASURED_FIRST_ID + i * REQUESTS, 6_100_000_000, CHATS));
/** Update ids for bodies autocannon would need beyond the planned ones (only after errors). */
const SPARE_FIRST_ID = MEASURED_FIRST_ID + RUNS * REQUESTS;
const warmupBodies = makeBodies(WARMUP, WARMUP_FIRST_ID, 6_900_000_000, Math.min(CHATS, WARMUP));
const LOAD_AT_START = os.loadavg()[0]!;
const HEADERS = { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET };

// ---------------------------------------------------------------------------------------------
// Load

interface LoadResult {
  acked: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** From the first request to the last answer. */
  seconds: number;
  /** acked / seconds. */
  perSecond: number;
  /** autocannon's latency percentiles, ms. */
  p50: number;
  p99: number;
  mean: number;
  max: number;
  /** Bodies handed out (more than requests only when autocannon resent after errors). */
  bodiesUsed: number;
}

/** Sends `bodies` (one request each); `spareFirstId` numbers the spare bodies used only if autocannon resends. */
function load(url: string, bodies: string[], spareFirstId: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let acked = 0;
    let last = 0;
    const extra = makeBodies(CONNECTIONS * 4, spareFirstId, 6_950_000_000, CONNECTIONS);
    const t0 = performance.now();
    const instance = autocannon(
      {
        url: `${url}${WEBHOOK_PATH}`,
        method: "POST",
        connections: CONNECTIONS,
        amount: bodies.length,
        timeout: 30,
        headers: HEADERS,
        requests: [
          {
            setupRequest: (req) => {
              const i = next++;
              const body = i < bodies.length ? bodies[i] : extra[i - bodies.length];
              if (body === undefined) throw new Error("ran out of request bodies");
              return { ...req, body };
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const seconds = (last - t0) / 1000;
        const statusCodes: Record<string, number> = {};
        for (const [code, s] of Object.entries(result.statusCodeStats)) statusCodes[code] = s.count;
        resolve({
          acked,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          seconds,
          perSecond: seconds > 0 ? acked / seconds : 0,
          p50: result.latency.p50,
          p99: result.latency.p99,
          mean: result.latency.average,
          max: result.latency.max,
          bodiesUsed: next,
        });
      },
    );
    instance.on("response", (_client: unknown, statusCode: number) => {
      last = performance.now();
      if (statusCode >= 200 && statusCode < 300) acked++;
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Children

const children = new Set<ChildProcess>();
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "taimat-bench-"));

interface Server {
  mode: ServerMode;
  url: string;
  child: ChildProcess;
  logFile: string;
  dbFile?: string;
}


async function startServer(mode: ServerMode, fake: FakeTelegramApi): Promise<Server> {
  const logFile = path.join(tmpDir, `${mode}.log`);
  const dbFile = mode === "bare" ? undefined : path.join(tmpDir, `${mode}.db`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    BENCH_WORKER_YIELD: WORKER_YIELD ? "1" : "",
    BENCH_STATS_MARKS: SERVER_NODE_ARGS.length ? "1" : "",
    PUBLIC_URL: "",
    ZALO_BOT_TOKEN: "",
    ...(dbFile
      ? {
          DATABASE_URL: `file:${dbFile}`,
          TELEGRAM_BOT_TOKEN: fake.token,
          TELEGRAM_WEBHOOK_SECRET: SECRET,
          TELEGRAM_API_ROOT: fake.apiRoot,
          // Sealing keys for a throwaway database: never the repository's key file.
          ENCRYPTION_KEYS: crypto.randomBytes(32).toString("hex"),
          ENCRYPTION_KEY_FILE: path.join(tmpDir, `${mode}.key`),
        }
      : {}),
  };
  // One folder per server.
  const nodeArgs = [...SERVER_NODE_ARGS, ...(CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${path.join(CPU_PROF_DIR, mode)}`] : [])];
  const child = spawnServer([...nodeArgs, SERVER_SCRIPT, mode], { cwd: ROOT, env, logFile, children });
  const url = await serverReady(child, logFile, `${mode} server`);
  return { mode, url, child, logFile, dbFile };
}

async function stopServer(server: Server): Promise<void> {
  await stopChild(server.child, 10_000);
  if (KEEP_LOGS_DIR) {
    fs.mkdirSync(KEEP_LOGS_DIR, { recursive: true });
    fs.copyFileSync(server.logFile, path.join(KEEP_LOGS_DIR, `${server.mode}.log`));
  }
}

async function serverStats(server: Server): Promise<ServerStats> {
  const res = await fetch(`${server.url}/__bench/stats`);
  return (await res.json()) as ServerStats;
}

/** Sum of a Prometheus counter's samples whose labels include `labels`. */
async function metric(server: Server, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// One variant

interface InboxCheck {
  total: number;
  measured: number;
  distinct: number;
}

interface VariantResult {
  mode: ServerMode;
  warmup: LoadResult;
  /** The (median) measured run, and the throughput of every measured run. */
  run: LoadResult;
  allRuns: number[];
  /** Requests not acknowledged with a 2xx in the runs other than the reported one. */
  failedInOtherRuns: number;
  /** Server CPU time per acknowledged update, ms; event-loop utilisation during the run. */
  serverCpuMsPerUpdate: number;
  /** The same split by thread: the main thread, the others (mostly V8's GC helpers); GC pauses on the main thread per update. */
  serverThreads: { mainMsPerUpdate: number; otherMsPerUpdate: number };
  gc: { minor: number; major: number; msPerUpdate: number };
  serverElu: number;
  /** The server's event-loop delay during the run (how long it could not answer anything), ms. */
  loopDelay: { p99Ms: number; maxMs: number };
  /** Load-generator (this process) CPU, in cores, during the run. */
  benchCpuCores: number;
  writes?: { batches: number; avgRows: number; avgMs: number; maxMs: number; maxRows: number; busyShare: number };
  processedDuringRun?: number;
  processedAvgMs?: number;
  deliveredDuringRun?: number;
  /** SQLite statements per acknowledged update; inbox INSERTs during the run, and how many ran inside another transaction. */
  sql?: { prepared: number };
  /** Updates a second the worker processed in the DRAIN_SECONDS after the load stopped (the flood over). */
  drainPerSecond?: number;
  inbox?: InboxCheck;
}

function countInbox(dbFile: string): InboxCheck {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const one = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
    const lo = MEASURED_FIRST_ID;
    const hi = MEASURED_FIRST_ID + RUNS * REQUESTS - 1;
    return {
      total: one(`SELECT COUNT(*) AS n FROM "InboxUpdate"`),
      measured: one(`SELECT COUNT(*) AS n FROM "InboxUpdate" WHERE "channel" = 'telegram' AND CAST("updateKey" AS INTEGER) BETWEEN ? AND ?`, lo, hi),
      distinct: one(
        `SELECT COUNT(DISTINCT "updateKey") AS n FROM "InboxUpdate" WHERE "channel" = 'telegram' AND CAST("updateKey" AS INTEGER) BETWEEN ? AND ?`,
        lo,
        hi,
      ),
    };
  } finally {
    db.close();
  }
}

async function runVariant(mode: ServerMode, fake: FakeTelegramApi): Promise<VariantResult> {
  process.stderr.write(`[bench] ${mode}: starting server… `);
  const server = await startServer(mode, fake);
  try {
    process.stderr.write(`warm-up (${WARMUP})… `);
    const warmup = await load(server.url, warmupBodies, WARMUP_FIRST_ID + WARMUP);
    await new Promise((r) => setTimeout(r, 250));

    // 20,000 requests take one to two seconds, so one run is noisy: every server is measured RUNS
    // times (new update ids each time) and the median run (by throughput) is reported.
    const repeats = RUNS;
    const measured: Array<{ run: LoadResult; before: ServerStats; after: ServerStats; benchCpu: NodeJS.CpuUsage; wallMs: number; delivered: number }> = [];
    const processedBefore = mode === "bare" ? 0 : await metric(server, "taimat_updates_processed_total");
    for (let i = 0; i < repeats; i++) {
      const before = await serverStats(server);
      const benchCpu0 = process.cpuUsage();
      const t0 = performance.now();
      process.stderr.write(`measuring${repeats > 1 ? ` ${i + 1}/${repeats}` : ""} (${REQUESTS} requests, ${CONNECTIONS} connections)… `);
      const delivered0 = fake.delivered().length;
      const run = await load(server.url, measuredBodies[i]!, SPARE_FIRST_ID + i * CONNECTIONS * 4);
      const benchCpu = process.cpuUsage(benchCpu0);
      const wallMs = performance.now() - t0;
      const after = await serverStats(server);
      measured.push({ run, before, after, benchCpu, wallMs, delivered: fake.delivered().length - delivered0 });
    }
    process.stderr.write("done\n");
    const allRuns = measured.map((m) => m.run.perSecond);
    const { run, before, after, benchCpu, wallMs, delivered } = [...measured].sort((a, b) => a.run.perSecond - b.run.perSecond)[Math.floor(measured.length / 2)]!;

    const cpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
    const active = after.elu.active - before.elu.active;
    const idle = after.elu.idle - before.elu.idle;
    const result: VariantResult = {
      mode,
      warmup,
      run,
      allRuns,
      failedInOtherRuns: measured.filter((m) => m.run !== run).reduce((n, m) => n + (REQUESTS - m.run.acked) + m.run.non2xx + m.run.errors, 0),
      serverCpuMsPerUpdate: run.acked ? cpuMs / run.acked : 0,
      serverThreads: {
        mainMsPerUpdate: run.acked ? (after.threads.mainMs - before.threads.mainMs) / run.acked : 0,
        otherMsPerUpdate: run.acked ? (after.threads.otherMs - before.threads.otherMs) / run.acked : 0,
      },
      gc: {
        minor: after.gc.minor - before.gc.minor,
        major: after.gc.major - before.gc.major,
        msPerUpdate: run.acked ? (after.gc.minorMs + after.gc.majorMs - before.gc.minorMs - before.gc.majorMs) / run.acked : 0,
      },
      serverElu: active + idle > 0 ? active / (active + idle) : 0,
      loopDelay: after.loopDelay,
      benchCpuCores: (benchCpu.user + benchCpu.system) / 1000 / wallMs,
    };
    if (mode !== "bare") {
      const batches = after.writes.batches - before.writes.batches;
      const rows = after.writes.rows - before.writes.rows;
      const ms = after.writes.ms - before.writes.ms;
      result.writes = {
        batches,
        avgRows: batches ? rows / batches : 0,
        avgMs: batches ? ms / batches : 0,
        maxMs: after.writes.maxMs,
        maxRows: after.writes.maxRows,
        busyShare: ms / (run.seconds * 1000),
      };
      const processed = after.processed.count - before.processed.count;
      result.processedDuringRun = processed;
      result.processedAvgMs = processed ? (after.processed.ms - before.processed.ms) / processed : 0;
      const processedMetric = (await metric(server, "taimat_updates_processed_total")) - processedBefore;
      if (mode === "service" && processedMetric === 0) process.stderr.write("[bench] warning: the worker processed nothing during the run\n");
      result.deliveredDuringRun = delivered;
      result.sql = { prepared: after.sql.statements - before.sql.statements };
      result.inbox = countInbox(server.dbFile!);
      if (mode === "service") {
        // The flood is over two seconds after the last burst of updates; then the backlog drains at full pace.
        await new Promise((r) => setTimeout(r, 3_000));
        const p0 = await metric(server, "taimat_updates_processed_total");
        await new Promise((r) => setTimeout(r, DRAIN_SECONDS * 1000));
        result.drainPerSecond = ((await metric(server, "taimat_updates_processed_total")) - p0) / DRAIN_SECONDS;
      }
    }
    return result;
  } finally {
    await stopServer(server);
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function report(results: VariantResult[]): number {
  const get = (m: ServerMode) => results.find((r) => r.mode === m);
  const bare = get("bare")!;
  const service = get("service")!;
  const ratio = bare.run.perSecond > 0 ? service.run.perSecond / bare.run.perSecond : 0;
  const errors: string[] = [];

  const labels: Record<ServerMode, string> = {
    bare: "bare fastify route",
    service: WORKER_YIELD ? "Tai Mắt (worker yielding)" : "Tai Mắt (worker+outbox on)",
    "ingest-only": "Tai Mắt (worker stopped)",
  };
  const lines: string[] = [];
  lines.push("");
  lines.push(
    `Webhook ingest — ${fmt(REQUESTS)} distinct Telegram updates (${fmt(CHATS)} private chats), ${CONNECTIONS} connections, ` +
      `SQLite (WAL), ${os.cpus().length} CPUs, Node ${process.version}`,
  );
  lines.push(
    `${"".padEnd(28)}${"acked/s".padStart(9)}${"p50 ms".padStart(8)}${"p99 ms".padStart(8)}${"max ms".padStart(8)}` +
      `${"non-2xx".padStart(9)}${"errors".padStart(8)}${"wall s".padStart(8)}${"srv CPU ms/upd".padStart(16)}${"srv ELU".padStart(9)}`,
  );
  for (const r of results) {
    lines.push(
      `${labels[r.mode].padEnd(28)}${fmt(r.run.perSecond).padStart(9)}${fmt(r.run.p50).padStart(8)}${fmt(r.run.p99).padStart(8)}` +
        `${fmt(r.run.max).padStart(8)}${fmt(r.run.non2xx).padStart(9)}${fmt(r.run.errors).padStart(8)}${fmt(r.run.seconds, 2).padStart(8)}` +
        `${fmt(r.serverCpuMsPerUpdate, 3).padStart(16)}${fmt(r.serverElu, 2).padStart(9)}`,
    );
    if (r.run.non2xx > 0 || r.run.errors > 0 || r.run.acked !== REQUESTS) {
      errors.push(`${r.mode}: ${r.run.acked} of ${REQUESTS} acknowledged, ${r.run.non2xx} non-2xx ${JSON.stringify(r.run.statusCodes)}, ${r.run.errors} errors (${r.run.timeouts} timeouts)`);
    }
    if (r.failedInOtherRuns > 0) errors.push(`${r.mode}: ${r.failedInOtherRuns} failed requests in the other measured runs`);
    if (r.warmup.non2xx > 0 || r.warmup.errors > 0) errors.push(`${r.mode} warm-up: ${r.warmup.non2xx} non-2xx, ${r.warmup.errors} errors`);
  }
  if (RUNS > 1) {
    lines.push(`each row: the median of ${RUNS} measured runs — ${results.map((r) => `${r.mode} ${r.allRuns.map((n) => fmt(n)).join(" / ")}`).join("; ")} acked/s`);
  }
  lines.push(
    "acked/s = 2xx answers ÷ time from the first request to the last answer; p50/p99/max = autocannon's latency " +
      "percentiles (ms, 1 ms resolution); srv = the server child's CPU time per update and event-loop utilisation",
  );
  lines.push(`throughput ratio Tai Mắt / bare: ${fmt(ratio, 3)}`);
  for (const r of results) {
    lines.push(
      `${labels[r.mode]}: server CPU per update ${fmt(r.serverCpuMsPerUpdate, 3)} ms = main thread ${fmt(r.serverThreads.mainMsPerUpdate, 3)} ` +
        `+ other threads (GC helpers) ${fmt(r.serverThreads.otherMsPerUpdate, 3)}; GC pauses ${fmt(r.gc.msPerUpdate, 4)} ms/update ` +
        `(${fmt(r.gc.minor)} scavenges, ${fmt(r.gc.major)} full/incremental)`,
    );
  }
  for (const r of results) {
    if (!r.inbox || !r.writes) continue;
    const ok = r.inbox.measured === RUNS * REQUESTS && r.inbox.distinct === RUNS * REQUESTS && r.inbox.total === RUNS * REQUESTS + WARMUP;
    if (!ok) errors.push(`${r.mode}: inbox holds ${r.inbox.measured} (${r.inbox.distinct} distinct) of ${RUNS * REQUESTS} measured updates, ${r.inbox.total} rows in all`);
    lines.push(
      `${labels[r.mode]}: inbox holds ${fmt(r.inbox.measured)} of ${fmt(RUNS * REQUESTS)} measured updates (${RUNS} runs) ` +
        `(${fmt(r.inbox.total)} rows incl. ${WARMUP} warm-up) — ${ok ? "OK" : "MISSING ROWS"}`,
    );
    lines.push(
      `  group commits: ${fmt(r.writes.batches)} INSERTs, avg ${fmt(r.writes.avgRows, 1)} rows, avg ${fmt(r.writes.avgMs, 1)} ms ` +
        `(max ${fmt(r.writes.maxMs, 1)} ms, max ${r.writes.maxRows} rows); writing ${fmt(r.writes.busyShare * 100)}% of the run`,
    );
    lines.push(
      `  while loading: worker processed ${fmt(r.processedDuringRun ?? 0)} updates (avg ${fmt(r.processedAvgMs ?? 0, 1)} ms wall each, ` +
        `${fmt((100 * (r.processedDuringRun ?? 0) * (r.processedAvgMs ?? 0)) / (r.run.seconds * 1000))}% of the run), ` +
        `outbox delivered ${fmt(r.deliveredDuringRun ?? 0)} messages to the fake Bot API`,
    );
    lines.push(`  server event loop during the run: delay p99 ${fmt(r.loopDelay.p99Ms)} ms, longest stall ${fmt(r.loopDelay.maxMs)} ms`);
    if (r.sql) lines.push(`  SQLite: ${fmt(r.sql.prepared)} statements prepared during the run (prepared statements are kept and reused)`);
    if (r.drainPerSecond !== undefined) {
      lines.push(
        `  after the load: the worker processed ${fmt(r.drainPerSecond)} updates/s over ${DRAIN_SECONDS} s ` +
          `(during a flood it keeps to INBOX_FLOOD_SHARE of the event loop; then it drains the backlog at full pace)`,
      );
    }
  }
  lines.push(`load generator CPU: ${results.map((r) => `${r.mode} ${fmt(r.benchCpuCores, 2)} cores`).join(", ")}`);
  const loadEnd = os.loadavg()[0]!;
  lines.push(
    `machine load average (1 min): ${fmt(LOAD_AT_START, 2)} at start, ${fmt(loadEnd, 2)} at end` +
      (LOAD_AT_START > 1 ? " — other processes were using the CPUs; figures are noisy" : ""),
  );
  const rpsMet = service.run.perSecond >= GOAL_RPS;
  const ratioMet = ratio >= GOAL_RATIO;
  lines.push(
    `goal: ≥ ${fmt(GOAL_RPS)} updates/s — ${rpsMet ? "met" : "NOT met"} (${fmt(service.run.perSecond)}); ` +
      `ratio ≥ ${GOAL_RATIO} — ${ratioMet ? "met" : "NOT met"} (${fmt(ratio, 3)}); overall ${rpsMet && ratioMet ? "MET" : "NOT MET"}`,
  );
  if (CPU_PROF_DIR) lines.push(`CPU profiles of the server children: ${CPU_PROF_DIR}`);
  if (KEEP_LOGS_DIR) lines.push(`server logs: ${KEEP_LOGS_DIR}`);
  for (const e of errors) lines.push(`ERROR: ${e}`);
  console.log(lines.join("\n"));

  const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
  const json: Record<string, unknown> = {
    bench: "ingest",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAvgAtStart: Math.round(LOAD_AT_START * 100) / 100,
    requests: REQUESTS,
    connections: CONNECTIONS,
    chats: CHATS,
    latencyUnit: "ms",
    ...(WORKER_YIELD ? { experiment: "worker-yield" } : {}),
    ratio: round(ratio, 3),
    goalMet: rpsMet && ratioMet,
    errors: errors.length,
  };
  for (const r of results) {
    json[r.mode] = {
      perSecond: round(r.run.perSecond, 0),
      p50: r.run.p50,
      p99: r.run.p99,
      non2xx: r.run.non2xx,
      errors: r.run.errors,
      seconds: round(r.run.seconds, 2),
      cpuMsPerUpdate: round(r.serverCpuMsPerUpdate, 4),
      mainThreadMsPerUpdate: round(r.serverThreads.mainMsPerUpdate, 4),
      otherThreadsMsPerUpdate: round(r.serverThreads.otherMsPerUpdate, 4),
      allRuns: r.allRuns.map((n) => round(n, 0)),
      ...(r.inbox ? { inboxRows: r.inbox.measured, processedDuringRun: r.processedDuringRun, deliveredDuringRun: r.deliveredDuringRun } : {}),
      ...(r.drainPerSecond !== undefined ? { drainPerSecond: round(r.drainPerSecond, 0) } : {}),
    };
  }
  console.log(`JSON ${JSON.stringify(json)}`);
  return errors.length ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------

const cleanupSync = cleanUpOnExit(children, tmpDir);

async function main(): Promise<number> {
  const fake = new FakeTelegramApi();
  await fake.listen();
  try {
    const results: VariantResult[] = [];
    for (const mode of VARIANTS) results.push(await runVariant(mode, fake));
    return report(results);
  } finally {
    await fake.close();
  }
}

runBench(main, cleanupSync);
