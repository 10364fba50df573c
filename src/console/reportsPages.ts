import { stringify } from "csv-stringify/sync";
import type { ReportListRow } from "../core/console/reports.ts";
import { tipsBehind } from "../core/console/reports.ts";
import { monthLabel, type MonthlySummary, type ShownClock } from "../core/reports/monthly.ts";
import type { ShownCount } from "../core/reports/smallCounts.ts";
import { formatVnDateTime } from "../core/vnTime.ts";
import { esc, layout, scopeLabel, type PageContext } from "./pages.ts";
import { spreadsheetSafe } from "../core/console/csv.ts";

const tr = (c: PageContext, key: string, params?: Record<string, unknown>) => esc(c.t(c.lang, key, params));
const NS = "console_reports";

/** A count as shown ("<3" kept). */
const count = (n: ShownCount) => esc(String(n));
/** A share as shown: "92%", or "—" under 3 settled deadlines. */
const pct = (c: PageContext, clock: ShownClock) => (clock.percent === null ? tr(c, `${NS}:no_figure`) : `${clock.percent}%`);

/** The report's heading: "Báo cáo tháng 05/2026 — Công an phường Hoàn Kiếm". */
const heading = (c: PageContext, s: MonthlySummary) => c.t(c.lang, `${NS}:report.heading`, { month: monthLabel(s.month), unit: s.unit.name });

/** The console's list of monthly reports: one month (links to the others), the units' figures, pages. */
export function reportsListPage(c: PageContext, data: { months: string[]; month?: string; rows: ReportListRow[]; page: number; more: boolean }): string {
  const months = data.months.length
    ? `<nav aria-label="${tr(c, `${NS}:list.months`)}"><ul class="months">${data.months
        .map((m) => `<li><a href="/console/reports?month=${m}"${m === data.month ? ' aria-current="page"' : ""}>${esc(monthLabel(m))}</a></li>`)
        .join("")}</ul></nav>`
    : "";
  const head = ["unit", "tips", "receipt", "decision", "posted"].map((h) => `<th scope="col">${tr(c, `${NS}:list.col.${h}`)}</th>`).join("");
  const rows = data.rows
    .map((r) => {
      const s = r.summary;
      return `<tr><th scope="row"><a href="/console/reports/${esc(r.id)}">${esc(s.unit.name)}</a></th><td>${count(s.tips.current)} <span class="note">(${count(s.tips.previous)})</span></td><td>${pct(c, s.receipt.current)}</td><td>${pct(c, s.decision.current)}</td><td>${
        r.postedAt ? esc(formatVnDateTime(r.postedAt)) : tr(c, `${NS}:list.not_posted`)
      }</td></tr>`;
    })
    .join("");
  const pager = [
    data.page > 0 ? `<a href="/console/reports?month=${esc(data.month ?? "")}&amp;page=${data.page - 1}" rel="prev">${tr(c, `${NS}:list.prev`)}</a>` : "",
    data.more ? `<a href="/console/reports?month=${esc(data.month ?? "")}&amp;page=${data.page + 1}" rel="next">${tr(c, `${NS}:list.next`)}</a>` : "",
  ].filter(Boolean);
  const body = data.month
    ? `<h2>${tr(c, `${NS}:list.month`, { month: monthLabel(data.month) })}</h2>
<p class="note">${tr(c, `${NS}:list.previous_note`)}</p>
<div class="scroll"><table class="figures"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>
${pager.length ? `<nav aria-label="${tr(c, `${NS}:list.pages`)}" class="pager">${pager.join(" · ")}</nav>` : ""}`
    : `<p>${tr(c, `${NS}:list.empty`)}</p>`;
  return layout(c, c.t(c.lang, `${NS}:list.heading`), `<link rel="stylesheet" href="/console/static/reports.css">
<h1>${tr(c, `${NS}:list.heading`)} · ${scopeLabel(c, c.officer!)}</h1>
<p>${tr(c, `${NS}:list.intro`)}</p>
${months}
${body}`);
}

