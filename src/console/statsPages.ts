import { drillQuery, statsQuery, RANK_PAGE_SIZE, STAT_CATEGORIES, STAT_CHANNELS, type ClockCounts, type Stats, type StatsFilter } from "../core/console/stats.ts";
import { formatVnDateTime } from "../core/vnTime.ts";
import { esc, layout, notice, scopeLabel, type PageContext } from "./pages.ts";
import { provinceMap } from "./provinceMap.ts";

/** Where every drill-down goes: the filtered tip list (filter contract of issue 14). */
export const TIPS_LIST = "/console/tips";

const tr = (c: PageContext, key: string, params?: Record<string, unknown>) => esc(c.t(c.lang, `console_stats:${key}`, params));
const cat = (c: PageContext, code: string) => esc(c.t(c.lang, `tip:category.${code}`));
const num = (c: PageContext, v: number) => esc(v.toLocaleString(c.lang === "vi" ? "vi-VN" : "en-US"));
const href = (f: StatsFilter, extra: Record<string, string | number> = {}) => `${TIPS_LIST}?${drillQuery(f, extra)}`;
/** A count that opens the tips behind it (0: plain text, nothing to open). */
const countLink = (c: PageContext, f: StatsFilter, extra: Record<string, string | number>, v: number, label: string) =>
  v === 0 ? "0" : `<a href="${esc(href(f, extra))}" aria-label="${esc(label)}">${num(c, v)}</a>`;
/** Shade class 0–4 of a value relative to the largest (0 only for 0). */
const shade = (v: number, max: number) => (v === 0 || max === 0 ? 0 : Math.min(4, 1 + Math.floor((v / max) * 3.999)));

function filterForm(c: PageContext, f: StatsFilter, provinces: Array<{ code: string; name: string }>): string {
  const option = (value: string, label: string, selected: boolean) => `<option value="${esc(value)}"${selected ? " selected" : ""}>${esc(label)}</option>`;
  return `<form method="get" action="/console/stats" class="stats-filter">
<div><label for="f-from">${tr(c, "form.from")}</label><input id="f-from" name="from" type="month" value="${esc(f.from)}" required pattern="\\d{4}-\\d{2}"></div>
<div><label for="f-to">${tr(c, "form.to")}</label><input id="f-to" name="to" type="month" value="${esc(f.to)}" required pattern="\\d{4}-\\d{2}"></div>
<div><label for="f-category">${tr(c, "form.category")}</label><select id="f-category" name="category">${option("", c.t(c.lang, "console_stats:form.all"), !f.category)}${STAT_CATEGORIES.map((k) => option(k, c.t(c.lang, `tip:category.${k}`), f.category === k)).join("")}</select></div>
<div><label for="f-channel">${tr(c, "form.channel")}</label><select id="f-channel" name="channel">${option("", c.t(c.lang, "console_stats:form.all"), !f.channel)}${STAT_CHANNELS.map((k) => option(k, c.t(c.lang, `console_stats:channel.${k}`), f.channel === k)).join("")}</select></div>
<div><label for="f-province">${tr(c, "form.province")}</label><select id="f-province" name="province">${option("", c.t(c.lang, "console_stats:form.all"), !f.province)}${provinces.map((p) => option(p.code, p.name, f.province === p.code)).join("")}</select></div>
<div><label for="f-commune">${tr(c, "form.commune")}</label><input id="f-commune" name="commune" inputmode="numeric" pattern="\\d{5}" maxlength="5" value="${esc(f.commune ?? "")}" aria-describedby="f-commune-hint"><small id="f-commune-hint">${tr(c, "form.commune_hint")}</small></div>
<div><button type="submit">${tr(c, "form.submit")}</button></div>
</form>`;
}

