import { CATEGORIES } from "../core/tips/categories.ts";
import { FILTER_KEYS, LIST_STATUSES, TIP_CHANNELS, cursorParam, filterQuery, type FilterKey, type FilterProblem, type ListCursor, type TipFilter } from "../core/console/tipFilter.ts";
import type { ListPage, ListRow } from "../core/console/tipList.ts";
import type { SavedViewRow } from "../core/console/savedViews.ts";
import { formatVnDateTime } from "../core/vnTime.ts";
import { esc, layout, notice, type PageContext } from "./pages.ts";

const tr = (c: PageContext, key: string, params?: Record<string, unknown>) => esc(c.t(c.lang, key, params));
const csrfField = (c: PageContext) => (c.csrf ? `<input type="hidden" name="csrf" value="${esc(c.csrf)}">` : "");

/** The units a person may pick in the filter form: provinces (national scope) or their province's queues. */
export interface UnitChoices {
  provinces?: Array<{ code: string; name: string }>;
  queues?: Array<{ id: string; name: string }>;
}

/** Everything the list page shows. */
export interface TipListView {
  filter: TipFilter;
  /** The filter's canonical query string. */
  query: string;
  page: ListPage;
  count: { count: number; capped: boolean };
  /** The page's starting point (absent on the first page). */
  after?: ListCursor;
  units: UnitChoices;
  views: SavedViewRow[];
  message?: { text: string; kind: "status" | "alert" };
}

/** Which filter parameters the form shows as fields for a scope (the others are kept as removable chips). */
function formKeys(c: PageContext): Set<FilterKey> {
  const keys = new Set<FilterKey>(["category", "status", "life", "channel", "from", "to"]);
  if (c.officer?.scopeKind === "national") {
    keys.add("province");
    keys.add("commune");
  } else if (c.officer?.scopeKind === "province") keys.add("queue");
  return keys;
}

/** How a parameter's value reads on a chip. */
function valueLabel(c: PageContext, key: FilterKey, value: string | number): string {
  switch (key) {
    case "category":
      return c.t(c.lang, `tip:category.${value}`);
    case "status":
      return c.t(c.lang, `console_tips:status.${value}`);
    case "channel":
      return c.t(c.lang, `console_tips:channel.${value}`);
    case "ontime":
      return c.t(c.lang, `console_tips:ontime.${value}`);
    case "weekday":
      return c.t(c.lang, `console_tips:weekday.${value}`);
    case "hour":
      return c.t(c.lang, "console_tips:hour_value", { hour: String(value).padStart(2, "0") });
    case "life":
      return "✓";
    default:
      return String(value);
  }
}

const options = (c: PageContext, values: ReadonlyArray<{ value: string; label: string }>, selected: string | undefined) =>
  [`<option value="">${tr(c, "console_tips:filters.any")}</option>`, ...values.map((v) => `<option value="${esc(v.value)}"${v.value === selected ? " selected" : ""}>${esc(v.label)}</option>`)].join("");

function selectField(c: PageContext, key: FilterKey, values: ReadonlyArray<{ value: string; label: string }>, selected: string | undefined): string {
  return `<div class="field"><label for="f-${key}">${tr(c, `console_tips:param.${key}`)}</label><select id="f-${key}" name="${key}">${options(c, values, selected)}</select></div>`;
}

