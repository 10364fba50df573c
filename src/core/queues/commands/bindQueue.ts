import type { Tx } from "../../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../../outbox/outbound.ts";
import { recordAndReact } from "../../events/react.ts";
import { scopeCovers } from "../../officers/authorize.ts";
import { authorizeStaff, type CommandActor, type StaffRefusal } from "../../officers/staffAuth.ts";

/** A queue as the binding commands return it. */
export type QueueRecord = Awaited<ReturnType<Tx["queue"]["findUniqueOrThrow"]>>;

/**
 * Binds a queue to an officers' group (a group Chat row); what waited for it is posted there as
 * the event's reaction (`showInBoundGroup`, src/core/queues/reactions.ts). Administrators only (`ACTION_ROLES.bind_queue`; an officer administrator only for
 * a queue their scope covers). One event: `queue.bound`, or `auth.refused`. An unknown queue or a
 * chat that is not a group is refused with `invalid` and changes nothing.
 */
export async function bindQueue(
  tx: Tx,
  renderer: ReplyRenderer,
  props: { actor: CommandActor; queueId: string; groupChatId: string; via?: string | null },
): Promise<{ ok: true; queue: QueueRecord; refs: OutboxRef[] } | { ok: false; reason: StaffRefusal | "invalid" }> {
  const queue = await tx.queue.findUnique({ where: { id: props.queueId } });
  const chat = await tx.chat.findUnique({ where: { id: props.groupChatId }, select: { kind: true } });
  if (!queue || !chat || chat.kind === "private") return { ok: false, reason: "invalid" };
  const auth = await authorizeStaff(tx, {
    actor: props.actor,
    action: "bind_queue",
    auditAction: "queue.bind",
    via: props.via,
    data: { queueId: queue.id, chatId: props.groupChatId },
    inScope: (admin) => scopeCovers(admin, queue),
  });
  if (!auth.ok) return { ok: false, reason: auth.reason };
  await tx.queue.update({ where: { id: queue.id }, data: { groupChatId: props.groupChatId } });
  const refs = await recordAndReact(tx, { action: "queue.bound", actor: auth.key, via: props.via, data: { queueId: queue.id, chatId: props.groupChatId } }, { officerRenderer: renderer });
  return { ok: true, queue: { ...queue, groupChatId: props.groupChatId }, refs };
}
