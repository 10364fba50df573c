/**
 * Pre-aggregated statistics (rollups) for a province or the whole country, where counting live
 * would read hundreds of thousands of tips (see README "Statistics and legal clocks").
 *
 * - Storage: `StatsUnit` (per queue × place province × place commune × category × channel × month:
 *   tips and the legal clocks) and `StatsCell` (per province of the queue × place province ×
 *   category × channel × month: tips, the hour × weekday heatmap and the time-to-claim histogram),
 *   with "*" rows for "every category / channel / place province" so a request reads one level
 *   (units and cells: every combination of category or "*" and channel or "*"; cells also of the
 *   place province or "*").
 *   Both are built a chunk at a time: one Vietnam month × one province (of the queue now handling
 *   the tips), with the same SQL conditions as the live figures (`clockCases`, `bucketSql`).
 * - Tip changes: every event about a tip marks its chunk(s) in the same transaction
 *   (`markTipForStats`, called by `recordEvent`); the job rebuilds marked chunks.
 * - Time passing: an open tip becomes at risk, then missed, with no change to the tip. Each chunk
 *   keeps the next instant that happens to one of its tips (`nextChangeAt`) and is rebuilt then.
 * - So after a pass at T every figure equals the live computation at T; the page says "figures as
 *   of T". A pass runs every minute (`App.refreshStatsRollups`); each chunk is one short
 *   transaction, and the pass yields to other work between chunks (SQLite has one connection).
 * - First build: after the migration (or on `markAllStatsDirty`) every month × province is marked;
 *   the page counts live until that first pass has completed.
 */
import { Prisma, sqliteConnection, type Db, type Provider } from "../../db/client.ts";
import { DEFAULT_APPROACHING_WITHIN_MS } from "../deadlines/tipDeadlines.ts";
import type { OfficerRecord } from "../officers/authorize.ts";
import { assembleStats, bucketSql, clockCases, clockSql, consoleStats, n, providerOfDb, RANK_PAGE_SIZE, type Stats, type StatsFilter } from "./stats.ts";

/** "Every value" in a rollup key column (category, channel, place province). */
export const ALL = "*";

const CLOCK_COLUMNS = ["receiptMet", "receiptBreached", "receiptOpen", "receiptAtRisk", "decisionMet", "decisionBreached", "decisionOpen", "decisionAtRisk"] as const;

/** A month × province of the queue: the unit of rebuilding. */
export interface ChunkKey {
  month: string;
  queueProvince: string;
}

/** What one refresh pass did. */
export interface RefreshReport {
  /** The instant the figures are now as of (the pass's `now`). */
  at: Date;
  /** Chunks rebuilt (marked by a tip change, the first build, or due by time passing). */
  chunks: number;
  /** Whether this pass made the rollups usable (the first build completed). */
  becameReady: boolean;
  /** Milliseconds each chunk's rebuild took (wall clock: includes waiting for the connection on a busy machine). */
  durations: number[];
  /** Milliseconds of this process's CPU each chunk's rebuild used (on SQLite the transaction runs in-process: its own cost). */
  cpu: number[];
  /** False when the pass was stopped before the end (the next one continues). */
  complete: boolean;
}


/**
 * Marks for rebuilding every month × province (of the queue) that has tips, and every chunk
 * already built (its tips may have gone). A month × province without tips has no rollup rows: it
 * is marked by the first event about a tip in it. Used for the first build after the migration
 * and after tips were written without events (imports, the bench's seed).
 */
export async function markAllStatsDirty(db: Db, now = new Date()): Promise<number> {
  const keys = new Map<string, ChunkKey>();
  for (const b of await db.statsChunk.findMany({ select: { month: true, queueProvince: true } })) keys.set(`${b.month} ${b.queueProvince}`, b);
  const withTips = await db.$queryRaw<ChunkKey[]>`SELECT DISTINCT t."receivedMonth" AS "month", q."provinceCode" AS "queueProvince" FROM "Tip" t JOIN "Queue" q ON q."id" = t."queueId" WHERE t."receivedMonth" <> ''`;
  for (const k of withTips) keys.set(`${k.month} ${k.queueProvince}`, { month: k.month, queueProvince: k.queueProvince });
  const rows = [...keys.values()];
  await db.$transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += 400) await tx.statsDirty.createMany({ data: rows.slice(i, i + 400) });
    await tx.statsRollupState.upsert({ where: { id: 1 }, create: { id: 1, markedAt: now }, update: { markedAt: now } });
  });
  return rows.length;
}

