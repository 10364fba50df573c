/**
 * Times the statistics (what GET /console/stats computes) on a seeded database: N tips (default
 * 1,000,000) over the 3,321 communes and two years. For a national admin, a province commander
 * (Hà Nội) and a commune officer, with the default 12 months and with filters, it times the live
 * GROUP BY queries (`consoleStats`, the baseline) and the rollups (`rollupStats`, what the page
 * reads for a province or the country) in the same run (p50 / p95 / max), and checks that both
 * give the same figures. It also times the rollups' refresh: the first build over the whole table
 * (or the pass catching up since the last run), and a pass after a change in every province's
 * current month (the busiest minute), with each chunk transaction's duration (SQLite has one
 * connection: every transaction holds it). A baseline (a one-row primary-key read) is timed too:
 * the machine may be shared.
 *
 *   npx tsx bench/statsQueries.ts [--tips=1000000] [--runs=15] [--live-runs=RUNS] [--rebuild] [--db=file:/tmp/stats-bench.db | postgresql://…]
 * (`--rebuild`: build every rollup chunk again, as after the migration.)
 * An existing database with enough tips is reused (seeding 1M takes minutes).
 */
import pg from "pg";
import { openDb, sqliteConnection, type Db, type Prisma } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import { consoleStats, defaultPeriod, type Stats, type StatsFilter } from "../src/core/console/stats.ts";
import { markAllStatsDirty, refreshStatsRollups, rollupStats, type RefreshReport } from "../src/core/console/statsRollup.ts";
import { CATEGORIES } from "../src/core/tips/categories.ts";
import { vnReceipt } from "../src/core/vnTime.ts";
import { mulberry32 } from "../test/helpers/random.ts";
import { intOption, option } from "./lib.ts";

const TIPS = intOption("tips") ?? 1_000_000;
const RUNS = intOption("runs") ?? 15;
const LIVE_RUNS = intOption("live-runs") ?? RUNS;
const URL_ = option("db") ?? "file:/tmp/stats-bench.db";
const DAY = 86_400_000;

async function seed(db: Db, count: number, now: Date): Promise<void> {
  const communes = await db.commune.findMany({ select: { code: true, provinceCode: true } });
  const rnd = mulberry32(1);
  const batch = 2_000;
  const t0 = Date.now();
  for (let done = 0; done < count; done += batch) {
    const rows: Prisma.TipCreateManyInput[] = [];
    for (let i = done; i < Math.min(count, done + batch); i++) {
      const c = communes[Math.floor(rnd() * communes.length)]!;
      const receivedAt = new Date(now.getTime() - Math.floor(rnd() * 730 * DAY));
      const vn = vnReceipt(receivedAt);
      const claimedAt = rnd() < 0.9 ? new Date(receivedAt.getTime() + Math.floor(rnd() * 5 * 3600_000)) : null;
      const closedAt = claimedAt && rnd() < 0.85 ? new Date(claimedAt.getTime() + Math.floor(rnd() * 30 * DAY)) : null;
      rows.push({
        code: `B${i.toString(36).padStart(8, "0")}`,
        pinHash: "x",
        category: CATEGORIES[i % CATEGORIES.length]!,
        status: closedAt && closedAt < now ? "closed" : claimedAt ? "claimed" : "new",
        claimedAt,
        closedAt: closedAt && closedAt < now ? closedAt : null,
        receiptNoticeDueAt: new Date(receivedAt.getTime() + 4 * DAY),
        receiptNoticeSentAt: claimedAt,
        decisionDueAt: new Date(receivedAt.getTime() + 20 * DAY),
        channel: ["telegram", "zalo", "web"][i % 3]!,
        queueId: `commune:${c.code}`,
        provinceCode: c.provinceCode,
        communeCode: c.code,
        placeSource: "location",
        occurredWhen: "today",
        description: "bench",
        identityMode: "anonymous",
        replyRefSealed: "x",
        locale: "vi",
        receivedAt,
        receivedMonth: vn.month,
        receivedHour: vn.hour,
        receivedWeekday: vn.weekday,
      });
    }
    await insertRows(db, rows);
    if ((done / batch) % 50 === 0) console.log(`  seeded ${done + rows.length} (${Math.round((Date.now() - t0) / 1000)} s)`);
  }
}