/** Tips per month as stacked SVG bars (one link per category segment, a text label per bar) and the same figures as a table of links. */
function categoryMonth(c: PageContext, s: Stats): string {
  const f = s.filter;
  const max = Math.max(1, ...s.months.map((m) => s.byMonth.get(m) ?? 0));
  const bw = 36;
  const gap = 12;
  const h = 180;
  const top = 20;
  const width = s.months.length * (bw + gap) + gap;
  const bars = s.months
    .map((m, i) => {
      const x = gap + i * (bw + gap);
      let y = top + h;
      const segs = STAT_CATEGORIES.map((k, ci) => {
        const v = s.byCategoryMonth.get(k)?.get(m) ?? 0;
        if (v === 0) return "";
        const sh = Math.max(1, (v / max) * h);
        y -= sh;
        const label = c.t(c.lang, "console_stats:bar_label", { month: m, category: c.t(c.lang, `tip:category.${k}`), n: v });
        return `<a href="${esc(href(f, { month: m, category: k }))}" aria-label="${esc(label)}"><rect class="c${ci}" x="${x}" y="${y.toFixed(1)}" width="${bw}" height="${sh.toFixed(1)}"><title>${esc(label)}</title></rect></a>`;
      }).join("");
      const total = s.byMonth.get(m) ?? 0;
      const totalLabel = c.t(c.lang, "console_stats:month_label", { month: m, n: total });
      return `${segs}<a href="${esc(href(f, { month: m }))}" aria-label="${esc(totalLabel)}"><text x="${x + bw / 2}" y="${(y - 4).toFixed(1)}" text-anchor="middle" class="val">${num(c, total)}</text></a><text x="${x + bw / 2}" y="${top + h + 14}" text-anchor="middle" class="axis">${esc(m.slice(2))}</text>`;
    })
    .join("");
  const legend = STAT_CATEGORIES.filter((k) => (s.byCategory.get(k) ?? 0) > 0)
    .map((k) => `<li><span class="swatch c${STAT_CATEGORIES.indexOf(k)}" aria-hidden="true"></span>${cat(c, k)}</li>`)
    .join("");
  const head = `<tr><th scope="col">${tr(c, "col.category")}</th>${s.months.map((m) => `<th scope="col">${esc(m)}</th>`).join("")}<th scope="col">${tr(c, "col.total")}</th></tr>`;
  const rows = STAT_CATEGORIES.map((k) => {
    const cells = s.months.map((m) => `<td>${countLink(c, f, { month: m, category: k }, s.byCategoryMonth.get(k)?.get(m) ?? 0, c.t(c.lang, "console_stats:bar_label", { month: m, category: c.t(c.lang, `tip:category.${k}`), n: s.byCategoryMonth.get(k)?.get(m) ?? 0 }))}</td>`).join("");
    const total = s.byCategory.get(k) ?? 0;
    return `<tr><th scope="row">${cat(c, k)}</th>${cells}<td>${countLink(c, f, { category: k }, total, c.t(c.lang, "console_stats:category_label", { category: c.t(c.lang, `tip:category.${k}`), n: total }))}</td></tr>`;
  }).join("");
  const foot = `<tr><th scope="row">${tr(c, "col.total")}</th>${s.months.map((m) => `<td>${countLink(c, f, { month: m }, s.byMonth.get(m) ?? 0, c.t(c.lang, "console_stats:month_label", { month: m, n: s.byMonth.get(m) ?? 0 }))}</td>`).join("")}<td>${countLink(c, f, {}, s.total, c.t(c.lang, "console_stats:total_label", { n: s.total }))}</td></tr>`;
  return `<section aria-labelledby="h-cat"><h2 id="h-cat">${tr(c, "h.category_month")}</h2>
<div class="chart"><svg class="bars" viewBox="0 0 ${width} ${top + h + 20}" width="${width}" height="${top + h + 20}" role="group" aria-labelledby="h-cat">${bars}</svg></div>
<ul class="legend">${legend}</ul>
<div class="scroll"><table class="grid" data-table="category-month"><caption>${tr(c, "caption.category_month")}</caption><thead>${head}</thead><tbody>${rows}</tbody><tfoot>${foot}</tfoot></table></div></section>`;
}

const minutesText = (c: PageContext, v: number | null) => (v === null ? "–" : v < 120 ? tr(c, "minutes", { n: v }) : tr(c, "hours", { n: Math.round((v / 60) * 10) / 10 }));

