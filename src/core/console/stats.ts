/**
 * The console's statistics (channel-neutral): tips per category × month, time to claim (median and
 * p90), the legal clocks ("% handled within the legal time" per unit), the hour × weekday heatmap
 * in Vietnam time, per-province counts and a ranked commune table, for a person's scope and a
 * period of months, with optional category / channel / province / commune filters.
 *
 * Every figure is a GROUP BY over `Tip` on the indexed Vietnam-time columns `receivedMonth`,
 * `receivedHour`, `receivedWeekday` (raw SQL, one text per provider where date arithmetic differs),
 * so it equals the number of tips the matching `/console/tips?…` filter selects (see
 * `drillQuery`). Scope is the unit now handling the tip (its queue), as on the live queue.
 */
import { Prisma, sqliteConnection, type Db, type Provider, type Tx } from "../../db/client.ts";
import { recordEvent } from "../events/recordEvent.ts";
import { ACTIONS } from "../actions/catalog.ts";
import { CATEGORIES, isCategory, type Category } from "../tips/categories.ts";
import { DEFAULT_APPROACHING_WITHIN_MS } from "../deadlines/tipDeadlines.ts";
import { vnReceipt } from "../vnTime.ts";
import type { OfficerRecord } from "../officers/authorize.ts";
import { suppressSmall as shownCount } from "../reports/smallCounts.ts";

/** The channels a tip can arrive on (filter values). */
export const STAT_CHANNELS = ["telegram", "zalo", "web"] as const;
export type StatChannel = (typeof STAT_CHANNELS)[number];
/** The longest period one statistics request may cover, in months. */
export const MAX_PERIOD_MONTHS = 36;
/** Rows of the ranked commune table and of the legal-clock unit table per page. */
export const RANK_PAGE_SIZE = 20;

/** Whether a person may open the statistics: an active officer, commander or administrator (outreach and legal staff may not). */
export const mayViewStats = (officer: Pick<OfficerRecord, "role" | "revokedAt">): boolean =>
  !officer.revokedAt && (ACTIONS["group.stats"].roles as readonly string[]).includes(officer.role);

/**
 * The small-count rule for any figure of ONE unit × category × month published outside the tips'
 * own scope (the aggregate CSV, the monthly report): 1 and 2 are shown as "<3" (the rule of
 * core/reports/smallCounts.ts, written once) so a statistic
 * cannot single out an anonymous tipster; 0 stays "0" and 3 or more are shown as they are.
 */
export function suppressSmall(count: number): string {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`not a count: ${count}`);
  return String(shownCount(count));
}

/** A statistics request, validated. Months are "YYYY-MM" in Vietnam time, inclusive. */
export interface StatsFilter {
  from: string;
  to: string;
  category?: Category;
  channel?: StatChannel;
  /** Province of the tip's place (2 digits). */
  province?: string;
  /** Commune of the tip's place (5 digits). */
  commune?: string;
  /** Page of the ranked commune table (1-based). */
  cpage: number;
  /** Page of the legal-clock unit table (1-based). */
  upage: number;
}

