import crypto from "node:crypto";
import { composeText, offeredChoices } from "../channels/compose.ts";
import type { Audience } from "../core/campaigns/audience.ts";
import { campaignMessage } from "../core/campaigns/message.ts";
import { PREVIEW_CAMPAIGN_ID } from "../core/campaigns/commands/sendPreview.ts";
import type { CampaignFigures } from "../core/console/outreachView.ts";
import { TOPICS } from "../core/subscriptions/topics.ts";
import { formatVnDateTime } from "../core/vnTime.ts";
import { LOCALES } from "../i18n.ts";
import { QUIZ_OPTIONS, QUIZ_QUESTIONS, type FieldError, type FormValues } from "./outreachForms.ts";
import { esc, layout, notice, scopeLabel, type PageContext } from "./pages.ts";

/*
 * The outreach staff's pages: the content library and its editor (with a preview as residents see
 * it), the campaign composer (audience with its live recipient count, schedule in plain words or a
 * calendar, quiet hours), the campaigns list with live progress, and each campaign's report with
 * its figures as tables and bar charts (inline SVG drawn here).
 */

const tr = (c: PageContext, key: string, params?: Record<string, unknown>) => esc(c.t(c.lang, `console_outreach:${key}`, params));
const csrfField = (c: PageContext) => (c.csrf ? `<input type="hidden" name="csrf" value="${esc(c.csrf)}">` : "");
const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;
const extras = '<link rel="stylesheet" href="/console/static/outreach.css">';
const script = '<script src="/console/static/outreach.js" defer></script>';

/** A message shown at the top of a page. */
export type PageMessage = { text: string; kind: "status" | "alert" };

/** A field error's translated text. */
export function errorText(c: PageContext, e: FieldError): string {
  return c.t(c.lang, `console_outreach:error.${e.kind}`, { field: c.t(c.lang, fieldLabelKey(e.field)), n: e.n ?? 0 });
}

/** The locale key naming a form field in error messages. */
function fieldLabelKey(field: string): string {
  let m = /^body_(vi|en|km)$/.exec(field);
  if (m) return `console_outreach:field.body_${m[1]}`;
  m = /^q(\d)_o(\d)_(vi|en|km)$/.exec(field);
  if (m) return `console_outreach:field.option`;
  if (/^q\d_(vi|en|km)$/.test(field)) return "console_outreach:field.question";
  if (/^q\d_answer$/.test(field)) return "console_outreach:field.answer";
  if (/^q\d_options$/.test(field)) return "console_outreach:field.options";
  return `console_outreach:field.${field}`;
}

function errorSummary(c: PageContext, errors: FieldError[]): string {
  if (!errors.length) return "";
  return `<div class="notice alert" role="alert" tabindex="-1" id="errors"><p>${tr(c, "error.summary", { count: errors.length })}</p><ul>${errors
    .map((e) => `<li><a href="#${fieldId(e.field)}">${esc(errorText(c, e))}</a></li>`)
    .join("")}</ul></div>`;
}

interface FieldOpts {
  name: string;
  label: string;
  values: FormValues;
  errors?: FieldError[];
  type?: string;
  required?: boolean;
  hint?: string;
  lang?: string;
  multiline?: boolean;
  maxlength?: number;
}

