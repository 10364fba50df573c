import type { OfficerRecord } from "../core/officers/authorize.ts";
import { QUEUE_GROUPS, type ConsoleQueue, type QueueChoice, type QueueFilter, type QueueGroup, type QueueRow } from "../core/console/queueView.ts";
import { OUTCOMES } from "../core/tips/commands/close.ts";
import { formatVnDateTime } from "../core/vnTime.ts";
import { LOCALES, type Translate } from "../i18n.ts";
import { NAV } from "./nav.ts";

/** Escapes text for HTML (element content and quoted attributes). */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What every page needs: the language, its translator, and the session (if any) with its CSRF token. */
export interface PageContext {
  lang: string;
  t: Translate;
  officer?: OfficerRecord;
  csrf?: string;
  /** Path of the page, for the language links. */
  path: string;
}

const tr = (c: PageContext, key: string, params?: Record<string, unknown>) => esc(c.t(c.lang, key, params));

/** A hidden CSRF field. */
const csrfField = (token: string | undefined) => (token ? `<input type="hidden" name="csrf" value="${esc(token)}">` : "");

/** How an officer's scope reads ("commune 00070"). */
export const scopeLabel = (c: PageContext, o: Pick<OfficerRecord, "scopeKind" | "scopeCode">) => tr(c, `console:scope.${o.scopeKind}`, { code: o.scopeCode });

/** The links to the console's pages this person may open (none before login). */
function pagesNav(c: PageContext): string {
  const items = c.officer ? NAV.filter((n) => n.allowed(c.officer!)) : [];
  if (items.length === 0) return "";
  const link = (n: (typeof NAV)[number]) => `<li><a href="${esc(n.href)}"${c.path === n.href ? ' aria-current="page"' : ""}>${tr(c, n.label)}</a></li>`;
  return `<nav class="pages" aria-label="${tr(c, "console:nav.label")}"><ul>${items.map(link).join("")}</ul></nav>`;
}

/** The page frame: language links, who is logged in and the logout button, the main content. */
export function layout(c: PageContext, title: string, main: string, opts: { script?: boolean } = {}): string {
  const langs = LOCALES.map((l) => `<a href="${esc(c.path)}?lang=${l}" lang="${l}"${l === c.lang ? ' aria-current="true"' : ""}>${esc(c.t(l, `language.name.${l}`))}</a>`).join(" · ");
  const who = c.officer
    ? `<form method="post" action="/console/logout" class="who">${csrfField(c.csrf)}<span>${tr(c, "console:session.signed_in_as", {
        name: c.officer.displayName ?? c.officer.id.slice(-5),
        role: c.t(c.lang, `officer:admin.role.${c.officer.role}`),
        scope: c.t(c.lang, `console:scope.${c.officer.scopeKind}`, { code: c.officer.scopeCode }),
      })}</span> <button type="submit">${tr(c, "console:session.logout")}</button></form>`
    : "";
  return `<!doctype html>
<html lang="${esc(c.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${tr(c, "console:title")}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/static/console.css">
${opts.script ? '<script src="/console/static/console.js" defer></script>' : ""}
</head>
<body>
<a class="skip" href="#main">${tr(c, "console:skip")}</a>
<header><strong>${tr(c, "console:title")}</strong> <nav aria-label="${tr(c, "console:language")}">${langs}</nav>${who}</header>
${pagesNav(c)}
<main id="main">
${main}
</main>
</body>
</html>`;
}

/** A notice (role=status) or an error (role=alert). */
export const notice = (text: string, kind: "status" | "alert" = "status") => `<p class="notice ${kind}" role="${kind}">${esc(text)}</p>`;

/** The login page: ask for a link by Telegram user id, or type the code. */
export function loginPage(c: PageContext, preCsrf: string, message?: { text: string; kind: "status" | "alert" }): string {
  return layout(
    c,
    c.t(c.lang, "console:login.heading"),
    `<h1>${tr(c, "console:login.heading")}</h1>
${message ? notice(message.text, message.kind) : ""}
<p>${tr(c, "console:login.intro")}</p>
<form method="post" action="/console/login">${csrfField(preCsrf)}
<label for="telegram-id">${tr(c, "console:login.id_label")}</label>
<input id="telegram-id" name="telegramUserId" inputmode="numeric" autocomplete="username" required maxlength="20">
<button type="submit">${tr(c, "console:login.request")}</button>
</form>
<h2>${tr(c, "console:login.code_heading")}</h2>
<form method="post" action="/console/login/code">${csrfField(preCsrf)}
<label for="login-code">${tr(c, "console:login.code_label")}</label>
<input id="login-code" name="code" autocomplete="one-time-code" required maxlength="12">
<button type="submit">${tr(c, "console:login.code_submit")}</button>
</form>`,
  );
}