/**
 * Adds the counts of an encoded "k:n k:n …" (integers) into `into`, scanning the text once: a
 * national page sums ~400 of them (~190,000 pairs), so no substrings or pair arrays are made.
 */
function addEncoded(into: Map<number, number>, s: string | null): void {
  if (!s) return;
  let k = 0;
  let v = 0;
  let sign = 1;
  let inValue = false;
  let kSign = 1;
  for (let i = 0; i <= s.length; i++) {
    const ch = i < s.length ? s.charCodeAt(i) : 32;
    if (ch === 32) {
      if (inValue) into.set(kSign * k, (into.get(kSign * k) ?? 0) + sign * v);
      k = v = 0;
      sign = kSign = 1;
      inValue = false;
    } else if (ch === 58) {
      inValue = true;
      kSign = sign;
      sign = 1;
    } else if (ch === 45) {
      sign = -1;
    } else if (inValue) v = v * 10 + (ch - 48);
    else k = k * 10 + (ch - 48);
  }
}

/** A timestamp parameter: ISO text as Prisma stores it (SQLite), or a timestamp (PostgreSQL). */
const at = (p: Provider, d: Date) => (p === "sqlite" ? Prisma.sql`${d.toISOString().replace("Z", "+00:00")}` : Prisma.sql`${d}::timestamp`);
const text = (v: string) => Prisma.sql`CAST(${v} AS TEXT)`;

/**
 * The statements that rebuild one chunk, all computed in the database (no rows through
 * JavaScript): the units at three levels, the cells at eight (their heatmap and claim histogram
 * joined into "k:n" text), with the live statistics' own conditions (`clockCases`, `bucketSql`).
 */
