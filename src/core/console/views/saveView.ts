import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import type { OfficerRecord } from "../../officers/authorize.ts";
import { filterQuery, parseTipFilter } from "../tipFilter.ts";

/** Longest name of a saved view. */
export const VIEW_NAME_CHARS = 60;
/** Most saved views one person keeps. */
export const MAX_VIEWS = 50;

/** Why a view was not saved. */
export type SaveViewRefusal = "bad_name" | "bad_query" | "too_many";

/**
 * Saves the tip list's current filter under a name, for this person only (`console.view_saved`);
 * the same name again replaces its filter. The query is validated and stored in its canonical
 * form (the filter parameters only).
 */
export async function saveView(
  tx: Tx,
  officer: Pick<OfficerRecord, "id">,
  props: { name: string; query: string },
): Promise<{ ok: true; id: string } | { ok: false; reason: SaveViewRefusal }> {
  const name = props.name.replace(/\s+/g, " ").trim();
  if (!name || name.length > VIEW_NAME_CHARS || /[\p{Cc}\p{Cf}]/u.test(name)) return { ok: false, reason: "bad_name" };
  const parsed = parseTipFilter(props.query);
  if (!parsed.ok) return { ok: false, reason: "bad_query" };
  const query = filterQuery(parsed.filter);
  const existing = await tx.savedView.findUnique({ where: { officerId_name: { officerId: officer.id, name } }, select: { id: true } });
  if (!existing && (await tx.savedView.count({ where: { officerId: officer.id } })) >= MAX_VIEWS) return { ok: false, reason: "too_many" };
  const view = existing
    ? await tx.savedView.update({ where: { id: existing.id }, data: { query }, select: { id: true } })
    : await tx.savedView.create({ data: { officerId: officer.id, name, query }, select: { id: true } });
  await recordEvent(tx, { action: "console.view_saved", actor: { kind: "officer", officerId: officer.id }, data: { view: view.id, query, replaced: !!existing } });
  return { ok: true, id: view.id };
}
