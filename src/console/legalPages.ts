import type { BotAnswer, EntryBrief, EntryRow, ImportChange, ImportProblem, OpenQuestion, UnsavedAnswer } from "../core/console/legalView.ts";
import type { EntryFile } from "../core/qa/knowledge.ts";
import { MAX_ANSWER_CHARS } from "../core/qa/commands/answerQuestion.ts";
import { formatVnDateTime } from "../core/vnTime.ts";
import { esc, layout, notice, type PageContext } from "./pages.ts";

/*
 * The legal staff's console pages (src/console/areas/legal.ts): the questions waiting for an
 * answer, the knowledge base's list and editor, import and export, the test box. Every text is in
 * locales/<lang>/console_legal.json; the asker is never shown (only the question's text and language).
 */

/** A message shown at the top of a page. */
export type Message = { text: string; kind: "status" | "alert" };

/** The legal pages' own style sheet and script (the import's file loader), added to a page's head. */
export const withLegalAssets = (html: string) =>
  html.replace("</head>", '<link rel="stylesheet" href="/console/static/legal.css">\n<script src="/console/static/legal.js" defer></script>\n</head>');

const tr = (c: PageContext, key: string, params?: Record<string, unknown>) => esc(c.t(c.lang, `console_legal:${key}`, params));
const csrfField = (c: PageContext) => (c.csrf ? `<input type="hidden" name="csrf" value="${esc(c.csrf)}">` : "");
const pct = (n: number | undefined) => (n === undefined ? "" : `${(n * 100).toFixed(1)} %`);
const top = (message?: Message) => (message ? notice(message.text, message.kind) : "");
const entryLink = (e: { id: string; title: string }) => `<a href="/console/legal/kb/${esc(e.id)}">${esc(e.title)}</a> <span class="code">${esc(e.id)}</span>`;

/** What the bot makes of a question: its decision and the entries it would give or offer, with scores. */
function botSummary(c: PageContext, bot: BotAnswer): string {
  const line = (e: EntryBrief) => `<li data-entry="${esc(e.id)}">${entryLink(e)} · ${tr(c, "score", { score: pct(e.score), coverage: pct(e.coverage) })}</li>`;
  const shown = bot.chosen ? [bot.chosen, ...bot.offered] : bot.offered;
  return `<p class="bot" data-decision="${bot.decision}">${tr(c, `decision.${bot.decision}`)}</p>${shown.length ? `<ul class="bot-entries">${shown.map(line).join("")}</ul>` : ""}`;
}

/** The fields choosing how an answered question is kept in the knowledge base. */
function saveChoice(c: PageContext, id: string, bot: BotAnswer, withNone: boolean): string {
  const suggested = bot.chosen?.id ?? bot.offered[0]?.id ?? bot.hits[0]?.id ?? "";
  const radio = (value: string, label: string, checked: boolean) =>
    `<label><input type="radio" name="save" value="${value}"${checked ? " checked" : ""}> ${tr(c, label)}</label>`;
  return `<fieldset><legend>${tr(c, "save.legend")}</legend>
${withNone ? radio("none", "save.none", true) : ""}${radio("new", "save.new", !withNone)}${radio("phrasing", "save.phrasing", false)}
<label for="entry-${esc(id)}">${tr(c, "save.entry_label")}</label>
<input id="entry-${esc(id)}" name="entryId" list="kb-entries" value="${esc(suggested)}" maxlength="90" autocomplete="off">
</fieldset>`;
}

/** The datalist of active entries the "new phrasing of" fields offer. */
const entryList = (choices: EntryBrief[]) => `<datalist id="kb-entries">${choices.map((e) => `<option value="${esc(e.id)}">${esc(e.title)}</option>`).join("")}</datalist>`;

