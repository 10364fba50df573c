import type { Db } from "../../db/client.ts";
import type { ReplyRenderer } from "../../outbox/outbound.ts";
import { vnInstant, vnParts } from "../vnTime.ts";
import { suppressSmall, SMALL_COUNT_LIMIT, type ShownCount } from "./smallCounts.ts";

/**
 * The monthly report of each unit: on the 1st of a month (Asia/Ho_Chi_Minh) every commune police
 * whose queue is bound to a group, and every province duty office, gets the figures of the month
 * before — tips received, the share of legal deadlines met (receipt notice within 3 working days,
 * decision within its due date), tips by category — beside the month before that. Stored as a
 * `MonthlyReport` (one per month and unit: running again never posts twice) and posted to the
 * unit's group as a chart and a short summary. Counts of 1–2 tips are shown as "<3" (smallCounts.ts).
 *
 * A unit's tips are those its queue now handles (a transferred tip counts where it went, as in the
 * console's lists): a commune's are its queue's, a province's are those of every queue of the
 * province (its communes', its duty office's and its specialised units'), so the province duty group
 * sees the whole province. A tip belongs to the Vietnam month of its receipt.
 */

/** "YYYY-MM": a month as reports name it (Vietnam time). */
export type ReportMonth = string;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Whether a text is a month "YYYY-MM" (years 2000–9999). */
export function isReportMonth(value: unknown): value is ReportMonth {
  return typeof value === "string" && MONTH.test(value) && Number(value.slice(0, 4)) >= 2000;
}

const monthText = (year: number, month: number) => `${year}-${String(month).padStart(2, "0")}`;

/** The month before a month. */
export function previousMonth(month: ReportMonth): ReportMonth {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return m === 1 ? monthText(y - 1, 12) : monthText(y, m - 1);
}

/** The month a run at `now` reports on: the Vietnam month before the one `now` falls in. */
export function monthToReport(now: Date): ReportMonth {
  const p = vnParts(now);
  return previousMonth(monthText(p.year, p.month));
}

/** The first instant of a month in Vietnam, and the first instant of the next. */
export function monthBounds(month: ReportMonth): { start: Date; end: Date } {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return { start: vnInstant({ year: y, month: m, day: 1 }), end: vnInstant({ year: m === 12 ? y + 1 : y, month: m === 12 ? 1 : m + 1, day: 1 }) };
}

/** "05/2026": a month as texts show it. */
export function monthLabel(month: ReportMonth): string {
  return `${month.slice(5, 7)}/${month.slice(0, 4)}`;
}

/** A unit that gets a monthly report: a commune police or a province duty office, with its group (if bound). */
export interface ReportUnit {
  kind: "commune" | "province";
  code: string;
  name: string;
  queueId: string;
  groupChatId: string | null;
}

/** The units reported on: commune queues bound to a group, and every province duty queue (stored even without a group, posted once one is bound). */
export async function reportUnits(db: Db): Promise<ReportUnit[]> {
  const queues = await db.queue.findMany({
    where: { OR: [{ kind: "commune", groupChatId: { not: null } }, { kind: "province" }] },
    select: { id: true, kind: true, name: true, provinceCode: true, communeCode: true, groupChatId: true },
    orderBy: { id: "asc" },
  });
  return queues.map((q) => ({
    kind: q.kind === "commune" ? ("commune" as const) : ("province" as const),
    code: q.kind === "commune" ? q.communeCode! : q.provinceCode,
    name: q.name,
    queueId: q.id,
    groupChatId: q.groupChatId,
  }));
}

/** Where a legal deadline stands for the tips of a month: met, missed (late or still open past due), not yet due. */
export interface ClockCounts {
  met: number;
  breached: number;
  pending: number;
}

/** One unit's raw figures for one month (never shown as such: see `buildSummary`). */
export interface UnitFigures {
  tips: number;
  byCategory: Map<string, number>;
  receipt: ClockCounts;
  decision: ClockCounts;
}

const emptyFigures = (): UnitFigures => ({ tips: 0, byCategory: new Map(), receipt: { met: 0, breached: 0, pending: 0 }, decision: { met: 0, breached: 0, pending: 0 } });

/** How one deadline stands at `asOf`: done by its due time, done late or overdue, or still running. */
function clock(due: Date | null, doneAt: Date | null, asOf: Date): keyof ClockCounts | null {
  if (!due) return null;
  if (doneAt) return doneAt.getTime() <= due.getTime() ? "met" : "breached";
  return due.getTime() < asOf.getTime() ? "breached" : "pending";
}

/** A unit's key in the figures: "commune:NNNNN" or "province:PP". */
export const unitKey = (kind: string, code: string) => `${kind}:${code}`;

const BATCH = 5_000;