/** The field a statistics query got wrong (the page says which, translated). */
export type StatsFilterError = "from" | "to" | "period" | "category" | "channel" | "province" | "commune" | "page";

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const monthIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
const monthOfIndex = (i: number) => `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;

/** The months from `from` to `to`, inclusive. */
export function monthsBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let i = monthIndex(from); i <= monthIndex(to); i++) out.push(monthOfIndex(i));
  return out;
}

/** The default period: the last 12 months, the current Vietnam month included. */
export function defaultPeriod(now: Date): { from: string; to: string } {
  const to = vnReceipt(now).month;
  return { from: monthOfIndex(monthIndex(to) - 11), to };
}

/**
 * Validates a statistics query (`from`, `to` as YYYY-MM; `category`, `channel`, `province`,
 * `commune`, `cpage`, `upage`). Empty values are "not given". Anything else is refused by name.
 */
export function parseStatsFilter(query: Record<string, unknown>, now: Date): { ok: true; filter: StatsFilter } | { ok: false; field: StatsFilterError } {
  const get = (k: string): string | undefined => {
    const v = query[k];
    if (v === undefined || v === "") return undefined;
    return typeof v === "string" ? v : "\u0000"; // repeated or odd values are invalid
  };
  const period = defaultPeriod(now);
  const from = get("from") ?? period.from;
  const to = get("to") ?? period.to;
  if (!MONTH.test(from)) return { ok: false, field: "from" };
  if (!MONTH.test(to)) return { ok: false, field: "to" };
  if (monthIndex(from) > monthIndex(to) || monthIndex(to) - monthIndex(from) + 1 > MAX_PERIOD_MONTHS) return { ok: false, field: "period" };
  const category = get("category");
  if (category !== undefined && !isCategory(category)) return { ok: false, field: "category" };
  const channel = get("channel");
  if (channel !== undefined && !(STAT_CHANNELS as readonly string[]).includes(channel)) return { ok: false, field: "channel" };
  const province = get("province");
  if (province !== undefined && !/^\d{2}$/.test(province)) return { ok: false, field: "province" };
  const commune = get("commune");
  if (commune !== undefined && !/^\d{5}$/.test(commune)) return { ok: false, field: "commune" };
  const pageOf = (k: string): number | undefined => {
    const v = get(k);
    if (v === undefined) return 1;
    return /^[1-9]\d{0,4}$/.test(v) ? Number(v) : undefined;
  };
  const cpage = pageOf("cpage");
  const upage = pageOf("upage");
  if (cpage === undefined || upage === undefined) return { ok: false, field: "page" };
  return { ok: true, filter: { from, to, category: category as Category | undefined, channel: channel as StatChannel | undefined, province, commune, cpage, upage } };
}

/**
 * The query string of the page's own filters (what every drill-down link carries, with the
 * filter contract's names), with `extra` added: e.g. `{ month: "2026-03", category: "drugs" }`.
 * The period becomes `from`/`to` Vietnam dates (first and last day of the months) unless a
 * `month` is given.
 */
export function drillQuery(filter: StatsFilter, extra: Record<string, string | number> = {}): string {
  const q = new URLSearchParams();
  if (extra.month === undefined) {
    q.set("from", `${filter.from}-01`);
    const [y, m] = filter.to.split("-").map(Number) as [number, number];
    q.set("to", `${filter.to}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, "0")}`);
  }
  if (filter.category) q.set("category", filter.category);
  if (filter.channel) q.set("channel", filter.channel);
  if (filter.province) q.set("province", filter.province);
  if (filter.commune) q.set("commune", filter.commune);
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  return q.toString();
}

/** The page's own filters as a query string (for the form's links: paging, CSV). */
export function statsQuery(filter: StatsFilter, extra: Record<string, string | number> = {}): string {
  const q = new URLSearchParams({ from: filter.from, to: filter.to });
  if (filter.category) q.set("category", filter.category);
  if (filter.channel) q.set("channel", filter.channel);
  if (filter.province) q.set("province", filter.province);
  if (filter.commune) q.set("commune", filter.commune);
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  return q.toString();
}

/** Which provider a client talks to (a few statements differ in date arithmetic). */
export const providerOfDb = (db: Db): Provider => (sqliteConnection(db) ? "sqlite" : "postgresql");

/** The WHERE of every statistics query: period, the person's scope (the queue now handling the tip), the filters. */
function whereOf(scope: Pick<OfficerRecord, "scopeKind" | "scopeCode">, f: StatsFilter): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`t."receivedMonth" >= ${f.from}`, Prisma.sql`t."receivedMonth" <= ${f.to}`];
  if (scope.scopeKind === "province") parts.push(Prisma.sql`t."queueId" IN (SELECT q."id" FROM "Queue" q WHERE q."provinceCode" = ${scope.scopeCode})`);
  else if (scope.scopeKind === "commune") parts.push(Prisma.sql`t."queueId" IN (SELECT q."id" FROM "Queue" q WHERE q."communeCode" = ${scope.scopeCode})`);
  else if (scope.scopeKind !== "national") parts.push(Prisma.sql`1 = 0`);
  if (f.category) parts.push(Prisma.sql`t."category" = ${f.category}`);
  if (f.channel) parts.push(Prisma.sql`t."channel" = ${f.channel}`);
  if (f.province) parts.push(Prisma.sql`t."provinceCode" = ${f.province}`);
  if (f.commune) parts.push(Prisma.sql`t."communeCode" = ${f.commune}`);
  return Prisma.join(parts, " AND ");
}

/** Time arithmetic per provider: a timestamp column as fractional days (SQLite) or the instant itself. */
export function clockSql(p: Provider, now: Date) {
  if (p === "sqlite") {
    const jd = (col: string) => Prisma.raw(`julianday(t."${col}")`);
    const nowJd = now.getTime() / 86_400_000 + 2440587.5;
    return {
      at: jd,
      now: Prisma.sql`${nowJd}`,
      plus: (ms: number) => Prisma.sql`${nowJd + ms / 86_400_000}`,
      // julianday() is a float: round to the millisecond before the whole minutes.
      minutes: Prisma.raw(`(CAST(ROUND((julianday(t."claimedAt") - julianday(t."receivedAt")) * 86400000) AS INTEGER) / 60000)`),
    };
  }
  const col = (c: string) => Prisma.raw(`t."${c}"`);
  return {
    at: col,
    now: Prisma.sql`${now}::timestamp`,
    plus: (ms: number) => Prisma.sql`${new Date(now.getTime() + ms)}::timestamp`,
    minutes: Prisma.raw(`CAST(FLOOR(EXTRACT(EPOCH FROM (t."claimedAt" - t."receivedAt")) / 60) AS INTEGER)`),
  };
}

/**
 * The legal-clock conditions, shared by the figures and the drill-down filter `ontime=…`:
 * - receipt notice done at `receiptNoticeSentAt`, or at closing when no notice was sent (the
 *   outcome tells the tipster); met: done ≤ due; breached: done after due, or not done and the due
 *   time passed; open: not done and not yet due; at risk: open and due within 24 h.
 * - decision done at `closedAt` (the due time is `decisionDueAt`, moved by extensions); met,
 *   breached, open as above; at risk: due within 72 h.
 */
export function clockCases(p: Provider, now: Date): Prisma.Sql {
  const c = clockSql(p, now);
  const receiptDone = p === "sqlite" ? Prisma.raw(`julianday(COALESCE(t."receiptNoticeSentAt", t."closedAt"))`) : Prisma.raw(`COALESCE(t."receiptNoticeSentAt", t."closedAt")`);
  const rDue = c.at("receiptNoticeDueAt");
  const dDone = c.at("closedAt");
  const dDue = c.at("decisionDueAt");
  const sum = (cond: Prisma.Sql) => Prisma.sql`SUM(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
  return Prisma.join(
    [
      Prisma.sql`${sum(Prisma.sql`${receiptDone} IS NOT NULL AND ${rDue} IS NOT NULL AND ${receiptDone} <= ${rDue}`)} AS "receiptMet"`,
      Prisma.sql`${sum(Prisma.sql`${rDue} IS NOT NULL AND ((${receiptDone} IS NOT NULL AND ${receiptDone} > ${rDue}) OR (${receiptDone} IS NULL AND ${rDue} < ${c.now}))`)} AS "receiptBreached"`,
      Prisma.sql`${sum(Prisma.sql`${receiptDone} IS NULL AND ${rDue} >= ${c.now}`)} AS "receiptOpen"`,
      Prisma.sql`${sum(Prisma.sql`${receiptDone} IS NULL AND ${rDue} >= ${c.now} AND ${rDue} <= ${c.plus(DEFAULT_APPROACHING_WITHIN_MS.receipt_notice)}`)} AS "receiptAtRisk"`,
      Prisma.sql`${sum(Prisma.sql`${dDone} IS NOT NULL AND ${dDue} IS NOT NULL AND ${dDone} <= ${dDue}`)} AS "decisionMet"`,
      Prisma.sql`${sum(Prisma.sql`${dDue} IS NOT NULL AND ((${dDone} IS NOT NULL AND ${dDone} > ${dDue}) OR (${dDone} IS NULL AND ${dDue} < ${c.now}))`)} AS "decisionBreached"`,
      Prisma.sql`${sum(Prisma.sql`${dDone} IS NULL AND ${dDue} >= ${c.now}`)} AS "decisionOpen"`,
      Prisma.sql`${sum(Prisma.sql`${dDone} IS NULL AND ${dDue} >= ${c.now} AND ${dDue} <= ${c.plus(DEFAULT_APPROACHING_WITHIN_MS.decision)}`)} AS "decisionAtRisk"`,
    ],
    ", ",
  );
}

