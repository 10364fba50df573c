import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import type { OfficerRecord } from "../../officers/authorize.ts";

/** Deletes one of this person's saved views (`console.view_deleted`); another person's view is "not found", unchanged. */
export async function deleteView(tx: Tx, officer: Pick<OfficerRecord, "id">, props: { id: string }): Promise<boolean> {
  const { count } = await tx.savedView.deleteMany({ where: { id: props.id, officerId: officer.id } });
  if (count === 0) return false;
  await recordEvent(tx, { action: "console.view_deleted", actor: { kind: "officer", officerId: officer.id }, data: { view: props.id } });
  return true;
}