/** A labelled input or textarea, with its hint and error tied to it. */
function field(c: PageContext, o: FieldOpts): string {
  const id = fieldId(o.name);
  const error = o.errors?.find((e) => e.field === o.name);
  const described = [o.hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  const attrs = `id="${id}" name="${esc(o.name)}"${o.required ? ' required aria-required="true"' : ""}${error ? ' aria-invalid="true"' : ""}${described ? ` aria-describedby="${described}"` : ""}${o.lang ? ` lang="${o.lang}"` : ""}${o.maxlength ? ` maxlength="${o.maxlength}"` : ""}`;
  const value = o.values[o.name] ?? "";
  const control = o.multiline ? `<textarea ${attrs} rows="5">${esc(value)}</textarea>` : `<input ${attrs} type="${o.type ?? "text"}" value="${esc(value)}">`;
  return `<div class="field${error ? " invalid" : ""}"><label for="${id}">${esc(o.label)}${o.required ? ` <span class="req">${tr(c, "required_mark")}</span>` : ""}</label>${o.hint ? `<p class="hint" id="${id}-hint">${esc(o.hint)}</p>` : ""}${error ? `<p class="error" id="${id}-error">${esc(errorText(c, error))}</p>` : ""}${control}</div>`;
}

function checkbox(name: string, label: string, values: FormValues, extra = ""): string {
  const id = fieldId(name);
  return `<label class="check" for="${id}"><input type="checkbox" id="${id}" name="${esc(name)}"${values[name] !== undefined ? " checked" : ""}${extra}> ${esc(label)}</label>`;
}

const languageName = (c: PageContext, l: string) => c.t(c.lang, `language.name.${l}`);

// ---------------------------------------------------------------------------------------------
// Content library

/** One library row. */
export interface LibraryItem {
  id: string;
  title: string;
  topics: string[];
  languages: string[];
  quiz: number;
  createdAt: Date;
  editable: boolean;
}

/** The content library: every item, with links to edit it, copy it and compose a campaign with it. */
export function libraryPage(c: PageContext, items: LibraryItem[], message?: PageMessage): string {
  const rows = items
    .map(
      (i) => `<tr data-content="${esc(i.id)}"><td><a href="/console/outreach/content/${esc(i.id)}">${esc(i.title)}</a><br><span class="code">${esc(i.id)}</span></td><td>${i.languages
        .map((l) => esc(languageName(c, l)))
        .join(", ")}</td><td>${i.topics.map((t) => esc(c.t(c.lang, `campaign:topic.${t}`))).join(", ")}</td><td>${i.quiz}</td><td>${esc(formatVnDateTime(i.createdAt))}</td><td>${
        i.editable ? tr(c, "library.editable") : tr(c, "library.locked")
      }</td><td><a href="/console/outreach/compose?content=${esc(i.id)}">${tr(c, "library.use")}</a> · <a href="/console/outreach/content/new?from=${esc(i.id)}">${tr(c, "library.copy")}</a></td></tr>`,
    )
    .join("");
  const table = items.length
    ? `<table><caption>${tr(c, "library.caption", { count: items.length })}</caption><thead><tr>${["title", "languages", "topics", "quiz", "created", "state", "actions"]
        .map((h) => `<th scope="col">${tr(c, `library.col.${h}`)}</th>`)
        .join("")}</tr></thead><tbody>${rows}</tbody></table>`
    : `<p>${tr(c, "library.empty")}</p>`;
  return layout(
    c,
    c.t(c.lang, "console_outreach:library.heading"),
    `${extras}<h1>${tr(c, "library.heading")}</h1>${message ? notice(message.text, message.kind) : ""}<p><a class="button" href="/console/outreach/content/new">${tr(c, "library.new")}</a></p>${table}`,
  );
}

/** What residents would see for a content item in one language: the message text and its quiz buttons. */
export interface PreviewBlock {
  locale: string;
  text: string;
  choices: string[];
  /** The item has no text in this language: residents who chose it receive the Vietnamese text. */
  fallback: boolean;
}

/** The campaign message of a content item as residents receive it, in each language (the same `campaignMessage` the engine sends). */
export function previewBlocks(c: PageContext, content: { bodies: string; source: string; quiz: string }): PreviewBlock[] {
  const bodies = JSON.parse(content.bodies) as Record<string, string | undefined>;
  return LOCALES.map((locale) => {
    const reply = campaignMessage({ id: PREVIEW_CAMPAIGN_ID, content }, locale);
    return { locale, text: composeText(c.t, reply, locale), choices: offeredChoices(c.t, reply, locale).map((o) => o.label), fallback: !bodies[locale] };
  });
}

function previewSection(c: PageContext, blocks: PreviewBlock[]): string {
  return `<section class="preview" aria-labelledby="h-preview"><h2 id="h-preview">${tr(c, "preview.heading")}</h2><p class="note">${tr(c, "preview.note")}</p>${blocks
    .map(
      (b) => `<article class="phone" aria-labelledby="h-preview-${b.locale}" data-locale="${b.locale}"><h3 id="h-preview-${b.locale}">${esc(languageName(c, b.locale))}</h3>${
        b.fallback ? `<p class="note">${tr(c, "preview.fallback")}</p>` : ""
      }<div class="bubble" lang="${b.fallback ? "vi" : b.locale}">${esc(b.text)}</div>${
        b.choices.length ? `<ul class="choices" aria-label="${tr(c, "preview.choices")}">${b.choices.map((ch) => `<li lang="${b.fallback ? "vi" : b.locale}">${esc(ch)}</li>`).join("")}</ul>` : ""
      }</article>`,
    )
    .join("")}</section>`;
}

/** The content editor: new, edit or copy; its preview per language once checked. */
export function contentFormPage(
  c: PageContext,
  o: { id?: string; title?: string; values: FormValues; errors: FieldError[]; preview?: PreviewBlock[]; editable: boolean; message?: PageMessage },
): string {
  const v = o.values;
  const heading = o.id ? c.t(c.lang, "console_outreach:content.edit_heading", { title: o.title ?? "" }) : c.t(c.lang, "console_outreach:content.new_heading");
  const lockedNote = o.editable ? "" : notice(c.t(c.lang, "console_outreach:content.locked"), "status");
  const bodies = LOCALES.map((l) =>
    field(c, { name: `body_${l}`, label: c.t(c.lang, `console_outreach:field.body_${l}`), values: v, errors: o.errors, multiline: true, required: l === "vi", lang: l, maxlength: 3500 }),
  ).join("");
  const topics = `<fieldset${o.errors.some((e) => e.field === "topics") ? ' aria-invalid="true"' : ""} id="${fieldId("topics")}"><legend>${tr(c, "field.topics")} <span class="req">${tr(c, "required_mark")}</span></legend>${
    o.errors.some((e) => e.field === "topics") ? `<p class="error">${esc(errorText(c, { field: "topics", kind: "topics" }))}</p>` : ""
  }${TOPICS.map((t) => checkbox(`t:${t}`, c.t(c.lang, `campaign:topic.${t}`), v)).join("")}</fieldset>`;
  const quiz = Array.from({ length: QUIZ_QUESTIONS }, (_, i) => {
    const used = Object.keys(v).some((k) => k.startsWith(`q${i}_`) && v[k] !== "");
    const optionsError = o.errors.find((e) => e.field === `q${i}_options`);
    const answerError = o.errors.find((e) => e.field === `q${i}_answer`);
    const options = Array.from({ length: QUIZ_OPTIONS }, (_, j) => {
      const radioId = fieldId(`q${i}_answer_${j}`);
      return `<fieldset class="option"><legend>${tr(c, "quiz.option", { n: j + 1 })}</legend>${LOCALES.map((l) =>
        field(c, { name: `q${i}_o${j}_${l}`, label: languageName(c, l), values: v, errors: o.errors, lang: l, maxlength: 3500 }),
      ).join("")}<label class="check" for="${radioId}"><input type="radio" id="${radioId}" name="q${i}_answer" value="${j}"${v[`q${i}_answer`] === String(j) ? " checked" : ""}> ${tr(c, "quiz.correct")}</label></fieldset>`;
    }).join("");
    const inner = `${LOCALES.map((l) => field(c, { name: `q${i}_${l}`, label: c.t(c.lang, "console_outreach:quiz.question_in", { language: languageName(c, l) }), values: v, errors: o.errors, lang: l, maxlength: 3500 })).join("")}${
      optionsError ? `<p class="error" id="${fieldId(`q${i}_options`)}">${esc(errorText(c, optionsError))}</p>` : ""
    }${answerError ? `<p class="error" id="${fieldId(`q${i}_answer`)}">${esc(errorText(c, answerError))}</p>` : ""}${options}`;
    const legend = tr(c, i === 0 ? "quiz.first" : "quiz.more", { n: i + 1 });
    return i === 0 ? `<fieldset class="question"><legend>${legend}</legend>${inner}</fieldset>` : `<details class="question"${used ? " open" : ""}><summary>${legend}</summary>${inner}</details>`;
  }).join("");
  const action = o.id ? `/console/outreach/content/${esc(o.id)}` : "/console/outreach/content";
  const form = `<form method="post" action="${action}" novalidate class="content-form">${csrfField(c)}
${field(c, { name: "title", label: c.t(c.lang, "console_outreach:field.title"), values: v, errors: o.errors, required: true, maxlength: 200, hint: c.t(c.lang, "console_outreach:content.title_hint") })}
<fieldset><legend>${tr(c, "content.texts")}</legend><p class="hint">${tr(c, "content.texts_hint")}</p>${bodies}</fieldset>
<fieldset><legend>${tr(c, "content.source")}</legend>
${field(c, { name: "law", label: c.t(c.lang, "console_outreach:field.law"), values: v, errors: o.errors, required: true, maxlength: 300, hint: c.t(c.lang, "console_outreach:content.law_hint") })}
${field(c, { name: "article", label: c.t(c.lang, "console_outreach:field.article"), values: v, errors: o.errors, maxlength: 100 })}
${field(c, { name: "effective", label: c.t(c.lang, "console_outreach:field.effective"), values: v, errors: o.errors, type: "date" })}
</fieldset>
${topics}
<fieldset><legend>${tr(c, "quiz.heading")}</legend><p class="hint">${tr(c, "quiz.hint")}</p>${quiz}</fieldset>
<div class="actions"><button type="submit" name="intent" value="preview" class="secondary">${tr(c, "content.preview")}</button> ${
    o.editable ? `<button type="submit" name="intent" value="save">${tr(c, "content.save")}</button>` : ""
  }</div>
</form>`;
  return layout(
    c,
    heading,
    `${extras}<p><a href="/console/outreach/content">${tr(c, "library.back")}</a></p><h1>${esc(heading)}</h1>${o.message ? notice(o.message.text, o.message.kind) : ""}${lockedNote}${errorSummary(c, o.errors)}${
      o.preview ? previewSection(c, o.preview) : ""
    }${form}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Composer

/** What the composer understood of its audience and schedule (the live check, and the count button's answer). */
export interface ComposerCheck {
  /** Recipients now (null: the audience is invalid or outside the person's area). */
  count: number | null;
  inScope: boolean;
  audienceErrors: FieldError[];
  audienceText: string;
  /** Unknown commune codes typed. */
  unknownCommunes: string[];
  schedule: { ok: true; summary: string; first: Date | null; shifted: boolean } | { ok: false; error: string } | null;
}

/** How quiet hours read on the composer. */
export function quietText(c: PageContext, quiet: { start: string; end: string } | null): string {
  return quiet && quiet.start !== quiet.end ? c.t(c.lang, "console_outreach:compose.quiet", { start: quiet.start, end: quiet.end }) : c.t(c.lang, "console_outreach:compose.no_quiet");
}

/** The live part of the composer: recipients, the audience and the schedule as understood. */
export function checkSection(c: PageContext, check: ComposerCheck): string {
  const count =
    check.audienceErrors.length || check.unknownCommunes.length
      ? `<p class="error">${[...check.audienceErrors.map((e) => esc(errorText(c, e))), ...(check.unknownCommunes.length ? [tr(c, "compose.unknown_communes", { codes: check.unknownCommunes.join(", ") })] : [])].join("<br>")}</p>`
      : !check.inScope
        ? `<p class="error" data-scope="outside">${tr(c, "compose.outside_scope")}</p>`
        : `<p class="count"><strong data-count="${check.count ?? 0}">${tr(c, "compose.recipients", { count: check.count ?? 0 })}</strong></p>`;
  const schedule = !check.schedule
    ? `<p class="note">${tr(c, "compose.schedule_empty")}</p>`
    : check.schedule.ok
      ? `<p data-schedule="ok">${tr(c, "compose.schedule_understood", { summary: check.schedule.summary })}${
          check.schedule.first ? `<br>${tr(c, check.schedule.shifted ? "compose.first_shifted" : "compose.first", { at: formatVnDateTime(check.schedule.first) })}` : ""
        }</p>`
      : `<p class="error" data-schedule="bad">${esc(check.schedule.error)}</p>`;
  return `<h2 id="h-check">${tr(c, "compose.check_heading")}</h2>${count}<p>${tr(c, "compose.audience_is", { audience: check.audienceText })}</p>${schedule}`;
}

/** The campaign composer. */
export function composerPage(
  c: PageContext,
  o: {
    contents: Array<{ id: string; title: string }>;
    provinces: Array<{ code: string; name: string }>;
    values: FormValues;
    errors: FieldError[];
    check: ComposerCheck;
    quiet: { start: string; end: string } | null;
    message?: PageMessage;
  },
): string {
  const v = o.values;
  const officer = c.officer!;
  const contentError = o.errors.find((e) => e.field === "content");
  const contentSelect = `<div class="field${contentError ? " invalid" : ""}"><label for="${fieldId("content")}">${tr(c, "field.content")} <span class="req">${tr(c, "required_mark")}</span></label>${
    contentError ? `<p class="error" id="${fieldId("content")}-error">${esc(errorText(c, contentError))}</p>` : ""
  }<select id="${fieldId("content")}" name="content" required aria-required="true"${contentError ? ` aria-invalid="true" aria-describedby="${fieldId("content")}-error"` : ""}><option value="">${tr(c, "compose.choose_content")}</option>${o.contents
    .map((x) => `<option value="${esc(x.id)}"${v.content === x.id ? " selected" : ""}>${esc(x.title)} (${esc(x.id)})</option>`)
    .join("")}</select> <a href="/console/outreach/content/new">${tr(c, "library.new")}</a></div>`;
  const provinces = o.provinces.length
    ? `<fieldset class="provinces" id="${fieldId("provinces")}"><legend>${tr(c, "field.provinces")}</legend><p class="hint">${tr(c, "compose.provinces_hint")}</p><div class="scroll">${o.provinces
        .map((p) => checkbox(`p:${p.code}`, `${p.name} (${p.code})`, v))
        .join("")}</div></fieldset>`
    : "";
  const topics = `<fieldset><legend>${tr(c, "field.topics")}</legend><p class="hint">${tr(c, "compose.topics_hint")}</p>${TOPICS.map((t) => checkbox(`t:${t}`, c.t(c.lang, `campaign:topic.${t}`), v)).join("")}</fieldset>`;
  const language = `<div class="field"><label for="${fieldId("language")}">${tr(c, "field.language")}</label><select id="${fieldId("language")}" name="language"><option value="">${tr(c, "compose.any_language")}</option>${LOCALES.map(
    (l) => `<option value="${l}"${v.language === l ? " selected" : ""}>${esc(languageName(c, l))}</option>`,
  ).join("")}</select></div>`;
  const paid = `<div class="field">${checkbox("paid", c.t(c.lang, "console_outreach:compose.paid"), v, ` aria-describedby="${fieldId("paid")}-hint"`)}<p class="hint" id="${fieldId("paid")}-hint">${tr(c, "compose.paid_hint")}</p></div>`;
  const form = `<form id="composer" method="post" action="/console/outreach/compose" novalidate data-check="/console/api/outreach/check?lang=${esc(c.lang)}">${csrfField(c)}
<fieldset><legend>${tr(c, "compose.what")}</legend>${contentSelect}</fieldset>
<fieldset><legend>${tr(c, "compose.who")}</legend><p class="hint">${tr(c, "compose.area", { scope: scopeLabel(c, officer) })}</p>${provinces}
${field(c, { name: "communes", label: c.t(c.lang, "console_outreach:field.communes"), values: v, errors: o.errors, hint: c.t(c.lang, "console_outreach:compose.communes_hint"), maxlength: 2000 })}
${topics}${language}</fieldset>
<fieldset><legend>${tr(c, "compose.when")}</legend>
${field(c, { name: "schedule", label: c.t(c.lang, "console_outreach:field.schedule"), values: v, errors: o.errors, hint: c.t(c.lang, "console_outreach:compose.schedule_hint"), maxlength: 200 })}
${field(c, { name: "at", label: c.t(c.lang, "console_outreach:field.at"), values: v, errors: o.errors, type: "datetime-local", hint: c.t(c.lang, "console_outreach:compose.at_hint") })}
<p class="quiet" id="quiet">${esc(quietText(c, o.quiet))}</p>
</fieldset>
${paid}
<section id="check" class="check-box" aria-live="polite" aria-labelledby="h-check">${checkSection(c, o.check)}</section>
<div class="actions">
<button type="submit" name="intent" value="count" class="secondary">${tr(c, "compose.count")}</button>
<button type="submit" name="intent" value="preview" class="secondary">${tr(c, "compose.preview")}</button>
<button type="submit" name="intent" value="draft" class="secondary">${tr(c, "compose.draft")}</button>
<button type="submit" name="intent" value="confirm">${tr(c, "compose.confirm")}</button>
</div>
</form>`;
  return layout(
    c,
    c.t(c.lang, "console_outreach:compose.heading"),
    `${extras}<h1>${tr(c, "compose.heading")}</h1>${o.message ? notice(o.message.text, o.message.kind) : ""}${errorSummary(c, o.errors)}<p class="hint">${tr(c, "compose.intro")}</p>${form}${script}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Campaigns

/** A stored audience as words: provinces and communes by name, topics, language ("all subscribers" when empty). */
export function audienceText(c: PageContext, audience: Audience, names: Map<string, string>): string {
  const parts: string[] = [];
  const named = (code: string) => (names.has(code) ? `${names.get(code)} (${code})` : code);
  if (audience.provinces?.length) parts.push(c.t(c.lang, "console_outreach:audience.provinces", { list: audience.provinces.map(named).join(", ") }));
  if (audience.communes?.length) parts.push(c.t(c.lang, "console_outreach:audience.communes", { list: audience.communes.map(named).join(", ") }));
  if (audience.topics?.length) parts.push(c.t(c.lang, "console_outreach:audience.topics", { list: audience.topics.map((t) => c.t(c.lang, `campaign:topic.${t}`)).join(", ") }));
  if (audience.language) parts.push(c.t(c.lang, "console_outreach:audience.language", { language: languageName(c, audience.language) }));
  return parts.length ? parts.join("; ") : c.t(c.lang, "console_outreach:audience.all");
}

/** The campaign actions each state offers (the commands refuse anything else). */
export const ACTIONS_IN: Record<string, string[]> = {
  draft: ["confirm", "cancel"],
  scheduled: ["pause", "cancel"],
  running: ["pause", "cancel"],
  paused: ["resume", "cancel"],
};

function actionForms(c: PageContext, f: CampaignFigures, back: string): string {
  return (ACTIONS_IN[f.status] ?? [])
    .map(
      (a) =>
        `<form method="post" action="/console/outreach/campaigns/${esc(f.id)}/${a}">${csrfField(c)}<input type="hidden" name="back" value="${back}"><button type="submit" data-action="${a}"${
          a === "cancel" ? ' class="danger"' : ""
        } aria-label="${tr(c, `action.${a}_label`, { title: f.title })}">${tr(c, `action.${a}`)}</button></form>`,
    )
    .join("");
}

const statusBadge = (c: PageContext, status: string) => `<span class="status ${esc(status)}">${tr(c, `status.${status}`)}</span>`;
const quizTotal = (f: CampaignFigures) => f.quiz.reduce((n, q) => n + q.options.reduce((m, o) => m + o.count, 0), 0);

/** The campaigns table (what the list page's script replaces when the JSON endpoint reports a change). */
export function campaignRows(c: PageContext, list: CampaignFigures[], audiences: Map<string, string>): string {
  if (!list.length) return `<p>${tr(c, "campaigns.empty")}</p>`;
  const cols = ["campaign", "status", "audience", "next", "targeted", "queued", "sent", "failed", "blocked", "unsubscribed", "quiz", "actions"];
  // Each cell carries its column's name: on a phone the table becomes a list and the names show beside the values.
  const label = (col: string) => tr(c, `campaigns.col.${col}`);
  return `<table class="campaigns"><caption>${tr(c, "campaigns.caption", { count: list.length })}</caption><thead><tr>${cols.map((h) => `<th scope="col">${tr(c, `campaigns.col.${h}`)}</th>`).join("")}</tr></thead><tbody>${list
    .map(
      (f) =>
        `<tr data-campaign="${esc(f.id)}" data-status="${esc(f.status)}"><th scope="row"><a href="/console/outreach/campaigns/${esc(f.id)}">${esc(f.title)}</a><br><span class="code">${esc(f.id)}</span>${
          f.paidBroadcast ? ` <span class="badge paid">${tr(c, "campaigns.paid")}</span>` : ""
        }</th><td data-label="${label("status")}">${statusBadge(c, f.status)}</td><td data-label="${label("audience")}">${esc(audiences.get(f.id) ?? "")}</td><td data-label="${label("next")}">${
          f.nextRunAt ? esc(formatVnDateTime(f.nextRunAt)) : ""
        }</td>${[f.targeted, f.queued, f.sent, f.failed, f.blocked, f.unsubscribed, quizTotal(f)]
          .map((n, i) => `<td class="num" data-figure="${cols[i + 4]}" data-label="${label(cols[i + 4]!)}">${n}</td>`)
          .join("")}<td>${actionForms(c, f, "list")}</td></tr>`,
    )
    .join("")}</tbody></table>`;
}

/** The version a live part's JSON endpoint reports for its HTML (its script replaces the part when it changes). */
export const liveVersion = (html: string): string => crypto.createHash("sha256").update(html).digest("base64url").slice(0, 16);

/** A part of a page that refreshes itself from `source` (see outreach.js), starting at the version it was rendered with. */
const livePart = (id: string, source: string, html: string) => `<div id="${id}" data-live="${esc(source)}" data-version="${liveVersion(html)}" aria-live="polite">${html}</div>`;

/** The campaigns list with live progress. */
export function campaignsPage(c: PageContext, list: CampaignFigures[], audiences: Map<string, string>, message?: PageMessage): string {
  return layout(
    c,
    c.t(c.lang, "console_outreach:campaigns.heading"),
    `${extras}<h1>${tr(c, "campaigns.heading")} · ${scopeLabel(c, c.officer!)}</h1>${message ? notice(message.text, message.kind) : ""}<p><a class="button" href="/console/outreach/compose">${tr(c, "campaigns.new")}</a></p><p class="note">${tr(
      c,
      "campaigns.refresh_note",
    )}</p>${livePart("campaigns", `/console/api/outreach/campaigns?lang=${c.lang}`, campaignRows(c, list, audiences))}${script}`,
  );
}

/** Bar colours (contrast ≥ 3:1 against white for graphical objects; values are written as text beside them). */
const TONES: Record<string, string> = { sent: "#1b6e3a", targeted: "#0b57d0", queued: "#5f6368", failed: "#a50e0e", blocked: "#7a4b00", skipped: "#5f6368", unsubscribed: "#6a1b9a", right: "#1b6e3a", other: "#0b57d0" };

/**
 * A horizontal bar chart as inline SVG (no script, no style attribute: the console's CSP allows
 * neither). Its figures are also in the table beside it; the SVG is labelled as one image.
 */
export function barChart(title: string, rows: Array<{ label: string; value: number; tone: string }>): string {
  const rowH = 30;
  const labelW = 230;
  const barW = 330;
  const width = labelW + barW + 80;
  const height = rows.length * rowH + 10;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const trim = (s: string) => (s.length > 34 ? `${s.slice(0, 33)}…` : s);
  const bars = rows
    .map((r, i) => {
      const y = 5 + i * rowH;
      const w = r.value === 0 ? 0 : Math.max(2, Math.round((r.value / max) * barW));
      return `<text x="${labelW - 8}" y="${y + 19}" text-anchor="end" font-size="14" fill="#1a1a1a">${esc(trim(r.label))}</text><rect x="${labelW}" y="${y + 4}" width="${w}" height="${rowH - 10}" fill="${TONES[r.tone] ?? TONES.other}" rx="2"></rect><text x="${labelW + w + 6}" y="${y + 19}" font-size="14" fill="#1a1a1a">${r.value}</text>`;
    })
    .join("");
  return `<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, 'Noto Sans', sans-serif"><title>${esc(title)}</title>${bars}</svg>`;
}

/** A campaign's figures: the delivery table and chart, the quiz answers per question (table and chart). */
export function figuresSection(c: PageContext, f: CampaignFigures): string {
  const rows = (["targeted", "queued", "sent", "failed", "blocked", "skipped", "unsubscribed"] as const).map((k) => ({ key: k, label: c.t(c.lang, `console_outreach:figure.${k}`), value: f[k] }));
  const deliveries = `<h3 id="h-deliveries">${tr(c, "report.deliveries")}</h3><div class="figures"><table aria-labelledby="h-deliveries"><thead><tr><th scope="col">${tr(c, "report.what")}</th><th scope="col" class="num">${tr(
    c,
    "report.count",
  )}</th></tr></thead><tbody>${rows.map((r) => `<tr data-figure="${r.key}"><th scope="row">${esc(r.label)}</th><td class="num">${r.value}</td></tr>`).join("")}</tbody></table>${barChart(
    c.t(c.lang, "console_outreach:report.deliveries_chart", { sent: f.sent, targeted: f.targeted }),
    rows.map((r) => ({ label: r.label, value: r.value, tone: r.key })),
  )}</div><p class="note">${tr(c, "report.unsubscribed_note")}</p>`;
  const quiz = f.quiz.length
    ? f.quiz
        .map((q, qi) => {
          const total = q.options.reduce((n, o) => n + o.count, 0);
          const label = (o: { text: string }, oi: number) => `${oi + 1}. ${o.text}${q.answer === oi ? ` ✓` : ""}`;
          return `<h4 id="h-quiz-${qi}">${tr(c, "report.question", { n: qi + 1, question: q.question })}</h4><div class="figures"><table aria-labelledby="h-quiz-${qi}"><thead><tr><th scope="col">${tr(c, "report.option")}</th><th scope="col" class="num">${tr(
            c,
            "report.answers",
          )}</th><th scope="col" class="num">${tr(c, "report.share")}</th></tr></thead><tbody>${q.options
            .map(
              (o, oi) =>
                `<tr data-option="${qi}:${oi}"><th scope="row">${esc(`${oi + 1}. ${o.text}`)}${q.answer === oi ? ` <span class="badge right">${tr(c, "report.correct")}</span>` : ""}</th><td class="num">${o.count}</td><td class="num">${
                  total ? Math.round((o.count / total) * 100) : 0
                }%</td></tr>`,
            )
            .join("")}</tbody></table>${barChart(
            c.t(c.lang, "console_outreach:report.quiz_chart", { n: qi + 1, total }),
            q.options.map((o, oi) => ({ label: label(o, oi), value: o.count, tone: q.answer === oi ? "right" : "other" })),
          )}</div>`;
        })
        .join("")
    : `<p>${tr(c, "report.no_quiz")}</p>`;
  return `${deliveries}<h3>${tr(c, "report.quiz")}</h3>${quiz}`;
}

/** The live part of a campaign's page: its facts, its actions and its report (final once it is over). */
export function campaignLive(c: PageContext, f: CampaignFigures, o: { audience: string; schedule: string }): string {
  const final = f.status === "done" || f.status === "cancelled";
  const facts: Array<[string, string]> = [
    ["status", statusBadge(c, f.status)],
    ["content", `<a href="/console/outreach/content/${esc(f.contentId)}">${esc(f.title)}</a>`],
    ["audience", esc(o.audience)],
    ["schedule", esc(o.schedule)],
    ["next", f.nextRunAt ? esc(formatVnDateTime(f.nextRunAt)) : "—"],
    ["runs", String(f.runs)],
    ["paid", tr(c, f.paidBroadcast ? "report.yes" : "report.no")],
    ["created", `${esc(formatVnDateTime(f.createdAt))} · ${esc(f.createdBy)}`],
  ];
  return `<dl class="facts">${facts.map(([k, v]) => `<dt>${tr(c, `report.fact.${k}`)}</dt><dd>${v}</dd>`).join("")}</dl><div class="actions">${actionForms(c, f, "page")}</div><h2 data-final="${final}">${tr(
    c,
    final ? "report.final" : "report.so_far",
  )}</h2>${figuresSection(c, f)}`;
}

/** A campaign's page: what it sends to whom and when, its actions, and its (final) report, refreshed while it runs. */
export function campaignPage(c: PageContext, f: CampaignFigures, o: { audience: string; schedule: string; message?: PageMessage }): string {
  const heading = c.t(c.lang, "console_outreach:report.heading", { title: f.title });
  return layout(
    c,
    heading,
    `${extras}<p><a href="/console/outreach/campaigns">${tr(c, "campaigns.back")}</a></p><h1>${esc(heading)}</h1>${o.message ? notice(o.message.text, o.message.kind) : ""}${livePart("campaign", `/console/api/outreach/campaigns/${f.id}?lang=${c.lang}`, campaignLive(c, f, o))}${script}`,
  );
}