/** The legal queue: open questions oldest first (answer form each), then answers not saved into the knowledge base yet. */
export function legalQueuePage(c: PageContext, queue: { open: OpenQuestion[]; total: number; unsaved: UnsavedAnswer[] }, choices: EntryBrief[], message?: Message): string {
  const question = (q: OpenQuestion) => `<article class="question" data-question="${esc(q.label)}" aria-labelledby="qh-${esc(q.id)}">
<h3 id="qh-${esc(q.id)}">${esc(q.label)} · <span lang="${esc(q.locale)}">${esc(c.t(c.lang, `language.name.${q.locale}`))}</span> · ${tr(c, "waiting", { n: q.minutesWaiting, at: formatVnDateTime(q.receivedAt) })}</h3>
<blockquote lang="${esc(q.locale)}">${esc(q.text)}</blockquote>
<h4>${tr(c, "bot_suggests")}</h4>
${botSummary(c, q.bot)}
<form method="post" action="/console/legal/questions/${esc(q.id)}/answer">${csrfField(c)}
<label for="answer-${esc(q.id)}">${tr(c, "answer_label", { id: q.label })}</label>
<textarea id="answer-${esc(q.id)}" name="answer" rows="5" required maxlength="${MAX_ANSWER_CHARS}"></textarea>
${saveChoice(c, q.id, q.bot, true)}
<button type="submit">${tr(c, "answer_submit")}</button>
</form>
</article>`;
  const unsaved = (q: UnsavedAnswer) => `<article class="question" data-answered="${esc(q.label)}" aria-labelledby="ah-${esc(q.id)}">
<h3 id="ah-${esc(q.id)}">${esc(q.label)} · ${tr(c, "answered_by", { name: q.answeredBy, at: q.answeredAt ? formatVnDateTime(q.answeredAt) : "" })}</h3>
<blockquote lang="${esc(q.locale)}">${esc(q.text)}</blockquote>
<p class="answer">${esc(q.answer)}</p>
<form method="post" action="/console/legal/questions/${esc(q.id)}/save">${csrfField(c)}
${saveChoice(c, q.id, q.bot, false)}
<button type="submit">${tr(c, "save.submit")}</button>
</form>
</article>`;
  return layout(
    c,
    c.t(c.lang, "console_legal:queue.heading"),
    `<h1>${tr(c, "queue.heading")}</h1>
${top(message)}
<p class="note">${tr(c, "queue.intro")}</p>
<section aria-labelledby="h-open"><h2 id="h-open">${tr(c, "queue.open", { n: queue.total })}</h2>
${queue.open.length ? queue.open.map(question).join("") : `<p>${tr(c, "queue.empty")}</p>`}
${queue.total > queue.open.length ? `<p class="note">${tr(c, "queue.more", { shown: queue.open.length, total: queue.total })}</p>` : ""}
</section>
<section aria-labelledby="h-unsaved"><h2 id="h-unsaved">${tr(c, "queue.unsaved", { n: queue.unsaved.length })}</h2>
${queue.unsaved.length ? queue.unsaved.map(unsaved).join("") : `<p>${tr(c, "queue.unsaved_empty")}</p>`}
</section>
${entryList(choices)}`,
  );
}

