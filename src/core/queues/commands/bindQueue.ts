import type { Tx } from "../../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../../outbox/outbound.ts";
import { recordEvent } from "../../events/recordEvent.ts";
import { scopeCovers } from "../../officers/authorize.ts";
import { authorizeStaff, type CommandActor, type StaffRefusal } from "../../officers/staffAuth.ts";
import { attachQueue } from "../attachQueue.ts";

/** A queue as the binding commands return it. */
export type QueueRecord = Awaited<ReturnType<Tx["queue"]["findUniqueOrThrow"]>>;

/**
 * Binds a queue to an officers' group (a group Chat row) and posts what waited for it (see
 * `attachQueue`). Administrators only (`ACTION_ROLES.bind_queue`; an officer administrator only for
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
  const refs = await attachQueue(tx, renderer, { queueId: queue.id, groupChatId: props.groupChatId });
  await recordEvent(tx, { action: "queue.bound", actor: auth.key, via: props.via, data: { queueId: queue.id, chatId: props.groupChatId } });
  return { ok: true, queue: { ...queue, groupChatId: props.groupChatId }, refs };
}
