/**
 * Console benchmark (issue 14): 1,000,000 tips over the 3,321 communes and two years, then the
 * compiled service (`node dist/src/main.js`) answering the console's pages, measured from here.
 *
 *   npm run bench:console                         SQLite (data/tmp/bench-console-<tips>.db, kept between runs)
 *   bash scripts/pg.sh npm run bench:console -- --pg      PostgreSQL (database taimat_bench_console, kept)
 *   bash scripts/pg.sh npm run bench:console -- --both    both, one after the other
 *   other options: --tips=1000000 --samples=40 --reseed (seed again even when the cached data matches)
 *   --rebuild-rollups (build the statistics rollups from scratch even when they are up to date)
 *   --pg-db=taimat_bench_console (the PostgreSQL database, e.g. one per worktree)
 *   --only=queue (only /healthz and the three queue pages: no statistics, list or export)
 *   --help (prints these lines and exits; an unknown option is refused before anything runs)
 *
 * Measured, sequentially (one request at a time, after 5 warm-up requests each), p50 and p95 of:
 * the live queue (`/console/queue`) for a commune officer, a province commander and a national
 * admin; the statistics page (`/console/stats`, national and province: from the rollups, checked by
 * the page's `data-source="rollup"`); drill-downs into the list (`/console/tips?month=…&category=…`) nationally and for
 * a province, plus the unfiltered national list; and a full national CSV export (rows/s and the
 * service's peak RSS, sampled from /proc every 50 ms while it streams). `/healthz` is measured the
 * same way as the baseline of the same run (the machine is shared: read ratios, not absolutes).
 * Goals: p95 < 300 ms per page, export RSS < 300 MB. Exits non-zero only on errors (a non-2xx
 * answer other than the stats page's 404, a short export), never because a goal was missed.
 *
 * Seeding writes multi-row INSERTs in large transactions with the Tip table's secondary indexes
 * dropped and rebuilt afterwards (their definitions read from the database, so they stay the
 * migrations' own). Tips: communes weighted log-normally (busy towns, quiet villages), 4 % in the
 * province duty queue (place unknown), times of day weighted towards the afternoon, statuses by age
 * (old tips mostly closed, some late), legal deadlines computed as the service does, 3 % of open
 * claimed tips awaiting the tipster's answer, month/hour/weekday of receipt in Vietnam time.
 * The seed writes tips without events, so before the service starts the statistics rollups are
 * brought up to date as the service would have them: a full build after seeding (or when never
 * built), else the service job's own pass; its time is printed.
 * The service runs with the unclaimed-tip reminders pushed out of reach, so the seeded backlog is
 * not escalated (thousands of group messages) while pages are measured.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { computeDeadlines } from "../src/core/deadlines/tipDeadlines.ts";
import { CATEGORIES } from "../src/core/tips/categories.ts";
import { OUTCOMES } from "../src/core/tips/commands/close.ts";
import { CLASSIFICATIONS } from "../src/core/tips/commands/classify.ts";
import { codeHashOf } from "../src/core/officers/oneTimeCodes.ts";
import { vnReceipt } from "../src/core/vnTime.ts";
import { openDb } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import { markAllStatsDirty, refreshStatsRollups } from "../src/core/console/statsRollup.ts";
import { intOption, logTail, option, serverNodeFlags, stopChild, waitForHealth } from "./lib.ts";
import { mulberry32 } from "../test/helpers/random.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SERVICE = path.join(ROOT, "dist", "src", "main.js");
const TIPS = intOption("tips") ?? 1_000_000;
const SAMPLES = intOption("samples") ?? 40;
const WARMUP = 5;
const RESEED = option("reseed") !== undefined;
const REBUILD_ROLLUPS = option("rebuild-rollups") !== undefined;
/** `--only=queue`: the baseline and the live queue pages only (a cheap check of a queue change). */
const ONLY_QUEUE = option("only") === "queue";
const SEED_VERSION = 1;
const DAY = 86_400_000;
const GOAL_MS = 300;
const GOAL_RSS_MB = 300;

