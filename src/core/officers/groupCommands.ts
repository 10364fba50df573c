import type { Tx } from "../../db/client.ts";
import { enqueueCalls, type OutboxRef } from "../../outbox/outbound.ts";
import type { Reply } from "../reply.ts";
import { tipHistory } from "../tips/history.ts";
import { normaliseTipCode } from "../tips/codes.ts";
import { ACTIONS, actionsOf, roleAllows, type ActionId } from "../actions/catalog.ts";
import { actorOf, recordRefusal, scopeCovers, type OfficerRecord } from "./authorize.ts";
import { bindGroupWithCode } from "../queues/commands/bindGroupWithCode.ts";
import { sendToGroup, type GroupActor, type OfficerDeps } from "./groupContext.ts";

const MAX_LINES = 30;

/** The commands officers type in their group (besides `/bind` and `/help`): the action table's `group.*` rows, by command name. */
const COMMANDS = new Map<string, ActionId>(actionsOf("group").map((id) => [id.slice("group.".length), id]));

type QueueRow = { id: string; name: string; kind: string; provinceCode: string; communeCode: string | null };

/**
 * The queues whose tips show in this group and that the officer's scope covers: those bound to it,
 * and for a province duty group its unbound communes. A commune officer in the province duty group
 * sees only their commune; an officer of another unit sees nothing. `bound` tells an unbound group
 * from one whose queues are all outside the officer's scope.
 */