/** Counts of one legal clock. */
export interface ClockCounts {
  met: number;
  breached: number;
  /** Not done and not yet due. */
  open: number;
  /** Open and due soon (24 h for the receipt notice, 72 h for the decision). */
  atRisk: number;
  /** met / (met + breached), in percent (one decimal); null when nothing is decided yet. */
  onTimePercent: number | null;
}

/** The legal clocks of one unit (queue) over the period. */
export interface UnitClocks {
  queueId: string;
  name: string;
  tips: number;
  receipt: ClockCounts;
  decision: ClockCounts;
}

/** Time to claim in one month of receipt: median and 90th percentile, whole minutes (nearest rank). */
export interface ClaimTimes {
  month: string;
  claimed: number;
  medianMinutes: number | null;
  p90Minutes: number | null;
}

/** Everything the statistics page shows. */
export interface Stats {
  filter: StatsFilter;
  months: string[];
  total: number;
  /** category → month → count (only non-zero cells). */
  byCategoryMonth: Map<string, Map<string, number>>;
  byMonth: Map<string, number>;
  byCategory: Map<string, number>;
  claimTimes: ClaimTimes[];
  totals: { receipt: ClockCounts; decision: ClockCounts };
  units: { rows: UnitClocks[]; count: number; page: number };
  /** "hour,weekday" → count (Vietnam time; weekday 1 = Monday). */
  heatmap: Map<string, number>;
  byProvince: Map<string, number>;
  communes: { rows: Array<{ code: string; name: string; provinceName: string; count: number }>; count: number; page: number };
  /** When the figures were computed: now (live), or the instant the rollups were last brought up to date. */
  at: Date;
  /** Computed from the tips now ("live", a commune scope or a commune filter) or read from the rollups (src/core/console/statsRollup.ts). */
  source: "live" | "rollup";
}

