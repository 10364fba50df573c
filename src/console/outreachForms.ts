import type { ZodError } from "zod";
import type { Audience } from "../core/campaigns/audience.ts";
import type { Localized, QuizQuestion } from "../core/console/outreachView.ts";
import { TOPICS } from "../core/subscriptions/topics.ts";
import { LOCALES } from "../i18n.ts";

/**
 * The outreach console's forms, read into the commands' inputs. Checkbox groups use one field per
 * box (`t:fraud`, `p:01`): the console's form parser keeps one value per name.
 */

/** Quiz questions and options the content form offers (the content schema's limits). */
export const QUIZ_QUESTIONS = 3;
export const QUIZ_OPTIONS = 4;

/** A form's raw values (what is re-shown when it is refused). */
export type FormValues = Record<string, string>;

/** One problem with a form: the field it concerns and what is wrong (translated by the page). */
export interface FieldError {
  field: string;
  /** required | too_short | too_long | invalid | options | topics */
  kind: string;
  /** The limit broken, for too_short and too_long. */
  n?: number;
}

const text = (v: string | undefined) => (v ?? "").trim();
const optional = (v: string | undefined) => (text(v) === "" ? undefined : text(v));

function localized(form: FormValues, prefix: string): Partial<Localized> {
  const out: Partial<Localized> = {};
  for (const l of LOCALES) {
    const v = optional(form[`${prefix}_${l}`]);
    if (v !== undefined) out[l] = v;
  }
  return out;
}

/** The form fields of a stored content item (to edit it, or copy it into a new one). */
export function contentValues(content: { title: string; bodies: string; source: string; topics: string; quiz: string }): FormValues {
  const v: FormValues = { title: content.title };
  const bodies = JSON.parse(content.bodies) as Localized;
  for (const l of LOCALES) if (bodies[l]) v[`body_${l}`] = bodies[l]!;
  const source = JSON.parse(content.source) as { law: string; article?: string; effectiveDate?: string };
  v.law = source.law;
  if (source.article) v.article = source.article;
  if (source.effectiveDate) v.effective = source.effectiveDate;
  for (const t of JSON.parse(content.topics) as string[]) v[`t:${t}`] = "on";
  (JSON.parse(content.quiz) as QuizQuestion[]).slice(0, QUIZ_QUESTIONS).forEach((q, i) => {
    for (const l of LOCALES) if (q.question[l]) v[`q${i}_${l}`] = q.question[l]!;
    q.options.slice(0, QUIZ_OPTIONS).forEach((o, j) => {
      for (const l of LOCALES) if (o[l]) v[`q${i}_o${j}_${l}`] = o[l]!;
    });
    if (q.answer !== undefined) v[`q${i}_answer`] = String(q.answer);
  });
  return v;
}

/**
 * The content form read into `addContent`/`updateContent`'s input. Empty quiz questions and empty
 * options are left out; `fieldOf` maps a schema path back to the form field it came from.
 */