function chunkStatements(p: Provider, key: ChunkKey, now: Date) {
  const { month, queueProvince } = key;
  const where = Prisma.sql`t."receivedMonth" = ${month} AND t."queueId" IN (SELECT q."id" FROM "Queue" q WHERE q."provinceCode" = ${queueProvince})`;
  // The chunk's tips through their queues' index (SQLite's planner, without statistics, may
  // otherwise scan the whole month through the month × place index).
  const tips = Prisma.raw(p === "sqlite" ? `"Tip" t INDEXED BY "Tip_queueId_receivedMonth_idx"` : `"Tip" t`);
  const c = clockSql(p, now);
  const all = text(ALL);
  const sums = Prisma.raw(CLOCK_COLUMNS.map((col) => `SUM("${col}")`).join(", "));
  const unitLevel = (cat: Prisma.Sql, ch: Prisma.Sql, group: string) =>
    Prisma.sql`SELECT ${text(month)}, ${text(queueProvince)}, "queueId", pp, pc, ${cat}, ${ch}, SUM(n), ${sums} FROM u0 GROUP BY "queueId", pp, pc${Prisma.raw(group)}`;
  // The finest level once (materialized), then summed into the coarser ones.
  const units = Prisma.sql`WITH u0 AS MATERIALIZED (SELECT t."queueId" AS "queueId", t."provinceCode" AS pp, COALESCE(t."communeCode", '') AS pc, t."category" AS c, t."channel" AS ch, COUNT(*) AS n, ${clockCases(p, now)} FROM ${tips} WHERE ${where} GROUP BY t."queueId", t."provinceCode", t."communeCode", t."category", t."channel")
INSERT INTO "StatsUnit" ("month", "queueProvince", "queueId", "placeProvince", "placeCommune", "category", "channel", "tips", ${Prisma.raw(CLOCK_COLUMNS.map((col) => `"${col}"`).join(", "))}) ${unitLevel(Prisma.raw("c"), Prisma.raw("ch"), ", c, ch")} UNION ALL ${unitLevel(Prisma.raw("c"), all, ", c")} UNION ALL ${unitLevel(all, Prisma.raw("ch"), ", ch")} UNION ALL ${unitLevel(all, all, "")}`;
  // Every combination of place province, category and channel, each either itself or "*".
  const expand = (from: string) =>
    Prisma.join(
      [0, 1, 2, 3, 4, 5, 6, 7].map(
        (mask) => Prisma.sql`SELECT ${mask & 1 ? all : Prisma.raw("pp")} AS pp, ${mask & 2 ? all : Prisma.raw("c")} AS c, ${mask & 4 ? all : Prisma.raw("ch")} AS ch, k, n FROM ${Prisma.raw(from)}`,
      ),
      " UNION ALL ",
    );
  const agg = Prisma.raw(p === "sqlite" ? "group_concat" : "string_agg");
  const cells = Prisma.sql`WITH h0 AS MATERIALIZED (SELECT t."provinceCode" AS pp, t."category" AS c, t."channel" AS ch, t."receivedHour" * 7 + t."receivedWeekday" - 1 AS k, COUNT(*) AS n FROM ${tips} WHERE ${where} GROUP BY t."provinceCode", t."category", t."channel", t."receivedHour", t."receivedWeekday"),
h1 AS (${expand("h0")}),
h AS (SELECT pp, c, ch, k, SUM(n) AS n FROM h1 GROUP BY pp, c, ch, k),
hb AS (SELECT pp, c, ch, SUM(n) AS tips, ${agg}(CAST(k AS TEXT) || ':' || CAST(n AS TEXT), ' ') AS heat FROM h GROUP BY pp, c, ch),
c0 AS MATERIALIZED (SELECT t."provinceCode" AS pp, t."category" AS c, t."channel" AS ch, ${bucketSql(c.minutes)} AS k, COUNT(*) AS n FROM ${tips} WHERE ${where} AND t."claimedAt" IS NOT NULL GROUP BY t."provinceCode", t."category", t."channel", ${bucketSql(c.minutes)}),
c1 AS (${expand("c0")}),
cc AS (SELECT pp, c, ch, k, SUM(n) AS n FROM c1 GROUP BY pp, c, ch, k),
cb AS (SELECT pp, c, ch, SUM(n) AS claimed, ${agg}(CAST(k AS TEXT) || ':' || CAST(n AS TEXT), ' ') AS claims FROM cc GROUP BY pp, c, ch)
INSERT INTO "StatsCell" ("month", "queueProvince", "placeProvince", "category", "channel", "tips", "claimed", "heat", "claims")
SELECT ${text(month)}, ${text(queueProvince)}, hb.pp, hb.c, hb.ch, hb.tips, COALESCE(cb.claimed, 0), hb.heat, COALESCE(cb.claims, '') FROM hb LEFT JOIN cb ON cb.pp = hb.pp AND cb.c = hb.c AND cb.ch = hb.ch`;
  // The earliest due time of an open clock still ahead of its "at risk" window, and still ahead.
  const receiptOpen = Prisma.sql`t."receiptNoticeSentAt" IS NULL AND t."closedAt" IS NULL`;
  const rDue = c.at("receiptNoticeDueAt");
  const dDue = c.at("decisionDueAt");
  const next = Prisma.sql`SELECT MIN(CASE WHEN ${receiptOpen} AND ${rDue} >= ${c.plus(DEFAULT_APPROACHING_WITHIN_MS.receipt_notice)} THEN t."receiptNoticeDueAt" END) AS "rRisk",
MIN(CASE WHEN ${receiptOpen} AND ${rDue} >= ${c.now} THEN t."receiptNoticeDueAt" END) AS "rMiss",
MIN(CASE WHEN t."closedAt" IS NULL AND ${dDue} >= ${c.plus(DEFAULT_APPROACHING_WITHIN_MS.decision)} THEN t."decisionDueAt" END) AS "dRisk",
MIN(CASE WHEN t."closedAt" IS NULL AND ${dDue} >= ${c.now} THEN t."decisionDueAt" END) AS "dMiss" FROM ${tips} WHERE ${where}`;
  const chunk = Prisma.sql`"month" = ${month} AND "queueProvince" = ${queueProvince}`;
  return {
    // First the chunk's row (on PostgreSQL a row lock: two refreshers of one chunk take turns), then
    // its marks: a tip change committed after this DELETE keeps its mark for the next pass.
    before: [
      Prisma.sql`INSERT INTO "StatsChunk" ("month", "queueProvince", "builtAt") VALUES (${month}, ${queueProvince}, ${at(p, now)}) ON CONFLICT ("month", "queueProvince") DO UPDATE SET "builtAt" = excluded."builtAt"`,
      Prisma.sql`DELETE FROM "StatsDirty" WHERE ${chunk}`,
      Prisma.sql`DELETE FROM "StatsUnit" WHERE ${chunk}`,
      Prisma.sql`DELETE FROM "StatsCell" WHERE ${chunk}`,
      units,
      cells,
    ],
    next,
    /** Stores when one of the chunk's open tips next becomes at risk (due − window) or missed (just after due). */
    after(row: Record<string, unknown> | undefined): Prisma.Sql {
      const ms = (v: unknown) => (v == null ? null : (v instanceof Date ? v : new Date(String(v))).getTime());
      const candidates = [
        [ms(row?.rRisk), -DEFAULT_APPROACHING_WITHIN_MS.receipt_notice],
        [ms(row?.rMiss), 1],
        [ms(row?.dRisk), -DEFAULT_APPROACHING_WITHIN_MS.decision],
        [ms(row?.dMiss), 1],
      ]
        .filter((x): x is [number, number] => x[0] !== null)
        .map(([due, shift]) => due + shift);
      const nextAt = candidates.length ? new Date(Math.min(...candidates)) : null;
      return Prisma.sql`UPDATE "StatsChunk" SET "nextChangeAt" = ${nextAt ? at(p, nextAt) : Prisma.sql`NULL`} WHERE ${chunk}`;
    },
  };
}

