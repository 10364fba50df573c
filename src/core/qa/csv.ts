import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import type { EntryFile } from "./knowledge.ts";

/** CSV columns of the knowledge base; list fields are separated by " | ". */
export const CSV_COLUMNS = [
  "id",
  "topics",
  "questions_vi",
  "questions_en",
  "answer_vi",
  "answer_en",
  "law",
  "article",
  "effective_date",
  "changed_vi",
  "changed_en",
  "reportable",
  "last_reviewed",
] as const;

const SEP = " | ";
const list = (v: string | undefined) => (v ? v.split("|").map((s) => s.trim()).filter(Boolean) : []);

/** Knowledge base entries as CSV (UTF-8, one row per entry), for editing in a spreadsheet. */
export function entriesToCsv(entries: EntryFile[]): string {
  return stringify(
    entries.map((e) => ({
      id: e.id,
      topics: e.topics.join(SEP),
      questions_vi: e.questions.vi.join(SEP),
      questions_en: (e.questions.en ?? []).join(SEP),
      answer_vi: e.answer.vi,
      answer_en: e.answer.en ?? "",
      law: e.source.law,
      article: e.source.article ?? "",
      effective_date: e.source.effectiveDate ?? "",
      changed_vi: e.changed?.vi ?? "",
      changed_en: e.changed?.en ?? "",
      reportable: e.reportable ? "yes" : "no",
      last_reviewed: e.lastReviewed,
    })),
    { header: true, columns: [...CSV_COLUMNS] },
  );
}

/** Parses the CSV written by entriesToCsv back into entries (validated by the caller's importer). */
export function csvToEntries(text: string): unknown[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
  return rows.map((r) => ({
    id: r.id,
    topics: list(r.topics),
    questions: { vi: list(r.questions_vi), ...(r.questions_en ? { en: list(r.questions_en) } : {}) },
    answer: { vi: r.answer_vi, ...(r.answer_en ? { en: r.answer_en } : {}) },
    source: { law: r.law, ...(r.article ? { article: r.article } : {}), ...(r.effective_date ? { effectiveDate: r.effective_date } : {}) },
    ...(r.changed_vi ? { changed: { vi: r.changed_vi, ...(r.changed_en ? { en: r.changed_en } : {}) } } : {}),
    reportable: ["yes", "true", "1", "có"].includes((r.reportable ?? "").toLowerCase()),
    lastReviewed: r.last_reviewed,
  }));
}