const COLUMNS = ["id", "code", "pinHash", "category", "status", "claimedAt", "closedAt", "receiptNoticeDueAt", "receiptNoticeSentAt", "decisionDueAt", "channel", "queueId", "provinceCode", "communeCode", "placeSource", "occurredWhen", "description", "identityMode", "replyRefSealed", "locale", "receivedAt", "receivedMonth", "receivedHour", "receivedWeekday", "updatedAt"] as const;

/** Bulk insert without Prisma's per-row overhead: one prepared statement in a transaction (SQLite) or unnest arrays (PostgreSQL). */
async function insertRows(db: Db, rows: Prisma.TipCreateManyInput[]): Promise<void> {
  const now = new Date();
  const values = rows.map((r) => COLUMNS.map((c) => (c === "id" ? `b${r.code}` : c === "updatedAt" ? now : ((r as Record<string, unknown>)[c] ?? null))));
  const conn = sqliteConnection(db);
  if (conn) {
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString().replace("Z", "+00:00") : v);
    await conn.run((raw) => {
      const stmt = conn.statement(`INSERT INTO "Tip" (${COLUMNS.map((c) => `"${c}"`).join(",")}) VALUES (${COLUMNS.map(() => "?").join(",")})`);
      raw.transaction(() => {
        for (const v of values) stmt.run(...v.map(iso));
      })();
    });
    return;
  }
  pgClient ??= await (async () => {
    const c = new pg.Client({ connectionString: URL_ });
    await c.connect();
    return c;
  })();
  const types: Record<string, string> = { receivedHour: "int[]", receivedWeekday: "int[]", claimedAt: "timestamp[]", closedAt: "timestamp[]", receiptNoticeDueAt: "timestamp[]", receiptNoticeSentAt: "timestamp[]", decisionDueAt: "timestamp[]", receivedAt: "timestamp[]", updatedAt: "timestamp[]" };
  const utc = (v: unknown) => (v instanceof Date ? v.toISOString().replace("T", " ").replace("Z", "") : v);
  await pgClient.query(
    `INSERT INTO "Tip" (${COLUMNS.map((c) => `"${c}"`).join(",")}) SELECT * FROM unnest(${COLUMNS.map((c, i) => `$${i + 1}::${types[c] ?? "text[]"}`).join(",")})`,
    COLUMNS.map((_, i) => values.map((v) => utc(v[i]))),
  );
}
let pgClient: pg.Client | undefined;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.ceil(p * xs.length) - 1]!;
const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)}`;

interface Timing {
  p50: number;
  p95: number;
  max: number;
}
async function time(runs: number, fn: () => Promise<unknown>): Promise<Timing> {
  await fn(); // warm
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return { p50: pct(xs, 0.5), p95: pct(xs, 0.95), max: Math.max(...xs) };
}
const show = (t: Timing) => `p50 ${ms(t.p50).padStart(6)} ms  p95 ${ms(t.p95).padStart(6)} ms  max ${ms(t.max).padStart(6)} ms`;
const passLine = (label: string, r: RefreshReport, total: number) =>
  `${label}: ${r.chunks} chunks in ${(total / 1000).toFixed(1)} s; each chunk's transaction p50 ${ms(pct(r.durations, 0.5))} ms, p95 ${ms(pct(r.durations, 0.95))} ms, max ${ms(Math.max(...r.durations))} ms wall; CPU p50 ${ms(pct(r.cpu, 0.5))} ms, p95 ${ms(pct(r.cpu, 0.95))} ms, max ${ms(Math.max(...r.cpu))} ms`;

const now = new Date();
await migrate(URL_);
const db = await openDb(URL_);
if ((await db.province.count()) === 0) {
  await loadReferenceData(db);
  await ensureQueues(db);
}
const have = await db.tip.count();
let seeded = false;
if (have < TIPS) {
  console.log(`seeding ${TIPS - have} tips into ${URL_.replace(/:[^:@/]*@/, ":…@")}`);
  await seed(db, TIPS - have, now);
  seeded = true;
}
console.log(`${await db.tip.count()} tips; ${RUNS} runs each (live: ${LIVE_RUNS}); ${new Date().toISOString()}`);