function filterForm(c: PageContext, v: TipListView): string {
  const f = v.filter;
  const shown = formKeys(c);
  const fields: string[] = [];
  if (shown.has("province")) fields.push(selectField(c, "province", (v.units.provinces ?? []).map((p) => ({ value: p.code, label: p.name })), f.province));
  if (shown.has("commune")) {
    fields.push(
      `<div class="field"><label for="f-commune">${tr(c, "console_tips:param.commune")}</label><input id="f-commune" name="commune" inputmode="numeric" pattern="[0-9]{5}" maxlength="5" value="${esc(f.commune ?? "")}" aria-describedby="f-commune-hint"><small id="f-commune-hint" class="note">${tr(c, "console_tips:filters.commune_hint")}</small></div>`,
    );
  }
  if (shown.has("queue")) fields.push(selectField(c, "queue", (v.units.queues ?? []).map((q) => ({ value: q.id, label: q.name })), f.queue));
  if (c.officer?.scopeKind === "commune") fields.push(`<p class="note">${tr(c, "console_tips:filters.unit_fixed", { scope: c.t(c.lang, `console:scope.commune`, { code: c.officer.scopeCode }) })}</p>`);
  fields.push(selectField(c, "category", CATEGORIES.map((k) => ({ value: k, label: c.t(c.lang, `tip:category.${k}`) })), f.category));
  fields.push(selectField(c, "status", LIST_STATUSES.map((k) => ({ value: k, label: c.t(c.lang, `console_tips:status.${k}`) })), f.status));
  fields.push(selectField(c, "channel", TIP_CHANNELS.map((k) => ({ value: k, label: c.t(c.lang, `console_tips:channel.${k}`) })), f.channel));
  fields.push(`<div class="field"><label for="f-from">${tr(c, "console_tips:param.from")}</label><input id="f-from" type="date" name="from" value="${esc(f.from ?? "")}"></div>`);
  fields.push(`<div class="field"><label for="f-to">${tr(c, "console_tips:param.to")}</label><input id="f-to" type="date" name="to" value="${esc(f.to ?? "")}"></div>`);
  fields.push(`<div class="field check"><input id="f-life" type="checkbox" name="life" value="1"${f.life ? " checked" : ""}> <label for="f-life">${tr(c, "console_tips:param.life")}</label></div>`);
  const hidden = FILTER_KEYS.filter((k) => !shown.has(k) && f[k] !== undefined)
    .map((k) => `<input type="hidden" name="${k}" value="${esc(String(f[k]))}">`)
    .join("");
  return `<form method="get" action="/console/tips" class="filters" role="search"><fieldset><legend>${tr(c, "console_tips:filters.legend")}</legend>${fields.join("")}${hidden}
<div class="buttons"><button type="submit">${tr(c, "console_tips:filters.submit")}</button> <a href="/console/tips">${tr(c, "console_tips:filters.reset")}</a></div></fieldset></form>`;
}

/** The parameters kept from a drill-down (not fields of the form), each removable. */
function chips(c: PageContext, v: TipListView): string {
  const shown = formKeys(c);
  const items = FILTER_KEYS.filter((k) => !shown.has(k) && v.filter[k] !== undefined).map((k) => {
    const label = `${c.t(c.lang, `console_tips:param.${k}`)}: ${valueLabel(c, k, v.filter[k]!)}`;
    const rest = filterQuery(v.filter, k);
    return `<li class="chip" data-param="${k}">${esc(label)} <a href="/console/tips${rest ? `?${esc(rest)}` : ""}" aria-label="${tr(c, "console_tips:chips.remove", { label })}">×</a></li>`;
  });
  if (items.length === 0) return "";
  return `<section class="chips" aria-labelledby="chips-h"><h2 id="chips-h" class="sr">${tr(c, "console_tips:chips.heading")}</h2><ul>${items.join("")}</ul></section>`;
}

function rowHtml(c: PageContext, row: ListRow): string {
  const badges = [
    row.awaiting ? `<span class="badge approaching">${tr(c, "console_tips:badge.awaiting")}</span>` : "",
    row.overdue ? `<span class="badge overdue">${tr(c, "console_tips:badge.overdue")}</span>` : "",
  ].join(" ");
  return `<tr data-code="${esc(row.code)}"${row.lifeSafety ? ' class="life"' : ""}>
<th scope="row"><a class="code" href="/console/tips/${esc(encodeURIComponent(row.id))}/view">${esc(row.code)}</a></th>
<td>${esc(formatVnDateTime(row.receivedAt))}</td>
<td>${tr(c, `tip:category.${row.category}`)}${row.lifeSafety ? ` <span class="badge life">${tr(c, "console_tips:badge.life")}</span>` : ""}</td>
<td>${tr(c, `console_tips:status.${row.status}`)} ${badges}</td>
<td>${esc(row.unit)}</td>
<td>${tr(c, `console_tips:channel.${row.channel}`)}</td>
<td>${row.holder ? esc(row.holder) : "—"}</td>
</tr>`;
}