const say = (msg: string) => process.stderr.write(`[bench:console ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const fmt = (n: number) => n.toLocaleString("en-US");

/** Picks from weights (cumulative table + binary search). */
function picker<T>(items: T[], weights: number[], rnd: () => number): () => T {
  const cum: number[] = [];
  let sum = 0;
  for (const w of weights) cum.push((sum += w));
  return () => {
    const x = rnd() * sum;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]!;
  };
}

const COLUMNS = [
  "id", "code", "pinHash", "category", "lifeSafety", "priority", "status", "claimedById", "claimedAt", "classification", "outcome", "closedAt",
  "receiptNoticeDueAt", "receiptNoticeSentAt", "decisionDueAt", "extension", "channel", "queueId", "provinceCode", "communeCode", "placeSource",
  "occurredWhen", "description", "identityMode", "replyRefSealed", "locale", "receivedAt", "receivedMonth", "receivedHour", "receivedWeekday",
  "awaitingAnswerSince", "updatedAt",
] as const;
type Cell = string | number | boolean | null;

interface Unit {
  communes: Array<{ code: string; provinceCode: string }>;
}

/** The bench's people: a commune officer, a province commander, a national admin, and officers who claim tips. */
const PEOPLE = [
  { id: "bench-commune-officer", role: "officer", scopeKind: "commune", telegramUserId: "990000001" },
  { id: "bench-province-commander", role: "commander", scopeKind: "province", scopeCode: "01", telegramUserId: "990000002" },
  { id: "bench-national-admin", role: "admin", scopeKind: "national", scopeCode: "VN", telegramUserId: "990000003" },
] as const;
const CLAIMERS = 200;

/** Generates the tips' rows, a batch at a time (deterministic). */
function* tipRows(units: Unit, total: number, now: number, batch: number): Generator<Cell[][]> {
  const rnd = mulberry32(20261204);
  const communeWeights = units.communes.map(() => Math.exp(2 * Math.sqrt(-2 * Math.log(rnd() || 1e-9)) * Math.cos(2 * Math.PI * rnd()) * 0.6));
  const commune = picker(units.communes, communeWeights, rnd);
  const category = picker([...CATEGORIES], [8, 4, 20, 18, 5, 10, 6, 4, 15, 10], rnd);
  const channel = picker(["telegram", "zalo", "web"], [60, 30, 10], rnd);
  const hourWeights = Array.from({ length: 24 }, (_, h) => (h >= 7 && h <= 22 ? 3 + Math.sin(((h - 7) / 15) * Math.PI) * 3 : 1));
  const hour = picker(Array.from({ length: 24 }, (_, h) => h), hourWeights, rnd);
  const span = 730 * DAY;
  let rows: Cell[][] = [];
  for (let i = 0; i < total; i++) {
    const c = commune();
    const dayStart = now - Math.floor(rnd() * 730) * DAY;
    // A Vietnam hour of the day (UTC+7), minute and second at random, never in the future.
    let receivedAt = Math.floor(dayStart / DAY) * DAY + ((hour() - 7 + 24) % 24) * 3_600_000 + Math.floor(rnd() * 3_600_000);
    if (receivedAt > now) receivedAt -= DAY;
    if (receivedAt < now - span) receivedAt += DAY;
    const age = now - receivedAt;
    const atProvince = rnd() < 0.04;
    const r = rnd();
    const status = age > 60 * DAY ? (r < 0.98 ? "closed" : "claimed") : age > 20 * DAY ? (r < 0.8 ? "closed" : r < 0.95 ? "claimed" : "new") : r < 0.4 ? "closed" : r < 0.8 ? "claimed" : "new";
    const extension = rnd() < 0.03 ? "two_months" : "none";
    const received = new Date(receivedAt);
    const d = computeDeadlines({ receivedAt: received, extension });
    const claimedAt = status === "new" ? null : Math.min(now, receivedAt + Math.floor(-Math.log(rnd() || 1e-9) * 0.7 * DAY));
    const closedAt = status === "closed" ? Math.min(now, claimedAt! + Math.floor(rnd() * 24 * DAY)) : null;
    const awaiting = status === "claimed" && rnd() < 0.03 ? Math.min(now, claimedAt! + 3_600_000) : null;
    const v = vnReceipt(received);
    rows.push([
      `bt${i.toString(36).padStart(8, "0")}`,
      `TM-B${i.toString(36).toUpperCase().padStart(5, "0")}`,
      "bench",
      category(),
      rnd() < 0.03,
      rnd() < 0.1 ? "high" : "normal",
      status,
      claimedAt === null ? null : `bench-claimer-${Math.floor(rnd() * CLAIMERS)}`,
      claimedAt,
      status === "closed" ? CLASSIFICATIONS[Math.floor(rnd() * CLASSIFICATIONS.length)]! : null,
      status === "closed" ? OUTCOMES[Math.floor(rnd() * OUTCOMES.length)]! : null,
      closedAt,
      d.receiptNoticeDue.getTime(),
      claimedAt,
      d.decisionDue.getTime(),
      extension,
      channel(),
      atProvince ? `province:${c.provinceCode}` : `commune:${c.code}`,
      c.provinceCode,
      atProvince ? null : c.code,
      atProvince ? "unknown" : "location",
      "today",
      "bench tip",
      "anonymous",
      "bench",
      "vi",
      receivedAt,
      v.month,
      v.hour,
      v.weekday,
      awaiting,
      closedAt ?? claimedAt ?? receivedAt,
    ]);
    if (rows.length === batch) {
      yield rows;
      rows = [];
    }
  }
  if (rows.length) yield rows;
}

const DATE_COLUMNS = new Set(["claimedAt", "closedAt", "receiptNoticeDueAt", "receiptNoticeSentAt", "decisionDueAt", "receivedAt", "awaitingAnswerSince", "updatedAt"]);
const quoted = COLUMNS.map((c) => `"${c}"`).join(", ");

/** How each provider stores a cell: SQLite (Prisma's adapter) dates as ISO text with +00:00 and booleans as 0/1; PostgreSQL UTC timestamps. */
function cellFor(provider: "sqlite" | "postgresql", column: string, v: Cell): Cell {
  if (v === null) return null;
  if (DATE_COLUMNS.has(column)) {
    const iso = new Date(v as number).toISOString();
    return provider === "sqlite" ? iso.replace("Z", "+00:00") : iso;
  }
  if (typeof v === "boolean") return provider === "sqlite" ? (v ? 1 : 0) : v;
  return v;
}

interface Target {
  provider: "sqlite" | "postgresql";
  url: string;
}

/** Migrated, with reference data, the bench's people and sessions; tips seeded unless the cached ones match. Returns the session secrets. */
async function prepare(target: Target): Promise<{ secrets: Record<string, string>; commune: string; month: string; busyCategory: string; rollups: RollupPass }> {
  await migrate(target.url);
  const db = await openDb(target.url);
  try {
    await loadReferenceData(db);
    await ensureQueues(db);
    const communes = await db.commune.findMany({ select: { code: true, provinceCode: true }, orderBy: { code: "asc" } });
    const existing = await db.tip.count();
    const marker = await db.referenceDataset.findUnique({ where: { name: "bench:console" } });
    const wanted = `v${SEED_VERSION}:${TIPS}`;
    // People first (tips reference the claimers).
    for (let i = 0; i < CLAIMERS; i++) {
      await db.officer.upsert({ where: { id: `bench-claimer-${i}` }, create: { id: `bench-claimer-${i}`, telegramUserId: String(980000000 + i), displayName: `Cán bộ ${i}`, role: "officer", scopeKind: "commune", scopeCode: communes[i]!.code }, update: {} });
    }
    const seeded = RESEED || existing !== TIPS || marker?.checksum !== wanted;
    if (seeded) {
      say(`${target.provider}: seeding ${fmt(TIPS)} tips over ${fmt(communes.length)} communes and two years (found ${fmt(existing)}) …`);
      await db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "tipId" IS NOT NULL`);
      await db.tip.deleteMany();
      await db.$disconnect();
      const t0 = performance.now();
      await seedTips(target, { communes }, Date.now());
      say(`${target.provider}: seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      const again = await openDb(target.url);
      await again.referenceDataset.upsert({ where: { name: "bench:console" }, create: { name: "bench:console", checksum: wanted }, update: { checksum: wanted } });
      await again.$disconnect();
    } else {
      say(`${target.provider}: reusing the ${fmt(existing)} seeded tips`);
      await db.$disconnect();
    }
    const rollups = await rollupsUpToDate(target, seeded);
    const db2 = await openDb(target.url);
    const commune = await (async () => {
      const rows = await db2.tip.groupBy({ by: ["queueId"], where: { queueId: { startsWith: "commune:" } }, _count: { _all: true }, orderBy: { _count: { queueId: "desc" } }, take: 1 });
      return rows[0]!.queueId.slice("commune:".length);
    })();
    const secrets: Record<string, string> = {};
    for (const p of PEOPLE) {
      const scopeCode = p.scopeKind === "commune" ? commune : p.scopeCode;
      await db2.officer.upsert({ where: { id: p.id }, create: { id: p.id, telegramUserId: p.telegramUserId, displayName: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode }, update: { scopeCode, revokedAt: null } });
      const secret = crypto.randomBytes(32).toString("hex");
      await db2.oneTimeCode.create({ data: { codeHash: codeHashOf(secret), purpose: "console_session", createdBy: `officer:${p.id}`, expiresAt: new Date(Date.now() + 7 * DAY) } });
      secrets[p.id] = secret;
    }
    await db2.$disconnect();
    const m = new Date(Date.now() - 200 * DAY);
    const month = `${m.getUTCFullYear()}-${String(m.getUTCMonth() + 1).padStart(2, "0")}`;
    return { secrets, commune, month, busyCategory: "theft", rollups };
  } finally {
    await db.$disconnect().catch(() => {});
  }
}

/** What bringing the statistics rollups up to date took before the service started. */
interface RollupPass {
  full: boolean;
  chunks: number;
  seconds: number;
  /** Per chunk, milliseconds: wall p50 / p95, CPU p50 / p95. */
  wall: [number, number];
  cpu: [number, number];
  units: number;
  cells: number;
}

/**
 * The statistics rollups as the running service has them: the seed wrote tips without events, so
 * after seeding (or when never built, or --rebuild-rollups) every month × province is marked and
 * built; otherwise the service job's own pass (chunks marked or due by time passing). Timed.
 */
async function rollupsUpToDate(target: Target, seeded: boolean): Promise<RollupPass> {
  const db = await openDb(target.url);
  try {
    const state = await db.statsRollupState.findUnique({ where: { id: 1 } });
    const full = seeded || REBUILD_ROLLUPS || !state?.readyAt;
    const now = new Date();
    say(`${target.provider}: statistics rollups: ${full ? "full build" : "the job's pass"} …`);
    const t0 = performance.now();
    if (full) await markAllStatsDirty(db, now);
    const report = await refreshStatsRollups(db, now);
    const seconds = (performance.now() - t0) / 1000;
    const wall = [...report.durations].sort((a, b) => a - b);
    const cpu = [...report.cpu].sort((a, b) => a - b);
    const q = (xs: number[], p: number): number => (xs.length ? pct(xs, p) : 0);
    const [units, cells] = await Promise.all([db.statsUnit.count(), db.statsCell.count()]);
    say(`${target.provider}: statistics rollups: ${report.chunks} chunks in ${seconds.toFixed(1)} s`);
    return { full, chunks: report.chunks, seconds, wall: [q(wall, 50), q(wall, 95)], cpu: [q(cpu, 50), q(cpu, 95)], units, cells };
  } finally {
    await db.$disconnect();
  }
}

/** Bulk insert: secondary indexes dropped, multi-row INSERTs in big transactions, indexes rebuilt. */
async function seedTips(target: Target, units: Unit, now: number): Promise<void> {
  const perStatement = target.provider === "sqlite" ? 500 : 1000; // × 32 columns: under each provider's bound-parameter limit
  const perTransaction = 50_000;
  let done = 0;
  const progress = () => {
    if (done % 100_000 === 0) say(`  ${fmt(done)} tips`);
  };
  if (target.provider === "sqlite") {
    const file = target.url.replace(/^file:/, "");
    const raw = new Database(file);
    raw.pragma("journal_mode = WAL");
    raw.pragma("synchronous = OFF");
    const indexes = raw.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Tip' AND sql IS NOT NULL`).all() as Array<{ name: string; sql: string }>;
    for (const ix of indexes) raw.exec(`DROP INDEX "${ix.name}"`);
    const row = `(${COLUMNS.map(() => "?").join(", ")})`;
    const full = raw.prepare(`INSERT INTO "Tip" (${quoted}) VALUES ${Array(perStatement).fill(row).join(", ")}`);
    let inTx = 0;
    raw.exec("BEGIN");
    for (const rows of tipRows(units, TIPS, now, perStatement)) {
      const values = rows.flatMap((r) => r.map((v, j) => cellFor("sqlite", COLUMNS[j]!, v)));
      if (rows.length === perStatement) full.run(values);
      else raw.prepare(`INSERT INTO "Tip" (${quoted}) VALUES ${Array(rows.length).fill(row).join(", ")}`).run(values);
      done += rows.length;
      inTx += rows.length;
      progress();
      if (inTx >= perTransaction) {
        raw.exec("COMMIT");
        raw.exec("BEGIN");
        inTx = 0;
      }
    }
    raw.exec("COMMIT");
    say(`  rebuilding ${indexes.length} indexes`);
    for (const ix of indexes) raw.exec(ix.sql);
    raw.exec("ANALYZE");
    raw.close();
    return;
  }
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  try {
    const indexes = (await client.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'Tip' AND indexname <> 'Tip_pkey'`)).rows as Array<{ indexname: string; indexdef: string }>;
    for (const ix of indexes) await client.query(`DROP INDEX "${ix.indexname}"`);
    let inTx = 0;
    await client.query("BEGIN");
    for (const rows of tipRows(units, TIPS, now, perStatement)) {
      const values: Cell[] = [];
      const tuples = rows.map((r) => `(${r.map((v, j) => (values.push(cellFor("postgresql", COLUMNS[j]!, v)), `$${values.length}`)).join(", ")})`);
      await client.query(`INSERT INTO "Tip" (${quoted}) VALUES ${tuples.join(", ")}`, values);
      done += rows.length;
      inTx += rows.length;
      progress();
      if (inTx >= perTransaction) {
        await client.query("COMMIT");
        await client.query("BEGIN");
        inTx = 0;
      }
    }
    await client.query("COMMIT");
    say(`  rebuilding ${indexes.length} indexes`);
    for (const ix of indexes) await client.query(ix.indexdef);
    await client.query(`VACUUM ANALYZE "Tip"`); // a long-lived table has its visibility map (index-only counts)
  } finally {
    await client.end();
  }
}

interface Timing {
  label: string;
  status: number;
  p50: number;
  p95: number;
  note?: string;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function timeGet(base: string, url: string, cookie: string | undefined, label: string): Promise<Timing> {
  const one = async () => {
    const t0 = performance.now();
    const res = await fetch(`${base}${url}`, { headers: cookie ? { cookie } : {}, redirect: "manual" });
    await res.arrayBuffer();
    return { ms: performance.now() - t0, status: res.status };
  };
  const first = await one();
  if (first.status === 404 && url.startsWith("/console/stats")) return { label, status: 404, p50: NaN, p95: NaN, note: "not available yet" };
  if (first.status !== 200) throw new Error(`${label}: ${url} answered ${first.status}`);
  for (let i = 1; i < WARMUP; i++) await one();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const r = await one();
    if (r.status !== 200) throw new Error(`${label}: ${url} answered ${r.status}`);
    times.push(r.ms);
  }
  times.sort((a, b) => a - b);
  return { label, status: 200, p50: pct(times, 50), p95: pct(times, 95) };
}

/** CPU time (user + system, ms) the process has used so far, from /proc (clock ticks of 10 ms). */
const cpuMsOf = (pid: number): number => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/** Service CPU per statistics request (ms), by label: unlike wall times, barely moved by other work on the machine. */
const statsCpu = new Map<string, number>();

/**
 * The statistics page for a province or the country, served from the rollups (the page says so):
 * timed like any page, and the service's CPU time per request measured over the same requests.
 */
async function timeStats(base: string, url: string, cookie: string, label: string, pid: number): Promise<Timing> {
  const html = await (await fetch(`${base}${url}`, { headers: { cookie } })).text();
  if (!html.includes(`data-source="rollup"`)) throw new Error(`${label}: ${url} was not served from the rollups`);
  const cpu0 = cpuMsOf(pid);
  const t = await timeGet(base, url, cookie, label);
  statsCpu.set(label, (cpuMsOf(pid) - cpu0) / (WARMUP + SAMPLES));
  return t;
}

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
};

async function exportAll(base: string, cookie: string, pid: number): Promise<{ rows: number; seconds: number; peakMb: number; beforeMb: number; mb: number }> {
  const beforeMb = rssMb(pid);
  let peakMb = beforeMb;
  const timer = setInterval(() => {
    try {
      peakMb = Math.max(peakMb, rssMb(pid));
    } catch {
      // the process ended
    }
  }, 50);
  const t0 = performance.now();
  const res = await fetch(`${base}/console/tips.csv`, { headers: { cookie } });
  if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}`);
  let newlines = 0;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) newlines++;
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peakMb = Math.max(peakMb, rssMb(pid));
  return { rows: newlines - 1, seconds, peakMb, beforeMb, mb: bytes / 1048576 };
}

