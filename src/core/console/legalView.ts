import type { Db, Tx } from "../../db/client.ts";
import { roleAllows } from "../actions/catalog.ts";
import type { OfficerRecord } from "../officers/authorize.ts";
import { chooseAnswer } from "../qa/askTurn.ts";
import { knowledgeImportSchema, MAX_IMPORTED_ENTRIES } from "../qa/commands/importKnowledgeEntries.ts";
import { exportEntries, knowledgeStamp, toRow, type EntryFile, type KnowledgeBase } from "../qa/knowledge.ts";
import { questionLabel } from "../qa/legalOps.ts";
import { fold } from "../text.ts";

/*
 * What the legal staff's console pages read: the questions waiting for them, the knowledge base's
 * entries, an import's dry run and the bot's answer to a test question. Read-only (changes go
 * through the commands in src/core/qa/commands/). Legal questions carry no place — a resident is
 * never asked where they are to ask one — and all go to the one national legal queue (`legal:VN`):
 * every legal staff member and administrator sees them all, whatever unit they are registered with,
 * as in the legal staff's Telegram group. Never the asker's identity, chat or sealed reference.
 */

/** The most open questions the queue shows (the oldest first). */
export const LEGAL_QUEUE_LIMIT = 100;
/** The most answered-but-unsaved questions the queue shows (the latest first). */
export const UNSAVED_LIMIT = 50;
/** How long an answered question stays listed for saving into the knowledge base. */
export const UNSAVED_DAYS = 30;
/** Entries per page of the knowledge base list. */
export const ENTRIES_PAGE = 50;

/** Whether a person may use the legal staff's console pages: active legal staff and administrators (the action table's `question.answer`). */
export const mayUseLegal = (officer: Pick<OfficerRecord, "role" | "revokedAt">): boolean => !officer.revokedAt && roleAllows(officer.role, "question.answer");

/** One entry as a list shows it. */
export interface EntryBrief {
  id: string;
  /** Its first Vietnamese phrasing. */
  title: string;
  score?: number;
  coverage?: number;
}

/** What the bot does with a question: answers directly, offers entries to pick from, or only offers a legal officer. */
export type BotDecision = "direct" | "choose" | "staff";

/** The bot's answer to a question as the console shows it (the test box, the queue's "what the bot suggests"). */
export interface BotAnswer {
  decision: BotDecision;
  /** The entry answered directly. */
  chosen?: EntryBrief & { answer: string; source: string };
  /** The search's best entries, best first, with score (probability) and coverage. */
  hits: EntryBrief[];
  /** Shown with a direct answer (runners-up) or offered to pick from (no direct answer). */
  offered: EntryBrief[];
}

const titleOf = (kb: KnowledgeBase, id: string) => kb.get(id)?.questions.vi[0] ?? id;

/**
 * The bot's answers already worked out for the current knowledge base (by question text): the queue
 * page shows one per question on every load; a change to the stored entries (their stamp) empties it.
 */
export class BotAnswerMemo {
  private stamp = "";
  private readonly answers = new Map<string, BotAnswer>();
  constructor(private readonly max = 2000) {}

  /** The knowledge base as `fresh` returned it and the stored entries' stamp read just before. */
  async forStamp(db: Db | Tx): Promise<this> {
    const stamp = await knowledgeStamp(db as Tx);
    if (stamp !== this.stamp) {
      this.answers.clear();
      this.stamp = stamp;
    }
    return this;
  }

  answer(kb: KnowledgeBase, text: string): BotAnswer {
    const known = this.answers.get(text);
    if (known) return known;
    const made = botAnswer(kb, text);
    if (this.answers.size >= this.max) this.answers.clear();
    this.answers.set(text, made);
    return made;
  }
}

/** What the bot would answer to `text` now: the same decision as the conversation (`chooseAnswer`, the real search). */
export function botAnswer(kb: KnowledgeBase, text: string): BotAnswer {
  const choice = chooseAnswer(kb, text);
  const hits = choice.result.hits.map((h) => ({ id: h.id, title: titleOf(kb, h.id), score: h.score, coverage: h.coverage }));
  const brief = (id: string) => hits.find((h) => h.id === id) ?? { id, title: titleOf(kb, id) };
  if (choice.best) {
    const e = choice.best;
    const source = [e.source.article, e.source.law].filter(Boolean).join(", ") + (e.source.effectiveDate ? ` (${e.source.effectiveDate})` : "");
    return { decision: "direct", chosen: { ...brief(e.id), answer: e.answers.vi, source }, hits, offered: choice.alternatives.map((a) => brief(a.id)) };
  }
  return { decision: choice.suggestions.length ? "choose" : "staff", hits, offered: choice.suggestions.map((s) => brief(s.id)) };
}

