/**
 * Processing capacity benchmark: how many stored updates a second the service processes end to
 * end (stored update → conversation step → replies recorded in the outbox, one transaction), for
 * a realistic mix of Telegram updates, and the latency from webhook acknowledgement to the replies
 * recorded — next to the same workload handled by a bare grammY bot with its state in memory and no
 * database (the ceiling), run in the same bench; the ratio is printed.
 *
 *   npm run bench:capacity                         SQLite (a fresh temporary file)
 *   bash scripts/pg.sh npm run bench:capacity -- --pg
 *                                                  PostgreSQL (a fresh database on TEST_DATABASE_URL's server)
 *   bash scripts/pg.sh npm run bench:capacity -- --pg --instances=2
 *                                                  PostgreSQL, 2 service instances on the one database
 *                                                  (src/cluster/: per-chat leases), webhooks spread over them
 *   options: --updates=20000 (capacity phase) --rate=500 --latency-seconds=10 (latency phase)
 *            --warmup=3000 --tips=20 --variants=bare,service
 *            --cpu-prof[=DIR]  CPU profiles of each server's capacity phase (DIR/<variant>-capacity.cpuprofile) and of
 *                              the background before it, processing held (DIR/<variant>-background.cpuprofile)
 *            --sql             the statements of the capacity phase by SQL text, per update processed
 *            BENCH_HEAP_PROFILE=1 (environment) with --cpu-prof: allocation samples instead of CPU profiles
 *                              (V8's sampling heap profiler, collected objects included: where the garbage comes from)
 *            BENCH_NODE_FLAGS="…" (environment) node flags for the server children after the service's own
 *                              (src/nodeFlags.ts), e.g. --max-semi-space-size=16 to compare; V8_FLAGS as for the service
 *
 * Besides processed/s, CPU and statements, it prints the main thread's garbage-collection pauses per update
 * (performance "gc" entries in the server, full collections apart).
 *
 * The mix, per chat (each chat new, its updates interleaved with every other chat's as residents
 * write at the same time), see MIX: browsing the menus (/start, language, help, emergency, a
 * greeting, back to the menu), legal questions (the Q&A, three questions typed, "helpful"), a tip
 * written step by step (category, danger, shared location, when, details, a description, identity;
 * one in five sent), and look-ups of a real tip by code and PIN. The tips looked up are made first by a few chats through the same
 * webhook; their codes and PINs are read from the receipts the fake Bot API received.
 *
 * Phases, for each server (a child process, bench/capacity-server.ts; the service runs compiled as
 * `npm start` runs it, with its outbox delivering to a fake Bot API enforcing Telegram's limits):
 * 1. set-up (the tips to look up), then a warm-up (--warmup updates, so the JIT has compiled the
 *    hot paths); 2. capacity: processing paused, --updates updates acknowledged (stored), then
 *    processing resumed: processed/s is --updates over the time to process them all; 3. latency:
 *    --rate updates a second for --latency-seconds through the webhook with processing running:
 *    p50/p99 from each update's acknowledgement (its 200 arriving here) to its transaction, replies
 *    recorded, committed. Every processed update is checked to have recorded at least one reply.
 */