/**
 * Every unit's figures for the tips received in `month` (Vietnam time), as the deadlines stand at
 * `asOf`: by commune (the tip's queue is a commune's) and by province (any queue of the province).
 * Reads the month's tips in batches (only the columns counted; nothing about the tipster).
 */
export async function monthFigures(db: Db, month: ReportMonth, asOf: Date): Promise<Map<string, UnitFigures>> {
  const { start, end } = monthBounds(month);
  const out = new Map<string, UnitFigures>();
  const add = (key: string, tip: { category: string }, receipt: keyof ClockCounts | null, decision: keyof ClockCounts | null) => {
    let f = out.get(key);
    if (!f) out.set(key, (f = emptyFigures()));
    f.tips++;
    f.byCategory.set(tip.category, (f.byCategory.get(tip.category) ?? 0) + 1);
    if (receipt) f.receipt[receipt]++;
    if (decision) f.decision[decision]++;
  };
  let after: string | undefined;
  for (;;) {
    const tips = await db.tip.findMany({
      where: { receivedAt: { gte: start, lt: end }, ...(after ? { id: { gt: after } } : {}) },
      select: {
        id: true,
        category: true,
        receiptNoticeDueAt: true,
        receiptNoticeSentAt: true,
        decisionDueAt: true,
        closedAt: true,
        queue: { select: { kind: true, provinceCode: true, communeCode: true } },
      },
      orderBy: { id: "asc" },
      take: BATCH,
    });
    for (const tip of tips) {
      const receipt = clock(tip.receiptNoticeDueAt, tip.receiptNoticeSentAt, asOf);
      const decision = clock(tip.decisionDueAt, tip.closedAt, asOf);
      if (tip.queue.kind === "commune" && tip.queue.communeCode) add(unitKey("commune", tip.queue.communeCode), tip, receipt, decision);
      add(unitKey("province", tip.queue.provinceCode), tip, receipt, decision);
    }
    if (tips.length < BATCH) break;
    after = tips[tips.length - 1]!.id;
  }
  return out;
}

/** A deadline's figures as shown: counts (small ones held back) and the share met, when at least 3 are settled. */
export interface ShownClock {
  met: ShownCount;
  breached: ShownCount;
  pending: ShownCount;
  /** Whole percent of the settled deadlines (met or missed) that were met; null under 3 settled. */
  percent: number | null;
}

/** What a monthly report says (stored as `MonthlyReport.summary`; every count of 1–2 already shown as "<3"). */
export interface MonthlySummary {
  version: 1;
  month: ReportMonth;
  previousMonth: ReportMonth;
  unit: { kind: "commune" | "province"; code: string; name: string };
  /** When the figures were taken (deadlines still running then count as pending). */
  asOf: string;
  tips: { current: ShownCount; previous: ShownCount };
  receipt: { current: ShownClock; previous: ShownClock };
  decision: { current: ShownClock; previous: ShownClock };
  /** Tips by category, this month and the month before; categories with no tip in either month left out. Most tips first. */
  categories: Array<{ category: string; current: ShownCount; previous: ShownCount }>;
}

function shownClock(c: ClockCounts): ShownClock {
  const settled = c.met + c.breached;
  return {
    met: suppressSmall(c.met),
    breached: suppressSmall(c.breached),
    pending: suppressSmall(c.pending),
    percent: settled >= SMALL_COUNT_LIMIT ? Math.round((100 * c.met) / settled) : null,
  };
}

/** A unit's summary: this month's and the previous month's figures, small counts held back. */
export function buildSummary(unit: Pick<ReportUnit, "kind" | "code" | "name">, month: ReportMonth, current: UnitFigures | undefined, previous: UnitFigures | undefined, asOf: Date): MonthlySummary {
  const cur = current ?? emptyFigures();
  const prev = previous ?? emptyFigures();
  const categories = [...new Set([...cur.byCategory.keys(), ...prev.byCategory.keys()])]
    .map((category) => ({ category, n: cur.byCategory.get(category) ?? 0, p: prev.byCategory.get(category) ?? 0 }))
    .sort((a, b) => b.n - a.n || b.p - a.p || a.category.localeCompare(b.category))
    .map(({ category, n, p }) => ({ category, current: suppressSmall(n), previous: suppressSmall(p) }));
  return {
    version: 1,
    month,
    previousMonth: previousMonth(month),
    unit: { kind: unit.kind, code: unit.code, name: unit.name },
    asOf: asOf.toISOString(),
    tips: { current: suppressSmall(cur.tips), previous: suppressSmall(prev.tips) },
    receipt: { current: shownClock(cur.receipt), previous: shownClock(prev.receipt) },
    decision: { current: shownClock(cur.decision), previous: shownClock(prev.decision) },
    categories,
  };
}

/** What posting needs: the officers' renderer (none: reports are stored, posted by a later run) and the console's address for the link. */
export interface MonthlyDeps {
  officerRenderer?: ReplyRenderer;
  consoleUrl?: string;
}