/** A question waiting for the legal staff: its text and language, how long it waits, what the bot makes of it now. */
export interface OpenQuestion {
  id: string;
  label: string;
  text: string;
  locale: string;
  receivedAt: Date;
  minutesWaiting: number;
  bot: BotAnswer;
}

/** An answered question not saved into the knowledge base yet. */
export interface UnsavedAnswer {
  id: string;
  label: string;
  text: string;
  locale: string;
  answer: string;
  answeredAt: Date | null;
  /** Who answered (display name or short id). */
  answeredBy: string;
  /** The entries the bot finds closest to the question (to add it as a phrasing of one). */
  bot: BotAnswer;
}

/** The legal queue: open questions oldest first (at most `LEGAL_QUEUE_LIMIT`, with the total), and recent answers not saved yet. */
export async function legalQueue(db: Db | Tx, kb: KnowledgeBase, memo?: BotAnswerMemo, now = new Date()): Promise<{ open: OpenQuestion[]; total: number; unsaved: UnsavedAnswer[] }> {
  const bot = (text: string) => (memo ? memo.answer(kb, text) : botAnswer(kb, text));
  const select = { id: true, text: true, locale: true, createdAt: true, answer: true, answeredAt: true, answeredBy: true } as const;
  const [open, total, answered] = await Promise.all([
    db.legalQuestion.findMany({ where: { status: "open" }, select, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: LEGAL_QUEUE_LIMIT }),
    db.legalQuestion.count({ where: { status: "open" } }),
    db.legalQuestion.findMany({
      where: { status: "answered", entryId: null, answeredAt: { gte: new Date(now.getTime() - UNSAVED_DAYS * 86_400_000) } },
      select,
      orderBy: [{ answeredAt: "desc" }, { id: "asc" }],
      take: UNSAVED_LIMIT,
    }),
  ]);
  const officerIds = [...new Set(answered.map((q) => q.answeredBy).filter((v): v is string => !!v))];
  const officers = new Map((await db.officer.findMany({ where: { id: { in: officerIds } }, select: { id: true, displayName: true } })).map((o) => [o.id, o.displayName ?? o.id.slice(-5)]));
  return {
    total,
    open: open.map((q) => ({
      id: q.id,
      label: questionLabel(q.id),
      text: q.text,
      locale: q.locale,
      receivedAt: q.createdAt,
      minutesWaiting: Math.max(0, Math.floor((now.getTime() - q.createdAt.getTime()) / 60_000)),
      bot: bot(q.text),
    })),
    unsaved: answered.map((q) => ({
      id: q.id,
      label: questionLabel(q.id),
      text: q.text,
      locale: q.locale,
      answer: q.answer ?? "",
      answeredAt: q.answeredAt,
      answeredBy: q.answeredBy ? (officers.get(q.answeredBy) ?? q.answeredBy) : "",
      bot: bot(q.text),
    })),
  };
}

/** A stored entry as the editor lists it. */
export interface EntryRow {
  id: string;
  title: string;
  law: string;
  article: string;
  topics: string[];
  languages: string[];
  active: boolean;
  /** "seed" (the shipped set) or who wrote it last. */
  createdBy: string;
  lastReviewed: string;
  updatedAt: Date;
}

/** A stored entry in the file format, with its state. */
export interface StoredEntry {
  entry: EntryFile;
  active: boolean;
  createdBy: string;
  updatedAt: Date;
}

type EntryRecord = Awaited<ReturnType<Tx["knowledgeEntry"]["findUniqueOrThrow"]>>;

function fileOf(r: EntryRecord): EntryFile {
  return {
    id: r.id,
    topics: JSON.parse(r.topics),
    questions: JSON.parse(r.questions),
    answer: JSON.parse(r.answers),
    source: JSON.parse(r.source),
    ...(r.changed ? { changed: JSON.parse(r.changed) } : {}),
    reportable: r.reportable,
    lastReviewed: r.lastReviewed,
  };
}

/**
 * The stored entries (active, retired or all) whose id, phrasings, answers or source contain the
 * searched words (diacritics and case ignored), by id, one page of `ENTRIES_PAGE`.
 */
export async function listEntries(db: Db | Tx, props: { q?: string; status?: "active" | "retired" | "all"; page?: number }): Promise<{ rows: EntryRow[]; total: number; page: number; pages: number }> {
  const status = props.status ?? "active";
  const rows = await db.knowledgeEntry.findMany({ where: status === "all" ? {} : { active: status === "active" }, orderBy: { id: "asc" } });
  const words = fold(props.q ?? "").split(/\s+/).filter(Boolean);
  const matching = words.length ? rows.filter((r) => {
    const hay = fold(`${r.id} ${r.questions} ${r.answers} ${r.source} ${r.changed ?? ""}`);
    return words.every((w) => hay.includes(w));
  }) : rows;
  const pages = Math.max(1, Math.ceil(matching.length / ENTRIES_PAGE));
  const page = Math.min(Math.max(1, Math.floor(props.page ?? 1)), pages);
  return {
    total: matching.length,
    page,
    pages,
    rows: matching.slice((page - 1) * ENTRIES_PAGE, page * ENTRIES_PAGE).map((r) => {
      const e = fileOf(r);
      return {
        id: r.id,
        title: e.questions.vi[0] ?? r.id,
        law: e.source.law,
        article: e.source.article ?? "",
        topics: e.topics,
        languages: ["vi", ...(e.answer.en ? ["en"] : []), ...(e.answer.km ? ["km"] : [])],
        active: r.active,
        createdBy: r.createdBy,
        lastReviewed: r.lastReviewed,
        updatedAt: r.updatedAt,
      };
    }),
  };
}