/** A count from a raw query (bigint on PostgreSQL) as a number. */
export const n = (v: unknown): number => (typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : v == null ? 0 : Number(v));

const pct = (met: number, breached: number) => (met + breached === 0 ? null : Math.round((met / (met + breached)) * 1000) / 10);
const clock = (r: Record<string, unknown>, k: "receipt" | "decision"): ClockCounts => {
  const met = n(r[`${k}Met`]);
  const breached = n(r[`${k}Breached`]);
  return { met, breached, open: n(r[`${k}Open`]), atRisk: n(r[`${k}AtRisk`]), onTimePercent: pct(met, breached) };
};

/**
 * Claim minutes grouped exactly below 1 hour, then by 5 minutes up to 6 hours, 30 minutes up to
 * 3 days, whole days beyond (so a month's distribution is a few hundred rows at most). A
 * percentile is reported as its group's lower bound.
 */
export function bucketSql(minutes: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`CASE WHEN ${minutes} < 60 THEN ${minutes} WHEN ${minutes} < 360 THEN (${minutes} / 5) * 5 WHEN ${minutes} < 4320 THEN (${minutes} / 30) * 30 ELSE (${minutes} / 1440) * 1440 END`;
}

/** Nearest-rank percentile over a sorted histogram [(value, count)]. */
function percentile(hist: Array<[number, number]>, total: number, p: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(p * total);
  let seen = 0;
  for (const [value, count] of hist) {
    seen += count;
    if (seen >= rank) return value;
  }
  return hist.at(-1)![0];
}

/** Queue names by id (all queues at once past a few hundred: SQLite takes at most 999 parameters). */
async function queueNamesOf(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.queue.findMany({ where: ids.length > 500 ? {} : { id: { in: ids } }, select: { id: true, name: true } });
  return new Map(rows.map((q) => [q.id, q.name]));
}

/** What the page's figures are made from, however they were counted (live GROUP BY queries or the rollups). */
export interface StatsParts {
  /** Tips per month × category × place province. */
  cells: Array<{ m: string; c: string; p: string; n: unknown }>;
  /** "hour,weekday" → count. */
  heatmap: Map<string, number>;
  /** Month → time-to-claim histogram [(minutes group, count)]. */
  claims: Map<string, Array<[number, number]>>;
  /** Per unit (queue): tips and the legal clocks' counts (`receiptMet` … `decisionAtRisk`). */
  units: Array<Record<string, unknown> & { queueId: string; n: unknown }>;
  /** One page of the commune ranking, each row with the number of communes in `total`. */
  communes: Array<{ code: string; n: unknown; total: unknown }>;
}

/**
 * The statistics of a person's scope for a validated filter, counted live from the tips (five
 * GROUP BY queries). Read-only; the caller has checked `mayViewStats`. The console page uses
 * `statsFor` (src/core/console/statsRollup.ts), which reads the rollups for a province or the whole
 * country and comes here otherwise.
 */
