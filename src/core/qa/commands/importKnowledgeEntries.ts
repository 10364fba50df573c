import { z } from "zod";
import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { authorizeStaff, type CommandActor, type StaffRefusal } from "../../officers/staffAuth.ts";
import { entrySchema, toRow } from "../knowledge.ts";

/** The most entries one import takes. */
export const MAX_IMPORTED_ENTRIES = 5000;

/** What an import takes: a JSON array of entries in the file format (data/knowledge/SCHEMA.md). */
export const knowledgeImportSchema = z.array(entrySchema).max(MAX_IMPORTED_ENTRIES);

/** Why an import was refused: entries that do not fit the schema (nothing written, no event), or the actor's right. */
export type ImportRefusal = { reason: "invalid"; message: string } | { reason: StaffRefusal };

/**
 * Adds or updates knowledge base entries (e.g. `kb:import` from the admin CLI): every entry is
 * validated first, then all are written or none. Legal staff and administrators only
 * (`ACTION_ROLES.import_knowledge`). One event: `knowledge.imported` with the count, or
 * `auth.refused`. The in-memory knowledge base sees the entries once the transaction commits
 * (`knowledgeChanged`; see `KnowledgeBase.fresh`).
 */
export async function importKnowledgeEntries(
  tx: Tx,
  props: { actor: CommandActor; input: unknown },
): Promise<({ ok: true; count: number; knowledgeChanged: boolean }) | ({ ok: false } & ImportRefusal)> {
  const parsed = knowledgeImportSchema.safeParse(props.input);
  if (!parsed.success) return { ok: false, reason: "invalid", message: parsed.error.message };
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "import_knowledge", auditAction: "knowledge.import", data: { count: parsed.data.length } });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  for (const e of parsed.data) await tx.knowledgeEntry.upsert({ where: { id: e.id }, create: { id: e.id, ...toRow(e, auth.key) }, update: toRow(e, auth.key) });
  await recordEvent(tx, { action: "knowledge.imported", actor: auth.key, data: { count: parsed.data.length } });
  return { ok: true, count: parsed.data.length, knowledgeChanged: parsed.data.length > 0 };
}