/** One stored entry in the file format, or null. */
export async function storedEntry(db: Db | Tx, id: string): Promise<StoredEntry | null> {
  const r = await db.knowledgeEntry.findUnique({ where: { id } });
  return r ? { entry: fileOf(r), active: r.active, createdBy: r.createdBy, updatedAt: r.updatedAt } : null;
}

/** The ids of the active entries with their first phrasing (to pick one to add a phrasing to). */
export async function entryChoices(db: Db | Tx): Promise<EntryBrief[]> {
  const rows = await db.knowledgeEntry.findMany({ where: { active: true }, select: { id: true, questions: true }, orderBy: { id: "asc" } });
  return rows.map((r) => ({ id: r.id, title: (JSON.parse(r.questions) as { vi: string[] }).vi[0] ?? r.id }));
}

/** The active entries in the file format (the export). */
export const exportKnowledge = (db: Db | Tx): Promise<EntryFile[]> => exportEntries(db as Tx);

/** Why an import file cannot be taken, entry by entry where it can say. */
export type ImportProblem =
  | { kind: "not_json" }
  | { kind: "not_list" }
  | { kind: "too_many"; max: number }
  | { kind: "entry"; index: number; id?: string; field: string }
  | { kind: "duplicate"; id: string };

/** What an import would do to one entry. */
export interface ImportChange {
  id: string;
  title: string;
  change: "new" | "changed" | "same";
  /** The stored fields it changes. */
  fields: string[];
  /** The stored entry is retired (an import leaves it so). */
  retired: boolean;
}

/** An import's dry run: the problems (nothing can be written), or what each entry would change and the stamp of the knowledge base it was computed on. */
export type ImportPreview = { ok: false; problems: ImportProblem[] } | { ok: true; entries: unknown[]; changes: ImportChange[]; stamp: string };

const FIELDS = ["questions", "answers", "source", "changed", "topics", "reportable", "lastReviewed"] as const;

/**
 * The dry run of an import (`importKnowledgeEntries`): the text parsed as JSON and validated with
 * the same schema, then each entry compared with the stored one. Writes nothing.
 */
export async function previewImport(db: Db | Tx, text: string): Promise<ImportPreview> {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return { ok: false, problems: [{ kind: "not_json" }] };
  }
  if (!Array.isArray(input)) return { ok: false, problems: [{ kind: "not_list" }] };
  const parsed = knowledgeImportSchema.safeParse(input);
  if (!parsed.success) {
    const problems: ImportProblem[] = [];
    for (const issue of parsed.error.issues) {
      if (issue.path.length === 0) {
        problems.push({ kind: "too_many", max: MAX_IMPORTED_ENTRIES });
        continue;
      }
      const index = Number(issue.path[0]);
      const raw = input[index] as { id?: unknown } | undefined;
      problems.push({ kind: "entry", index: index + 1, id: typeof raw?.id === "string" ? raw.id.slice(0, 80) : undefined, field: issue.path.slice(1).join(".") || "-" });
      if (problems.length >= 20) break;
    }
    return { ok: false, problems };
  }
  const seen = new Set<string>();
  const duplicates = parsed.data.filter((e) => (seen.has(e.id) ? true : (seen.add(e.id), false)));
  if (duplicates.length) return { ok: false, problems: [...new Set(duplicates.map((e) => e.id))].slice(0, 20).map((id) => ({ kind: "duplicate" as const, id })) };
  const stamp = await knowledgeStamp(db as Tx);
  const stored = new Map((await db.knowledgeEntry.findMany({ where: { id: { in: parsed.data.map((e) => e.id) } } })).map((r) => [r.id, r]));
  const changes = parsed.data.map((e): ImportChange => {
    const r = stored.get(e.id);
    const title = e.questions.vi[0] ?? e.id;
    if (!r) return { id: e.id, title, change: "new", fields: [], retired: false };
    const row = toRow(e, r.createdBy);
    const fields = FIELDS.filter((f) => r[f] !== row[f]);
    return { id: e.id, title, change: fields.length ? "changed" : "same", fields, retired: !r.active };
  });
  return { ok: true, entries: input, changes, stamp };
}