export async function consoleStats(db: Db, scope: Pick<OfficerRecord, "scopeKind" | "scopeCode">, filter: StatsFilter, now = new Date()): Promise<Stats> {
  const p = providerOfDb(db);
  const where = whereOf(scope, filter);
  const c = clockSql(p, now);
  const cOffset = (filter.cpage - 1) * RANK_PAGE_SIZE;

  const [cells, heat, claims, units, communes] = await Promise.all([
    db.$queryRaw<Array<{ m: string; c: string; p: string; n: unknown }>>`SELECT t."receivedMonth" AS m, t."category" AS c, t."provinceCode" AS p, COUNT(*) AS n FROM "Tip" t WHERE ${where} GROUP BY t."receivedMonth", t."category", t."provinceCode"`,
    db.$queryRaw<Array<{ h: unknown; w: unknown; n: unknown }>>`SELECT t."receivedHour" AS h, t."receivedWeekday" AS w, COUNT(*) AS n FROM "Tip" t WHERE ${where} GROUP BY t."receivedHour", t."receivedWeekday"`,
    db.$queryRaw<Array<{ m: string; b: unknown; n: unknown }>>`SELECT t."receivedMonth" AS m, ${bucketSql(c.minutes)} AS b, COUNT(*) AS n FROM "Tip" t WHERE ${where} AND t."claimedAt" IS NOT NULL GROUP BY t."receivedMonth", ${bucketSql(c.minutes)}`,
    db.$queryRaw<Array<Record<string, unknown> & { queueId: string; n: unknown }>>`SELECT t."queueId" AS "queueId", COUNT(*) AS n, ${clockCases(p, now)} FROM "Tip" t WHERE ${where} GROUP BY t."queueId"`,
    db.$queryRaw<Array<{ code: string; n: unknown; total: unknown }>>`SELECT t."communeCode" AS code, COUNT(*) AS n, COUNT(*) OVER () AS total FROM "Tip" t WHERE ${where} AND t."communeCode" IS NOT NULL GROUP BY t."communeCode" ORDER BY COUNT(*) DESC, t."communeCode" ASC LIMIT ${RANK_PAGE_SIZE} OFFSET ${cOffset}`,
  ]);

  const heatmap = new Map<string, number>();
  for (const r of heat) heatmap.set(`${n(r.h)},${n(r.w)}`, n(r.n));
  const hist = new Map<string, Array<[number, number]>>();
  for (const r of claims) {
    const list = hist.get(r.m) ?? [];
    list.push([n(r.b), n(r.n)]);
    hist.set(r.m, list);
  }
  return assembleStats(db, filter, { cells, heatmap, claims: hist, units, communes }, now, "live");
}

/** The page's figures from their parts: totals, percentiles, the units most missed first (one page), commune names. */
export async function assembleStats(db: Db, filter: StatsFilter, parts: StatsParts, at: Date, source: Stats["source"]): Promise<Stats> {
  const { cells, heatmap, units, communes } = parts;
  const byCategoryMonth = new Map<string, Map<string, number>>();
  const byMonth = new Map<string, number>();
  const byCategory = new Map<string, number>();
  const byProvince = new Map<string, number>();
  let total = 0;
  for (const r of cells) {
    const count = n(r.n);
    if (count === 0) continue;
    total += count;
    const row = byCategoryMonth.get(r.c) ?? new Map<string, number>();
    row.set(r.m, (row.get(r.m) ?? 0) + count);
    byCategoryMonth.set(r.c, row);
    byMonth.set(r.m, (byMonth.get(r.m) ?? 0) + count);
    byCategory.set(r.c, (byCategory.get(r.c) ?? 0) + count);
    byProvince.set(r.p, (byProvince.get(r.p) ?? 0) + count);
  }

  const months = monthsBetween(filter.from, filter.to);
  const claimTimes = months.map((month): ClaimTimes => {
    const list = (parts.claims.get(month) ?? []).filter(([, k]) => k > 0).sort((a, b) => a[0] - b[0]);
    const claimed = list.reduce((s, [, k]) => s + k, 0);
    return { month, claimed, medianMinutes: percentile(list, claimed, 0.5), p90Minutes: percentile(list, claimed, 0.9) };
  });

  const unitRows = units
    .filter((r) => n(r.n) > 0)
    .map((r): UnitClocks => ({ queueId: r.queueId, name: r.queueId, tips: n(r.n), receipt: clock(r, "receipt"), decision: clock(r, "decision") }))
    // The units with the most breaches first, then the busiest.
    .sort((a, b) => b.receipt.breached + b.decision.breached - (a.receipt.breached + a.decision.breached) || b.tips - a.tips || a.queueId.localeCompare(b.queueId));
  const sumClock = (k: "receipt" | "decision"): ClockCounts => {
    const met = unitRows.reduce((s, u) => s + u[k].met, 0);
    const breached = unitRows.reduce((s, u) => s + u[k].breached, 0);
    return { met, breached, open: unitRows.reduce((s, u) => s + u[k].open, 0), atRisk: unitRows.reduce((s, u) => s + u[k].atRisk, 0), onTimePercent: pct(met, breached) };
  };
  const uOffset = (filter.upage - 1) * RANK_PAGE_SIZE;
  // Names for the page shown only (a whole country has thousands of units).
  const unitPage = unitRows.slice(uOffset, uOffset + RANK_PAGE_SIZE);
  const queueNames = await queueNamesOf(db, unitPage.map((u) => u.queueId));
  for (const u of unitPage) u.name = queueNames.get(u.queueId) ?? u.queueId;

  const communeInfo = new Map(
    (await db.commune.findMany({ where: { code: { in: communes.map((r) => r.code) } }, select: { code: true, name: true, province: { select: { name: true } } } })).map((x) => [x.code, x]),
  );

  return {
    filter,
    months,
    total,
    byCategoryMonth,
    byMonth,
    byCategory,
    claimTimes,
    totals: { receipt: sumClock("receipt"), decision: sumClock("decision") },
    units: { rows: unitPage, count: unitRows.length, page: filter.upage },
    heatmap,
    byProvince,
    communes: {
      rows: communes.map((r) => ({ code: r.code, name: communeInfo.get(r.code)?.name ?? r.code, provinceName: communeInfo.get(r.code)?.province.name ?? "", count: n(r.n) })),
      count: n(communes[0]?.total),
      page: filter.cpage,
    },
    at,
    source,
  };
}