/** One report: its chart (an image served by the service), its figures as tables whose rows open the tips behind them, its CSV. */
export function reportPage(c: PageContext, r: ReportListRow): string {
  const s = r.summary;
  const list = (category?: string) => `/console/tips?${tipsBehind(s, category)}`;
  const clockRows = (kind: "receipt" | "decision") =>
    (["percent", "met", "breached", "pending"] as const)
      .map((m) => {
        const cur = s[kind].current;
        const prev = s[kind].previous;
        const cell = (x: ShownClock) => (m === "percent" ? pct(c, x) : count(x[m]));
        return `<tr><th scope="row">${tr(c, `${NS}:report.${kind}.${m}`)}</th><td>${cell(cur)}</td><td>${cell(prev)}</td></tr>`;
      })
      .join("");
  const months = `<th scope="col">${tr(c, `${NS}:report.this_month`, { month: monthLabel(s.month) })}</th><th scope="col">${tr(c, `${NS}:report.previous_month`, { month: monthLabel(s.previousMonth) })}</th>`;
  const categories = s.categories.length
    ? `<table class="figures"><caption>${tr(c, `${NS}:report.by_category`)}</caption><thead><tr><th scope="col">${tr(c, `${NS}:report.category`)}</th>${months}</tr></thead><tbody>${s.categories
        .map(
          (k) =>
            `<tr><th scope="row"><a href="${esc(list(k.category))}">${tr(c, `tip:category.${k.category}`)}</a></th><td>${count(k.current)}</td><td>${count(k.previous)}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : `<p>${tr(c, `${NS}:report.no_tips`)}</p>`;
  const alt = c.t(c.lang, `${NS}:report.chart_alt`, { unit: s.unit.name, month: monthLabel(s.month) });
  return layout(
    c,
    heading(c, s),
    `<link rel="stylesheet" href="/console/static/reports.css">
<p><a href="/console/reports?month=${esc(s.month)}">${tr(c, `${NS}:report.back`)}</a></p>
<h1>${esc(heading(c, s))}</h1>
<p class="note">${tr(c, `${NS}:report.as_of`, { at: formatVnDateTime(new Date(s.asOf)) })} · ${
      r.postedAt ? tr(c, `${NS}:report.posted`, { at: formatVnDateTime(r.postedAt) }) : tr(c, `${NS}:report.not_posted`)
    }</p>
<figure class="chart"><a href="/console/reports/${esc(r.id)}/chart.png?lang=${esc(c.lang)}"><img src="/console/reports/${esc(r.id)}/chart.png?lang=${esc(c.lang)}" alt="${esc(alt)}" width="800"></a><figcaption class="note">${tr(c, `${NS}:report.chart_full`)}</figcaption></figure>
<table class="figures"><caption>${tr(c, `${NS}:report.overview`)}</caption><thead><tr><th scope="col">${tr(c, `${NS}:report.figure`)}</th>${months}</tr></thead><tbody>
<tr><th scope="row"><a href="${esc(list())}">${tr(c, `${NS}:report.tips`)}</a></th><td>${count(s.tips.current)}</td><td>${count(s.tips.previous)}</td></tr>
${clockRows("receipt")}${clockRows("decision")}</tbody></table>
${categories}
<p class="note">${tr(c, `${NS}:report.small_note`)}</p>
<p><a href="/console/reports/${esc(r.id)}.csv" download>${tr(c, `${NS}:report.csv`)}</a></p>`,
  );
}

/** A report's figures as CSV (one row per figure; counts held back stay "<3"), with a BOM for spreadsheet programs. */
export function reportCsv(c: PageContext, r: ReportListRow): string {
  const s = r.summary;
  const rows: Array<Array<string | number>> = [["month", "unit_kind", "unit_code", "unit", "figure", "category", "category_name", "this_month", "previous_month", "previous_month_label"]];
  const unit = [s.month, s.unit.kind, s.unit.code, s.unit.name];
  const add = (figure: string, current: ShownCount | number | null, previous: ShownCount | number | null, category = "") =>
    rows.push([...unit, figure, category, category ? c.t(c.lang, `tip:category.${category}`) : "", current ?? "", previous ?? "", s.previousMonth]);
  add("tips", s.tips.current, s.tips.previous);
  for (const kind of ["receipt", "decision"] as const) {
    add(`${kind}_on_time_percent`, s[kind].current.percent, s[kind].previous.percent);
    for (const m of ["met", "breached", "pending"] as const) add(`${kind}_${m}`, s[kind].current[m], s[kind].previous[m]);
  }
  for (const k of s.categories) add("tips_by_category", k.current, k.previous, k.category);
  return "\ufeff" + stringify(rows, { cast: { string: spreadsheetSafe } });
}

/** The file name of a report's CSV. */
export const reportCsvName = (r: ReportListRow) => `report-${r.summary.month}-${r.summary.unit.kind}-${r.summary.unit.code}.csv`;
