/**
 * Times the statistics' queries (src/core/console/stats.ts, what GET /console/stats runs) on a
 * seeded database: N tips (default 1,000,000) over the 3,321 communes and two years, then
 * `consoleStats` for a national admin, a province commander (Hà Nội) and a commune officer, each
 * with the default 12 months and with a category filter, RUNS times each (p50 / p95 / max).
 * A baseline (a one-row primary-key read) is timed in the same run: the machine may be shared.
 *
 *   npx tsx bench/statsQueries.ts [--tips=1000000] [--runs=15] [--db=file:/tmp/stats-bench.db | postgresql://…]
 * An existing database with enough tips is reused (seeding 1M takes minutes).
 */
import pg from "pg";
import { openDb, sqliteConnection, type Db, type Prisma } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import { consoleStats, defaultPeriod, type StatsFilter } from "../src/core/console/stats.ts";
import { CATEGORIES } from "../src/core/tips/categories.ts";
import { vnReceipt } from "../src/core/vnTime.ts";
import { mulberry32 } from "../test/helpers/random.ts";
import { intOption, option } from "./lib.ts";

const TIPS = intOption("tips") ?? 1_000_000;
const RUNS = intOption("runs") ?? 15;
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

async function time(label: string, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  console.log(`${label.padEnd(44)} p50 ${pct(xs, 0.5).toFixed(1).padStart(7)} ms  p95 ${pct(xs, 0.95).toFixed(1).padStart(7)} ms  max ${Math.max(...xs).toFixed(1).padStart(7)} ms`);
  return pct(xs, 0.95);
}

const now = new Date();
await migrate(URL_);
const db = await openDb(URL_);
if ((await db.province.count()) === 0) {
  await loadReferenceData(db);
  await ensureQueues(db);
}
const have = await db.tip.count();
if (have < TIPS) {
  console.log(`seeding ${TIPS - have} tips into ${URL_.replace(/:[^:@/]*@/, ":…@")}`);
  await seed(db, TIPS - have, now);
}
console.log(`${await db.tip.count()} tips; ${RUNS} runs each; ${new Date().toISOString()}`);
const f = (extra: Partial<StatsFilter> = {}): StatsFilter => ({ ...defaultPeriod(now), cpage: 1, upage: 1, ...extra });
const someTip = await db.tip.findFirstOrThrow({ select: { id: true } });
const base = await time("baseline: one tip by primary key", () => db.tip.findUnique({ where: { id: someTip.id } }));
const national = { scopeKind: "national", scopeCode: "VN" };
const hanoi = { scopeKind: "province", scopeCode: "01" };
const commune = { scopeKind: "commune", scopeCode: "00070" };
const results: Array<[string, number]> = [];
results.push(["national, 12 months", await time("national, 12 months", () => consoleStats(db, national, f(), now))]);
results.push(["national, 12 months, drugs", await time("national, 12 months, category=drugs", () => consoleStats(db, national, f({ category: "drugs" }), now))]);
results.push(["province 01, 12 months", await time("province 01 (Hà Nội), 12 months", () => consoleStats(db, hanoi, f(), now))]);
results.push(["commune 00070, 12 months", await time("commune 00070, 12 months", () => consoleStats(db, commune, f(), now))]);
console.log(`baseline p95 ${base.toFixed(2)} ms; goal p95 < 300 ms: ${results.map(([k, v]) => `${k} ${v < 300 ? "met" : "NOT met"}`).join("; ")}`);
await db.$disconnect();
await pgClient?.end();