/** The knowledge base's list: search, status filter, pages, links to add, import, export. */
export function kbListPage(
  c: PageContext,
  list: { rows: EntryRow[]; total: number; page: number; pages: number },
  query: { q: string; status: string },
  message?: Message,
): string {
  const status = (s: string) => `<option value="${s}"${query.status === s ? " selected" : ""}>${tr(c, `kb.status.${s}`)}</option>`;
  const rows = list.rows
    .map(
      (r) => `<tr data-entry="${esc(r.id)}"${r.active ? "" : ' class="retired"'}><td>${entryLink(r)}${r.active ? "" : ` <span class="badge retired">${tr(c, "kb.retired")}</span>`}</td><td>${esc([r.article, r.law].filter(Boolean).join(", "))}</td><td>${esc(r.topics.join(", "))}</td><td>${esc(r.languages.join(" "))}</td><td>${esc(r.createdBy === "seed" ? c.t(c.lang, "console_legal:kb.shipped") : r.createdBy)}<br>${esc(r.lastReviewed)}</td></tr>`,
    )
    .join("");
  const pageLink = (p: number, label: string) =>
    `<a href="/console/legal/kb?q=${encodeURIComponent(query.q)}&amp;status=${esc(query.status)}&amp;page=${p}">${label}</a>`;
  const pager =
    list.pages > 1
      ? `<nav aria-label="${tr(c, "kb.pages")}" class="pager">${list.page > 1 ? pageLink(list.page - 1, tr(c, "kb.prev")) : ""} ${tr(c, "kb.page", { page: list.page, pages: list.pages })} ${list.page < list.pages ? pageLink(list.page + 1, tr(c, "kb.next")) : ""}</nav>`
      : "";
  return layout(
    c,
    c.t(c.lang, "console_legal:kb.heading"),
    `<h1>${tr(c, "kb.heading")}</h1>
${top(message)}
<p class="actions"><a href="/console/legal/kb/new">${tr(c, "kb.add")}</a> · <a href="/console/legal/import">${tr(c, "kb.import")}</a> · <a href="/console/legal/export" download>${tr(c, "kb.export")}</a></p>
<form method="get" action="/console/legal/kb" role="search">
<label for="kb-q">${tr(c, "kb.search_label")}</label>
<input id="kb-q" name="q" type="search" value="${esc(query.q)}" maxlength="200">
<label for="kb-status">${tr(c, "kb.status_label")}</label>
<select id="kb-status" name="status">${status("active")}${status("retired")}${status("all")}</select>
<button type="submit">${tr(c, "kb.search")}</button>
</form>
<p role="status">${tr(c, "kb.count", { n: list.total })}</p>
${list.rows.length ? `<table><thead><tr>${["entry", "source", "topics", "languages", "by"].map((h) => `<th scope="col">${tr(c, `kb.col.${h}`)}</th>`).join("")}</tr></thead><tbody>${rows}</tbody></table>` : ""}
${pager}`,
  );
}

/** The editor's fields, as the form posts them. */
export type EntryForm = Record<(typeof FORM_FIELDS)[number], string>;
const FORM_FIELDS = [
  "id",
  "questions_vi",
  "questions_en",
  "questions_km",
  "answer_vi",
  "answer_en",
  "answer_km",
  "law",
  "article",
  "effectiveDate",
  "changed_vi",
  "changed_en",
  "changed_km",
  "topics",
  "reportable",
  "lastReviewed",
  "updatedAt",
] as const;

/** An entry as the editor's fields (phrasings one per line, topics separated by commas). */
export function formOfEntry(e: EntryFile, updatedAt?: Date): EntryForm {
  return {
    id: e.id,
    questions_vi: e.questions.vi.join("\n"),
    questions_en: (e.questions.en ?? []).join("\n"),
    questions_km: (e.questions.km ?? []).join("\n"),
    answer_vi: e.answer.vi,
    answer_en: e.answer.en ?? "",
    answer_km: e.answer.km ?? "",
    law: e.source.law,
    article: e.source.article ?? "",
    effectiveDate: e.source.effectiveDate ?? "",
    changed_vi: e.changed?.vi ?? "",
    changed_en: e.changed?.en ?? "",
    changed_km: e.changed?.km ?? "",
    topics: e.topics.join(", "),
    reportable: e.reportable ? "on" : "",
    lastReviewed: e.lastReviewed,
    updatedAt: updatedAt ? String(updatedAt.getTime()) : "",
  };
}

/** The posted editor fields (anything missing empty, each cut to a sane length). */
export function entryFormOf(body: Record<string, string>): EntryForm {
  return Object.fromEntries(FORM_FIELDS.map((f) => [f, String(body[f] ?? "").slice(0, 20_000)])) as EntryForm;
}