function claimTimes(c: PageContext, s: Stats): string {
  const f = s.filter;
  const rows = s.claimTimes
    .map((r) => `<tr data-month="${esc(r.month)}"><th scope="row"><a href="${esc(href(f, { month: r.month }))}">${esc(r.month)}</a></th><td>${num(c, r.claimed)}</td><td>${minutesText(c, r.medianMinutes)}</td><td>${minutesText(c, r.p90Minutes)}</td></tr>`)
    .join("");
  return `<section aria-labelledby="h-claim"><h2 id="h-claim">${tr(c, "h.claim")}</h2><p class="note">${tr(c, "claim_note")}</p>
<div class="scroll"><table data-table="claim"><thead><tr><th scope="col">${tr(c, "col.month")}</th><th scope="col">${tr(c, "col.claimed")}</th><th scope="col">${tr(c, "col.median")}</th><th scope="col">${tr(c, "col.p90")}</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

const pctText = (c: PageContext, k: ClockCounts) => (k.onTimePercent === null ? "–" : `${esc(k.onTimePercent.toLocaleString(c.lang === "vi" ? "vi-VN" : "en-US"))} %`);

function clocks(c: PageContext, s: Stats): string {
  const f = s.filter;
  const cells = (k: ClockCounts, kind: "receipt" | "decision", extra: Record<string, string>, unit: string) =>
    `<td>${pctText(c, k)}</td><td>${countLink(c, f, { ...extra, ontime: `${kind}_met` }, k.met, c.t(c.lang, `console_stats:clock_label.${kind}_met`, { unit, n: k.met }))}</td><td>${countLink(c, f, { ...extra, ontime: `${kind}_breached` }, k.breached, c.t(c.lang, `console_stats:clock_label.${kind}_breached`, { unit, n: k.breached }))}</td><td>${num(c, k.open)}${k.atRisk ? ` <span class="badge approaching">${tr(c, "at_risk", { n: k.atRisk })}</span>` : ""}</td>`;
  const head = `<thead><tr><th scope="col" rowspan="2">${tr(c, "col.unit")}</th><th scope="col" rowspan="2">${tr(c, "col.tips")}</th><th scope="colgroup" colspan="4">${tr(c, "col.receipt")}</th><th scope="colgroup" colspan="4">${tr(c, "col.decision")}</th></tr><tr>${["on_time", "met", "breached", "open"].map((k) => `<th scope="col">${tr(c, `col.${k}`)}</th>`).join("").repeat(2)}</tr></thead>`;
  const all = c.t(c.lang, "console_stats:all_units");
  const totalRow = `<tr class="total"><th scope="row">${esc(all)}</th><td>${countLink(c, f, {}, s.total, c.t(c.lang, "console_stats:total_label", { n: s.total }))}</td>${cells(s.totals.receipt, "receipt", {}, all)}${cells(s.totals.decision, "decision", {}, all)}</tr>`;
  const rows = s.units.rows
    .map((u) => `<tr data-unit="${esc(u.queueId)}"><th scope="row"><a href="${esc(href(f, { queue: u.queueId }))}">${esc(u.name)}</a></th><td>${countLink(c, f, { queue: u.queueId }, u.tips, c.t(c.lang, "console_stats:unit_label", { unit: u.name, n: u.tips }))}</td>${cells(u.receipt, "receipt", { queue: u.queueId }, u.name)}${cells(u.decision, "decision", { queue: u.queueId }, u.name)}</tr>`)
    .join("");
  return `<section aria-labelledby="h-clocks"><h2 id="h-clocks">${tr(c, "h.clocks")}</h2><p class="note">${tr(c, "clocks_note")}</p>
<p class="kpi"><span>${tr(c, "kpi.receipt")}: <strong data-kpi="receipt">${pctText(c, s.totals.receipt)}</strong></span> <span>${tr(c, "kpi.decision")}: <strong data-kpi="decision">${pctText(c, s.totals.decision)}</strong></span></p>
<div class="scroll"><table class="grid" data-table="clocks">${head}<tbody>${totalRow}${rows}</tbody></table></div>${pager(c, f, "upage", s.units.page, s.units.count, "h-clocks")}</section>`;
}

function pager(c: PageContext, f: StatsFilter, key: "cpage" | "upage", page: number, count: number, anchor: string): string {
  const pages = Math.max(1, Math.ceil(count / RANK_PAGE_SIZE));
  if (pages <= 1) return "";
  const link = (p: number, label: string, rel: string) => `<a rel="${rel}" href="/console/stats?${esc(statsQuery(f, { ...(key === "cpage" ? { upage: f.upage } : { cpage: f.cpage }), [key]: p }))}#${anchor}">${label}</a>`;
  return `<nav class="pager" aria-label="${tr(c, "pager")}">${page > 1 ? link(page - 1, tr(c, "prev"), "prev") : ""} <span>${tr(c, "page_of", { page, pages })}</span> ${page < pages ? link(page + 1, tr(c, "next"), "next") : ""}</nav>`;
}

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];
const HOURS = Array.from({ length: 24 }, (_, h) => h);

function heatmap(c: PageContext, s: Stats): string {
  const f = s.filter;
  const max = Math.max(0, ...s.heatmap.values());
  const head = `<tr><th scope="col">${tr(c, "col.weekday")}</th>${HOURS.map((h) => `<th scope="col" abbr="${h}:00">${h}</th>`).join("")}</tr>`;
  const rows = WEEKDAYS.map((w) => {
    const day = c.t(c.lang, `console_stats:weekday.${w}`);
    const cells = HOURS.map((h) => {
      const v = s.heatmap.get(`${h},${w}`) ?? 0;
      return `<td class="h${shade(v, max)}">${countLink(c, f, { hour: h, weekday: w }, v, c.t(c.lang, "console_stats:heat_label", { day, hour: h, n: v }))}</td>`;
    }).join("");
    return `<tr><th scope="row">${esc(day)}</th>${cells}</tr>`;
  }).join("");
  return `<section aria-labelledby="h-heat"><h2 id="h-heat">${tr(c, "h.heatmap")}</h2><p class="note">${tr(c, "heat_note")}</p>
<div class="scroll"><table class="grid heat" data-table="heatmap"><thead>${head}</thead><tbody>${rows}</tbody></table></div></section>`;
}

function provinces(c: PageContext, s: Stats, names: Map<string, string>): string {
  const f = s.filter;
  const map = provinceMap();
  const max = Math.max(0, ...s.byProvince.values());
  const shapes = [...map.paths]
    .map(([code, d]) => {
      const v = s.byProvince.get(code) ?? 0;
      const label = c.t(c.lang, "console_stats:province_label", { province: names.get(code) ?? code, n: v });
      return `<a href="${esc(href(f, { province: code }))}" aria-label="${esc(label)}"><path class="p${shade(v, max)}" d="${d}"><title>${esc(label)}</title></path></a>`;
    })
    .join("");
  const ranked = [...s.byProvince].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const rows = ranked
    .map(([code, v], i) => `<tr data-province="${esc(code)}"><td>${i + 1}</td><th scope="row"><a href="${esc(href(f, { province: code }))}">${esc(names.get(code) ?? code)}</a></th><td>${countLink(c, f, { province: code }, v, c.t(c.lang, "console_stats:province_label", { province: names.get(code) ?? code, n: v }))}</td></tr>`)
    .join("");
  return `<section aria-labelledby="h-prov"><h2 id="h-prov">${tr(c, "h.provinces")}</h2>
<div class="prov"><svg class="map" viewBox="0 0 ${map.width} ${map.height}" role="group" aria-labelledby="h-prov">${shapes}</svg>
<div class="scroll"><table data-table="provinces"><thead><tr><th scope="col">#</th><th scope="col">${tr(c, "col.province")}</th><th scope="col">${tr(c, "col.tips")}</th></tr></thead><tbody>${rows || `<tr><td colspan="3">${tr(c, "empty")}</td></tr>`}</tbody></table></div></div>
<p class="note">${tr(c, "map_note")}</p></section>`;
}

function communes(c: PageContext, s: Stats): string {
  const f = s.filter;
  const start = (s.communes.page - 1) * RANK_PAGE_SIZE;
  const rows = s.communes.rows
    .map((r, i) => `<tr data-commune="${esc(r.code)}"><td>${start + i + 1}</td><th scope="row"><a href="${esc(href(f, { commune: r.code }))}">${esc(r.name)}</a></th><td>${esc(r.provinceName)}</td><td>${countLink(c, f, { commune: r.code }, r.count, c.t(c.lang, "console_stats:commune_label", { commune: r.name, n: r.count }))}</td></tr>`)
    .join("");
  return `<section aria-labelledby="h-communes"><h2 id="h-communes">${tr(c, "h.communes")}</h2>
<div class="scroll"><table data-table="communes"><thead><tr><th scope="col">#</th><th scope="col">${tr(c, "col.commune")}</th><th scope="col">${tr(c, "col.province")}</th><th scope="col">${tr(c, "col.tips")}</th></tr></thead><tbody>${rows || `<tr><td colspan="4">${tr(c, "empty")}</td></tr>`}</tbody></table></div>${pager(c, f, "cpage", s.communes.page, s.communes.count, "h-communes")}</section>`;
}