/** The page a login link opens: one button that uses it (a link preview fetching the URL uses nothing). */
export function linkPage(c: PageContext, preCsrf: string, token: string): string {
  return layout(
    c,
    c.t(c.lang, "console:login.link_heading"),
    `<h1>${tr(c, "console:login.link_heading")}</h1>
<p>${tr(c, "console:login.link_intro")}</p>
<form method="post" action="/console/login/${esc(token)}">${csrfField(preCsrf)}<button type="submit" autofocus>${tr(c, "console:login.link_submit")}</button></form>`,
  );
}

/** The home page of roles without a console tool yet (outreach, legal). */
export function homePage(c: PageContext): string {
  const items = c.officer ? NAV.filter((n) => n.allowed(c.officer!)) : [];
  const body = items.length
    ? `<ul>${items.map((n) => `<li><a href="${esc(n.href)}">${tr(c, n.label)}</a></li>`).join("")}</ul>`
    : `<p>${tr(c, "console:home.none")}</p>`;
  return layout(c, c.t(c.lang, "console:home.heading"), `<h1>${tr(c, "console:home.heading")}</h1>${body}`);
}

/** The refusal page (403). */
export function forbiddenPage(c: PageContext): string {
  return layout(c, c.t(c.lang, "console:forbidden.heading"), `<h1>${tr(c, "console:forbidden.heading")}</h1><p>${tr(c, "console:forbidden.page", { role: c.officer ? c.t(c.lang, `officer:admin.role.${c.officer.role}`) : "" })}</p><p><a href="/console/home">${tr(c, "console:forbidden.home")}</a></p>`);
}

/** Text a queue page repeats on every row (labels, the outcomes' options), made once per page. */
const pageTexts = new WeakMap<PageContext, Map<string, string>>();
function once(c: PageContext, key: string, make: () => string): string {
  let texts = pageTexts.get(c);
  if (!texts) pageTexts.set(c, (texts = new Map()));
  let text = texts.get(key);
  if (text === undefined) texts.set(key, (text = make()));
  return text;
}
/** `tr` without parameters, looked up once per page. */
const trOnce = (c: PageContext, key: string) => once(c, key, () => tr(c, key));
/** `tr` with one parameter: the text is made once per page with a mark in the parameter's place, then the (escaped) value is put in. */
const trWith = (c: PageContext, key: string, param: string, value: string | number) =>
  once(c, `\0${key}`, () => tr(c, key, { [param]: "\u0001" }))
    .split("\u0001")
    .join(esc(String(value)));

function deadlinesCell(c: PageContext, row: QueueRow): string {
  return row.deadlines
    .map(
      (d) =>
        `<span class="deadline ${d.state}">${trOnce(c, `console:queue.deadline.${d.kind}`)}: ${esc(formatVnDateTime(d.due))}${
          d.state === "ok" ? "" : ` <span class="badge ${d.state}">${trOnce(c, `console:queue.badge.${d.state}`)}</span>`
        }</span>`,
    )
    .join("<br>");
}

function actionsCell(c: PageContext, row: QueueRow): string {
  const csrf = once(c, "\0csrf", () => csrfField(c.csrf));
  const parts: string[] = [];
  if (row.status === "new") {
    parts.push(`<form method="post" action="/console/tips/${esc(row.id)}/claim">${csrf}<button type="submit" data-action="claim">${trOnce(c, "console:queue.claim")}</button></form>`);
  }
  if (row.status !== "closed") {
    const options = once(c, "\0outcomes", () => OUTCOMES.map((o) => `<option value="${o}">${tr(c, `officer:outcome.${o}`)}</option>`).join(""));
    const id = `out-${esc(row.id)}`;
    parts.push(
      `<form method="post" action="/console/tips/${esc(row.id)}/close">${csrf}<label class="sr" for="${id}">${trWith(c, "console:queue.outcome_label", "code", row.code)}</label><select id="${id}" name="outcome">${options}</select> <button type="submit" data-action="close">${trOnce(c, "console:queue.close")}</button></form>`,
    );
  }
  return parts.join("");
}

/** The link to a tip's page. */
export const tipHref = (id: string) => `/console/tips/${encodeURIComponent(id)}/view`;

const COLUMNS: Record<QueueGroup, string[]> = {
  new: ["code", "category", "unit", "waiting", "deadlines", "actions"],
  unclaimed: ["code", "category", "unit", "waiting", "deadlines", "actions"],
  claimed: ["code", "category", "unit", "waiting", "holder", "deadlines", "actions"],
  awaiting: ["code", "category", "unit", "waiting", "holder", "deadlines", "actions"],
  overdue: ["code", "category", "unit", "waiting", "holder", "deadlines", "actions"],
  closed: ["code", "category", "unit", "holder", "outcome"],
};