export function contentInput(form: FormValues, keep: { imageUrl?: string | null } = {}) {
  const questions: Array<{ formIndex: number; optionIndex: number[]; value: Record<string, unknown> }> = [];
  const early: FieldError[] = [];
  for (let i = 0; i < QUIZ_QUESTIONS; i++) {
    const question = localized(form, `q${i}`);
    const options: Array<Partial<Localized>> = [];
    const optionIndex: number[] = [];
    for (let j = 0; j < QUIZ_OPTIONS; j++) {
      const o = localized(form, `q${i}_o${j}`);
      if (Object.keys(o).length) {
        options.push(o);
        optionIndex.push(j);
      }
    }
    if (!Object.keys(question).length && !options.length) continue;
    const picked = form[`q${i}_answer`];
    let answer: number | undefined;
    if (picked !== undefined && picked !== "") {
      answer = optionIndex.indexOf(Number(picked));
      if (!/^\d$/.test(picked) || answer < 0) early.push({ field: `q${i}_answer`, kind: "invalid" });
    }
    questions.push({ formIndex: i, optionIndex, value: { question, options, ...(answer !== undefined && answer >= 0 ? { answer } : {}) } });
  }
  const input = {
    title: text(form.title),
    bodies: localized(form, "body"),
    ...(keep.imageUrl ? { imageUrl: keep.imageUrl } : {}),
    source: { law: text(form.law), ...(optional(form.article) ? { article: optional(form.article) } : {}), ...(optional(form.effective) ? { effectiveDate: optional(form.effective) } : {}) },
    topics: TOPICS.filter((t) => form[`t:${t}`] !== undefined),
    quiz: questions.map((q) => q.value),
  };
  /** The form field a schema path (of a ZodError issue) came from. */
  const fieldOf = (path: ReadonlyArray<PropertyKey>): string => {
    const [head, a, b, c, d] = path.map(String);
    if (head === "bodies") return `body_${a}`;
    if (head === "source") return a === "effectiveDate" ? "effective" : a === "article" ? "article" : "law";
    if (head === "quiz" && a !== undefined) {
      const q = questions[Number(a)];
      if (!q) return "quiz";
      const i = q.formIndex;
      if (b === "question") return `q${i}_${c ?? "vi"}`;
      if (b === "answer") return `q${i}_answer`;
      if (b === "options" && c !== undefined) return `q${i}_o${q.optionIndex[Number(c)] ?? 0}_${d ?? "vi"}`;
      return `q${i}_options`;
    }
    return head ?? "form";
  };
  return { input, early, fieldOf };
}

/** A ZodError from the content schema as the form's field errors (`fieldOf` from `contentInput`). */
export function contentErrors(err: ZodError, fieldOf: (path: ReadonlyArray<PropertyKey>) => string, form: FormValues): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of err.issues) {
    const field = fieldOf(issue.path);
    if (out.some((e) => e.field === field)) continue;
    const empty = !text(form[field]);
    if (field === "topics") out.push({ field, kind: "topics" });
    else if (/_options$/.test(field)) out.push({ field, kind: "options" });
    else if (issue.code === "too_small" && !empty) out.push({ field, kind: "too_short", n: Number((issue as { minimum?: number | bigint }).minimum ?? 0) });
    else if (issue.code === "too_big") out.push({ field, kind: "too_long", n: Number((issue as { maximum?: number | bigint }).maximum ?? 0) });
    else if (empty && (issue.code === "too_small" || issue.code === "invalid_type")) out.push({ field, kind: "required" });
    else out.push({ field, kind: "invalid" });
  }
  return out;
}

/** The composer's audience fields read into an audience (and what is wrong with them); `provinces`: every existing province code. */
export function composerAudience(form: FormValues, provinces: readonly string[]): { audience: Audience; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const audience: Audience = {};
  const chosen = Object.keys(form).filter((k) => k.startsWith("p:")).map((k) => k.slice(2));
  if (chosen.some((p) => !provinces.includes(p))) errors.push({ field: "provinces", kind: "invalid" });
  else if (chosen.length) audience.provinces = chosen.sort();
  const communes = text(form.communes)
    .split(/[\s,;]+/)
    .filter(Boolean);
  if (communes.length) {
    if (communes.length > 200 || !communes.every((c) => /^\d{5}$/.test(c))) errors.push({ field: "communes", kind: "invalid" });
    else audience.communes = [...new Set(communes)];
  }
  const topics = TOPICS.filter((t) => form[`t:${t}`] !== undefined);
  if (topics.length) audience.topics = topics;
  const language = text(form.language);
  if (language) {
    if ((LOCALES as readonly string[]).includes(language)) audience.language = language as Audience["language"];
    else errors.push({ field: "language", kind: "invalid" });
  }
  return { audience, errors };
}

/** The schedule the composer was given: the calendar's date and time when set (the parser reads "2026-12-25T08:00"), else the words typed. */
export const composerSchedule = (form: FormValues): string => (text(form.at) ? text(form.at).slice(0, 16) : text(form.schedule).slice(0, 200));
