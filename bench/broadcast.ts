/**
 * Broadcast benchmark: how close a campaign comes to Telegram's 30 messages a second, and how much
 * memory the service needs to fan a campaign out to a large audience.
 *
 *   npm run bench:broadcast                         run A (10,000 subscribers, all sent, ≈ 6 min),
 *                                                   then run B (100,000 materialised, 45 s of sending)
 *   npm run bench:broadcast -- --only=A             one of them (--only=B likewise)
 *   npm run bench:broadcast -- --only=P             run P: a paid campaign (allow_paid_broadcast) to 20,000
 *                                                   subscribers, all sent, against the fake enforcing 1,000/s
 *   npm run bench:broadcast -- --only=M             run M: a paid campaign to 1,000,000 subscribers: materialised
 *                                                   (peak RSS ≤ 250 MB), then 30 s of sending at the paid pace
 *   npm run bench:broadcast -- --subscribers 5000 --full --paid
 *                                                   a custom run as a paid campaign
 *   npm run bench:broadcast -- --subscribers 2000 --full
 *                                                   a custom run: N subscribers, all sent
 *   npm run bench:broadcast -- --subscribers 50000 --send-seconds 30
 *                                                   a custom run: N materialised, then S seconds of sending
 *   experiments (the service's engine, patched in bench/broadcast-server.ts):
 *     --window=N     outbox window of the campaign engine (default 30)
 *     --tick-ms=N    an extra engine timer at N ms (the service's 1-second one keeps running)
 *     --node-args="--max-old-space-size=128"   Node.js options for the service's process
 *   --keep           keep the temporary folder (database, service log)
 *
 * Each run starts a FakeTelegramApi here enforcing 30 messages a second overall (per-chat limits
 * set high: every subscriber gets one message), seeds a fresh temporary SQLite database with N
 * Telegram subscribers (raw bulk INSERTs of Chat and Subscription rows), runs the real service
 * (src/main.ts, through bench/broadcast-server.ts) in a child process against it with
 * CAMPAIGN_QUIET_HOURS=off, then adds a content with a quiz and an immediate ("ngay") campaign to
 * everyone and confirms it. It measures, from the fake's record of calls: the time from the first to
 * the last campaign message accepted, the achieved rate ((messages − 1) ÷ that time) as a fraction of
 * 30/s, the 429 answers, the gaps between accepted messages; from /proc: the child's RSS (sampled
 * every 100 ms) and its VmHWM (peak RSS over its whole life, start-up included); from the child:
 * CPU time, event-loop use, and the time each campaign engine step took. A full run checks that every
 * subscriber got exactly one message and every delivery was recorded as sent.
 *
 * Exits non-zero only on errors (missing or repeated messages, refused calls, a crashed service, a
 * stalled run), never because a goal was missed.
 */
import type { ChildProcess } from "node:child_process";
import { addContent } from "../src/core/campaigns/commands/addContent.ts";
import { confirmCampaign } from "../src/core/campaigns/commands/confirmCampaign.ts";
import { createCampaign } from "../src/core/campaigns/commands/createCampaign.ts";
import { allowed } from "../src/core/campaigns/commands/authorizeStaff.ts";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { FakeTelegramApi, type FakeCall } from "../test/fakes/telegramApi.ts";
import { migrate } from "../src/db/migrate.ts";
import { openDb } from "../src/db/client.ts";
import { NO_QUIET_HOURS } from "../src/core/campaigns/schedule.ts";
import type { BroadcastServerStats, StepStats } from "./broadcast-server.ts";
import { cleanUpOnExit, intOption, logTail, option, runBench, serverReady, spawnServer, stopChild } from "./lib.ts";

// ---------------------------------------------------------------------------------------------
// Options

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The service child runs compiled, as `npm start` runs it (`npm run bench:broadcast` builds first). */
const SERVER_SCRIPT = path.join(ROOT, "dist", "bench", "broadcast-server.js");
if (!fs.existsSync(SERVER_SCRIPT)) throw new Error(`${SERVER_SCRIPT} is missing: run "npm run build" (npm run bench:broadcast does)`);
const LIMIT_PER_SECOND = 30;
/** Telegram's paid broadcast limit (allow_paid_broadcast), enforced by the fake in paid runs. */
const PAID_LIMIT_PER_SECOND = 1000;
const GOAL_FRACTION = 0.97;
const GOAL_RSS_MB = 250;
/** Telegram chat ids of the seeded subscribers: FIRST_CHAT_ID + i. */
const FIRST_CHAT_ID = 7_000_000_000;
const MARKER = "Công an không bao giờ yêu cầu chuyển tiền";

const KNOWN = new Set(["subscribers", "full", "send-seconds", "only", "window", "tick-ms", "node-args", "keep", "paid"]);
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)/.exec(arg);
  if (m && !KNOWN.has(m[1]!)) throw new Error(`unknown option ${arg}`);
}

interface RunSpec {
  name: string;
  subscribers: number;
  /** Send to everyone (else: materialise everyone, then send for sendSeconds). */
  full: boolean;
  sendSeconds: number;
  goals: Array<"rate" | "rss">;
  /** A paid campaign: sent with allow_paid_broadcast, the fake enforcing PAID_LIMIT_PER_SECOND for it. */
  paid?: boolean;
}