async function run(target: Target): Promise<{ timings: Timing[]; exp?: Awaited<ReturnType<typeof exportAll>>; rollups: RollupPass }> {
  const prep = await prepare(target);
  const port = 39000 + Math.floor(Math.random() * 1000);
  const logFile = path.join(ROOT, "data", "tmp", `bench-console-${target.provider}.log`);
  const log = fs.openSync(logFile, "w");
  const child: ChildProcess = spawn(process.execPath, [...serverNodeFlags(), SERVICE], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: target.url,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      ENCRYPTION_KEYS: crypto.randomBytes(32).toString("hex"),
      // The seeded backlog of unclaimed tips would otherwise be escalated (one reminder each) while pages are measured.
      REMINDER_UNCLAIMED_MINUTES: "100000000",
      REMINDER_UNCLAIMED_LIFE_SAFETY_MINUTES: "100000000",
    },
    stdio: ["ignore", log, log],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(base, target.provider, 180_000);
    const cookie = (id: string) => `tm_console=${prep.secrets[id]}`;
    const timings: Timing[] = [];
    timings.push(await timeGet(base, "/healthz", undefined, "baseline: /healthz"));
    timings.push(await timeGet(base, "/console/queue", cookie("bench-commune-officer"), `queue · commune officer (${prep.commune})`));
    timings.push(await timeGet(base, "/console/queue", cookie("bench-province-commander"), "queue · province commander (01)"));
    timings.push(await timeGet(base, "/console/queue", cookie("bench-national-admin"), "queue · national admin"));
    if (ONLY_QUEUE) return { timings, rollups: prep.rollups };
    const pid = child.pid!;
    timings.push(await timeStats(base, "/console/stats", cookie("bench-national-admin"), "statistics · national admin", pid));
    timings.push(await timeStats(base, "/console/stats", cookie("bench-province-commander"), "statistics · province commander (01)", pid));
    timings.push(await timeStats(base, `/console/stats?category=${prep.busyCategory}`, cookie("bench-national-admin"), `statistics · national, category=${prep.busyCategory}`, pid));
    timings.push(await timeStats(base, "/console/stats?channel=zalo", cookie("bench-province-commander"), "statistics · province 01, channel=zalo", pid));
    const drill = `/console/tips?month=${prep.month}&category=${prep.busyCategory}`;
    timings.push(await timeGet(base, drill, cookie("bench-national-admin"), `drill-down · national (${prep.month}, ${prep.busyCategory})`));
    timings.push(await timeGet(base, drill, cookie("bench-province-commander"), "drill-down · province 01"));
    timings.push(await timeGet(base, "/console/tips", cookie("bench-national-admin"), "list · national, no filter"));
    timings.push(await timeGet(base, "/console/tips?status=overdue", cookie("bench-province-commander"), "list · province 01, overdue"));
    timings.push(await timeGet(base, "/console/tips", cookie("bench-commune-officer"), "list · commune officer"));
    say(`${target.provider}: exporting every tip as CSV …`);
    const exp = await exportAll(base, cookie("bench-national-admin"), child.pid!);
    if (exp.rows !== TIPS) throw new Error(`the export held ${fmt(exp.rows)} rows, not ${fmt(TIPS)}`);
    return { timings, exp, rollups: prep.rollups };
  } catch (err) {
    say(`service log tail:\n${logTail(logFile)}`);
    throw err;
  } finally {
    await stopChild(child, 10_000);
    fs.closeSync(log);
  }
}