import type { ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { FakeTelegramApi, tgUser } from "../test/fakes/telegramApi.ts";
import type { CapacityMode, CapacityStats } from "./capacity-server.ts";
import { cleanUpOnExit, intOption, logTail, option, runBench, serverReady, spawnServer, stopChild } from "./lib.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SERVER_SCRIPT = path.join(ROOT, "dist", "bench", "capacity-server.js");
if (!fs.existsSync(SERVER_SCRIPT)) throw new Error(`${SERVER_SCRIPT} is missing: run "npm run build" (npm run bench:capacity does)`);
const WEBHOOK_PATH = "/webhooks/telegram";
const SECRET = "bench-secret_c4p4c1ty";
const GOAL = 1_000;
/** How long the background CPU (processing held, the outbox delivering) is measured before the capacity phase. */
const BACKGROUND_MS = 3_000;

const UPDATES = intOption("updates") ?? 20_000;
const RATE = intOption("rate") ?? 500;
const LATENCY_SECONDS = intOption("latency-seconds") ?? 10;
const WARMUP = intOption("warmup") ?? 3_000;
const TIPS = intOption("tips") ?? 20;
const CONNECTIONS = intOption("connections") ?? 50;
const USE_PG = option("pg") !== undefined;
/** Service instances on the one database (PostgreSQL only: src/cluster/ shares the chats between them). */
const INSTANCES = intOption("instances") ?? 1;
if (INSTANCES > 1 && !USE_PG) throw new Error("--instances needs --pg (SQLite allows one instance per database file)");
const VARIANTS = (option("variants") || "bare,service").split(",").map((v) => v.trim()) as CapacityMode[];
for (const v of VARIANTS) if (v !== "bare" && v !== "service") throw new Error(`unknown variant ${v}`);
const cpuProfOpt = option("cpu-prof");
const CPU_PROF_DIR = cpuProfOpt === undefined ? undefined : path.resolve(cpuProfOpt || `/tmp/taimat-capacity-prof-${Date.now()}`);
const SQL_HISTOGRAM = option("sql") !== undefined;
const LOAD_AT_START = os.loadavg()[0]!;

// ---------------------------------------------------------------------------------------------
// Updates, as Telegram sends them

let nextUpdateId = 800_000_000;
const date = () => Math.floor(Date.now() / 1000);

type Step =
  | { text: string }
  | { command: string }
  | { press: string }
  | { location: [number, number] };

function update(chatId: number, step: Step, messageId: number): string {
  const from = tgUser(chatId);
  const chat = { id: chatId, type: "private", first_name: from.first_name, username: from.username };
  const update_id = nextUpdateId++;
  if ("press" in step) {
    return JSON.stringify({
      update_id,
      callback_query: {
        id: String(crypto.randomInt(1, 2 ** 47)),
        from,
        chat_instance: String(-crypto.randomInt(1, 2 ** 47)),
        data: step.press,
        message: { message_id: messageId, date: date(), chat, from: { id: 123456, is_bot: true, first_name: "Tai Mắt", username: "taimat_bot" }, text: "…" },
      },
    });
  }
  const message: Record<string, unknown> = { message_id: messageId, from, chat, date: date() };
  if ("text" in step) message.text = step.text;
  if ("command" in step) {
    message.text = step.command;
    message.entities = [{ type: "bot_command", offset: 0, length: step.command.length }];
  }
  if ("location" in step) message.location = { latitude: step.location[0], longitude: step.location[1] };
  return JSON.stringify({ update_id, message });
}

const QUESTIONS = [
  "Cho tôi hỏi thủ tục đăng ký tạm trú làm ở đâu?",
  "Làm sao để báo mất căn cước?",
  "Bị lừa chuyển khoản qua mạng thì phải làm gì?",
  "Đánh bạc bị phạt bao nhiêu tiền?",
  "Tàng trữ ma tuý bị xử lý thế nào?",
  "Vay tiền qua app bị gọi điện khủng bố thì báo ai?",
  "Con tôi 15 tuổi đi xe máy thì bị phạt không?",
  "Nhặt được của rơi không trả có bị phạt không",
  "hang xom mo nhac to luc nua dem thi bao ai",
  "Bị đánh gây thương tích thì làm đơn tố cáo ở đâu?",
];
const DESCRIPTIONS = [
  "Có người lạ cạy khoá xe máy trước cổng chợ lúc 9 giờ sáng",
  "Mấy thanh niên hay tụ tập trộm đồ ở bãi xe chung cư",
  "Tối qua nhà tôi bị mất điện thoại để ở bậc cửa sổ",
];
const CHAT_SCRIPTS: Record<"browse" | "ask" | "tip" | "lookup", (k: number, tips: TipRef[]) => Step[]> = {
  browse: (): Step[] => [
    { command: "/start" },
    { press: "lang:vi" },
    { press: "menu:help" },
    { press: "menu:main" },
    { press: "menu:emergency" },
    { text: "Xin chào" },
    { press: "menu:language" },
    { press: "lang:vi" },
    { press: "menu:main" },
  ],
  ask: (k: number): Step[] => [
    { command: "/start" },
    { press: "lang:vi" },
    { press: "menu:ask" },
    { text: QUESTIONS[k % QUESTIONS.length]! },
    { press: "qa:yes" },
    { text: QUESTIONS[(k + 3) % QUESTIONS.length]! },
    { text: QUESTIONS[(k + 7) % QUESTIONS.length]! },
    { press: "menu:main" },
  ],
  /** A tip written step by step; sent by one chat in five, the others stop at the review (a tip is rarely sent compared with the steps around it). */
  tip: (k: number): Step[] => [
    { command: "/start" },
    { press: "lang:vi" },
    { press: "menu:report" },
    { press: "cat:theft" },
    { press: "danger:no" },
    { location: [21.0287 + (Math.abs(k) % 10) * 0.0005, 105.8524] },
    { press: "when:today" },
    { press: "details:skip" },
    { text: DESCRIPTIONS[Math.abs(k) % DESCRIPTIONS.length]! },
    { press: "what:done" },
    { press: "id:anonymous" },
    ...(k % 5 === 0 || k < 0 ? [{ press: "review:send" }] : []),
  ],
  /** A look-up of a real tip: code, then PIN (one PIN check). */
  lookup: (k: number, tips: TipRef[]): Step[] => {
    const a = tips[k % tips.length]!;
    return [{ command: "/start" }, { press: "lang:vi" }, { press: "menu:lookup" }, { text: a.code }, { text: a.pin }, { press: "menu:main" }];
  },
};
type ScriptName = "browse" | "ask" | "tip" | "lookup";
/**
 * Per 20 chats: 6 browsing, 7 asking, 5 writing a tip (1 sends it), 2 looking a tip up. Sending a tip
 * and checking a PIN each cost a deliberate scrypt (~8 ms of CPU on the thread pool at N = 2¹², the PIN's
 * hash then sealed: src/core/tips/codes.ts; ~35 ms at 2¹⁴ before): 3 in ~180 updates here.
 */
const MIX: ScriptName[] = ["browse", "ask", "tip", "lookup", "ask", "browse", "tip", "ask", "browse", "tip", "ask", "browse", "ask", "tip", "browse", "ask", "lookup", "tip", "ask", "browse"];

interface TipRef {
  code: string;
  pin: string;
}

/**
 * At least `count` updates from new chats (ids from `firstChat`), the chats' scripts interleaved
 * step by step (residents writing at the same time); returns the bodies and how many chats wrote.
 */
function workload(count: number, firstChat: number, tips: TipRef[], only?: ScriptName): { bodies: string[]; chats: number; byScript: Record<string, number> } {
  const scripts: Array<{ chatId: number; steps: Step[] }> = [];
  let total = 0;
  const byScript: Record<string, number> = {};
  for (let k = 0; total < count; k++) {
    const name = only ?? MIX[k % MIX.length]!;
    const steps = CHAT_SCRIPTS[name](k, tips);
    scripts.push({ chatId: firstChat + k * 7, steps });
    total += steps.length;
    byScript[name] = (byScript[name] ?? 0) + steps.length;
  }
  const bodies: string[] = [];
  for (let i = 0; bodies.length < total; i++) {
    for (const s of scripts) if (i < s.steps.length) bodies.push(update(s.chatId, s.steps[i]!, i + 1));
  }
  return { bodies, chats: scripts.length, byScript };
}

// ---------------------------------------------------------------------------------------------
// Sending

const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${WEBHOOK_PATH}`, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-telegram-bot-api-secret-token": SECRET } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends every body (CONNECTIONS at a time, spread over `urls` in turn); returns the epoch ms each was acknowledged, by update id. */
async function sendAll(urls: string[], bodies: string[]): Promise<Map<string, number>> {
  const acked = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      const body = bodies[i]!;
      const status = await post(urls[i % urls.length]!, body);
      if (status !== 200) throw new Error(`webhook answered ${status}`);
      acked.set(updateIdOf(body), performance.timeOrigin + performance.now());
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return acked;
}

/** Sends the bodies at `rate` a second (in 10 ms ticks, spread over `urls` in turn); returns acknowledgement times by update id. */
async function sendAtRate(urls: string[], bodies: string[], rate: number): Promise<Map<string, number>> {
  const acked = new Map<string, number>();
  const t0 = performance.now();
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  while (sent < bodies.length) {
    const due = Math.min(bodies.length, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (sent < due) {
      const body = bodies[sent]!;
      const p = post(urls[sent++ % urls.length]!, body).then((status) => {
        if (status !== 200) throw new Error(`webhook answered ${status}`);
        acked.set(updateIdOf(body), performance.timeOrigin + performance.now());
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all([...inFlight]);
  return acked;
}

const updateIdOf = (body: string) => /^\{"update_id":(\d+)/.exec(body)![1]!;

// ---------------------------------------------------------------------------------------------
// Children

const children = new Set<ChildProcess>();
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "taimat-capacity-"));

/** One child process serving the webhook. */
interface Node {
  url: string;
  child: ChildProcess;
  logFile: string;
}

/** The server under test: one child, or (--instances) several service instances on one database. */
interface Server {
  mode: CapacityMode;
  nodes: Node[];
  urls: string[];
  /** PostgreSQL: the service's database (the bench reads its pending count and its server processes' CPU). */
  pg?: pg.Client;
  pgDatabase?: string;
}

async function databaseUrl(): Promise<string> {
  if (!USE_PG) return `file:${path.join(tmpDir, "service.db")}`;
  const base = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!base?.startsWith("postgres")) throw new Error("--pg needs TEST_DATABASE_URL (run through bash scripts/pg.sh)");
  const name = `taimat_capacity_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function startNode(mode: CapacityMode, env: NodeJS.ProcessEnv, label: string): Promise<Node> {
  const logFile = path.join(tmpDir, `${label}.log`);
  const child = spawnServer([SERVER_SCRIPT, mode], { cwd: ROOT, env, logFile, children });
  const url = await serverReady(child, logFile, `${label} server`);
  return { url, child, logFile };
}

async function startServer(mode: CapacityMode, fake: FakeTelegramApi): Promise<Server> {
  const dbUrl = mode === "service" ? await databaseUrl() : undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    PUBLIC_URL: "",
    ZALO_BOT_TOKEN: "",
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_API_ROOT: fake.apiRoot,
    ...(SQL_HISTOGRAM ? { BENCH_SQL_HISTOGRAM: "1" } : {}),
    ...(dbUrl
      ? {
          DATABASE_URL: dbUrl,
          ENCRYPTION_KEYS: crypto.randomBytes(32).toString("hex"),
          ENCRYPTION_KEY_FILE: path.join(tmpDir, `${mode}.key`),
        }
      : {}),
  };
  const count = mode === "service" ? INSTANCES : 1;
  // The first instance migrates the database; the others start once it is up (as scripts/cluster.ts does).
  const label = (i: number) => (count > 1 ? `${mode}-i${i + 1}` : mode);
  const nodes = [await startNode(mode, { ...env, ...(count > 1 ? { CLUSTER_INSTANCE_ID: label(0) } : {}) }, label(0))];
  nodes.push(...(await Promise.all(Array.from({ length: count - 1 }, (_, i) => startNode(mode, { ...env, CLUSTER_INSTANCE_ID: label(i + 1) }, label(i + 1))))));
  const server: Server = { mode, nodes, urls: nodes.map((n) => n.url) };
  if (dbUrl && USE_PG) {
    server.pg = new pg.Client({ connectionString: dbUrl });
    await server.pg.connect();
    server.pgDatabase = new URL(dbUrl).pathname.slice(1);
  }
  return server;
}