/** The posted fields as an entry in the file format, to be validated by the command (empty optional fields left out). */
export function entryOfForm(f: EntryForm): unknown {
  const lines = (s: string) => s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const opt = (s: string) => (s.trim() ? s.trim() : undefined);
  const localized = (vi: string, en: string, km: string) => ({ vi: vi.trim(), ...(opt(en) ? { en: opt(en) } : {}), ...(opt(km) ? { km: opt(km) } : {}) });
  const en = lines(f.questions_en);
  const km = lines(f.questions_km);
  return {
    id: f.id.trim(),
    topics: f.topics.split(",").map((t) => t.trim()).filter(Boolean),
    questions: { vi: lines(f.questions_vi), ...(en.length ? { en } : {}), ...(km.length ? { km } : {}) },
    answer: localized(f.answer_vi, f.answer_en, f.answer_km),
    source: { law: f.law.trim(), ...(opt(f.article) ? { article: opt(f.article) } : {}), ...(opt(f.effectiveDate) ? { effectiveDate: opt(f.effectiveDate) } : {}) },
    ...(opt(f.changed_vi) || opt(f.changed_en) || opt(f.changed_km) ? { changed: localized(f.changed_vi, f.changed_en, f.changed_km) } : {}),
    reportable: f.reportable === "on",
    lastReviewed: f.lastReviewed.trim(),
  };
}

/** The form field a validation issue's path points to ("answer.vi" → "answer_vi"), or "" when it points to no one field. */
export function fieldOfIssue(path: readonly PropertyKey[]): string {
  const [a, b] = path.map(String);
  if (a === "id" || a === "topics" || a === "lastReviewed" || a === "reportable") return a;
  if (a === "source") return b === "law" ? "law" : (b ?? "law");
  if ((a === "questions" || a === "answer" || a === "changed") && (b === "vi" || b === "en" || b === "km")) return `${a}_${b}`;
  return a === "questions" || a === "answer" || a === "changed" ? `${a}_vi` : "";
}

/** The entry editor (adding: `mode` "add"). `errors`: the fields refused, each with its translated reason. */
export function entryFormPage(
  c: PageContext,
  mode: "add" | "edit",
  f: EntryForm,
  meta: { active?: boolean; createdBy?: string },
  errors: Map<string, string>,
  message?: Message,
): string {
  const described = (name: string) => (errors.has(name) ? ` aria-invalid="true" aria-describedby="err-${name}"` : "");
  const err = (name: string) => (errors.has(name) ? `<p class="field-error" id="err-${name}">${esc(errors.get(name)!)}</p>` : "");
  const text = (name: keyof EntryForm, opts: { required?: boolean; type?: string; readonly?: boolean; max?: number } = {}) =>
    `<label for="f-${name}">${tr(c, `field.${name}`)}${opts.required ? ` <span aria-hidden="true">*</span>` : ""}</label>${err(name)}<input id="f-${name}" name="${name}" type="${opts.type ?? "text"}" value="${esc(f[name])}"${opts.required ? " required" : ""}${opts.readonly ? " readonly" : ""} maxlength="${opts.max ?? 500}"${described(name)}>`;
  const area = (name: keyof EntryForm, lang: string, opts: { required?: boolean; rows?: number } = {}) =>
    `<label for="f-${name}">${tr(c, `field.${name}`)}${opts.required ? ` <span aria-hidden="true">*</span>` : ""}</label>${err(name)}<textarea id="f-${name}" name="${name}" lang="${lang}" rows="${opts.rows ?? 4}"${opts.required ? " required" : ""}${described(name)}>${esc(f[name])}</textarea>`;
  const action = mode === "add" ? "/console/legal/kb/new" : `/console/legal/kb/${esc(f.id)}`;
  const heading = mode === "add" ? c.t(c.lang, "console_legal:entry.add_heading") : c.t(c.lang, "console_legal:entry.edit_heading", { id: f.id });
  const lifecycle =
    mode === "edit"
      ? `<form method="post" action="/console/legal/kb/${esc(f.id)}/${meta.active === false ? "restore" : "retire"}" class="lifecycle">${csrfField(c)}<p>${
          meta.active === false ? tr(c, "entry.is_retired") : tr(c, "entry.retire_note")
        }</p><button type="submit" class="${meta.active === false ? "" : "danger"}">${tr(c, meta.active === false ? "entry.restore" : "entry.retire")}</button></form>`
      : "";
  return layout(
    c,
    heading,
    `<h1>${esc(heading)}</h1>
${top(message)}
${errors.size ? notice(c.t(c.lang, "console_legal:entry.invalid", { n: errors.size }), "alert") : ""}
<p class="note">${tr(c, "entry.intro")}${meta.createdBy ? ` ${tr(c, "entry.written_by", { by: meta.createdBy === "seed" ? c.t(c.lang, "console_legal:kb.shipped") : meta.createdBy })}` : ""}</p>
<form method="post" action="${action}" class="entry">${csrfField(c)}
<input type="hidden" name="updatedAt" value="${esc(f.updatedAt)}">
${text("id", { required: true, readonly: mode === "edit", max: 80 })}
<fieldset><legend>${tr(c, "entry.questions")}</legend>
<p class="note">${tr(c, "entry.one_per_line")}</p>
${area("questions_vi", "vi", { required: true, rows: 5 })}${area("questions_en", "en", { rows: 3 })}${area("questions_km", "km", { rows: 3 })}
</fieldset>
<fieldset><legend>${tr(c, "entry.answer")}</legend>
${area("answer_vi", "vi", { required: true, rows: 8 })}${area("answer_en", "en", { rows: 6 })}${area("answer_km", "km", { rows: 6 })}
</fieldset>
<fieldset><legend>${tr(c, "entry.source")}</legend>
${text("law", { required: true })}${text("article")}${text("effectiveDate", { type: "date", max: 10 })}
${area("changed_vi", "vi", { rows: 3 })}${area("changed_en", "en", { rows: 3 })}${area("changed_km", "km", { rows: 3 })}
</fieldset>
${text("topics")}
<label class="check"><input type="checkbox" name="reportable"${f.reportable === "on" ? " checked" : ""}> ${tr(c, "field.reportable")}</label>
${text("lastReviewed", { required: true, type: "date", max: 10 })}
<button type="submit">${tr(c, mode === "add" ? "entry.add_submit" : "entry.save_submit")}</button>
</form>
${lifecycle}
<p><a href="/console/legal/kb">${tr(c, "entry.back")}</a></p>`,
  );
}

