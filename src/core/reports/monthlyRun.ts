import type { Db } from "../../db/client.ts";
import { Prisma } from "../../db/client.ts";
import type { OutboxRef } from "../../outbox/outbound.ts";
import type { Actor } from "../events/recordEvent.ts";
import { postMonthlyReport, type PostOutcome } from "./commands/postMonthlyReport.ts";
import { buildSummary, isReportMonth, monthFigures, monthToReport, previousMonth, reportUnits, unitKey, type MonthlyDeps, type ReportMonth } from "./monthly.ts";

/** What a monthly run did. */
export interface MonthlyRun {
  month: ReportMonth;
  /** Units reported on. */
  units: number;
  /** Reports stored now (new), reports posted now (new or stored earlier without a group), units already done. */
  created: number;
  posted: number;
  unchanged: number;
  /** Messages queued (hand them to the outbox sender). */
  refs: OutboxRef[];
}

/**
 * Makes the reports of `month` (default: the month before `now`) for every unit: stores each
 * unit's report and posts it to its group (postMonthlyReport, one transaction per unit). A unit
 * already reported on is left alone; one stored earlier without a group is posted once it has one.
 * Safe to run twice and from two processes at once (the second finds the row, or loses the insert).
 */
export async function runMonthlyReports(db: Db, deps: MonthlyDeps, props: { actor: Actor; month?: ReportMonth; now?: Date }): Promise<MonthlyRun> {
  const now = props.now ?? new Date();
  const month = props.month ?? monthToReport(now);
  if (!isReportMonth(month)) throw new RangeError(`not a month (YYYY-MM): ${String(month)}`);
  const units = await reportUnits(db);
  const run: MonthlyRun = { month, units: units.length, created: 0, posted: 0, unchanged: 0, refs: [] };
  if (units.length === 0) return run;
  const done = new Set(
    (await db.monthlyReport.findMany({ where: { month, postedAt: { not: null } }, select: { unitKind: true, unitCode: true } })).map((r) => unitKey(r.unitKind, r.unitCode)),
  );
  const todo = units.filter((u) => !done.has(unitKey(u.kind, u.code)));
  run.unchanged = units.length - todo.length;
  if (todo.length === 0) return run;
  const [current, previous] = [await monthFigures(db, month, now), await monthFigures(db, previousMonth(month), now)];
  for (const unit of todo) {
    const key = unitKey(unit.kind, unit.code);
    const summary = buildSummary(unit, month, current.get(key), previous.get(key), now);
    let outcome: PostOutcome;
    try {
      outcome = await db.$transaction((tx) => postMonthlyReport(tx, deps, { actor: props.actor, unit, summary, now }));
    } catch (err) {
      // Another process stored the same report first: it posts it.
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") outcome = { kind: "unchanged", refs: [] };
      else throw err;
    }
    if (outcome.kind === "created") run.created++;
    if (outcome.kind === "posted" || (outcome.kind === "created" && outcome.posted)) run.posted++;
    if (outcome.kind === "unchanged") run.unchanged++;
    run.refs.push(...outcome.refs);
  }
  return run;
}