async function stopServer(s: Server): Promise<void> {
  await s.pg?.end().catch(() => undefined);
  await Promise.all(s.nodes.map((n) => stopChild(n.child, 10_000)));
  if (s.pgDatabase) {
    // The bench's database is dropped once its servers have stopped.
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${s.pgDatabase} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

/** The counters of every instance, added up (SQL histograms merged). */
async function statsOf(s: Server): Promise<CapacityStats> {
  const all = await Promise.all(s.nodes.map(async (n) => (await (await fetch(`${n.url}/__bench/stats`)).json()) as CapacityStats));
  const sum: CapacityStats = { ...all[0]!, cpu: { ...all[0]!.cpu }, ...(all[0]!.bySql ? { bySql: { ...all[0]!.bySql } } : {}) };
  for (const st of all.slice(1)) {
    sum.processed += st.processed;
    sum.failed += st.failed;
    sum.cpu.user += st.cpu.user;
    sum.cpu.system += st.cpu.system;
    sum.rssBytes += st.rssBytes;
    sum.gcMs += st.gcMs;
    sum.gcMajorMs += st.gcMajorMs;
    sum.statements += st.statements;
    if (st.heapFast !== undefined) sum.heapFast = (sum.heapFast ?? 0) + st.heapFast;
    for (const [sql, [count, ms]] of Object.entries(st.bySql ?? {})) {
      const had = sum.bySql![sql] ?? [0, 0];
      sum.bySql![sql] = [had[0] + count, had[1] + ms];
    }
  }
  return sum;
}
async function control(s: Server, what: "pause" | "resume" | "profile/start" | "profile/stop", query = (_i: number) => ""): Promise<void> {
  await Promise.all(
    s.nodes.map(async (n, i) => {
      const res = await fetch(`${n.url}/__bench/${what}${query(i)}`, { method: "POST" });
      if (!res.ok) throw new Error(`${what}: ${res.status}`);
    }),
  );
}
/** [updateKey, doneAtMs, replies] of the updates processed since the last call, on every instance (the first time an update was done). */
async function completions(s: Server): Promise<Array<[string, number, number]>> {
  const byKey = new Map<string, [string, number, number]>();
  for (const n of s.nodes) {
    const res = await fetch(`${n.url}/__bench/completions`);
    const body = (await res.json()) as unknown;
    if (!res.ok || !Array.isArray(body)) throw new Error(`completions: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
    for (const c of body as Array<[string, number, number]>) {
      const had = byKey.get(c[0]);
      if (!had || c[1] < had[1]) byKey.set(c[0], had ? [c[0], c[1], Math.max(c[2], had[2])] : c);
    }
  }
  return [...byKey.values()];
}

/** PostgreSQL: updates still pending in the service's database. */
async function pendingRows(s: Server): Promise<number> {
  const { rows } = await s.pg!.query<{ n: string }>(`SELECT count(*) AS n FROM "InboxUpdate" WHERE "status" = 'pending'`);
  return Number(rows[0]!.n);
}

/**
 * PostgreSQL on this machine: CPU (ms) used so far by the server processes working for the bench —
 * the backends connected to its database and the server's own background processes (WAL writer,
 * checkpointer …), from /proc. Undefined when the server's processes cannot be read (another machine).
 */
async function pgCpuMs(s: Server): Promise<Map<number, number> | undefined> {
  if (!s.pg) return undefined;
  const { rows } = await s.pg.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 OR (datname IS NULL AND backend_type <> 'client backend')`, [s.pgDatabase]);
  const tick = 1000 / 100; // USER_HZ
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * tick);
    } catch {
      return undefined;
    }
  }
  return out;
}
/** CPU ms between two `pgCpuMs` readings (processes started meanwhile count whole). */
function pgCpuBetween(a: Map<number, number> | undefined, b: Map<number, number> | undefined): number | undefined {
  if (!a || !b) return undefined;
  let ms = 0;
  for (const [pid, t] of b) ms += t - (a.get(pid) ?? 0);
  return ms;
}