function group(c: PageContext, key: QueueGroup, rows: QueueRow[]): string {
  const head = COLUMNS[key];
  const cell = (row: QueueRow, col: string): string => {
    switch (col) {
      case "code":
        return `${row.lifeSafety ? `<span class="badge life">⚠ ${trOnce(c, "console:queue.life_safety")}</span> ` : ""}<a class="code" href="${esc(tipHref(row.id))}">${esc(row.code)}</a>`;
      case "category":
        return trOnce(c, `tip:category.${row.category}`);
      case "unit":
        return esc(row.unit);
      case "waiting":
        return trWith(c, "console:queue.minutes", "n", row.minutesWaiting);
      case "holder":
        return esc(row.holder ?? "");
      case "outcome":
        return row.outcome ? trOnce(c, `officer:outcome.${row.outcome}`) : "";
      case "deadlines":
        return deadlinesCell(c, row);
      default:
        return actionsCell(c, row);
    }
  };
  const body = rows.length
    ? `<table><thead><tr>${head.map((h) => `<th scope="col">${tr(c, `console:queue.col.${h}`)}</th>`).join("")}</tr></thead><tbody>${rows
        .map((r) => `<tr data-code="${esc(r.code)}" class="${r.lifeSafety ? "life" : ""}">${head.map((h) => `<td>${cell(r, h)}</td>`).join("")}</tr>`)
        .join("")}</tbody></table>`
    : `<p>${tr(c, "console:queue.empty")}</p>`;
  return `<section aria-labelledby="h-${key}" data-group="${key}"><h2 id="h-${key}">${tr(c, `console:queue.${key}`)} (${rows.length})</h2>${body}</section>`;
}

/** The queue's groups (what the page's script replaces when the JSON endpoint reports a change). */
export function queueGroups(c: PageContext, queue: ConsoleQueue): string {
  return QUEUE_GROUPS.map((key) => group(c, key, queue[key])).join("");
}

/** What the queue page is narrowed to, and what it may be narrowed to. */
export interface QueueNarrowing {
  filter: QueueFilter;
  units: QueueChoice[];
  officers: QueueChoice[];
}

/** The query string of a narrowed queue (`queue`, `claimedBy`: the tip list's parameter names). */
export function queueQuery(filter: QueueFilter): string {
  const q = new URLSearchParams();
  if (filter.queueId) q.set("queue", filter.queueId);
  if (filter.claimedById) q.set("claimedBy", filter.claimedById);
  return q.toString();
}

function narrowingForm(c: PageContext, n: QueueNarrowing): string {
  const option = (value: string, label: string, chosen: boolean) => `<option value="${esc(value)}"${chosen ? " selected" : ""}>${esc(label)}</option>`;
  const units = [option("", c.t(c.lang, "console:queue.all_units"), !n.filter.queueId), ...n.units.map((u) => option(u.id, u.name, u.id === n.filter.queueId))].join("");
  const officers = [option("", c.t(c.lang, "console:queue.all_officers"), !n.filter.claimedById), ...n.officers.map((o) => option(o.id, o.name, o.id === n.filter.claimedById))].join("");
  const mine = c.officer ? `<a href="/console/queue?${esc(queueQuery({ claimedById: c.officer.id }))}"${n.filter.claimedById === c.officer.id ? ' aria-current="true"' : ""}>${tr(c, "console:queue.mine")}</a>` : "";
  return `<form method="get" action="/console/queue" class="narrow">
<div><label for="q-unit">${tr(c, "console:queue.unit_label")}</label><select id="q-unit" name="queue">${units}</select></div>
<div><label for="q-officer">${tr(c, "console:queue.officer_label")}</label><select id="q-officer" name="claimedBy">${officers}</select></div>
<div><button type="submit">${tr(c, "console:queue.show")}</button> ${mine} <a href="/console/queue">${tr(c, "console:queue.everything")}</a></div>
</form>`;
}

/** The live queue page. */
export function queuePage(c: PageContext, queue: ConsoleQueue, message?: { text: string; kind: "status" | "alert" }, narrowing?: QueueNarrowing): string {
  const query = narrowing ? queueQuery(narrowing.filter) : "";
  return layout(
    c,
    c.t(c.lang, "console:queue.heading"),
    `<h1>${tr(c, "console:queue.heading")} · ${scopeLabel(c, c.officer!)}</h1>
${message ? notice(message.text, message.kind) : ""}
${narrowing ? narrowingForm(c, narrowing) : ""}
<p class="note">${tr(c, "console:queue.refresh_note")}</p>
<div id="queue" aria-live="polite" data-source="/console/api/queue?lang=${esc(c.lang)}${query ? `&amp;${esc(query)}` : ""}">${queueGroups(c, queue)}</div>`,
    { script: true },
  );
}