/** The pace a run is measured against. */
const limitOf = (spec: RunSpec) => (spec.paid ? PAID_LIMIT_PER_SECOND : LIMIT_PER_SECOND);

function runSpecs(): RunSpec[] {
  const subscribers = intOption("subscribers");
  const sendSeconds = intOption("send-seconds") ?? 45;
  if (subscribers !== undefined) {
    const full = option("full") !== undefined;
    const paid = option("paid") !== undefined;
    return [{ name: `${subscribers}${full ? " full" : ""}${paid ? " paid" : ""}`, subscribers, full, sendSeconds, goals: full ? ["rate", "rss"] : ["rss", "rate"], paid }];
  }
  const all: RunSpec[] = [
    { name: "A", subscribers: 10_000, full: true, sendSeconds, goals: ["rate"] },
    { name: "B", subscribers: 100_000, full: false, sendSeconds, goals: ["rss"] },
    { name: "P", subscribers: 20_000, full: true, sendSeconds, goals: ["rate"], paid: true },
    { name: "M", subscribers: 1_000_000, full: false, sendSeconds: intOption("send-seconds") ?? 30, goals: ["rss", "rate"], paid: true },
  ];
  const only = option("only");
  if (!only) return all.filter((r) => !r.paid); // P and M run when asked for (--only=P, --only=M)
  const picked = all.filter((r) => only.toUpperCase().split(",").includes(r.name));
  if (!picked.length) throw new Error("--only must be A, B, P or M");
  return picked;
}

const RUNS = runSpecs();
const WINDOW = intOption("window");
const TICK_MS = intOption("tick-ms");
const KEEP = option("keep") !== undefined;
/** Extra Node.js options for the service's process, e.g. "--max-old-space-size=128". */
const NODE_ARGS = (option("node-args") ?? "").split(/\s+/).filter(Boolean);
const LOAD_AT_START = os.loadavg()[0]!;

