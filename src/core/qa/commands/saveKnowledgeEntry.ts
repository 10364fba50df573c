import type { z } from "zod";
import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { authorizeStaff, type CommandActor, type StaffRefusal } from "../../officers/staffAuth.ts";
import { entrySchema, toRow } from "../knowledge.ts";

/** The stored fields of an entry that an edit may change (as the event names them). */
const FIELDS = ["questions", "answers", "source", "changed", "topics", "reportable", "lastReviewed"] as const;

/**
 * Why saving an entry was refused: entries that do not fit the schema, an id already taken (adding)
 * or unknown (editing), an edit made on an entry someone changed since it was read — all bad input,
 * no event — or the actor's right (`auth.refused`).
 */
export type EntryRefusal =
  | { reason: "invalid"; issues: z.core.$ZodIssue[] }
  | { reason: "exists" | "missing" | "stale" }
  | { reason: StaffRefusal };

/**
 * Adds one knowledge base entry or edits one (the console's editor): validated like an imported
 * entry (Vietnamese phrasing, answer and legal source required), then written as the staff member's
 * (a shipped entry edited is never overwritten by a later shipped file). Writing entries is the
 * action table's `knowledge.import` right (legal staff and administrators). An edit carries the
 * `updatedAt` it was made on: a colleague's change in between is not overwritten ("stale"). One
 * event: `knowledge.entry_added` or `knowledge.entry_edited` with the fields changed (none, and no
 * write, when nothing changed), or `auth.refused`. The bot serves the change once the transaction
 * commits (`KnowledgeBase.fresh` compares the stored entries' stamp).
 */
export async function saveKnowledgeEntry(
  tx: Tx,
  props: { actor: CommandActor; mode: "add" | "edit"; input: unknown; expectedUpdatedAt?: number },
): Promise<{ ok: true; entryId: string; fields: string[]; knowledgeChanged: boolean } | ({ ok: false } & EntryRefusal)> {
  const parsed = entrySchema.safeParse(props.input);
  if (!parsed.success) return { ok: false, reason: "invalid", issues: parsed.error.issues };
  const entry = parsed.data;
  const auth = await authorizeStaff(tx, {
    actor: props.actor,
    action: "import_knowledge",
    auditAction: props.mode === "add" ? "knowledge.add" : "knowledge.edit",
    data: { entryId: entry.id },
  });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  const existing = await tx.knowledgeEntry.findUnique({ where: { id: entry.id } });
  const row = toRow(entry, auth.key);
  if (props.mode === "add") {
    if (existing) return { ok: false, reason: "exists" };
    await tx.knowledgeEntry.create({ data: { id: entry.id, ...row } });
    await recordEvent(tx, { action: "knowledge.entry_added", actor: auth.key, data: { entryId: entry.id } });
    return { ok: true, entryId: entry.id, fields: [...FIELDS], knowledgeChanged: true };
  }
  if (!existing) return { ok: false, reason: "missing" };
  if (props.expectedUpdatedAt !== undefined && existing.updatedAt.getTime() !== props.expectedUpdatedAt) return { ok: false, reason: "stale" };
  const fields = FIELDS.filter((f) => existing[f] !== row[f]);
  if (fields.length === 0) return { ok: true, entryId: entry.id, fields, knowledgeChanged: false };
  // Only the version read is overwritten: a concurrent edit committed first leaves this one refused.
  const { count } = await tx.knowledgeEntry.updateMany({ where: { id: entry.id, updatedAt: existing.updatedAt }, data: row });
  if (count !== 1) return { ok: false, reason: "stale" };
  await recordEvent(tx, { action: "knowledge.entry_edited", actor: auth.key, data: { entryId: entry.id, fields } });
  return { ok: true, entryId: entry.id, fields, knowledgeChanged: true };
}