async function visibleQueues(tx: Tx, groupChatId: string, officer: OfficerRecord): Promise<{ bound: boolean; ids: string[]; names: string[] }> {
  const bound = await tx.queue.findMany({ where: { groupChatId } });
  const shown: QueueRow[] = [...bound];
  for (const duty of bound.filter((q) => q.kind === "province")) {
    shown.push(...(await tx.queue.findMany({ where: { provinceCode: duty.provinceCode, kind: "commune", groupChatId: null } })));
  }
  const covered = shown.filter((q) => scopeCovers(officer, q));
  const coveredBound = bound.filter((q) => scopeCovers(officer, q));
  const names = coveredBound.length ? coveredBound.map((q) => q.name) : covered.slice(0, 3).map((q) => q.name);
  return { bound: bound.length > 0, ids: covered.map((q) => q.id), names };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function duration(ms: number | null, t: (key: string, params?: Record<string, unknown>) => string): string {
  if (ms === null) return "—";
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return t("officer:command.minutes", { n: minutes });
  const hours = minutes / 60;
  return hours < 48 ? t("officer:command.hours", { n: hours.toFixed(1) }) : t("officer:command.days", { n: (hours / 24).toFixed(1) });
}

/**
 * `/help`, `/queue`, `/mine`, `/overdue`, `/tip CODE`, `/stats`, `/bind CODE` in an officers' group.
 * `/help` (the commands and buttons, in the group's language) is answered to anyone in the group.
 * Answered only to a registered officer, commander or administrator (never outreach or legal
 * staff), and only with what both the group and the officer's scope cover: the tips of the queues
 * bound to this group (or shown in it as a province duty group's fall-back) within the officer's
 * scope; `/tip CODE` only for a tip of those queues or one whose card this group holds. Every
 * refusal is answered and recorded as an audit event (`auth.refused`, on the tip for `/tip`).
 */
export async function groupCommand(tx: Tx, deps: OfficerDeps, actor: GroupActor, text: string): Promise<OutboxRef[]> {
  const match = /^\/([a-z_]+)(?:@\w+)?(?:\s+(.*))?$/is.exec(text);
  if (!match) return [];
  const [, rawName, rest = ""] = match;
  const name = rawName!.toLowerCase();
  const say = (reply: Reply) => enqueueCalls(tx, { chatId: actor.group.id, channel: actor.group.channel }, deps.officerRenderer.render(reply, actor.group.locale ?? "vi").calls);
  const t = (key: string, params?: Record<string, unknown>) => deps.t(actor.group.locale ?? "vi", key, params);

  if (name === "bind") return bindGroup(tx, deps, actor, rest.trim());
  // Help is for anyone in the group: it lists the commands and buttons, nothing about any tip.
  if (name === "help") return say({ key: "officer:help.group" });
  const action = COMMANDS.get(name);
  if (!action) return [];

  const officer = await tx.officer.findUnique({ where: { telegramUserId: actor.telegramUserId } });
  const refuse = async (reason: string, key: string, tipId?: string) => {
    await recordRefusal(tx, { tipId, actor: actorOf(officer, actor.telegramUserId), action: ACTIONS[action].audit, reason, via: actor.group.id });
    return say({ key });
  };
  if (!officer) return refuse("not_officer", "officer:refuse.not_officer");
  if (officer.revokedAt) return refuse("revoked", "officer:refuse.revoked");
  if (!roleAllows(officer.role, action)) return refuse("staff_role", "officer:refuse.staff_role");
  const { bound, ids, names } = await visibleQueues(tx, actor.group.id, officer);
  const now = new Date();
  const lines = (tips: Array<{ code: string; category: string; status: string; lifeSafety: boolean; decisionDueAt: Date | null; receiptNoticeDueAt: Date | null; receiptNoticeSentAt: Date | null }>) =>
    tips.slice(0, MAX_LINES).map((tip) => {
      const overdue = (tip.decisionDueAt && tip.decisionDueAt < now) || (!tip.receiptNoticeSentAt && tip.receiptNoticeDueAt && tip.receiptNoticeDueAt < now);
      return t("officer:command.line", {
        code: tip.code,
        category: t(`tip:category.${tip.category}`),
        status: t(tip.status === "claimed" ? "officer:command.status_claimed" : "officer:command.status_new"),
        flags: `${tip.lifeSafety ? " ⚠️" : ""}${overdue ? " 🚨" : ""}`,
      });
    });
  const list = async (titleKey: string, params: Record<string, unknown>, tips: Parameters<typeof lines>[0]) =>
    say({ key: "common:raw", params: { text: [t(titleKey, { ...params, count: tips.length }), ...(tips.length ? lines(tips) : [t("officer:command.empty")])].join("\n") } });

  // /tip is judged on the tip itself (its card may be here as an info-only copy); the lists need a group.
  if (name !== "tip") {
    if (!bound) return refuse("not_bound", "officer:command.not_bound");
    if (ids.length === 0) return refuse("scope", "officer:refuse.group_scope");
  }

  switch (name) {
    case "queue": {
      const tips = await tx.tip.findMany({ where: { queueId: { in: ids }, status: { not: "closed" } }, orderBy: [{ lifeSafety: "desc" }, { receivedAt: "asc" }] });
      return list("officer:command.queue_title", { queue: names.join(", ") }, tips);
    }
    case "mine": {
      const tips = await tx.tip.findMany({ where: { claimedById: officer.id, status: "claimed", queueId: { in: ids } }, orderBy: { receivedAt: "asc" } });
      return list("officer:command.mine_title", {}, tips);
    }
    case "overdue": {
      const tips = await tx.tip.findMany({
        where: {
          queueId: { in: ids },
          status: { not: "closed" },
          OR: [{ decisionDueAt: { lt: now } }, { receiptNoticeSentAt: null, receiptNoticeDueAt: { lt: now } }],
        },
        orderBy: { receivedAt: "asc" },
      });
      return list("officer:command.overdue_title", {}, tips);
    }
    case "tip": {
      const code = normaliseTipCode(rest);
      const tip = code ? await tx.tip.findUnique({ where: { code }, include: { queue: true } }) : null;
      // The same answer for a code that does not exist and one not shown here: no way to probe codes.
      if (!tip) return refuse("bad_code", "officer:refuse.bad_code");
      const inGroup = ids.includes(tip.queueId) || (await tx.tipCard.count({ where: { tipId: tip.id, chatId: actor.group.id } })) > 0;
      if (!inGroup) return refuse("wrong_group", "officer:refuse.bad_code", tip.id);
      if (!scopeCovers(officer, tip.queue)) return refuse("scope", "officer:refuse.bad_code", tip.id);
      return say(await tipHistory(tx, tip));
    }
    case "stats": {
      const tips = await tx.tip.findMany({ where: { queueId: { in: ids } }, select: { status: true, category: true, receivedAt: true, claimedAt: true, closedAt: true } });
      const count = (key: (x: (typeof tips)[number]) => string, label: (k: string) => string) => {
        const by = new Map<string, number>();
        for (const tip of tips) by.set(key(tip), (by.get(key(tip)) ?? 0) + 1);
        return [...by].map(([k, n]) => `${label(k)} ${n}`).join(", ") || "—";
      };
      return say({
        key: "officer:command.stats",
        params: {
          queue: names.join(", "),
          byStatus: count((x) => x.status, (k) => t(k === "closed" ? "officer:command.status_closed" : `officer:command.status_${k}`)),
          byCategory: count((x) => x.category, (k) => t(`tip:category.${k}`)),
          claim: duration(median(tips.filter((x) => x.claimedAt).map((x) => x.claimedAt!.getTime() - x.receivedAt.getTime())), t),
          close: duration(median(tips.filter((x) => x.closedAt).map((x) => x.closedAt!.getTime() - x.receivedAt.getTime())), t),
        },
      });
    }
  }
  return [];
}

/** The reply to a refused `/bind`. */
const BIND_REFUSALS: Record<string, string> = {
  not_officer: "officer:refuse.not_officer",
  revoked: "officer:refuse.revoked",
  role: "officer:refuse.admin_only",
  scope: "officer:refuse.group_scope",
  wrong: "officer:admin.bad_bind_code",
  limited: "officer:admin.codes_limited",
};

/** `/bind CODE` by an administrator: the `bindGroupWithCode` command, answered in the group. */
async function bindGroup(tx: Tx, deps: OfficerDeps, actor: GroupActor, code: string): Promise<OutboxRef[]> {
  const say = (key: string, params?: Record<string, unknown>) => sendToGroup(tx, deps, actor.group, { key, params });
  const bound = await bindGroupWithCode(tx, deps, {
    telegramUserId: actor.telegramUserId,
    groupChatId: actor.group.id,
    code,
    announce: (queue) => say("officer:admin.bound", { queue: queue.name }),
  });
  if (bound.ok) return bound.refs;
  const minutes = "retryMinutes" in bound ? bound.retryMinutes : undefined;
  return [...(await say(BIND_REFUSALS[bound.reason]!, { minutes })), ...bound.refs];
}