function table(c: PageContext, rows: ListRow[]): string {
  if (rows.length === 0) return `<p>${tr(c, "console_tips:empty")}</p>`;
  const cols = ["code", "received", "category", "status", "unit", "channel", "holder"];
  return `<table class="tip-list"><caption>${tr(c, "console_tips:table.caption")}</caption><thead><tr>${cols.map((k) => `<th scope="col">${tr(c, `console_tips:table.${k}`)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => rowHtml(c, r)).join("")}</tbody></table>`;
}

function pager(c: PageContext, v: TipListView): string {
  const links: string[] = [];
  const base = v.query ? `${v.query}&` : "";
  if (v.after) links.push(`<a href="/console/tips${v.query ? `?${esc(v.query)}` : ""}">${tr(c, "console_tips:pager.first")}</a>`);
  if (v.page.next) links.push(`<a rel="next" href="/console/tips?${esc(base)}after=${esc(cursorParam(v.page.next))}">${tr(c, "console_tips:pager.next")}</a>`);
  return links.length ? `<nav class="pager" aria-label="${tr(c, "console_tips:pager.label")}">${links.join(" · ")}</nav>` : "";
}

function viewsSection(c: PageContext, v: TipListView): string {
  const list = v.views.length
    ? `<ul class="views">${v.views
        .map(
          (view) =>
            `<li><a href="/console/views/${esc(view.id)}" aria-label="${tr(c, "console_tips:views.open", { name: view.name })}">${esc(view.name)}</a> <form method="post" action="/console/views/${esc(view.id)}/delete">${csrfField(c)}<button type="submit" class="secondary" aria-label="${tr(c, "console_tips:views.delete_label", { name: view.name })}">${tr(c, "console_tips:views.delete")}</button></form></li>`,
        )
        .join("")}</ul>`
    : `<p class="note">${tr(c, "console_tips:views.none")}</p>`;
  return `<section class="saved-views" aria-labelledby="views-h"><h2 id="views-h">${tr(c, "console_tips:views.heading")}</h2>${list}
<form method="post" action="/console/views">${csrfField(c)}<input type="hidden" name="query" value="${esc(v.query)}"><label for="view-name">${tr(c, "console_tips:views.name_label")}</label><input id="view-name" name="name" required maxlength="60"> <button type="submit">${tr(c, "console_tips:views.save")}</button></form></section>`;
}

/** The filtered tip list: the filter form, drill-down chips, the count, a page of tips, the export link and the saved views. */
export function tipListPage(c: PageContext, v: TipListView): string {
  const count = v.count.capped ? tr(c, "console_tips:count_capped", { count: v.count.count.toLocaleString(c.lang === "en" ? "en" : "vi") }) : tr(c, "console_tips:count", { count: v.count.count });
  const csv = `/console/tips.csv${v.query ? `?${v.query}` : ""}`;
  return layout(
    c,
    c.t(c.lang, "console_tips:heading"),
    `<h1>${tr(c, "console_tips:heading")}</h1>
${v.message ? notice(v.message.text, v.message.kind) : ""}
<p class="note">${tr(c, "console_tips:scope_note", { scope: c.officer ? c.t(c.lang, `console:scope.${c.officer.scopeKind}`, { code: c.officer.scopeCode }) : "" })}</p>
${filterForm(c, v)}
${chips(c, v)}
<p class="count" role="status" data-count="${v.count.count}"${v.count.capped ? ' data-capped="1"' : ""}>${count}</p>
<p><a class="export" href="${esc(csv)}" download>${tr(c, "console_tips:export")}</a> <small class="note">${tr(c, "console_tips:export_note")}</small></p>
${table(c, v.page.rows)}
${pager(c, v)}
${viewsSection(c, v)}`,
  );
}

/** The 400 page of an invalid filter: what is wrong, translated, and the way back. */
export function badFilterPage(c: PageContext, problems: FilterProblem[], heading?: string): string {
  const items = problems.map((p) => `<li>${tr(c, `console_tips:error.${p.problem}`, { param: c.t(c.lang, `console_tips:param.${p.param}`) })}</li>`).join("");
  return layout(
    c,
    c.t(c.lang, "console_tips:error.heading"),
    `<h1>${tr(c, "console_tips:error.heading")}</h1>${heading ? notice(heading, "alert") : ""}<ul role="alert">${items}</ul><p><a href="/console/tips">${tr(c, "console_tips:error.back")}</a></p>`,
  );
}