function print(provider: string, r: Awaited<ReturnType<typeof run>>): void {
  const base = r.timings[0]!;
  const lines = [`\n## ${provider}: ${fmt(TIPS)} tips, ${SAMPLES} sequential requests each (after ${WARMUP} warm-up)`, "", "| page | p50 ms | p95 ms | p95 ÷ baseline | goal p95 < 300 ms |", "|---|---:|---:|---:|---|"];
  for (const t of r.timings) {
    if (t.note) {
      lines.push(`| ${t.label} | — | — | — | ${t.note} |`);
      continue;
    }
    const goal = t === base ? "" : t.p95 < GOAL_MS ? "met" : "MISSED";
    lines.push(`| ${t.label} | ${t.p50.toFixed(1)} | ${t.p95.toFixed(1)} | ${t === base ? "1" : (t.p95 / base.p95).toFixed(1)} | ${goal} |`);
  }
  const e = r.exp;
  const ro = r.rollups;
  if (e) lines.push(
    "",
    `Statistics rollups before the service started: ${ro.full ? "full build" : "the job's pass"}, ${fmt(ro.chunks)} chunks in ${ro.seconds.toFixed(1)} s ` +
      `(per chunk wall p50 ${ro.wall[0].toFixed(0)} / p95 ${ro.wall[1].toFixed(0)} ms, CPU here p50 ${ro.cpu[0].toFixed(0)} / p95 ${ro.cpu[1].toFixed(0)} ms); ` +
      `StatsUnit ${fmt(ro.units)} rows, StatsCell ${fmt(ro.cells)} rows`,
    `Service CPU per statistics request (user + system, over the ${WARMUP + SAMPLES} requests): ${[...statsCpu].map(([label, ms]) => `${label.replace("statistics · ", "")} ${ms.toFixed(1)} ms`).join("; ")}`,
    "",
    `CSV export (national, every tip): ${fmt(e.rows)} rows, ${e.mb.toFixed(0)} MB in ${e.seconds.toFixed(1)} s = ${fmt(Math.round(e.rows / e.seconds))} rows/s; service RSS ${e.beforeMb.toFixed(0)} MB before, peak ${e.peakMb.toFixed(0)} MB during (goal < ${GOAL_RSS_MB} MB: ${e.peakMb < GOAL_RSS_MB ? "met" : "MISSED"})`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** The options this bench takes (anything else is refused, so a typo never starts an hour-long run). */
const KNOWN_OPTIONS = ["tips", "samples", "reseed", "rebuild-rollups", "pg", "both", "pg-db", "only", "help"];

async function main(): Promise<void> {
  if (option("help") !== undefined) {
    const usage = fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").filter((l) => /^ \*   /.test(l)).map((l) => l.slice(3));
    process.stdout.write(`bench/console.ts — the console's pages at ${fmt(TIPS)} tips\n${usage.join("\n")}\n`);
    return;
  }
  const unknown = process.argv.slice(2).filter((a) => a.startsWith("--") && !KNOWN_OPTIONS.includes(a.slice(2).split("=")[0]!));
  if (unknown.length) throw new Error(`unknown option ${unknown.join(", ")} (known: ${KNOWN_OPTIONS.map((o) => `--${o}`).join(" ")})`);
  const only = option("only");
  if (only !== undefined && only !== "queue") throw new Error("--only takes queue");
  if (!fs.existsSync(SERVICE)) throw new Error(`${SERVICE} is missing: run npm run build first (npm run bench:console does)`);
  fs.mkdirSync(path.join(ROOT, "data", "tmp"), { recursive: true });
  const both = option("both") !== undefined;
  const wantPg = both || option("pg") !== undefined;
  const targets: Target[] = [];
  if (!wantPg || both) targets.push({ provider: "sqlite", url: `file:${path.join(ROOT, "data", "tmp", `bench-console-${TIPS}.db`)}` });
  if (wantPg) {
    const baseUrl = process.env.TEST_DATABASE_URL;
    if (!baseUrl) throw new Error("--pg needs TEST_DATABASE_URL (run through: bash scripts/pg.sh npm run bench:console -- --pg)");
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    const name = option("pg-db") ?? "taimat_bench_console";
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error("--pg-db: a lower-case PostgreSQL name");
    const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name])).rowCount;
    if (!exists) await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const u = new URL(baseUrl);
    u.pathname = `/${name}`;
    targets.push({ provider: "postgresql", url: u.toString() });
  }
  process.stdout.write(`# bench:console — ${new Date().toISOString()} — machine shared with other work: compare ratios to the baseline, not absolutes\n`);
  for (const target of targets) print(target.provider, await run(target));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