/** One row of the aggregate CSV: one unit × category × month, counts already passed through `suppressSmall`. */
export interface StatsCsvRow {
  month: string;
  queueId: string;
  unit: string;
  category: string;
  tips: string;
  receiptMet: string;
  receiptBreached: string;
  decisionMet: string;
  decisionBreached: string;
}

/** The header of the aggregate CSV (column names; stable for spreadsheets). */
export const STATS_CSV_COLUMNS: Array<keyof StatsCsvRow> = ["month", "queueId", "unit", "category", "tips", "receiptMet", "receiptBreached", "decisionMet", "decisionBreached"];

/**
 * The aggregate export: one row per unit (queue) × category × month of the scope and filter, every
 * count through `suppressSmall`. Produced a month at a time (one GROUP BY each), so memory stays
 * bounded by one month's units × categories.
 */
export async function* statsCsvRows(db: Db, scope: Pick<OfficerRecord, "scopeKind" | "scopeCode">, filter: StatsFilter, now = new Date()): AsyncGenerator<StatsCsvRow> {
  const p = providerOfDb(db);
  const names = new Map<string, string>();
  for (const month of monthsBetween(filter.from, filter.to)) {
    const where = whereOf(scope, { ...filter, from: month, to: month });
    const rows = await db.$queryRaw<Array<Record<string, unknown> & { queueId: string; c: string; n: unknown }>>`SELECT t."queueId" AS "queueId", t."category" AS c, COUNT(*) AS n, ${clockCases(p, now)} FROM "Tip" t WHERE ${where} GROUP BY t."queueId", t."category" ORDER BY t."queueId", t."category"`;
    const missing = [...new Set(rows.map((r) => r.queueId))].filter((id) => !names.has(id));
    for (const [id, name] of await queueNamesOf(db, missing)) names.set(id, name);
    for (const r of rows) {
      yield {
        month,
        queueId: r.queueId,
        unit: names.get(r.queueId) ?? r.queueId,
        category: r.c,
        tips: suppressSmall(n(r.n)),
        receiptMet: suppressSmall(n(r.receiptMet)),
        receiptBreached: suppressSmall(n(r.receiptBreached)),
        decisionMet: suppressSmall(n(r.decisionMet)),
        decisionBreached: suppressSmall(n(r.decisionBreached)),
      };
    }
  }
}

/** The categories in display order (every one, so empty ones show as 0). */
export const STAT_CATEGORIES: readonly Category[] = CATEGORIES;

/** Records an aggregate export (`console.stats_exported`, with its filter) by a person who may view the statistics. */
export async function recordStatsExport(tx: Tx, officer: Pick<OfficerRecord, "id">, filter: StatsFilter): Promise<void> {
  const { cpage: _c, upage: _u, ...shown } = filter;
  await recordEvent(tx, { action: "console.stats_exported", actor: { kind: "officer", officerId: officer.id }, data: { ...shown } });
}
