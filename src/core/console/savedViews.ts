import type { Db, Tx } from "../../db/client.ts";

/** A saved view as its owner's list shows it. */
export interface SavedViewRow {
  id: string;
  name: string;
  query: string;
}

/** This person's saved views, by name. */
export async function listViews(db: Db | Tx, officerId: string): Promise<SavedViewRow[]> {
  return db.savedView.findMany({ where: { officerId }, select: { id: true, name: true, query: true }, orderBy: { name: "asc" } });
}

/** One of this person's saved views (another person's is undefined). */
export async function findView(db: Db | Tx, officerId: string, id: string): Promise<SavedViewRow | undefined> {
  return (await db.savedView.findFirst({ where: { id, officerId }, select: { id: true, name: true, query: true } })) ?? undefined;
}