/** A problem of an import file, translated. */
function problemText(c: PageContext, p: ImportProblem): string {
  switch (p.kind) {
    case "entry":
      return c.t(c.lang, "console_legal:import.problem.entry", { n: p.index, id: p.id ?? "?", field: p.field });
    case "duplicate":
      return c.t(c.lang, "console_legal:import.problem.duplicate", { id: p.id });
    case "too_many":
      return c.t(c.lang, "console_legal:import.problem.too_many", { max: p.max });
    default:
      return c.t(c.lang, `console_legal:import.problem.${p.kind}`);
  }
}

/** The import page: paste or load a JSON file, see the dry run, confirm. */
export function importPage(
  c: PageContext,
  props: { text?: string; problems?: ImportProblem[]; changes?: ImportChange[]; stamp?: string; message?: Message },
): string {
  const problems = props.problems?.length
    ? `<div role="alert" class="notice alert"><p>${tr(c, "import.refused")}</p><ul>${props.problems.map((p) => `<li>${esc(problemText(c, p))}</li>`).join("")}</ul></div>`
    : "";
  let preview = "";
  if (props.changes) {
    const count = (k: ImportChange["change"]) => props.changes!.filter((x) => x.change === k).length;
    const row = (x: ImportChange) =>
      `<tr data-entry="${esc(x.id)}" data-change="${x.change}"><td>${esc(x.title)} <span class="code">${esc(x.id)}</span></td><td>${tr(c, `import.change.${x.change}`)}${x.retired ? ` <span class="badge retired">${tr(c, "kb.retired")}</span>` : ""}</td><td>${esc(x.fields.map((f) => c.t(c.lang, `console_legal:import.field.${f}`)).join(", "))}</td></tr>`;
    const shown = props.changes.filter((x) => x.change !== "same");
    preview = `<section aria-labelledby="h-preview"><h2 id="h-preview">${tr(c, "import.preview_heading")}</h2>
<p role="status" data-summary>${tr(c, "import.summary", { added: count("new"), changed: count("changed"), same: count("same") })}</p>
<p class="note">${tr(c, "import.untouched")}</p>
${shown.length ? `<table><thead><tr><th scope="col">${tr(c, "kb.col.entry")}</th><th scope="col">${tr(c, "import.col.change")}</th><th scope="col">${tr(c, "import.col.fields")}</th></tr></thead><tbody>${shown.map(row).join("")}</tbody></table>` : ""}
${
  shown.length
    ? `<form method="post" action="/console/legal/import">${csrfField(c)}<input type="hidden" name="step" value="confirm"><input type="hidden" name="stamp" value="${esc(props.stamp ?? "")}"><textarea name="json" hidden aria-hidden="true">${esc(props.text ?? "")}</textarea><button type="submit">${tr(c, "import.confirm", { n: shown.length })}</button></form>`
    : `<p>${tr(c, "import.nothing")}</p>`
}
</section>`;
  }
  return layout(
    c,
    c.t(c.lang, "console_legal:import.heading"),
    `<h1>${tr(c, "import.heading")}</h1>
${top(props.message)}
${problems}
${preview}
<form method="post" action="/console/legal/import" class="import">${csrfField(c)}<input type="hidden" name="step" value="preview">
<p class="note">${tr(c, "import.intro")}</p>
<label for="import-file">${tr(c, "import.file_label")}</label>
<input id="import-file" type="file" accept=".json,application/json" data-fills="import-json">
<label for="import-json">${tr(c, "import.json_label")}</label>
<textarea id="import-json" name="json" rows="12" required spellcheck="false">${props.changes ? "" : esc(props.text ?? "")}</textarea>
<button type="submit">${tr(c, "import.preview")}</button>
</form>
<p><a href="/console/legal/kb">${tr(c, "entry.back")}</a></p>`,
  );
}