// The rollups: the first build (the seed wrote tips without events), or the pass catching up.
const state = await db.statsRollupState.findUnique({ where: { id: 1 } });
const rebuild = seeded || !state?.readyAt || option("rebuild") !== undefined;
if (rebuild) await markAllStatsDirty(db, now);
let t0 = performance.now();
const first = await refreshStatsRollups(db, now);
if (first.chunks) console.log(passLine(rebuild ? "rollups, first build" : "rollups, catching up", first, performance.now() - t0));
// A busy minute: tips changed in every province's current month.
const month = (await db.statsChunk.findFirstOrThrow({ orderBy: { month: "desc" }, select: { month: true } })).month;
const provinces = await db.queue.findMany({ distinct: ["provinceCode"], select: { provinceCode: true } });
await db.statsDirty.createMany({ data: provinces.map((p) => ({ month, queueProvince: p.provinceCode })) });
t0 = performance.now();
const busy = await refreshStatsRollups(db, now);
console.log(passLine(`rollups, a pass after changes in every province's month ${month}`, busy, performance.now() - t0));
const counts = await Promise.all([db.statsUnit.count(), db.statsCell.count()]);
console.log(`rollup rows: StatsUnit ${counts[0]}, StatsCell ${counts[1]}`);

const f = (extra: Partial<StatsFilter> = {}): StatsFilter => ({ ...defaultPeriod(now), cpage: 1, upage: 1, ...extra });
const someTip = await db.tip.findFirstOrThrow({ select: { id: true } });
const base = await time(RUNS, () => db.tip.findUnique({ where: { id: someTip.id } }));
console.log(`${"baseline: one tip by primary key".padEnd(40)} ${show(base)}`);
const national = { scopeKind: "national", scopeCode: "VN" };
const hanoi = { scopeKind: "province", scopeCode: "01" };
const commune = { scopeKind: "commune", scopeCode: "00070" };
const cases: Array<[string, typeof national, StatsFilter]> = [
  ["national, 12 months", national, f()],
  ["national, 12 months, category=drugs", national, f({ category: "drugs" })],
  ["national, 12 months, channel=zalo", national, f({ channel: "zalo" })],
  ["province 01 (Hà Nội), 12 months", hanoi, f()],
  ["province 01 (Hà Nội), 12 months, drugs", hanoi, f({ category: "drugs" })],
  ["commune 00070, 12 months (live only)", commune, f()],
];
/** The figures without when and how they were counted. */
const figures = (s: Stats) => JSON.stringify({ ...s, at: undefined, source: undefined }, (_k, v: unknown) => (v instanceof Map ? [...v].sort((a, b) => String(a[0]).localeCompare(String(b[0]))) : v));
const verdicts: string[] = [];
for (const [label, scope, filter] of cases) {
  const live = await time(LIVE_RUNS, () => consoleStats(db, scope, filter, now));
  console.log(`${label.padEnd(40)} live   ${show(live)}`);
  const rolled = await rollupStats(db, scope, filter);
  if (!rolled) {
    verdicts.push(`${label}: live ${ms(live.p95)} ms ${live.p95 < 300 ? "met" : "NOT met"}`);
    continue;
  }
  const same = figures(rolled) === figures(await consoleStats(db, scope, filter, rolled.at));
  const roll = await time(RUNS, () => rollupStats(db, scope, filter));
  console.log(`${label.padEnd(40)} rollup ${show(roll)}  (${(live.p95 / roll.p95).toFixed(0)}× faster at p95; figures equal to live: ${same ? "yes" : "NO"})`);
  verdicts.push(`${label}: rollup ${ms(roll.p95)} ms ${roll.p95 < 300 ? "met" : "NOT met"}${same ? "" : " (FIGURES DIFFER)"}`);
}
console.log(`baseline p95 ${base.p95.toFixed(2)} ms; load ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")}; goal p95 < 300 ms: ${verdicts.join("; ")}`);
await db.$disconnect();
await pgClient?.end();