/** The statistics page: the filter form, then every chart, each figure a link to the tips behind it. */
export function statsPage(c: PageContext, s: Stats, provinceList: Array<{ code: string; name: string }>): string {
  const names = new Map(provinceList.map((p) => [p.code, p.name]));
  return layout(
    c,
    c.t(c.lang, "console_stats:heading"),
    `<link rel="stylesheet" href="/console/static/stats.css">
<h1>${tr(c, "heading")} · ${scopeLabel(c, c.officer!)}</h1>
${filterForm(c, s.filter, provinceList)}
<p class="note" data-source="${s.source}">${tr(c, "summary", { n: s.total, from: s.filter.from, to: s.filter.to, at: formatVnDateTime(s.at) })}${s.source === "rollup" ? ` ${tr(c, "rollup_note")}` : ""} <a href="/console/stats.csv?${esc(statsQuery(s.filter))}" download>${tr(c, "csv")}</a></p>
<div class="stats">
${categoryMonth(c, s)}
${clocks(c, s)}
${claimTimes(c, s)}
${heatmap(c, s)}
${provinces(c, s, names)}
${communes(c, s)}
</div>`,
  );
}

/** The statistics page's answer to a bad query (400): which field, and the form again. */
export function statsBadRequest(c: PageContext, field: string, f: StatsFilter, provinceList: Array<{ code: string; name: string }>): string {
  return layout(
    c,
    c.t(c.lang, "console_stats:heading"),
    `<link rel="stylesheet" href="/console/static/stats.css">
<h1>${tr(c, "heading")}</h1>
${notice(c.t(c.lang, `console_stats:bad.${field}`), "alert")}
${filterForm(c, f, provinceList)}`,
  );
}
