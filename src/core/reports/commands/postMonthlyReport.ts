import type { Tx } from "../../../db/client.ts";
import { enqueueIntents, type OutboxRef } from "../../../outbox/outbound.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import type { MonthlyDeps, MonthlySummary, ReportUnit } from "../monthly.ts";
import { monthlyReportIntents } from "../monthlyContent.ts";

/** What posting one unit's report did. */
export type PostOutcome =
  /** Stored now; posted at once when the unit has a group (and the officers' channel runs). */
  | { kind: "created"; reportId: string; posted: boolean; refs: OutboxRef[] }
  /** Stored earlier without a group, posted now. */
  | { kind: "posted"; reportId: string; refs: OutboxRef[] }
  /** Already posted, or stored and still without a group: nothing changed. */
  | { kind: "unchanged"; refs: OutboxRef[] };

/**
 * Stores one unit's monthly report and posts it to the unit's group (a chart made when sent, with
 * the summary as caption, in the group's language). One report per month and unit: an existing
 * report is never posted again; one stored without a group is posted (its stored figures) once the
 * unit has a group. Event: `report.monthly_posted`, or `report.monthly_stored` (no group yet); none
 * when nothing changed.
 */
export async function postMonthlyReport(
  tx: Tx,
  deps: MonthlyDeps,
  props: { actor: Actor; unit: Pick<ReportUnit, "kind" | "code" | "groupChatId">; summary: MonthlySummary; now: Date },
): Promise<PostOutcome> {
  const { unit, summary, now } = props;
  const existing = await tx.monthlyReport.findUnique({
    where: { month_unitKind_unitCode: { month: summary.month, unitKind: unit.kind, unitCode: unit.code } },
    select: { id: true, postedAt: true, summary: true },
  });
  if (existing?.postedAt) return { kind: "unchanged", refs: [] };
  const group = unit.groupChatId ? await tx.chat.findUnique({ where: { id: unit.groupChatId }, select: { id: true, channel: true, kind: true, locale: true } }) : null;
  const postTo = group && group.kind === "group" && deps.officerRenderer ? group : null;
  if (existing && !postTo) return { kind: "unchanged", refs: [] };

  let reportId: string;
  let posted: MonthlySummary;
  if (existing) {
    // Posted by whoever marks it first (another process may be posting it too).
    const claimed = await tx.monthlyReport.updateMany({ where: { id: existing.id, postedAt: null }, data: { postedAt: now } });
    if (claimed.count === 0) return { kind: "unchanged", refs: [] };
    reportId = existing.id;
    posted = JSON.parse(existing.summary) as MonthlySummary;
  } else {
    const row = await tx.monthlyReport.create({
      data: { month: summary.month, unitKind: unit.kind, unitCode: unit.code, summary: JSON.stringify(summary), postedAt: postTo ? now : null },
      select: { id: true },
    });
    reportId = row.id;
    posted = summary;
  }

  const refs = postTo
    ? await enqueueIntents(tx, { chatId: postTo.id, channel: postTo.channel }, deps.officerRenderer!, postTo.locale ?? "vi", monthlyReportIntents(posted, reportId, postTo.locale ?? "vi", deps.consoleUrl))
    : [];
  await recordEvent(tx, {
    action: postTo ? "report.monthly_posted" : "report.monthly_stored",
    actor: props.actor,
    data: { reportId, month: summary.month, unitKind: unit.kind, unitCode: unit.code, ...(postTo ? { chatId: postTo.id } : {}) },
    at: now,
  });
  if (existing) return { kind: "posted", reportId, refs };
  return { kind: "created", reportId, posted: postTo !== null, refs };
}
