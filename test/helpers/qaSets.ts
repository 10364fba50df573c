import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { SearchResult } from "../../src/core/qa/legalSearch.ts";

const HELD_DIR = path.resolve(import.meta.dirname, "../qa-heldout");
const EVAL_DIR = path.resolve(import.meta.dirname, "../qa-eval");

/** One evaluation question: the entry that answers it (null: none does), and entries that answer it equally well. */
export interface QaCase {
  q: string;
  expect: string | null;
  lang?: string;
  also: string[];
}

/** Entries merged into another since the questions were written: removed id → kept id. */
export function mergedEntries(): Record<string, string> {
  return (JSON.parse(fs.readFileSync(path.join(HELD_DIR, "merged.json"), "utf8")) as { merged: Record<string, string> }).merged;
}

/** The questions written alongside the first 64 entries (test/qa-eval/), merged ids mapped to the kept entry. */
export function companionQuestions(): QaCase[] {
  const merged = mergedEntries();
  return fs
    .readdirSync(EVAL_DIR)
    .filter((f) => f.endsWith(".json"))
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(EVAL_DIR, f), "utf8")) as Array<{ q: string; expect: string }>)
    .map((c) => ({ q: c.q, expect: merged[c.expect] ?? c.expect, also: [] }));
}

/**
 * Questions written apart from the entries (test/qa-heldout/set-*.json, by helpers who saw only the
 * topic list), merged ids mapped, re-judged where later topics answer them (relabel.json), split by a
 * stable hash of the text: the "tuning" half may inform changes to the search; only the "held-out"
 * half is reported as the result.
 */
export function independentQuestions(known: Set<string>): { tuning: QaCase[]; heldOut: QaCase[] } {
  const merged = mergedEntries();
  const all = fs
    .readdirSync(HELD_DIR)
    .filter((f) => /^set-[a-z]+\.json$/.test(f))
    .flatMap((file) =>
      (JSON.parse(fs.readFileSync(path.join(HELD_DIR, file), "utf8")) as Array<{ q: string; expect: string | null; lang?: string }>).map((c, index) => ({
        key: `${file}#${index}`,
        c: { q: c.q, expect: c.expect ? (merged[c.expect] ?? c.expect) : null, lang: c.lang, also: [] as string[] } satisfies QaCase,
      })),
    );
  const byKey = new Map(all.map((x) => [x.key, x.c]));
  const relabel = path.join(HELD_DIR, "relabel.json");
  if (fs.existsSync(relabel)) {
    for (const ch of (JSON.parse(fs.readFileSync(relabel, "utf8")) as { changes: Array<{ file: string; index: number; to: string; kind: "replace" | "also" }> }).changes) {
      const c = byKey.get(`${ch.file}#${ch.index}`);
      if (!c) continue;
      if (ch.kind === "replace") c.expect = ch.to;
      else c.also.push(ch.to);
    }
  }
  // Pairs the question writers reported as overlapping: either answers a question meant for the other.
  const pairs = (JSON.parse(fs.readFileSync(path.join(HELD_DIR, "equivalent.json"), "utf8")) as { pairs: Array<[string, string]> }).pairs;
  for (const { c } of all) {
    if (!c.expect) continue;
    for (const [a, b] of pairs) {
      if (c.expect === a) c.also.push(b);
      else if (c.expect === b) c.also.push(a);
    }
  }
  const usable = all.map((x) => x.c).filter((c) => c.expect === null || known.has(c.expect));
  const half = (c: QaCase) => (crypto.createHash("sha256").update(c.q).digest()[0]! % 2 === 0 ? "tuning" : "held-out");
  return { tuning: usable.filter((c) => half(c) === "tuning"), heldOut: usable.filter((c) => half(c) === "held-out") };
}

/** Whether `id` answers the question. */
export function answers(c: QaCase, id: string | undefined): boolean {
  return id !== undefined && (id === c.expect || c.also.includes(id));
}

/** How a search did on a set of questions. */
export interface QaScore {
  questions: number;
  answerable: number;
  top1: number;
  top3: number;
  confidentWrong: number;
  abstained: number;
  byLanguage: Map<string, { n: number; top1: number }>;
}

/** Scores one result per question: top-1/top-3 over answerable questions; confident-but-wrong and abstentions over all. */
export function score(cases: QaCase[], search: (q: string) => SearchResult): QaScore {
  const s: QaScore = { questions: cases.length, answerable: 0, top1: 0, top3: 0, confidentWrong: 0, abstained: 0, byLanguage: new Map() };
  for (const c of cases) {
    const result = search(c.q);
    const ids = result.hits.map((h) => h.id);
    if (c.expect !== null) {
      s.answerable++;
      const first = answers(c, ids[0]);
      if (first) s.top1++;
      if (ids.slice(0, 3).some((id) => answers(c, id))) s.top3++;
      const row = s.byLanguage.get(c.lang ?? "?") ?? { n: 0, top1: 0 };
      row.n++;
      if (first) row.top1++;
      s.byLanguage.set(c.lang ?? "?", row);
    }
    if (!result.confident) s.abstained++;
    else if (!answers(c, ids[0])) s.confidentWrong++;
  }
  return s;
}