/**
 * Waits until the server has processed `target` updates in all; returns when it got there (epoch
 * ms). On PostgreSQL also until no update is pending in the database: with several instances an
 * update may be counted by two (one found it done already), never left out.
 */
async function processedUpTo(s: Server, target: number, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const st = await statsOf(s);
    if (st.processed + st.failed >= target && (!s.pg || (await pendingRows(s)) === 0)) return performance.timeOrigin + performance.now();
    if (Date.now() > until) {
      const debug = (await Promise.all(s.nodes.map(async (n) => (await fetch(`${n.url}/__bench/debug`)).text()))).join("\n");
      throw new Error(`${s.mode}: ${st.processed} (+${st.failed} failed) of ${target} processed within ${timeoutMs / 1000} s; state: ${debug}\n${s.nodes.map((n) => logTail(n.logFile)).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// One server

interface Result {
  mode: CapacityMode;
  instances: number;
  capacity: {
    updates: number;
    chats: number;
    seconds: number;
    perSecond: number;
    cpuMsPerUpdate: number;
    /** CPU per update less the background measured with processing held (the outbox's delivery at the platform's pace), ms. */
    processingCpuMsPerUpdate: number;
    /** Background CPU with processing held, ms per second. */
    backgroundCpuMsPerSecond: number;
    /** The kernel's part of the server's CPU over the capacity phase (sockets, the loopback's TCP stack), 0–1. */
    systemCpuShare: number;
    /** Main-thread garbage-collection pauses over the capacity phase, ms per update (part of the CPU above). */
    gcMsPerUpdate: number;
    /** Instances whose heap ran fast (src/heapMode.ts) when the backlog was done. */
    heapFastAtEnd?: number;
    /** The part of it in full (mark-compact) collections. */
    gcMajorMsPerUpdate: number;
    statementsPerUpdate: number;
    /** PostgreSQL on this machine: the server processes' CPU over the capacity phase per update, ms. */
    pgCpuMsPerUpdate?: number;
    /** The same less its background measured with processing held, ms per update. */
    pgProcessingCpuMsPerUpdate?: number;
    /** PostgreSQL's CPU with processing held, ms per second. */
    pgBackgroundCpuMsPerSecond?: number;
    /** Load average (1 min) when the capacity phase started and ended. */
    load: [number, number];
    failed: number;
    withoutReply: number;
  };
  latency: { updates: number; rate: number; p50: number; p90: number; p99: number; max: number; withoutReply: number };
  rssMb: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

async function setUpTips(s: Server, fake: FakeTelegramApi): Promise<TipRef[]> {
  const steps = Array.from({ length: TIPS }, (_, i) => CHAT_SCRIPTS.tip(-1 - i, []).map((step, n) => ({ chatId: 5_000_000_000 + i * 7, step, n }))).flatMap((s) => s);
  const bodies: string[] = [];
  // Step by step, each acknowledged before the next is sent: a chat's steps sent together could be
  // stored out of order, and a later step processed before an earlier one had arrived.
  for (let n = 0; steps.some((s) => s.n === n); n++) {
    const round = steps.filter((s) => s.n === n).map(({ chatId, step }) => update(chatId, step, n + 1));
    await sendAll(s.urls, round);
    bodies.push(...round);
  }
  if (s.mode === "bare") {
    await processedUpTo(s, bodies.length, 60_000);
    return Array.from({ length: TIPS }, (_, i) => ({ code: `TM-${String(i).padStart(6, "0")}`, pin: String(100000 + i) }));
  }
  // The receipts reach the fake Bot API at Telegram's pace (1 message a second per chat).
  const until = Date.now() + 120_000;
  for (;;) {
    const tips: TipRef[] = [];
    for (const call of fake.delivered()) {
      const text = String((call.payload as { text?: unknown }).text ?? "");
      const code = /(TM-[A-Z0-9]{6})/.exec(text)?.[1];
      const pin = /(?:Mã PIN|PIN): (\d{6})/.exec(text)?.[1];
      if (code && pin) tips.push({ code, pin });
    }
    if (tips.length >= TIPS) return tips;
    if (Date.now() > until) {
      const debug = (await Promise.all(s.nodes.map(async (n) => (await fetch(`${n.url}/__bench/debug`)).text()))).join("\n");
      throw new Error(`only ${tips.length} of ${TIPS} tip receipts arrived; state: ${debug}\n${s.nodes.map((n) => logTail(n.logFile)).join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function runServer(mode: CapacityMode, fake: FakeTelegramApi): Promise<Result> {
  const say = (text: string) => process.stderr.write(`[bench] ${mode}: ${text}\n`);
  say("starting…");
  const s = await startServer(mode, fake);
  try {
    say(`set-up: ${TIPS} tips to look up…`);
    const tips = await setUpTips(s, fake);
    const warm = workload(WARMUP, 5_100_000_000, tips);
    say(`warm-up: ${warm.bodies.length} updates…`);
    const base = await statsOf(s);
    await sendAll(s.urls, warm.bodies);
    await processedUpTo(s, base.processed + base.failed + warm.bodies.length, 300_000);
    await completions(s);

    // Capacity: a stored backlog, processed at full pace.
    const cap = workload(UPDATES, 5_200_000_000, tips);
    say(`capacity: storing ${cap.bodies.length} updates from ${cap.chats} chats (${Object.entries(cap.byScript).map(([k, v]) => `${k} ${v}`).join(", ")}), processing paused…`);
    await control(s, "pause");
    await sendAll(s.urls, cap.bodies);
    // The flood pacing (INBOX_FLOOD_RATE) ends two seconds after the last burst; the backlog is then worked off at full pace.
    await new Promise((r) => setTimeout(r, 3_000));
    // Background: what the process spends meanwhile with processing held — mostly the outbox
    // delivering the earlier replies at Telegram's pace (30 messages a second in all), which goes
    // on at the same pace whatever the processing rate; subtracted for "processing only".
    if (CPU_PROF_DIR) await control(s, "profile/start");
    const bg0 = await statsOf(s);
    const pgBg0 = await pgCpuMs(s);
    await new Promise((r) => setTimeout(r, BACKGROUND_MS));
    const bg1 = await statsOf(s);
    if (CPU_PROF_DIR) {
      fs.mkdirSync(CPU_PROF_DIR, { recursive: true });
      await control(s, "profile/stop", (i) => `?file=${encodeURIComponent(path.join(CPU_PROF_DIR, `${mode}${s.nodes.length > 1 ? `-i${i + 1}` : ""}-background.cpuprofile`))}`);
    }
    const pgBg = pgCpuBetween(pgBg0, await pgCpuMs(s));
    const backgroundCpuMsPerSecond = (bg1.cpu.user + bg1.cpu.system - bg0.cpu.user - bg0.cpu.system) / BACKGROUND_MS;
    if (CPU_PROF_DIR) await control(s, "profile/start");
    const before = await statsOf(s);
    const pgBefore = await pgCpuMs(s);
    const loadBefore = os.loadavg()[0]!;
    const t0 = performance.timeOrigin + performance.now();
    await control(s, "resume");
    say("capacity: processing…");
    const t1 = await processedUpTo(s, before.processed + before.failed + cap.bodies.length, 600_000);
    const after = await statsOf(s);
    const pgMs = pgCpuBetween(pgBefore, await pgCpuMs(s));
    const loadAfter = os.loadavg()[0]!;
    if (CPU_PROF_DIR) {
      fs.mkdirSync(CPU_PROF_DIR, { recursive: true });
      await control(s, "profile/stop", (i) => `?file=${encodeURIComponent(path.join(CPU_PROF_DIR, `${mode}${s.nodes.length > 1 ? `-i${i + 1}` : ""}-capacity.cpuprofile`))}`);
    }
    if (SQL_HISTOGRAM && after.bySql) {
      const n = after.processed - before.processed;
      const rows = Object.entries(after.bySql)
        .map(([sql, [count, ms]]) => [sql, (count - (before.bySql?.[sql]?.[0] ?? 0)) / n, (ms - (before.bySql?.[sql]?.[1] ?? 0)) / n] as const)
        .filter(([, perUpdate]) => perUpdate > 0)
        .sort((a, b) => b[1] - a[1]);
      say(
        `statements per update processed, by SQL (count, ms per update):\n` +
          rows.map(([sql, perUpdate, ms]) => `  ${perUpdate.toFixed(3).padStart(7)} ${ms.toFixed(4).padStart(8)}  ${sql}`).join("\n"),
      );
    }
    const capDone = await completions(s);
    const seconds = (t1 - t0) / 1000;
    // Several instances: an update found done already by a second instance is counted by both; the stored count is the truth.
    const processed = s.nodes.length > 1 ? cap.bodies.length : after.processed - before.processed;

    // Latency: a steady rate through the webhook, processing running.
    const lat = workload(RATE * LATENCY_SECONDS, 5_300_000_000, tips);
    say(`latency: ${lat.bodies.length} updates at ${RATE}/s…`);
    const acked = await sendAtRate(s.urls, lat.bodies, RATE);
    const latBase = after.processed + after.failed;
    await processedUpTo(s, latBase + lat.bodies.length, 600_000);
    const latDone = await completions(s);
    const latencies: number[] = [];
    for (const [key, at] of latDone) {
      const a = acked.get(key);
      if (a !== undefined) latencies.push(Math.max(0, at - a));
    }
    latencies.sort((x, y) => x - y);
    const final = await statsOf(s);
    return {
      mode,
      instances: s.nodes.length,
      capacity: {
        updates: cap.bodies.length,
        chats: cap.chats,
        seconds,
        perSecond: processed / seconds,
        cpuMsPerUpdate: (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000 / processed,
        processingCpuMsPerUpdate: ((after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000 - backgroundCpuMsPerSecond * seconds) / processed,
        backgroundCpuMsPerSecond,
        systemCpuShare: (after.cpu.system - before.cpu.system) / Math.max(1, after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system),
        gcMsPerUpdate: (after.gcMs - before.gcMs) / processed,
        gcMajorMsPerUpdate: (after.gcMajorMs - before.gcMajorMs) / processed,
        statementsPerUpdate: (after.statements - before.statements) / processed,
        ...(after.heapFast !== undefined ? { heapFastAtEnd: after.heapFast } : {}),
        ...(pgMs !== undefined ? { pgCpuMsPerUpdate: pgMs / cap.bodies.length } : {}),
        ...(pgMs !== undefined && pgBg !== undefined
          ? { pgProcessingCpuMsPerUpdate: (pgMs - (pgBg / BACKGROUND_MS) * seconds * 1000) / cap.bodies.length, pgBackgroundCpuMsPerSecond: pgBg / BACKGROUND_MS }
          : {}),
        load: [loadBefore, loadAfter],
        failed: after.failed - before.failed,
        withoutReply: capDone.filter(([, , n]) => n === 0).length,
      },
      latency: {
        updates: latencies.length,
        rate: RATE,
        p50: percentile(latencies, 50),
        p90: percentile(latencies, 90),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? 0,
        withoutReply: latDone.filter(([, , n]) => n === 0).length,
      },
      rssMb: final.rssBytes / 1e6,
    };
  } finally {
    await stopServer(s);
  }
}

// ---------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function report(results: Result[]): number {
  const lines: string[] = [""];
  lines.push(
    `Processing capacity — Telegram updates, realistic mix, ${USE_PG ? `PostgreSQL, ${INSTANCES} instance${INSTANCES > 1 ? "s" : ""}` : "SQLite (WAL)"}, ${os.cpus().length} CPUs, Node ${process.version}`,
  );
  lines.push(
    `${"".padEnd(30)}${"processed/s".padStart(12)}${"CPU ms/upd".padStart(11)}${"(process.)".padStart(11)}${"stmts/upd".padStart(10)}` +
      `${"lat p50".padStart(10)}${"p90".padStart(10)}${"p99".padStart(10)}${"max".padStart(9)}${"RSS MB".padStart(8)}`,
  );
  const label: Record<CapacityMode, string> = { service: INSTANCES > 1 ? `Tai Mắt (${INSTANCES} instances)` : "Tai Mắt (service)", bare: "bare grammY bot (in memory)" };
  const errors: string[] = [];
  for (const r of results) {
    lines.push(
      `${label[r.mode].padEnd(30)}${fmt(r.capacity.perSecond).padStart(12)}${fmt(r.capacity.cpuMsPerUpdate, 2).padStart(11)}${fmt(r.capacity.processingCpuMsPerUpdate, 2).padStart(11)}` +
        `${(r.mode === "bare" ? "—" : fmt(r.capacity.statementsPerUpdate, 1)).padStart(10)}` +
        `${fmt(r.latency.p50, 1).padStart(10)}${fmt(r.latency.p90, 1).padStart(10)}${fmt(r.latency.p99, 1).padStart(10)}${fmt(r.latency.max, 0).padStart(9)}${fmt(r.rssMb).padStart(8)}`,
    );
    if (r.capacity.failed) errors.push(`${r.mode}: ${r.capacity.failed} updates failed`);
    if (r.capacity.withoutReply || r.latency.withoutReply) errors.push(`${r.mode}: ${r.capacity.withoutReply + r.latency.withoutReply} processed updates recorded no reply`);
  }
  const first = results[0]!;
  lines.push(
    `capacity: ${fmt(first.capacity.updates)} stored updates from ${fmt(first.capacity.chats)} chats, processed from a paused backlog; ` +
      `latency: ${fmt(RATE)} updates/s for ${LATENCY_SECONDS} s through the webhook, ms from the 200 to the replies recorded (committed)`,
  );
  lines.push(
    `CPU ms/upd: the server's CPU over the capacity phase per update processed; (process.): less the background measured with processing held ` +
      `(${results.map((r) => `${r.mode} ${fmt(r.capacity.backgroundCpuMsPerSecond, 0)} ms/s`).join(", ")}: mostly the outbox delivering at Telegram's pace, whatever the processing rate)`,
  );
  const service = results.find((r) => r.mode === "service");
  const bare = results.find((r) => r.mode === "bare");
  if (service && bare) lines.push(`ratio Tai Mắt / bare bot (processed/s): ${fmt(service.capacity.perSecond / bare.capacity.perSecond, 3)}`);
  const loadEnd = os.loadavg()[0]!;
  lines.push(`machine load average (1 min): ${fmt(LOAD_AT_START, 2)} at start, ${fmt(loadEnd, 2)} at end${LOAD_AT_START > 1 ? " — other processes were using the CPUs; figures are noisy" : ""}`);
  if (service) lines.push(`goal: ≥ ${fmt(GOAL)} updates/s processed — ${service.capacity.perSecond >= GOAL ? "met" : "NOT met"} (${fmt(service.capacity.perSecond)})`);
  for (const r of results) {
    if (r.capacity.pgCpuMsPerUpdate !== undefined) {
      lines.push(
        `${r.mode}: PostgreSQL server CPU ${fmt(r.capacity.pgCpuMsPerUpdate, 2)} ms/update (its backends for this database and its background processes; ` +
          `${fmt(r.capacity.pgProcessingCpuMsPerUpdate ?? NaN, 2)} less its background of ${fmt(r.capacity.pgBackgroundCpuMsPerSecond ?? NaN, 0)} ms/s with processing held), ` +
          `node ${fmt(r.capacity.cpuMsPerUpdate, 2)} ms/update (${fmt(r.capacity.processingCpuMsPerUpdate, 2)}; ${fmt(100 * r.capacity.systemCpuShare, 0)} % of it in the kernel) over ${r.instances} instance${r.instances > 1 ? "s" : ""}: ` +
          `${fmt(r.capacity.pgCpuMsPerUpdate + r.capacity.cpuMsPerUpdate, 2)} ms of CPU per update in all (${fmt((r.capacity.pgProcessingCpuMsPerUpdate ?? 0) + r.capacity.processingCpuMsPerUpdate, 2)} less the backgrounds)`,
      );
    }
    lines.push(`${r.mode}: garbage collection ${fmt(r.capacity.gcMsPerUpdate, 3)} ms/update of main-thread pauses (${fmt((100 * r.capacity.gcMsPerUpdate) / r.capacity.cpuMsPerUpdate, 0)} % of the CPU per update), ${fmt(r.capacity.gcMajorMsPerUpdate, 3)} of it in full collections${r.capacity.heapFastAtEnd !== undefined ? `; heap fast (busy inbox, src/heapMode.ts) in ${r.capacity.heapFastAtEnd} of ${r.instances} instance(s) when the backlog was done` : ""}`);
    lines.push(`${r.mode}: load average (1 min) ${fmt(r.capacity.load[0], 2)} when the capacity phase started, ${fmt(r.capacity.load[1], 2)} when it ended`);
  }
  if (CPU_PROF_DIR) lines.push(`CPU profiles: ${CPU_PROF_DIR}`);
  for (const e of errors) lines.push(`ERROR: ${e}`);
  console.log(lines.join("\n"));
  const json = { bench: "capacity", date: new Date().toISOString(), db: USE_PG ? "postgresql" : "sqlite", instances: INSTANCES, cpus: os.cpus().length, loadAvgAtStart: LOAD_AT_START, results };
  console.log(`JSON ${JSON.stringify(json)}`);
  return errors.length ? 1 : 0;
}

const cleanupSync = cleanUpOnExit(children, tmpDir);

async function main(): Promise<number> {
  const fake = new FakeTelegramApi();
  await fake.listen();
  try {
    const results: Result[] = [];
    for (const mode of VARIANTS) results.push(await runServer(mode, fake));
    return report(results);
  } finally {
    await fake.close();
    agent.destroy();
  }
}

runBench(main, cleanupSync);
