import type { Db } from "../../db/client.ts";
import type { Translate } from "../../i18n.ts";
import { isLocale } from "../../i18n.ts";
import { barChart, type ChartValue } from "../../charts/bar.ts";
import type { RenderedChart } from "../../charts/render.ts";
import type { FileLoader } from "../files.ts";
import type { Intent } from "../intents.ts";
import { link, type Reply, type TextBlock, type TranslatedParam } from "../reply.ts";
import { monthLabel, type MonthlySummary, type ShownClock } from "./monthly.ts";
import type { ShownCount } from "./smallCounts.ts";

/** The file source of monthly report charts: references "monthly-report:<report id>:<locale>". */
export const MONTHLY_CHART_SOURCE = "monthly-report";

/** The reference of a report's chart in a language (what an outbox message carries). */
export const monthlyChartRef = (reportId: string, locale: string) => `${MONTHLY_CHART_SOURCE}:${reportId}:${isLocale(locale) ? locale : "vi"}`;

/** The categories the chart and the caption name one by one (the rest are in the console's table). */
const CAPTION_CATEGORIES = 5;

/** A percent as a text parameter: "92%", or "—" (translated) when too few deadlines were settled. */
const percent = (c: ShownClock): string | TranslatedParam => (c.percent === null ? { $t: "reports:monthly.no_figure" } : `${c.percent}%`);

/** A report's unit as texts name it. */
const unitParam = (s: MonthlySummary) => s.unit.name;

/**
 * The short summary posted under the chart, in the group's language: tips received, the share of
 * receipt notices and decisions within their legal time, the largest categories, each beside the
 * month before; the "<3" rule explained; a link to the report in the console when its address is known.
 */
export function monthlyReportReply(summary: MonthlySummary, reportId: string, consoleUrl?: string): Reply {
  const lines: TextBlock[] = [
    { key: "reports:monthly.tips", params: { count: summary.tips.current, previous: summary.tips.previous } },
    { key: "reports:monthly.receipt", params: { percent: percent(summary.receipt.current), previous: percent(summary.receipt.previous) } },
    {
      key: summary.decision.current.pending === 0 ? "reports:monthly.decision" : "reports:monthly.decision_pending",
      params: { percent: percent(summary.decision.current), previous: percent(summary.decision.previous), pending: summary.decision.current.pending },
    },
  ];
  for (const c of summary.categories.slice(0, CAPTION_CATEGORIES)) {
    lines.push({ key: "reports:monthly.category", params: { category: { $t: `tip:category.${c.category}` }, count: c.current, previous: c.previous } });
  }
  const hasSmall = [summary.tips.current, summary.tips.previous, ...summary.categories.flatMap((c) => [c.current, c.previous])].includes("<3");
  if (hasSmall) lines.push({ key: "reports:monthly.small_note" });
  if (consoleUrl) lines.push({ key: "reports:monthly.details", params: { link: link(`${consoleUrl}/console/reports/${reportId}`, { $t: "reports:monthly.open_console" }) } });
  return {
    key: "reports:monthly.heading",
    params: { month: monthLabel(summary.month), unit: unitParam(summary) },
    strong: true,
    more: lines,
    compact: true,
  };
}

/** What a group gets: the chart (made when sent, in the group's language) with the summary as its caption. */
export function monthlyReportIntents(summary: MonthlySummary, reportId: string, locale: string, consoleUrl?: string): Intent[] {
  return [
    {
      kind: "image",
      image: { ref: monthlyChartRef(reportId, locale), name: `report-${summary.month}-${summary.unit.kind}-${summary.unit.code}.png` },
      caption: monthlyReportReply(summary, reportId, consoleUrl),
    },
  ];
}

const chartValue = (n: ShownCount): ChartValue => (n === "<3" ? { value: 0, label: "<3" } : n);

/** Charts drawn lately, by report and language (a stored report's figures never change): a page viewed again, a send retried. */
const recent = new Map<string, RenderedChart>();
const RECENT_CHARTS = 64;

/** A stored report's chart in a language, drawn once and kept among the last RECENT_CHARTS. */
export function storedReportChart(reportId: string, summary: MonthlySummary, locale: string, t: Translate): RenderedChart {
  const key = `${reportId}:${locale}`;
  let chart = recent.get(key);
  if (chart) recent.delete(key);
  else chart = monthlyReportChart(summary, locale, t);
  recent.set(key, chart);
  if (recent.size > RECENT_CHARTS) recent.delete(recent.keys().next().value!);
  return chart;
}

/** A report's chart in a language: tips by category, this month beside the month before (held-back counts drawn as 0, labelled "<3"). */
export function monthlyReportChart(summary: MonthlySummary, locale: string, t: Translate): RenderedChart {
  return barChart({
    t,
    locale,
    title: { key: "reports:chart.title", params: { unit: summary.unit.name, month: monthLabel(summary.month) } },
    subtitle: {
      key: "reports:chart.subtitle",
      params: {
        count: summary.tips.current,
        receipt: summary.receipt.current.percent === null ? t(locale, "reports:monthly.no_figure") : `${summary.receipt.current.percent}%`,
        decision: summary.decision.current.percent === null ? t(locale, "reports:monthly.no_figure") : `${summary.decision.current.percent}%`,
      },
    },
    categories: summary.categories.map((c) => ({ key: `tip:category.${c.category}` })),
    series: [
      { name: { key: "reports:chart.this_month", params: { month: monthLabel(summary.month) } }, values: summary.categories.map((c) => chartValue(c.current)) },
      { name: { key: "reports:chart.previous_month", params: { month: monthLabel(summary.previousMonth) } }, values: summary.categories.map((c) => chartValue(c.previous)) },
    ],
  });
}

/** Reads a stored report's summary (null: no such report). */
export async function storedSummary(db: Db, reportId: string): Promise<MonthlySummary | null> {
  const row = await db.monthlyReport.findUnique({ where: { id: reportId }, select: { summary: true } });
  return row ? (JSON.parse(row.summary) as MonthlySummary) : null;
}

/**
 * The file source of report charts for the senders: the PNG is drawn again from the stored
 * summary (the same bytes every time: bundled fonts only), so the outbox keeps a reference only and
 * a restart between storing a report and sending it loses nothing.
 */
export function monthlyChartFiles(db: Db, t: Translate): FileLoader {
  return async (ref) => {
    const m = /^monthly-report:([A-Za-z0-9_-]{1,64}):([a-z]{2})$/.exec(ref);
    if (!m) return null;
    const summary = await storedSummary(db, m[1]!);
    if (!summary) return null;
    const { png } = storedReportChart(m[1]!, summary, m[2]!, t);
    return { bytes: png, mime: "image/png", name: `report-${summary.month}.png` };
  };
}
