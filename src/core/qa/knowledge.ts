import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Db, Tx } from "../../db/client.ts";
import { hotSqlOf, readDate } from "../../db/hot.ts";
import { LegalSearch, type SearchResult } from "./legalSearch.ts";
import { fromRoot } from "../../paths.ts";

/** data/knowledge/: the shipped starter set (one or more JSON arrays). */
export const KNOWLEDGE_DIR = fromRoot("data", "knowledge");

const localized = z.object({ vi: z.string().min(1), en: z.string().optional(), km: z.string().optional() });
/** One entry as written in the JSON files (see data/knowledge/SCHEMA.md). */
export const entrySchema = z.object({
  id: z.string().regex(/^kb-[a-z0-9-]+$/),
  topics: z.array(z.string()).default([]),
  questions: z.object({ vi: z.array(z.string().min(3)).min(1), en: z.array(z.string()).optional(), km: z.array(z.string()).optional() }),
  answer: localized,
  source: z.object({ law: z.string().min(3), article: z.string().optional(), effectiveDate: z.string().optional() }),
  changed: localized.optional(),
  reportable: z.boolean().default(false),
  lastReviewed: z.string(),
});
export type EntryFile = z.infer<typeof entrySchema>;

/** An entry as the rest of the system uses it. */
export interface Entry {
  id: string;
  questions: { vi: string[]; en?: string[]; km?: string[] };
  answers: { vi: string; en?: string; km?: string };
  source: { law: string; article?: string; effectiveDate?: string };
  changed?: { vi: string; en?: string; km?: string };
  topics: string[];
  reportable: boolean;
  lastReviewed: string;
}

/** An entry file as a row of the knowledge base table, written by `createdBy`. */
export function toRow(e: EntryFile, createdBy: string) {
  return {
    questions: JSON.stringify(e.questions),
    answers: JSON.stringify(e.answer),
    source: JSON.stringify(e.source),
    changed: e.changed ? JSON.stringify(e.changed) : null,
    topics: JSON.stringify(e.topics),
    reportable: e.reportable,
    lastReviewed: e.lastReviewed,
    createdBy,
  };
}

/** Reads and validates every entry file (`kb-*.json`) of the shipped knowledge base. */
export function readKnowledgeFiles(dir = KNOWLEDGE_DIR): { entries: EntryFile[]; checksum: string } {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith("kb-") && f.endsWith(".json")).sort() : [];
  const hash = crypto.createHash("sha256");
  const entries: EntryFile[] = [];
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    hash.update(text);
    entries.push(...z.array(entrySchema).parse(JSON.parse(text)));
  }
  return { entries, checksum: hash.digest("hex") };
}

/**
 * Loads the shipped knowledge base when its files changed. Entries written or edited by legal
 * staff (createdBy other than "seed") are never overwritten.
 */
export async function loadKnowledge(db: Db, dir = KNOWLEDGE_DIR): Promise<{ skipped: boolean; entries: number }> {
  const { entries, checksum } = readKnowledgeFiles(dir);
  const seen = await db.referenceDataset.findUnique({ where: { name: "knowledge" } });
  if (seen?.checksum === checksum) return { skipped: true, entries: entries.length };
  await db.$transaction(
    async (tx) => {
      for (const e of entries) {
        const existing = await tx.knowledgeEntry.findUnique({ where: { id: e.id }, select: { createdBy: true } });
        if (existing && existing.createdBy !== "seed") continue;
        await tx.knowledgeEntry.upsert({ where: { id: e.id }, create: { id: e.id, ...toRow(e, "seed") }, update: toRow(e, "seed") });
      }
      await tx.referenceDataset.upsert({ where: { name: "knowledge" }, create: { name: "knowledge", checksum }, update: { checksum, loadedAt: new Date() } });
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
  return { skipped: false, entries: entries.length };
}

/** All active entries in the file format (for export). */
export async function exportEntries(db: Tx): Promise<EntryFile[]> {
  return (await db.knowledgeEntry.findMany({ where: { active: true }, orderBy: { id: "asc" } })).map((r) => ({
    id: r.id,
    topics: JSON.parse(r.topics),
    questions: JSON.parse(r.questions),
    answer: JSON.parse(r.answers),
    source: JSON.parse(r.source),
    ...(r.changed ? { changed: JSON.parse(r.changed) } : {}),
    reportable: r.reportable,
    lastReviewed: r.lastReviewed,
  }));
}

/**
 * What the stored knowledge base looks like from outside: how many entries, and the last change.
 * Any committed write (an entry added, edited, switched off, removed) changes it.
 */
export async function knowledgeStamp(db: Tx): Promise<string> {
  const hot = hotSqlOf(db);
  if (hot) {
    const raw = (await hot.get<{ n: number | string; at: string | null }>(`SELECT COUNT(*) AS "n", MAX("updatedAt") AS "at" FROM "KnowledgeEntry"`))!;
    return `${raw.n}:${readDate(raw.at)?.getTime() ?? 0}`;
  }
  const agg = await db.knowledgeEntry.aggregate({ _count: { _all: true }, _max: { updatedAt: true } });
  return `${agg._count._all}:${agg._max.updatedAt?.getTime() ?? 0}`;
}

/**
 * The knowledge base in memory with its search index. It is rebuilt when what is stored changed:
 * `fresh` compares the stored entries' stamp with the one it was built from, so a change is seen
 * once (and only if) its transaction commits — whichever instance or transaction made it — and a
 * change rolled back is never kept.
 */
export class KnowledgeBase {
  private entries = new Map<string, Entry>();
  private index = new LegalSearch([]);
  /** The stamp the index was built from (null: not built, or marked out of date). */
  private builtFrom: string | null = null;

  /** Marks the index out of date: the next `fresh` rebuilds it whatever the stamp says. */
  invalidate(): void {
    this.builtFrom = null;
  }

  /** Rebuilds the index when the stored entries changed since it was built, reading through `tx`. */
  async fresh(tx: Tx): Promise<this> {
    const stamp = await knowledgeStamp(tx);
    if (stamp !== this.builtFrom) await this.reload(tx, stamp);
    return this;
  }

  /** Re-reads the active entries and rebuilds the index. */
  async reload(db: Tx, stamp?: string): Promise<void> {
    // The stamp is read before the rows: a change committed in between is seen again next time.
    const builtFrom = stamp ?? (await knowledgeStamp(db));
    const rows = await db.knowledgeEntry.findMany({ where: { active: true } });
    const entries = rows.map((r) => ({
      id: r.id,
      questions: JSON.parse(r.questions),
      answers: JSON.parse(r.answers),
      source: JSON.parse(r.source),
      changed: r.changed ? JSON.parse(r.changed) : undefined,
      topics: JSON.parse(r.topics),
      reportable: r.reportable,
      lastReviewed: r.lastReviewed,
    })) as Entry[];
    this.entries = new Map(entries.map((e) => [e.id, e]));
    this.index = new LegalSearch(entries);
    this.builtFrom = builtFrom;
  }

  get(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  search(question: string, limit?: number): SearchResult {
    return this.index.search(question, limit);
  }

  get size(): number {
    return this.entries.size;
  }
}