/**
 * Rebuilds one chunk (month × province of the queue) as of `now`, in one transaction: takes its
 * marks, recounts its tips into the rollups, and stores when one of its open tips next changes
 * state by time alone. On SQLite the whole transaction runs at once on the raw connection (no
 * other statement can wait on it midway); on PostgreSQL through the client.
 */
export async function rebuildChunk(db: Db, key: ChunkKey, now: Date): Promise<void> {
  const p = providerOfDb(db);
  const s = chunkStatements(p, key, now);
  const conn = sqliteConnection(db);
  if (conn) {
    await conn.run((raw) =>
      raw.transaction(() => {
        for (const sql of s.before) conn.statement(sql.sql).run(...sql.values);
        const row = conn.statement(s.next.sql).raw(false).get(...s.next.values) as Record<string, unknown> | undefined;
        const after = s.after(row);
        conn.statement(after.sql).run(...after.values);
      })(),
    );
    return;
  }
  await db.$transaction(
    async (tx) => {
      for (const sql of s.before) await tx.$executeRaw(sql);
      const [row] = await tx.$queryRaw<Array<Record<string, unknown>>>(s.next);
      await tx.$executeRaw(s.after(row));
    },
    { maxWait: 60_000, timeout: 60_000 },
  );
}

const passes = new WeakMap<Db, Promise<unknown>>();

/**
 * One refresh pass as of `now`: the first build when it was never marked, then every chunk marked
 * by a tip change or due by time passing, each in its own short transaction (yielding to other
 * work between chunks). Passes on one client run one after the other. `stop()` returning true ends
 * the pass between chunks (at shutdown); the next pass goes on where it stopped.
 */
export function refreshStatsRollups(db: Db, now = new Date(), opts: { stop?: () => boolean } = {}): Promise<RefreshReport> {
  const run = (passes.get(db) ?? Promise.resolve()).catch(() => undefined).then(() => refreshPass(db, now, opts));
  passes.set(db, run);
  return run;
}

