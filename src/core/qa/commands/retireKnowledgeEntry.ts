import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { authorizeStaff, type CommandActor, type StaffRefusal } from "../../officers/staffAuth.ts";

/**
 * Retires a knowledge base entry (the bot stops answering with it; it stays stored, and an export
 * leaves it out) or, `active: true`, brings it back. Writing entries is the action table's
 * `knowledge.import` right (legal staff and administrators). One event: `knowledge.entry_retired`
 * or `knowledge.entry_restored` (none when the entry already is so), or `auth.refused`; an unknown
 * entry is bad input (no event). The bot sees it once the transaction commits (`KnowledgeBase.fresh`).
 */
export async function retireKnowledgeEntry(
  tx: Tx,
  props: { actor: CommandActor; entryId: string; active: boolean },
): Promise<{ ok: true; knowledgeChanged: boolean } | { ok: false; reason: StaffRefusal | "missing" }> {
  const auth = await authorizeStaff(tx, {
    actor: props.actor,
    action: "import_knowledge",
    auditAction: props.active ? "knowledge.restore" : "knowledge.retire",
    data: { entryId: props.entryId },
  });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  const entry = await tx.knowledgeEntry.findUnique({ where: { id: props.entryId }, select: { active: true } });
  if (!entry) return { ok: false, reason: "missing" };
  if (entry.active === props.active) return { ok: true, knowledgeChanged: false };
  await tx.knowledgeEntry.update({ where: { id: props.entryId }, data: { active: props.active } });
  await recordEvent(tx, { action: props.active ? "knowledge.entry_restored" : "knowledge.entry_retired", actor: auth.key, data: { entryId: props.entryId } });
  return { ok: true, knowledgeChanged: true };
}