/** The test box: a question, and what the bot would answer with its confidence and alternatives. */
export function testBoxPage(c: PageContext, q: string, bot?: BotAnswer): string {
  let result = "";
  if (bot) {
    const offered = new Set(bot.offered.map((o) => o.id));
    const hit = (h: EntryBrief, i: number) =>
      `<tr data-entry="${esc(h.id)}" data-score="${h.score ?? ""}" data-coverage="${h.coverage ?? ""}"><td>${i + 1}</td><td>${entryLink(h)}</td><td>${pct(h.score)}</td><td>${pct(h.coverage)}</td><td>${
        bot.chosen?.id === h.id ? tr(c, "test.role.chosen") : offered.has(h.id) ? tr(c, bot.decision === "direct" ? "test.role.alternative" : "test.role.offered") : ""
      }</td></tr>`;
    result = `<section aria-labelledby="h-result" id="result"><h2 id="h-result">${tr(c, "test.result")}</h2>
<p class="bot" data-decision="${bot.decision}"><strong>${tr(c, `decision.${bot.decision}`)}</strong></p>
${
  bot.chosen
    ? `<div class="chosen" data-chosen="${esc(bot.chosen.id)}"><p>${tr(c, "test.chosen", { score: pct(bot.chosen.score), coverage: pct(bot.chosen.coverage) })} ${entryLink(bot.chosen)}</p><blockquote lang="vi">${esc(bot.chosen.answer)}</blockquote><p class="note">${tr(c, "test.source", { source: bot.chosen.source })}</p></div>`
    : ""
}
${
  bot.hits.length
    ? `<table><caption>${tr(c, "test.hits")}</caption><thead><tr>${["rank", "entry", "score", "coverage", "role"].map((h) => `<th scope="col">${tr(c, `test.col.${h}`)}</th>`).join("")}</tr></thead><tbody>${bot.hits.map(hit).join("")}</tbody></table>`
    : `<p>${tr(c, "test.no_hits")}</p>`
}
<p class="note">${tr(c, "test.explain")}</p>
</section>`;
  }
  return layout(
    c,
    c.t(c.lang, "console_legal:test.heading"),
    `<h1>${tr(c, "test.heading")}</h1>
<form method="get" action="/console/legal/test">
<label for="test-q">${tr(c, "test.label")}</label>
<textarea id="test-q" name="q" rows="3" maxlength="1000" required>${esc(q)}</textarea>
<button type="submit">${tr(c, "test.submit")}</button>
</form>
${result}`,
  );
}