async function refreshPass(db: Db, now: Date, opts: { stop?: () => boolean }): Promise<RefreshReport> {
  let state = await db.statsRollupState.findUnique({ where: { id: 1 } });
  if (!state?.markedAt) {
    await markAllStatsDirty(db, now);
    state = await db.statsRollupState.findUniqueOrThrow({ where: { id: 1 } });
  }
  const keys = new Map<string, ChunkKey>();
  for (const k of await db.$queryRaw<ChunkKey[]>`SELECT DISTINCT d."month" AS "month", d."queueProvince" AS "queueProvince" FROM "StatsDirty" d`) keys.set(`${k.month} ${k.queueProvince}`, k);
  for (const k of await db.statsChunk.findMany({ where: { nextChangeAt: { lte: now } }, select: { month: true, queueProvince: true } })) keys.set(`${k.month} ${k.queueProvince}`, k);
  const durations: number[] = [];
  const cpu: number[] = [];
  // Newest months first: they change most and are looked at most.
  for (const key of [...keys.values()].sort((a, b) => b.month.localeCompare(a.month) || a.queueProvince.localeCompare(b.queueProvince))) {
    if (opts.stop?.()) return { at: now, chunks: durations.length, becameReady: false, durations, cpu, complete: false };
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await rebuildChunk(db, key, now);
    const c1 = process.cpuUsage(c0);
    durations.push(performance.now() - t0);
    cpu.push((c1.user + c1.system) / 1000);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const becameReady = !state.readyAt;
  // The first build filled the tables at once: PostgreSQL's planner statistics (row counts, the
  // units' groups) are brought up to date now rather than at autovacuum's next visit.
  if (becameReady && providerOfDb(db) === "postgresql") await db.$executeRawUnsafe(`ANALYZE "StatsUnit", "StatsCell"`);
  await db.statsRollupState.update({
    where: { id: 1 },
    data: { passAt: state.passAt && state.passAt > now ? state.passAt : now, ...(becameReady ? { readyAt: now } : {}) },
  });
  return { at: now, chunks: durations.length, becameReady, durations, cpu, complete: true };
}

/**
 * A read-only query: on SQLite straight on the raw connection, on PostgreSQL as one JSON text
 * (`json_agg`) parsed here — for thousands of rows the client's per-row decoding costs several
 * times the query (national units: ~13 → ~4 ms of CPU). The units' GROUP BY hashes in memory
 * thanks to the planner statistics of migration `stats_unit_groups`.
 */
async function read<T>(db: Db, sql: Prisma.Sql): Promise<T[]> {
  const conn = sqliteConnection(db);
  if (conn) return conn.run(() => conn.statement(sql.sql).raw(false).all(...sql.values) as T[]);
  const [row] = await db.$queryRaw<Array<{ rows: string | null }>>(Prisma.sql`SELECT json_agg(x)::text AS "rows" FROM (${sql}) x`);
  return row?.rows ? (JSON.parse(row.rows) as T[]) : [];
}

/**
 * The statistics from the rollups, for a province or the whole country without a commune filter,
 * once the first build has completed; null otherwise (the caller counts live). The figures are as
 * of the last complete refresh pass (`Stats.at`). Four reads: the category × month × province
 * cells, the heatmaps and claim histograms, and the units with their communes (ranked here).
 */
export async function rollupStats(db: Db, scope: Pick<OfficerRecord, "scopeKind" | "scopeCode">, f: StatsFilter): Promise<Stats | null> {
  if ((scope.scopeKind !== "national" && scope.scopeKind !== "province") || f.commune) return null;
  const state = await db.statsRollupState.findUnique({ where: { id: 1 } });
  if (!state?.readyAt || !state.passAt) return null;
  const p = providerOfDb(db);
  const cat = f.category ?? ALL;
  const ch = f.channel ?? ALL;
  // "Not *" as a range SQLite can seek ("*" sorts before every code); PostgreSQL's collation may not order it so.
  const notAll = (col: string) => (p === "sqlite" ? Prisma.sql`${Prisma.raw(`"${col}"`)} > ${ALL}` : Prisma.sql`${Prisma.raw(`"${col}"`)} <> ${ALL}`);
  const period = Prisma.sql`"month" >= ${f.from} AND "month" <= ${f.to}`;
  const inScope = scope.scopeKind === "province" ? Prisma.sql` AND "queueProvince" = ${scope.scopeCode}` : Prisma.empty;
  const place = f.province ? Prisma.sql` AND "placeProvince" = ${f.province}` : Prisma.empty;
  const unitLevel = Prisma.sql`"category" = ${cat} AND "channel" = ${ch}`;
  const sums = Prisma.raw(CLOCK_COLUMNS.map((col) => `SUM("${col}") AS "${col}"`).join(", "));

  // Together: PostgreSQL answers them on several connections; SQLite takes them in turn.
  const [cells, blobs, rows] = await Promise.all([
    read<{ m: string; c: string; p: string; n: unknown }>(
      db,
      Prisma.sql`SELECT "month" AS m, "category" AS c, "placeProvince" AS p, SUM("tips") AS n FROM "StatsCell" WHERE "channel" = ${ch} AND ${f.category ? Prisma.sql`"category" = ${f.category}` : notAll("category")} AND ${f.province ? Prisma.sql`"placeProvince" = ${f.province}` : notAll("placeProvince")} AND ${period}${inScope} GROUP BY "month", "category", "placeProvince"`,
    ),
    read<{ m: string; heat: string; claims: string }>(
      db,
      Prisma.sql`SELECT "month" AS m, "heat", "claims" FROM "StatsCell" WHERE "channel" = ${ch} AND "category" = ${cat} AND ${period} AND "placeProvince" = ${f.province ?? ALL}${inScope}`,
    ),
    read<Record<string, unknown> & { queueId: string; pc: string; n: unknown }>(
      db,
      Prisma.sql`SELECT "queueId", "placeCommune" AS pc, SUM("tips") AS n, ${sums} FROM "StatsUnit" WHERE ${unitLevel} AND ${period}${inScope}${place} GROUP BY "queueId", "placeCommune"`,
    ),
  ]);

  const heat = new Map<number, number>();
  const claimsByMonth = new Map<string, Map<number, number>>();
  for (const r of blobs) {
    addEncoded(heat, r.heat);
    const m = claimsByMonth.get(r.m) ?? new Map<number, number>();
    addEncoded(m, r.claims);
    claimsByMonth.set(r.m, m);
  }
  const heatmap = new Map<string, number>();
  for (const [k, v] of [...heat].sort((a, b) => a[0] - b[0])) if (v > 0) heatmap.set(`${Math.floor(k / 7)},${(k % 7) + 1}`, v);
  const claimHist = new Map<string, Array<[number, number]>>([...claimsByMonth].map(([m, hist]) => [m, [...hist]]));

  // Per unit, and per commune ranked as the live query ranks them (most tips, then code).
  const units = new Map<string, Record<string, number> & { queueId: string; n: number }>();
  const byCommune = new Map<string, number>();
  for (const r of rows) {
    const u = units.get(r.queueId) ?? Object.assign({ queueId: r.queueId, n: 0 }, Object.fromEntries(CLOCK_COLUMNS.map((col) => [col, 0])));
    u.n += n(r.n);
    for (const col of CLOCK_COLUMNS) u[col] = (u[col] ?? 0) + n(r[col]);
    units.set(r.queueId, u);
    if (r.pc !== "") byCommune.set(r.pc, (byCommune.get(r.pc) ?? 0) + n(r.n));
  }
  const ranked = [...byCommune].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const cOffset = (f.cpage - 1) * RANK_PAGE_SIZE;
  const communes = ranked.slice(cOffset, cOffset + RANK_PAGE_SIZE).map(([code, count]) => ({ code, n: count, total: ranked.length }));
  return assembleStats(db, f, { cells, heatmap, claims: claimHist, units: [...units.values()], communes }, state.passAt, "rollup");
}

/**
 * The figures the statistics page shows: from the rollups for a province or the whole country (as
 * of their last refresh), counted live otherwise (a commune scope, a commune filter, before the
 * first build).
 */
export async function statsFor(db: Db, scope: Pick<OfficerRecord, "scopeKind" | "scopeCode">, filter: StatsFilter, now = new Date()): Promise<Stats> {
  return (await rollupStats(db, scope, filter)) ?? consoleStats(db, scope, filter, now);
}
