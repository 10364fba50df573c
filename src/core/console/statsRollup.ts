/**
 * Pre-aggregated statistics (rollups) for a province or the whole country, where counting live
 * would read hundreds of thousands of tips (see README "Statistics and legal clocks").
 *
 * - Storage: `StatsUnit` (per queue × place province × place commune × category × channel × month:
 *   tips and the legal clocks) and `StatsCell` (per province of the queue × place province ×
 *   category × channel × month: tips, the hour × weekday heatmap and the time-to-claim histogram),
 *   with "*" rows for "every category / channel / place province" so a request reads one level
 *   (units: (*, *), (*, channel), (category, channel); cells: every combination).
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
import { Prisma, type Db } from "../../db/client.ts";
import { DEFAULT_APPROACHING_WITHIN_MS } from "../deadlines/tipDeadlines.ts";
import { vnReceipt } from "../vnTime.ts";
import type { OfficerRecord } from "../officers/authorize.ts";
import { assembleStats, bucketSql, clockCases, clockSql, consoleStats, n, providerOfDb, RANK_PAGE_SIZE, type Stats, type StatsFilter } from "./stats.ts";

/** "Every value" in a rollup key column (category, channel, place province). */
export const ALL = "*";

const CLOCK_COLUMNS = ["receiptMet", "receiptBreached", "receiptOpen", "receiptAtRisk", "decisionMet", "decisionBreached", "decisionOpen", "decisionAtRisk"] as const;
type ClockColumn = (typeof CLOCK_COLUMNS)[number];
type Counts = { tips: number } & Record<ClockColumn, number>;
const zeroCounts = (): Counts => ({ tips: 0, receiptMet: 0, receiptBreached: 0, receiptOpen: 0, receiptAtRisk: 0, decisionMet: 0, decisionBreached: 0, decisionOpen: 0, decisionAtRisk: 0 });

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
  /** Milliseconds each chunk's transaction took. */
  durations: number[];
  /** False when the pass was stopped before the end (the next one continues). */
  complete: boolean;
}

const monthIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
const monthOfIndex = (i: number) => `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;

/**
 * Marks every month × province for rebuilding: every month from the first tip's to the current
 * one, every province that has a queue (and every chunk already built). Used for the first build
 * after the migration and after tips were written without events (imports, the bench's seed).
 */
export async function markAllStatsDirty(db: Db, now = new Date()): Promise<number> {
  const [range] = await db.$queryRaw<Array<{ lo: string | null; hi: string | null }>>`SELECT MIN(t."receivedMonth") AS lo, MAX(t."receivedMonth") AS hi FROM "Tip" t WHERE t."receivedMonth" <> ''`;
  const provinces = (await db.queue.findMany({ distinct: ["provinceCode"], select: { provinceCode: true } })).map((q) => q.provinceCode);
  const built = await db.statsChunk.findMany({ select: { month: true, queueProvince: true } });
  const keys = new Map<string, ChunkKey>();
  for (const b of built) keys.set(`${b.month} ${b.queueProvince}`, b);
  if (range?.lo && range.hi) {
    const current = vnReceipt(now).month;
    const hi = range.hi > current ? range.hi : current;
    for (let i = monthIndex(range.lo); i <= monthIndex(hi); i++) for (const p of provinces) keys.set(`${monthOfIndex(i)} ${p}`, { month: monthOfIndex(i), queueProvince: p });
  }
  const rows = [...keys.values()];
  await db.$transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += 400) await tx.statsDirty.createMany({ data: rows.slice(i, i + 400) });
    await tx.statsRollupState.upsert({ where: { id: 1 }, create: { id: 1, markedAt: now }, update: { markedAt: now } });
  });
  return rows.length;
}

/** Key of a row at one level: the fine values with some replaced by ALL. */
const keyOf = (parts: string[]) => parts.join("\u0001");

/** Adds `k:n` counts into a map. */
function addPairs(into: Map<number, number>, pairs: Iterable<[number, number]>) {
  for (const [k, v] of pairs) into.set(k, (into.get(k) ?? 0) + v);
}
/** "k:n k:n" (keys ascending). */
const encodePairs = (m: Map<number, number>) =>
  [...m]
    .filter(([, v]) => v > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([k, v]) => `${k}:${v}`)
    .join(" ");
/** The pairs of an encoded "k:n k:n". */
function* decodePairs(s: string): Generator<[number, number]> {
  if (!s) return;
  for (const part of s.split(" ")) {
    const i = part.indexOf(":");
    yield [Number(part.slice(0, i)), Number(part.slice(i + 1))];
  }
}

/**
 * Rebuilds one chunk (month × province of the queue) as of `now`, in one transaction: takes its
 * marks, counts its tips with the live statistics' SQL, replaces its rows, and stores when one of
 * its open tips next changes state by time alone.
 */
export async function rebuildChunk(db: Db, key: ChunkKey, now: Date): Promise<void> {
  const p = providerOfDb(db);
  const { month, queueProvince } = key;
  await db.$transaction(async (tx) => {
    // First the chunk's row (on PostgreSQL a lock: two refreshers of one chunk take turns), then
    // its marks: a tip change committed after this DELETE keeps its mark for the next pass.
    await tx.statsChunk.upsert({ where: { month_queueProvince: key }, create: { ...key, builtAt: now }, update: { builtAt: now } });
    await tx.$executeRaw`DELETE FROM "StatsDirty" WHERE "month" = ${month} AND "queueProvince" = ${queueProvince}`;
    const where = Prisma.sql`t."receivedMonth" = ${month} AND t."queueId" IN (SELECT q."id" FROM "Queue" q WHERE q."provinceCode" = ${queueProvince})`;
    const c = clockSql(p, now);
    const units = await tx.$queryRaw<Array<Record<string, unknown> & { queueId: string; pp: string; pc: string; c: string; ch: string; n: unknown }>>`SELECT t."queueId" AS "queueId", t."provinceCode" AS pp, COALESCE(t."communeCode", '') AS pc, t."category" AS c, t."channel" AS ch, COUNT(*) AS n, ${clockCases(p, now)} FROM "Tip" t WHERE ${where} GROUP BY t."queueId", t."provinceCode", t."communeCode", t."category", t."channel"`;
    const heat = await tx.$queryRaw<Array<{ pp: string; c: string; ch: string; h: unknown; w: unknown; n: unknown }>>`SELECT t."provinceCode" AS pp, t."category" AS c, t."channel" AS ch, t."receivedHour" AS h, t."receivedWeekday" AS w, COUNT(*) AS n FROM "Tip" t WHERE ${where} GROUP BY t."provinceCode", t."category", t."channel", t."receivedHour", t."receivedWeekday"`;
    const claims = await tx.$queryRaw<Array<{ pp: string; c: string; ch: string; b: unknown; n: unknown }>>`SELECT t."provinceCode" AS pp, t."category" AS c, t."channel" AS ch, ${bucketSql(c.minutes)} AS b, COUNT(*) AS n FROM "Tip" t WHERE ${where} AND t."claimedAt" IS NOT NULL GROUP BY t."provinceCode", t."category", t."channel", ${bucketSql(c.minutes)}`;
    const open = await tx.tip.findMany({
      where: {
        receivedMonth: month,
        queue: { provinceCode: queueProvince },
        closedAt: null,
        OR: [{ decisionDueAt: { gte: now } }, { receiptNoticeSentAt: null, receiptNoticeDueAt: { gte: now } }],
      },
      select: { receiptNoticeSentAt: true, receiptNoticeDueAt: true, decisionDueAt: true },
    });

    // Units: (category, channel), (*, channel), (*, *).
    const unitRows = new Map<string, Prisma.StatsUnitCreateManyInput & Counts>();
    for (const r of units) {
      for (const [cat, ch] of [
        [r.c, r.ch],
        [ALL, r.ch],
        [ALL, ALL],
      ] as const) {
        const k = keyOf([r.queueId, r.pp, r.pc, cat, ch]);
        const row = unitRows.get(k) ?? { month, queueProvince, queueId: r.queueId, placeProvince: r.pp, placeCommune: r.pc, category: cat, channel: ch, ...zeroCounts() };
        row.tips += n(r.n);
        for (const col of CLOCK_COLUMNS) row[col] += n(r[col]);
        unitRows.set(k, row);
      }
    }
    // Cells: every combination of place province, category, channel or "*".
    const cells = new Map<string, { pp: string; c: string; ch: string; tips: number; claimed: number; heat: Map<number, number>; claims: Map<number, number> }>();
    const levels = (pp: string, cat: string, ch: string) => [pp, ALL].flatMap((a) => [cat, ALL].flatMap((b) => [ch, ALL].map((d) => [a, b, d] as const)));
    const cell = (pp: string, cat: string, ch: string) => {
      const k = keyOf([pp, cat, ch]);
      let row = cells.get(k);
      if (!row) cells.set(k, (row = { pp, c: cat, ch, tips: 0, claimed: 0, heat: new Map(), claims: new Map() }));
      return row;
    };
    for (const r of heat) {
      const count = n(r.n);
      const k = n(r.h) * 7 + n(r.w) - 1;
      for (const [a, b, d] of levels(r.pp, r.c, r.ch)) {
        const row = cell(a, b, d);
        row.tips += count;
        addPairs(row.heat, [[k, count]]);
      }
    }
    for (const r of claims) {
      const count = n(r.n);
      for (const [a, b, d] of levels(r.pp, r.c, r.ch)) {
        const row = cell(a, b, d);
        row.claimed += count;
        addPairs(row.claims, [[n(r.b), count]]);
      }
    }

    // When an open tip next becomes at risk (due − window, inclusive) or missed (just after due).
    let next: number | null = null;
    const consider = (due: Date | null, windowMs: number) => {
      if (!due) return;
      for (const at of [due.getTime() - windowMs, due.getTime() + 1]) if (at >= now.getTime() && (next === null || at < next)) next = at;
    };
    for (const t of open) {
      if (!t.receiptNoticeSentAt) consider(t.receiptNoticeDueAt, DEFAULT_APPROACHING_WITHIN_MS.receipt_notice);
      consider(t.decisionDueAt, DEFAULT_APPROACHING_WITHIN_MS.decision);
    }

    await tx.statsUnit.deleteMany({ where: { queueProvince, month } });
    await tx.statsCell.deleteMany({ where: { queueProvince, month } });
    const unitData = [...unitRows.values()];
    for (let i = 0; i < unitData.length; i += 60) await tx.statsUnit.createMany({ data: unitData.slice(i, i + 60) });
    const cellData = [...cells.values()].map((r): Prisma.StatsCellCreateManyInput => ({ month, queueProvince, placeProvince: r.pp, category: r.c, channel: r.ch, tips: r.tips, claimed: r.claimed, heat: encodePairs(r.heat), claims: encodePairs(r.claims) }));
    for (let i = 0; i < cellData.length; i += 100) await tx.statsCell.createMany({ data: cellData.slice(i, i + 100) });
    await tx.statsChunk.update({ where: { month_queueProvince: key }, data: { nextChangeAt: next === null ? null : new Date(next) } });
  });
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
  // Newest months first: they change most and are looked at most.
  for (const key of [...keys.values()].sort((a, b) => b.month.localeCompare(a.month) || a.queueProvince.localeCompare(b.queueProvince))) {
    if (opts.stop?.()) return { at: now, chunks: durations.length, becameReady: false, durations, complete: false };
    const t0 = performance.now();
    await rebuildChunk(db, key, now);
    durations.push(performance.now() - t0);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const becameReady = !state.readyAt;
  await db.statsRollupState.update({
    where: { id: 1 },
    data: { passAt: state.passAt && state.passAt > now ? state.passAt : now, ...(becameReady ? { readyAt: now } : {}) },
  });
  return { at: now, chunks: durations.length, becameReady, durations, complete: true };
}

/**
 * The statistics from the rollups, for a province or the whole country without a commune filter,
 * once the first build has completed; null otherwise (the caller counts live). The figures are as
 * of the last complete refresh pass (`Stats.at`).
 */
export async function rollupStats(db: Db, scope: Pick<OfficerRecord, "scopeKind" | "scopeCode">, f: StatsFilter): Promise<Stats | null> {
  if ((scope.scopeKind !== "national" && scope.scopeKind !== "province") || f.commune) return null;
  const state = await db.statsRollupState.findUnique({ where: { id: 1 } });
  if (!state?.readyAt || !state.passAt) return null;
  const cat = f.category ?? ALL;
  const ch = f.channel ?? ALL;
  const period = Prisma.sql`"month" >= ${f.from} AND "month" <= ${f.to}`;
  const inScope = scope.scopeKind === "province" ? Prisma.sql` AND "queueProvince" = ${scope.scopeCode}` : Prisma.empty;
  const place = f.province ? Prisma.sql` AND "placeProvince" = ${f.province}` : Prisma.empty;
  // Unit rows are kept at (*, *), (*, channel) and (category, channel): a category alone sums its channels.
  const unitLevel = f.category && !f.channel ? Prisma.sql`"category" = ${f.category} AND "channel" <> ${ALL}` : Prisma.sql`"category" = ${cat} AND "channel" = ${ch}`;
  const unitWhere = Prisma.sql`${unitLevel} AND ${period}${inScope}${place}`;
  const cOffset = (f.cpage - 1) * RANK_PAGE_SIZE;
  const sums = Prisma.raw(CLOCK_COLUMNS.map((col) => `SUM("${col}") AS "${col}"`).join(", "));

  const [cells, blobs, units, communes] = await Promise.all([
    db.$queryRaw<Array<{ m: string; c: string; p: string; n: unknown }>>`SELECT "month" AS m, "category" AS c, "placeProvince" AS p, SUM("tips") AS n FROM "StatsCell" WHERE "channel" = ${ch} AND ${f.category ? Prisma.sql`"category" = ${f.category}` : Prisma.sql`"category" <> ${ALL}`} AND ${f.province ? Prisma.sql`"placeProvince" = ${f.province}` : Prisma.sql`"placeProvince" <> ${ALL}`} AND ${period}${inScope} GROUP BY "month", "category", "placeProvince"`,
    db.$queryRaw<Array<{ m: string; heat: string; claims: string }>>`SELECT "month" AS m, "heat", "claims" FROM "StatsCell" WHERE "category" = ${cat} AND "channel" = ${ch} AND "placeProvince" = ${f.province ?? ALL} AND ${period}${inScope}`,
    db.$queryRaw<Array<Record<string, unknown> & { queueId: string; n: unknown }>>`SELECT "queueId", SUM("tips") AS n, ${sums} FROM "StatsUnit" WHERE ${unitWhere} GROUP BY "queueId"`,
    db.$queryRaw<Array<{ code: string; n: unknown; total: unknown }>>`SELECT "placeCommune" AS code, SUM("tips") AS n, COUNT(*) OVER () AS total FROM "StatsUnit" WHERE ${unitWhere} AND "placeCommune" <> '' GROUP BY "placeCommune" ORDER BY SUM("tips") DESC, "placeCommune" ASC LIMIT ${RANK_PAGE_SIZE} OFFSET ${cOffset}`,
  ]);

  const heat = new Map<number, number>();
  const claimsByMonth = new Map<string, Map<number, number>>();
  for (const r of blobs) {
    addPairs(heat, decodePairs(r.heat));
    const m = claimsByMonth.get(r.m) ?? new Map<number, number>();
    addPairs(m, decodePairs(r.claims));
    claimsByMonth.set(r.m, m);
  }
  const heatmap = new Map<string, number>();
  for (const [k, v] of [...heat].sort((a, b) => a[0] - b[0])) if (v > 0) heatmap.set(`${Math.floor(k / 7)},${(k % 7) + 1}`, v);
  const claimHist = new Map<string, Array<[number, number]>>([...claimsByMonth].map(([m, hist]) => [m, [...hist]]));
  return assembleStats(db, f, { cells, heatmap, claims: claimHist, units, communes }, state.passAt, "rollup");
}

/**
 * The figures the statistics page shows: from the rollups for a province or the whole country (as
 * of their last refresh), counted live otherwise (a commune scope, a commune filter, before the
 * first build).
 */
export async function statsFor(db: Db, scope: Pick<OfficerRecord, "scopeKind" | "scopeCode">, filter: StatsFilter, now = new Date()): Promise<Stats> {
  return (await rollupStats(db, scope, filter)) ?? consoleStats(db, scope, filter, now);
}