// ---------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => bytes / (1024 * 1024);
function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
function progress(msg: string): void {
  process.stderr.write(`[bench:broadcast ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The child's memory from /proc (kB values turned into bytes); undefined once it has gone. */
function procMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Database: fresh file, migrated, N subscribers

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "taimat-bench-broadcast-"));

function seed(dbFile: string, n: number): number {
  const t0 = performance.now();
  const db = new Database(dbFile);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    const now = new Date().toISOString().replace("Z", "+00:00"); // how the Prisma SQLite adapter stores DateTime
    const chat = db.prepare(
      `INSERT INTO "Chat" ("id", "channel", "platformChatId", "kind", "locale", "createdAt", "updatedAt") VALUES (?, 'telegram', ?, 'private', 'vi', ?, ?)`,
    );
    const sub = db.prepare(
      `INSERT INTO "Subscription" ("chatId", "topics", "provinceCode", "active", "consentedAt", "createdAt", "updatedAt") VALUES (?, ?, ?, 1, ?, ?, ?)`,
    );
    const topics = ['["fraud"]', '["fraud","traffic"]', '["drugs","fire"]', '["eid"]'];
    const provinces = ["01", "79", "48", "92"];
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const id = `bench-chat-${String(i).padStart(7, "0")}`;
        chat.run(id, String(FIRST_CHAT_ID + i), now, now);
        sub.run(id, topics[i % topics.length]!, provinces[i % provinces.length]!, now, now, now);
      }
    })();
  } finally {
    db.close();
  }
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------
// The service

const children = new Set<ChildProcess>();

interface Service {
  child: ChildProcess;
  pid: number;
  url: string;
  logFile: string;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

async function startService(dir: string, dbFile: string, fake: FakeTelegramApi): Promise<Service> {
  const logFile = path.join(dir, "service.log");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    NODE_ENV: "production",
    PUBLIC_URL: "",
    ZALO_BOT_TOKEN: "",
    DATABASE_URL: `file:${dbFile}`,
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_WEBHOOK_SECRET: "bench-broadcast-secret",
    TELEGRAM_API_ROOT: fake.apiRoot,
    TELEGRAM_POLLING: "false",
    CAMPAIGN_QUIET_HOURS: "off",
    // Sealing key file for a throwaway database: never the repository's.
    ENCRYPTION_KEYS: "",
    ENCRYPTION_KEY_FILE: path.join(dir, "encryption.key"),
    BENCH_CAMPAIGN_WINDOW: WINDOW ? String(WINDOW) : "",
    BENCH_CAMPAIGN_TICK_MS: TICK_MS ? String(TICK_MS) : "",
  };
  const child = spawnServer([...NODE_ARGS, SERVER_SCRIPT], { cwd: ROOT, env, logFile, children });
  const service: Service = { child, pid: child.pid!, url: "", logFile };
  child.once("exit", (code, signal) => (service.exit = { code, signal }));
  service.url = await serverReady(child, logFile, "service");
  return service;
}

async function stopService(service: Service): Promise<void> {
  await stopChild(service.child, 30_000);
}

async function serverStats(service: Service): Promise<BroadcastServerStats> {
  return (await (await fetch(`${service.url}/__bench/stats`)).json()) as BroadcastServerStats;
}

// ---------------------------------------------------------------------------------------------
// Memory sampling

interface MemoryPhase {
  peakRss: number;
}

class MemorySampler {
  readonly phases = new Map<string, MemoryPhase>();
  phase = "startup";
  hwm = 0;
  lastRss = 0;
  /** Every sample: ms since the sampler started, RSS in bytes, phase. */
  readonly timeline: Array<[number, number, string]> = [];
  readonly startedAt = Date.now();
  private timer?: NodeJS.Timeout;
  constructor(private readonly pid: number) {}
  start(): void {
    this.timer = setInterval(() => this.sample(), 100);
  }
  sample(): void {
    const m = procMemory(this.pid);
    if (!m) return;
    this.lastRss = m.rss;
    this.hwm = Math.max(this.hwm, m.hwm);
    this.timeline.push([Date.now() - this.startedAt, m.rss, this.phase]);
    const p = this.phases.get(this.phase) ?? { peakRss: 0 };
    p.peakRss = Math.max(p.peakRss, m.rss);
    this.phases.set(this.phase, p);
  }
  enter(phase: string): void {
    this.sample();
    this.phase = phase;
    this.sample();
  }
  stop(): void {
    this.sample();
    if (this.timer) clearInterval(this.timer);
  }
  peak(...phases: string[]): number {
    return Math.max(0, ...phases.map((p) => this.phases.get(p)?.peakRss ?? 0));
  }
  /** When (epoch ms) the highest RSS sample of these phases was taken. */
  peakAt(...phases: string[]): number | undefined {
    let best: [number, number, string] | undefined;
    for (const s of this.timeline) if (phases.includes(s[2]) && (!best || s[1] > best[1])) best = s;
    return best ? this.startedAt + best[0] : undefined;
  }
  /** Seconds (of the samples in these phases) with RSS above `bytes`. */
  secondsAbove(bytes: number, ...phases: string[]): number {
    return this.timeline.filter((s) => phases.includes(s[2]) && s[1] > bytes).length / 10;
  }
  writeCsv(file: string, originEpochMs: number): void {
    const rows = this.timeline.map(([t, rss, phase]) => `${((this.startedAt + t - originEpochMs) / 1000).toFixed(1)},${(rss / 1048576).toFixed(1)},${phase}`);
    fs.writeFileSync(file, `seconds_after_confirm,rss_mb,phase\n${rows.join("\n")}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// One run

interface Gaps {
  p50: number;
  p99: number;
  max: number;
  /** Gaps of 100 ms or more, and the time they add beyond the limiter's 34 ms spacing. */
  over100: number;
  lostSeconds: number;
}

interface StepDiff {
  count: number;
  avgMs: number;
  maxMs: number;
  /** Share of wall time spent in this step. */
  share: number;
}

interface RunResult {
  spec: RunSpec;
  seedSeconds: number;
  startupSeconds: number;
  /** Confirm → CampaignRun leaves "materializing" (null if it did not within the run). */
  materializeSeconds: number | null;
  targeted: number;
  /** Confirm → first campaign message accepted by the fake. */
  firstMessageSeconds: number | null;
  accepted: number;
  distinctChats: number;
  duplicates: number;
  missing: number;
  rateLimited: number;
  otherFailures: Record<string, number>;
  /** First to last accepted campaign message, seconds. */
  sendSeconds: number;
  perSecond: number;
  fraction: number;
  /** The same over the steady middle (first and last 5 % of messages left out). */
  steadyPerSecond: number;
  /** Accepted messages per 10-second window of sending: min / median / max. */
  windows: { min: number; median: number; max: number };
  gaps: Gaps;
  memory: {
    baselineMb: number;
    peakMaterializingMb: number;
    peakSendingMb: number;
    peakCampaignMb: number;
    hwmMb: number;
    /** When the campaign's peak was sampled, seconds after confirming; seconds spent 50 MB or more above the idle RSS. */
    peakAtSeconds: number | null;
    secondsOver50: number;
  };
  /** process.memoryUsage() of the child before confirming and at the end, MB. */
  heap: { before: BroadcastServerStats["memory"]; after: BroadcastServerStats["memory"] };
  /** Highest process.memoryUsage() figures seen (polled every 2 s during the campaign). */
  heapPeak: BroadcastServerStats["memory"];
  /** The child's CPU over the campaign (confirm → end of measurement), in cores, and its event-loop utilisation. */
  cpuCores: number;
  cpuSeconds: number;
  elu: number;
  loopDelayMaxMs: number;
  ticks: { ran: number; skipped: number; perSecond: number };
  steps: Record<string, StepDiff>;
  fed: { rows: number; batches: number; avg: number; max: number };
  deliveries: Record<string, number>;
  campaignStatus: string;
  runStatus: string;
  errors: string[];
}

function campaignCalls(fake: FakeTelegramApi): FakeCall[] {
  return fake.calls.filter((c) => c.method === "sendMessage" && String(c.payload.text ?? "").includes(MARKER));
}

async function runOne(spec: RunSpec): Promise<RunResult> {
  const errors: string[] = [];
  const dir = fs.mkdtempSync(path.join(tmpRoot, `run-${spec.name.replace(/\W+/g, "_")}-`));
  const dbFile = path.join(dir, "bench.db");
  const url = `file:${dbFile}`;
  progress(`run ${spec.name}: ${fmt(spec.subscribers)} subscribers, ${spec.full ? "all sent" : `materialised, then ${spec.sendSeconds} s of sending`}; folder ${dir}`);

  await migrate(url);
  const seedMs = seed(dbFile, spec.subscribers);
  progress(`seeded ${fmt(spec.subscribers)} Chat + Subscription rows in ${fmt(seedMs / 1000, 1)} s`);

  const fake = new FakeTelegramApi({ globalPerSecond: LIMIT_PER_SECOND, paidPerSecond: PAID_LIMIT_PER_SECOND, privatePerSecond: 1_000, privateBurst: 1_000, groupPerMinute: 1_000 });
  await fake.listen();
  const t0 = performance.now();
  const service = await startService(dir, dbFile, fake);
  const startupSeconds = (performance.now() - t0) / 1000;
  const sampler = new MemorySampler(service.pid);
  sampler.start();
  progress(`service up in ${fmt(startupSeconds, 1)} s (pid ${service.pid}); settling`);
  await sleep(5_000);
  sampler.enter("idle");
  await sleep(5_000);
  const baseline = sampler.lastRss;

  const reader = new Database(dbFile, { readonly: true, fileMustExist: true });
  const db = await openDb(url);
  let result: RunResult | undefined;
  try {
    // Content (with a quiz: one message with buttons) and an immediate campaign to everyone.
    const content = allowed(await addContent(db, {
      actor: { kind: "admin", name: "bench" },
      input: {
        title: "Cảnh báo lừa đảo giả danh công an",
        bodies: { vi: `${MARKER} qua điện thoại. Hãy gọi 113 khi nghi ngờ.`, en: "The police never ask you to transfer money by phone." },
        source: { law: "Bộ luật Hình sự 2015", article: "Điều 174", effectiveDate: "2018-01-01" },
        topics: ["fraud"],
        quiz: [
          {
            question: { vi: "Công an có gọi điện yêu cầu chuyển tiền không?" },
            options: [{ vi: "Có" }, { vi: "Không bao giờ" }],
          },
        ],
      },
    })).content;
    const campaign = allowed(await createCampaign(db, { contentId: content.id, audience: {}, schedule: "ngay", paidBroadcast: spec.paid === true, actor: { kind: "admin", name: "bench" } })).campaign;
    const before = await serverStats(service);
    const confirmedAt = performance.now();
    const confirmedAtEpoch = Date.now();
    sampler.enter("materializing");
    await confirmCampaign(db, { campaignId: campaign.id, actor: { kind: "admin", name: "bench" }, quiet: NO_QUIET_HOURS }); // the service runs with CAMPAIGN_QUIET_HOURS=off
    await db.$disconnect();

    const runRow = () =>
      reader.prepare(`SELECT "status", "targeted" FROM "CampaignRun" WHERE "campaignId" = ? ORDER BY "id" DESC LIMIT 1`).get(campaign.id) as
        | { status: string; targeted: number }
        | undefined;
    const campaignStatus = () => (reader.prepare(`SELECT "status" FROM "Campaign" WHERE "id" = ?`).get(campaign.id) as { status: string }).status;

    let materializedAt: number | null = null;
    let targeted = 0;
    let lastCount = 0;
    let lastProgressAt = performance.now();
    let lastReport = performance.now();
    let sendingStartedAt: number | null = null;
    let allDeliveredAt: number | null = null;
    // Generous: four times the ideal sending time, plus materialisation.
    const deadline = confirmedAt + (spec.full ? (spec.subscribers / limitOf(spec)) * 4_000 : spec.sendSeconds * 1000) + spec.subscribers * 20 + 300_000;
    let lastStatsAt = 0;
    let loopDelayMaxMs = 0;
    const heapPeak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
    const heapRows: string[] = [];
    for (;;) {
      await sleep(500);
      const now = performance.now();
      if (!service.exit && now - lastStatsAt >= 2_000) {
        lastStatsAt = now;
        const st = await serverStats(service).catch(() => undefined);
        if (st) {
          loopDelayMaxMs = Math.max(loopDelayMaxMs, st.loopDelay.maxMs);
          for (const k of Object.keys(heapPeak) as Array<keyof typeof heapPeak>) heapPeak[k] = Math.max(heapPeak[k], st.memory[k]);
          const m = st.memory;
          heapRows.push([(Date.now() - confirmedAtEpoch) / 1000, m.rss, m.heapUsed, m.heapTotal, m.external, m.arrayBuffers].map((v, i) => (i ? mb(v).toFixed(1) : v.toFixed(1))).join(","));
        }
      }
      if (service.exit) {
        errors.push(`service exited (${service.exit.code ?? service.exit.signal}) during the run:\n${logTail(service.logFile)}`);
        break;
      }
      const row = runRow();
      if (row) targeted = row.targeted;
      if (materializedAt === null && row && row.status !== "materializing") {
        materializedAt = now;
        sampler.enter("sending");
        progress(`materialised ${fmt(row.targeted)} deliveries in ${fmt((now - confirmedAt) / 1000, 1)} s after confirming`);
      }
      const count = fake.delivered().length;
      if (count > lastCount) {
        lastCount = count;
        lastProgressAt = now;
        if (sendingStartedAt === null) sendingStartedAt = now;
      }
      if (now - lastReport >= 30_000) {
        lastReport = now;
        progress(
          `${((now - confirmedAt) / 1000).toFixed(0)} s: run ${row?.status ?? "(not started)"}, targeted ${fmt(targeted)}, ` +
            `${fmt(count)} messages accepted, RSS ${fmt(mb(sampler.lastRss))} MB`,
        );
      }
      if (spec.full) {
        if (count >= spec.subscribers && allDeliveredAt === null) allDeliveredAt = now;
        // Everything accepted: wait for the engine to record it (campaign done), at most 60 s.
        if (allDeliveredAt !== null && (campaignStatus() === "done" || now - allDeliveredAt > 60_000)) break;
      } else if (materializedAt !== null && sendingStartedAt !== null && now - Math.max(materializedAt, sendingStartedAt) >= spec.sendSeconds * 1000) {
        break;
      }
      const stalledFor = now - Math.max(lastProgressAt, materializedAt ?? confirmedAt);
      if ((materializedAt !== null || count > 0) && stalledFor > 90_000 && (allDeliveredAt === null || !spec.full)) {
        errors.push(`no message accepted for ${fmt(stalledFor / 1000)} s (${fmt(count)} of ${fmt(spec.subscribers)}); stopping the run`);
        break;
      }
      if (now > deadline) {
        errors.push(`run did not finish in time (${fmt(count)} of ${fmt(spec.subscribers)} accepted)`);
        break;
      }
    }
    const endedAt = performance.now();
    const after = service.exit ? before : await serverStats(service);
    loopDelayMaxMs = Math.max(loopDelayMaxMs, after.loopDelay.maxMs);
    if (KEEP) fs.writeFileSync(path.join(dir, "heap.csv"), `seconds_after_confirm,rss_mb,heap_used_mb,heap_total_mb,external_mb,array_buffers_mb\n${heapRows.join("\n")}\n`);
    if (spec.full && !errors.length) await sleep(3_000); // a late duplicate would show up here
    sampler.stop();
    if (KEEP) sampler.writeCsv(path.join(dir, "rss.csv"), confirmedAtEpoch);

    // --- Messages
    const calls = campaignCalls(fake);
    const acceptedCalls = calls.filter((c) => c.status === 200 && c.response?.ok === true).sort((a, b) => a.at - b.at);
    const rateLimited = fake.calls.filter((c) => c.status === 429).length;
    const unpaid = acceptedCalls.filter((c) => c.payload.allow_paid_broadcast !== true).length;
    if (spec.paid && unpaid) errors.push(`${fmt(unpaid)} campaign messages of the paid campaign went without allow_paid_broadcast`);
    if (!spec.paid && acceptedCalls.length > unpaid) errors.push(`${fmt(acceptedCalls.length - unpaid)} messages of an unpaid campaign went as paid broadcasts`);
    const otherFailures: Record<string, number> = {};
    for (const c of fake.calls) {
      if (c.status === 200 || c.status === 429 || c.method === "getMe" || c.method === "setMyCommands") continue;
      const key = `${c.method} ${c.status}`;
      otherFailures[key] = (otherFailures[key] ?? 0) + 1;
    }
    for (const [key, n] of Object.entries(otherFailures)) errors.push(`${n} calls answered ${key}`);
    const perChat = new Map<string, number>();
    for (const c of acceptedCalls) perChat.set(String(c.payload.chat_id), (perChat.get(String(c.payload.chat_id)) ?? 0) + 1);
    let duplicates = 0;
    let strangers = 0;
    for (const [chatId, k] of perChat) {
      duplicates += k - 1;
      const i = Number(chatId) - FIRST_CHAT_ID;
      if (!(Number.isInteger(i) && i >= 0 && i < spec.subscribers)) strangers++;
    }
    const missing = spec.full ? spec.subscribers - (perChat.size - strangers) : 0;
    if (duplicates) errors.push(`${duplicates} subscribers got the campaign more than once`);
    if (strangers) errors.push(`${strangers} messages went to chats that are not subscribers`);
    if (missing > 0) errors.push(`${fmt(missing)} of ${fmt(spec.subscribers)} subscribers got no message`);

    const times = acceptedCalls.map((c) => c.at);
    const first = times[0];
    const last = times[times.length - 1];
    const sendSeconds = first !== undefined && last !== undefined ? (last - first) / 1000 : 0;
    const perSecond = sendSeconds > 0 ? (times.length - 1) / sendSeconds : 0;
    const cut = Math.floor(times.length * 0.05);
    const steady = times.slice(cut, times.length - cut);
    const steadySeconds = steady.length > 1 ? (steady[steady.length - 1]! - steady[0]!) / 1000 : 0;
    const steadyPerSecond = steadySeconds > 0 ? (steady.length - 1) / steadySeconds : 0;
    const gapList: number[] = [];
    for (let i = 1; i < times.length; i++) gapList.push(times[i]! - times[i - 1]!);
    const spacing = Math.ceil(1000 / limitOf(spec));
    const big = gapList.filter((g) => g >= 100);
    const sortedGaps = [...gapList].sort((a, b) => a - b);
    const gaps: Gaps = {
      p50: percentile(sortedGaps, 50),
      p99: percentile(sortedGaps, 99),
      max: sortedGaps[sortedGaps.length - 1] ?? 0,
      over100: big.length,
      lostSeconds: big.reduce((s, g) => s + g - spacing, 0) / 1000,
    };
    const windowCounts: number[] = [];
    if (first !== undefined && last !== undefined) {
      for (let w = first; w + 10_000 <= last; w += 10_000) windowCounts.push(times.filter((t) => t >= w && t < w + 10_000).length / 10);
    }
    const sortedWindows = [...windowCounts].sort((a, b) => a - b);

    // --- Database
    const deliveries: Record<string, number> = {};
    for (const r of reader.prepare(`SELECT "status", COUNT(*) AS n FROM "Delivery" GROUP BY "status"`).all() as Array<{ status: string; n: number }>) {
      deliveries[r.status] = r.n;
    }
    const distinctDeliveries = (reader.prepare(`SELECT COUNT(DISTINCT "chatId") AS n FROM "Delivery"`).get() as { n: number }).n;
    const finalRun = runRow();
    const finalCampaign = campaignStatus();
    if (materializedAt !== null && targeted !== spec.subscribers) errors.push(`run targeted ${fmt(targeted)} of ${fmt(spec.subscribers)} subscribers`);
    if (materializedAt !== null && distinctDeliveries !== spec.subscribers) errors.push(`${fmt(distinctDeliveries)} distinct deliveries for ${fmt(spec.subscribers)} subscribers`);
    if (materializedAt === null && !errors.length) errors.push("the run never finished materialising");
    if (spec.full && !errors.length) {
      if ((deliveries.sent ?? 0) !== spec.subscribers) errors.push(`deliveries recorded as sent: ${fmt(deliveries.sent ?? 0)} of ${fmt(spec.subscribers)} (${JSON.stringify(deliveries)})`);
      if (finalCampaign !== "done") errors.push(`campaign status ${finalCampaign} after everything was accepted (expected done)`);
    }

    // --- Child process figures over the campaign
    const wallMs = endedAt - confirmedAt;
    const cpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
    const eluActive = after.elu.active - before.elu.active;
    const eluIdle = after.elu.idle - before.elu.idle;
    const steps: Record<string, StepDiff> = {};
    for (const [name, s] of Object.entries(after.steps)) {
      const b: StepStats = before.steps[name] ?? { count: 0, ms: 0, maxMs: 0 };
      const count = s.count - b.count;
      steps[name] = { count, avgMs: count ? (s.ms - b.ms) / count : 0, maxMs: s.maxMs, share: (s.ms - b.ms) / wallMs };
    }
    const ticksRan = after.ticks.ran - before.ticks.ran;
    const fedRows = after.fed.rows - before.fed.rows;
    const fedBatches = after.fed.batches - before.fed.batches;

    result = {
      spec,
      seedSeconds: seedMs / 1000,
      startupSeconds,
      materializeSeconds: materializedAt === null ? null : (materializedAt - confirmedAt) / 1000,
      targeted,
      firstMessageSeconds: first === undefined ? null : (first - confirmedAtEpoch) / 1000,
      accepted: acceptedCalls.length,
      distinctChats: perChat.size,
      duplicates,
      missing,
      rateLimited,
      otherFailures,
      sendSeconds,
      perSecond,
      fraction: perSecond / limitOf(spec),
      steadyPerSecond,
      windows: { min: sortedWindows[0] ?? 0, median: percentile(sortedWindows, 50), max: sortedWindows[sortedWindows.length - 1] ?? 0 },
      gaps,
      memory: {
        baselineMb: mb(baseline),
        peakMaterializingMb: mb(sampler.peak("materializing")),
        peakSendingMb: mb(sampler.peak("sending")),
        peakCampaignMb: mb(sampler.peak("materializing", "sending")),
        hwmMb: mb(sampler.hwm),
        peakAtSeconds: ((at) => (at === undefined ? null : (at - confirmedAtEpoch) / 1000))(sampler.peakAt("materializing", "sending")),
        secondsOver50: sampler.secondsAbove(baseline + 50 * 1048576, "materializing", "sending"),
      },
      heap: { before: before.memory, after: after.memory },
      cpuCores: cpuUs / 1000 / wallMs,
      cpuSeconds: cpuUs / 1e6,
      elu: eluActive + eluIdle > 0 ? eluActive / (eluActive + eluIdle) : 0,
      loopDelayMaxMs,
      heapPeak,
      ticks: { ran: ticksRan, skipped: after.ticks.skipped - before.ticks.skipped, perSecond: ticksRan / (wallMs / 1000) },
      steps,
      fed: { rows: fedRows, batches: fedBatches, avg: fedBatches ? fedRows / fedBatches : 0, max: after.fed.maxBatch },
      deliveries,
      campaignStatus: finalCampaign,
      runStatus: finalRun?.status ?? "(none)",
      errors,
    };
  } finally {
    reader.close();
    await db.$disconnect().catch(() => {});
    sampler.stop();
    await stopService(service);
    if (service.exit && service.exit.code !== 0 && result) {
      result.errors.push(`service exited with ${service.exit.code ?? service.exit.signal} on SIGTERM:\n${logTail(service.logFile, 10)}`);
    }
    await fake.close();
    if (!KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Report

function report(results: RunResult[]): number {
  const lines: string[] = [];
  const loadEnd = os.loadavg()[0]!;
  lines.push("");
  lines.push(
    `Broadcast benchmark — fake Telegram Bot API enforcing ${LIMIT_PER_SECOND} msg/s overall (${PAID_LIMIT_PER_SECOND} msg/s for paid broadcasts); node ${process.version}, ${os.cpus().length} CPUs` +
      (WINDOW || TICK_MS || NODE_ARGS.length
        ? `; EXPERIMENT: ${[WINDOW ? `engine window ${WINDOW}` : "", TICK_MS ? `extra engine tick every ${TICK_MS} ms` : "", NODE_ARGS.length ? `service node options ${NODE_ARGS.join(" ")}` : ""].filter(Boolean).join(", ")}`
        : ""),
  );
  let errors = 0;
  const goalLines: string[] = [];
  for (const r of results) {
    const s = r.spec;
    lines.push("");
    lines.push(`Run ${s.name}: ${fmt(s.subscribers)} subscribers, ${s.full ? "all sent" : `materialised, then ${s.sendSeconds} s of sending`}${s.paid ? ", PAID campaign (allow_paid_broadcast)" : ""}`);
    lines.push(
      `  setup: seeded in ${fmt(r.seedSeconds, 1)} s; service started in ${fmt(r.startupSeconds, 1)} s; ` +
        `materialised ${fmt(r.targeted)} deliveries in ${r.materializeSeconds === null ? "—" : `${fmt(r.materializeSeconds, 1)} s`} after confirming; ` +
        `first message ${r.firstMessageSeconds === null ? "—" : `${fmt(r.firstMessageSeconds, 1)} s`} after confirming`,
    );
    lines.push(
      `  sent: ${fmt(r.accepted)} messages accepted in ${fmt(r.sendSeconds, 1)} s (first→last) = ${fmt(r.perSecond, 2)} msg/s = ` +
        `${fmt(r.fraction, 3)} of ${limitOf(s)}/s; steady middle 90 %: ${fmt(r.steadyPerSecond, 2)} msg/s` +
        (r.windows.max > 0 ? `; per 10 s: min ${fmt(r.windows.min, 1)}, median ${fmt(r.windows.median, 1)}, max ${fmt(r.windows.max, 1)}` : ""),
    );
    lines.push(
      `  429 answers: ${fmt(r.rateLimited)}; other refusals: ${Object.keys(r.otherFailures).length ? JSON.stringify(r.otherFailures) : "none"}; ` +
        (s.full ? `missing ${fmt(r.missing)}, duplicates ${fmt(r.duplicates)}` : `duplicates ${fmt(r.duplicates)} (not all sent: no missing check)`) +
        `; deliveries ${JSON.stringify(r.deliveries)}; campaign ${r.campaignStatus}, run ${r.runStatus}`,
    );
    lines.push(
      `  gaps between accepted messages (ms): p50 ${fmt(r.gaps.p50)}, p99 ${fmt(r.gaps.p99)}, max ${fmt(r.gaps.max)}; ` +
        `${fmt(r.gaps.over100)} gaps ≥ 100 ms adding ${fmt(r.gaps.lostSeconds, 1)} s beyond the limiter's ${Math.ceil(1000 / limitOf(s))} ms spacing`,
    );
    lines.push(
      `  memory (child RSS): ${fmt(r.memory.baselineMb)} MB idle before the campaign; peak ${fmt(r.memory.peakMaterializingMb)} MB materialising, ` +
        `${fmt(r.memory.peakSendingMb)} MB sending (campaign adds ${fmt(r.memory.peakCampaignMb - r.memory.baselineMb)} MB, ` +
        `peak ${r.memory.peakAtSeconds === null ? "—" : `${fmt(r.memory.peakAtSeconds, 1)} s`} after confirming; ${fmt(r.memory.secondsOver50, 1)} s spent ≥ 50 MB above idle); ` +
        `VmHWM (whole life, start-up included) ${fmt(r.memory.hwmMb)} MB`,
    );
    const heap = (m: RunResult["heap"]["before"]) =>
      `RSS ${fmt(mb(m.rss))}, JS heap ${fmt(mb(m.heapUsed))} used / ${fmt(mb(m.heapTotal))} total, external ${fmt(mb(m.external))} (array buffers ${fmt(mb(m.arrayBuffers))})`;
    lines.push(`  child memoryUsage() MB: before confirming ${heap(r.heap.before)}; highest during the campaign (polled every 2 s) ${heap(r.heapPeak)}; at the end ${heap(r.heap.after)}`);
    lines.push(
      `  child CPU over the campaign: ${fmt(r.cpuSeconds, 1)} s = ${fmt(r.cpuCores, 3)} cores${r.accepted ? ` = ${fmt((r.cpuSeconds * 1000) / r.accepted, 2)} ms per message accepted (materialising included)` : ""}; event-loop utilisation ${fmt(r.elu, 3)}; ` +
        `longest loop stall ${fmt(r.loopDelayMaxMs)} ms`,
    );
    const stepText = ["tick", "materialize", "reconcile", "feed", "finishRuns", "startDueRuns"]
      .flatMap((n) => {
        const st = r.steps[n];
        return st ? [`${n} ${fmt(st.avgMs, 1)} ms avg / ${fmt(st.maxMs)} max`] : [];
      })
      .join("; ");
    lines.push(
      `  engine: ${fmt(r.ticks.ran)} ticks (${fmt(r.ticks.perSecond, 2)}/s), ${fmt(r.ticks.skipped)} skipped (previous still running); ${stepText}; ` +
        `fed ${fmt(r.fed.rows)} rows in ${fmt(r.fed.batches)} hand-overs (avg ${fmt(r.fed.avg, 1)}, max ${r.fed.max})`,
    );
    if (s.goals.includes("rate")) {
      const met = r.fraction >= GOAL_FRACTION;
      goalLines.push(`run ${s.name}: achieved rate ≥ ${GOAL_FRACTION} of ${limitOf(s)}/s — ${met ? "met" : "NOT met"} (${fmt(r.fraction, 3)})`);
    }
    if (s.goals.includes("rss")) {
      const peak = Math.max(r.memory.hwmMb, r.memory.peakCampaignMb);
      const met = peak <= GOAL_RSS_MB;
      goalLines.push(`run ${s.name}: peak RSS ≤ ${GOAL_RSS_MB} MB — ${met ? "met" : "NOT met"} (${fmt(peak)} MB)`);
    }
    for (const e of r.errors) lines.push(`  ERROR: ${e}`);
    errors += r.errors.length;
  }
  lines.push("");
  lines.push(
    `machine load average (1 min): ${fmt(LOAD_AT_START, 2)} at start, ${fmt(loadEnd, 2)} at end` +
      (Math.max(LOAD_AT_START, loadEnd) > os.cpus().length / 2 ? " — other processes were using the CPUs; figures are noisy" : ""),
  );
  for (const g of goalLines) lines.push(`goal: ${g}`);
  console.log(lines.join("\n"));

  const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
  const json = {
    bench: "broadcast",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAvgAtStart: round(LOAD_AT_START, 2),
    limitPerSecond: LIMIT_PER_SECOND,
    ...(WINDOW || TICK_MS || NODE_ARGS.length ? { experiment: { window: WINDOW, tickMs: TICK_MS, nodeArgs: NODE_ARGS.length ? NODE_ARGS.join(" ") : undefined } } : {}),
    runs: results.map((r) => ({
      name: r.spec.name,
      subscribers: r.spec.subscribers,
      full: r.spec.full,
      paid: r.spec.paid === true,
      runLimitPerSecond: limitOf(r.spec),
      accepted: r.accepted,
      seconds: round(r.sendSeconds, 1),
      perSecond: round(r.perSecond, 2),
      fraction: round(r.fraction, 3),
      steadyPerSecond: round(r.steadyPerSecond, 2),
      rateLimited: r.rateLimited,
      missing: r.missing,
      duplicates: r.duplicates,
      materializeSeconds: r.materializeSeconds === null ? null : round(r.materializeSeconds, 1),
      firstMessageSeconds: r.firstMessageSeconds === null ? null : round(r.firstMessageSeconds, 1),
      rssBaselineMb: round(r.memory.baselineMb, 0),
      rssPeakMaterializingMb: round(r.memory.peakMaterializingMb, 0),
      rssPeakSendingMb: round(r.memory.peakSendingMb, 0),
      vmHwmMb: round(r.memory.hwmMb, 0),
      heapUsedEndMb: round(mb(r.heap.after.heapUsed), 0),
      heapTotalPeakMb: round(mb(r.heapPeak.heapTotal), 0),
      cpuCores: round(r.cpuCores, 3),
      elu: round(r.elu, 3),
      ticksPerSecond: round(r.ticks.perSecond, 2),
      goalMet: r.spec.goals.every((g) => (g === "rate" ? r.fraction >= GOAL_FRACTION : Math.max(r.memory.hwmMb, r.memory.peakCampaignMb) <= GOAL_RSS_MB)),
      errors: r.errors.length,
    })),
    errors,
  };
  console.log(`JSON ${JSON.stringify(json)}`);
  return errors ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------

const cleanupSync = cleanUpOnExit(children, tmpRoot, KEEP);

async function main(): Promise<number> {
  const results: RunResult[] = [];
  for (const spec of RUNS) results.push(await runOne(spec));
  return report(results);
}

runBench(main, cleanupSync);
