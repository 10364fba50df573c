import type { Tx } from "../../../db/client.ts";
import type { OutboxRef } from "../../../outbox/outbound.ts";
import { recordAndReact } from "../../events/react.ts";
import { scopeCovers } from "../../officers/authorize.ts";
import { redeemGuardedCode, type CodeGuardDeps } from "../../officers/codeAttempts.ts";
import { authorizeStaff, recordCommandRefusal, type StaffRefusal } from "../../officers/staffAuth.ts";
import type { QueueRecord } from "./bindQueue.ts";

export type GroupBinding =
  | { ok: true; queue: QueueRecord; refs: OutboxRef[] }
  | { ok: false; reason: StaffRefusal; refs: OutboxRef[] }
  /** wrong: no such binding code (or used, expired); limited: refused unchecked (too many wrong codes). */
  | { ok: false; reason: "wrong" | "limited"; retryMinutes: number; refs: OutboxRef[] };

/**
 * An administrator in a group binds the queue a one-time code was made for to that group (`/bind
 * CODE`). Administrators only (`ACTION_ROLES.bind_queue`), checked before the code is looked at;
 * the queue must be within their scope (the code is used up either way). Within the guessing limits
 * of `redeemGuardedCode`. One event: `queue.bound`, `auth.refused`, or `auth.code_failed` for a
 * wrong code (a burst also alerts the administrators).
 */
export async function bindGroupWithCode(
  tx: Tx,
  deps: CodeGuardDeps,
  props: {
    telegramUserId: string;
    groupChatId: string;
    code: string;
    /** The group's announcement of the binding, queued before the cards that waited (so it reads first). */
    announce?: (queue: QueueRecord) => Promise<OutboxRef[]>;
  },
): Promise<GroupBinding> {
  const actor = { kind: "telegram-user" as const, telegramUserId: props.telegramUserId };
  const auth = await authorizeStaff(tx, { actor, action: "bind_queue", auditAction: "command.bind", via: props.groupChatId });
  if (!auth.ok) return { ok: false, reason: auth.reason, refs: [] };
  const redeemed = await redeemGuardedCode(tx, deps, {
    code: props.code,
    purpose: "group_bind",
    telegramUserId: props.telegramUserId,
    usedBy: auth.key,
    via: props.groupChatId,
  });
  if (!redeemed.ok) return redeemed;
  const queue = redeemed.row.queueId ? await tx.queue.findUnique({ where: { id: redeemed.row.queueId } }) : null;
  if (!queue) {
    await recordCommandRefusal(tx, { actor: auth.key, action: "command.bind", reason: "bad_bind_code", via: props.groupChatId });
    return { ok: false, reason: "wrong", retryMinutes: 0, refs: [] };
  }
  if (auth.officer && !scopeCovers(auth.officer, queue)) {
    await recordCommandRefusal(tx, { actor: auth.key, action: "command.bind", reason: "scope", via: props.groupChatId, data: { queueId: queue.id } });
    return { ok: false, reason: "scope", refs: [] };
  }
  const refs = props.announce ? await props.announce(queue) : [];
  await tx.queue.update({ where: { id: queue.id }, data: { groupChatId: props.groupChatId } });
  // What waited for the group follows from the event (src/core/queues/reactions.ts).
  refs.push(...(await recordAndReact(tx, { action: "queue.bound", actor: auth.key, via: props.groupChatId, data: { queueId: queue.id, chatId: props.groupChatId } }, { officerRenderer: deps.officerRenderer })));
  return { ok: true, queue: { ...queue, groupChatId: props.groupChatId }, refs };
}
