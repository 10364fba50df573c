import type { Db, Tx } from "../../db/client.ts";
import { TIP_ROLES } from "../actions/catalog.ts";
import { recordRefusal, type OfficerRecord } from "../officers/authorize.ts";
import type { MonthlySummary } from "../reports/monthly.ts";

/** Reports one page of the console's list shows. */
export const REPORTS_PAGE_SIZE = 100;

/** Whether a person may open the monthly reports: an active officer, commander or administrator (outreach and legal staff may not). */
export const mayViewReports = (officer: Pick<OfficerRecord, "role" | "revokedAt">): boolean => !officer.revokedAt && (TIP_ROLES as readonly string[]).includes(officer.role);

type Scope = Pick<OfficerRecord, "scopeKind" | "scopeCode">;

/**
 * The reports a scope covers, as a filter: a commune's own report; a province's report and its
 * communes'; everything for the national scope.
 */
async function scopeWhere(db: Db | Tx, officer: Scope) {
  switch (officer.scopeKind) {
    case "national":
      return {};
    case "province": {
      const communes = await db.commune.findMany({ where: { provinceCode: officer.scopeCode }, select: { code: true } });
      return { OR: [{ unitKind: "province", unitCode: officer.scopeCode }, { unitKind: "commune", unitCode: { in: communes.map((c) => c.code) } }] };
    }
    case "commune":
      return { unitKind: "commune", unitCode: officer.scopeCode };
    default:
      return { id: "" };
  }
}

/** Whether a scope covers one report's unit. */
export async function reportInScope(db: Db | Tx, officer: Scope, unit: { unitKind: string; unitCode: string }): Promise<boolean> {
  switch (officer.scopeKind) {
    case "national":
      return true;
    case "province":
      if (unit.unitKind === "province") return unit.unitCode === officer.scopeCode;
      return (await db.commune.findUnique({ where: { code: unit.unitCode }, select: { provinceCode: true } }))?.provinceCode === officer.scopeCode;
    case "commune":
      return unit.unitKind === "commune" && unit.unitCode === officer.scopeCode;
    default:
      return false;
  }
}

/** One line of the console's list of reports. */
export interface ReportListRow {
  id: string;
  month: string;
  unitKind: string;
  unitCode: string;
  postedAt: Date | null;
  summary: MonthlySummary;
}

/** The months that have reports in a scope, newest first (at most 36). */
export async function reportMonths(db: Db, officer: Scope): Promise<string[]> {
  const rows = await db.monthlyReport.findMany({ where: await scopeWhere(db, officer), select: { month: true }, distinct: ["month"], orderBy: { month: "desc" }, take: 36 });
  return rows.map((r) => r.month);
}

/** One month's reports in a scope, province reports first, then by unit code; a page of REPORTS_PAGE_SIZE. */
export async function reportsOfMonth(db: Db, officer: Scope, month: string, page: number): Promise<{ rows: ReportListRow[]; more: boolean }> {
  const rows = await db.monthlyReport.findMany({
    where: { AND: [await scopeWhere(db, officer), { month }] },
    select: { id: true, month: true, unitKind: true, unitCode: true, postedAt: true, summary: true },
    orderBy: [{ unitKind: "desc" }, { unitCode: "asc" }],
    skip: page * REPORTS_PAGE_SIZE,
    take: REPORTS_PAGE_SIZE + 1,
  });
  return {
    rows: rows.slice(0, REPORTS_PAGE_SIZE).map((r) => ({ ...r, summary: JSON.parse(r.summary) as MonthlySummary })),
    more: rows.length > REPORTS_PAGE_SIZE,
  };
}

/** A report for a person: found and in their scope, or why not (a look outside the scope is recorded as a refusal). */
export async function openReport(db: Db, officer: Pick<OfficerRecord, "id" | "scopeKind" | "scopeCode">, id: string): Promise<{ ok: true; report: ReportListRow } | { ok: false; reason: "not_found" | "scope" }> {
  const row = await db.monthlyReport.findUnique({ where: { id }, select: { id: true, month: true, unitKind: true, unitCode: true, postedAt: true, summary: true } });
  if (!row) return { ok: false, reason: "not_found" };
  if (!(await reportInScope(db, officer, row))) {
    await db.$transaction((tx) => recordRefusal(tx, { actor: `officer:${officer.id}`, action: "console.reports", reason: "scope", data: { reportId: row.id, unit: `${row.unitKind}:${row.unitCode}` } }));
    return { ok: false, reason: "scope" };
  }
  return { ok: true, report: { ...row, summary: JSON.parse(row.summary) as MonthlySummary } };
}

/**
 * The tip list's query (the console's filter contract) behind a figure of a report: the unit
 * (a commune's queue, or a province), the month of receipt, and a category when given.
 */
export function tipsBehind(summary: Pick<MonthlySummary, "unit" | "month">, category?: string): string {
  const q = new URLSearchParams(summary.unit.kind === "commune" ? { queue: `commune:${summary.unit.code}` } : { province: summary.unit.code });
  q.set("month", summary.month);
  if (category) q.set("category", category);
  return q.toString();
}
