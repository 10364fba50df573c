import type { Tx } from "../../../db/client.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { scopeCovers } from "../../officers/authorize.ts";
import { authorizeStaff, recordCommandRefusal, type CommandActor, type StaffRefusal } from "../../officers/staffAuth.ts";

/**
 * Unbinds a queue from its group: its new tips are no longer posted there (they fall back to the
 * province duty group or the national one, or wait until a group is bound again); cards already
 * posted stay. Administrators only (`ACTION_ROLES.unbind_queue`, within their scope). One event:
 * `queue.unbound`, or `auth.refused` (also for a queue bound to no group: `not_bound`). An unknown
 * queue is refused with `invalid` and changes nothing.
 */
export async function unbindQueue(
  tx: Tx,
  props: { actor: CommandActor; queueId: string; via?: string | null },
): Promise<{ ok: true; fromChatId: string } | { ok: false; reason: StaffRefusal | "invalid" | "not_bound" }> {
  const queue = await tx.queue.findUnique({ where: { id: props.queueId } });
  if (!queue) return { ok: false, reason: "invalid" };
  const auth = await authorizeStaff(tx, {
    actor: props.actor,
    action: "unbind_queue",
    auditAction: "queue.unbind",
    via: props.via,
    data: { queueId: queue.id },
    inScope: (admin) => scopeCovers(admin, queue),
  });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  if (!queue.groupChatId) {
    await recordCommandRefusal(tx, { actor: auth.key, action: "queue.unbind", reason: "not_bound", via: props.via, data: { queueId: queue.id } });
    return { ok: false, reason: "not_bound" };
  }
  await tx.queue.update({ where: { id: queue.id }, data: { groupChatId: null } });
  await recordEvent(tx, { action: "queue.unbound", actor: auth.key, via: props.via, data: { queueId: queue.id, chatId: queue.groupChatId } });
  return { ok: true, fromChatId: queue.groupChatId };
}
