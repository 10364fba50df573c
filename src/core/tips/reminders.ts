import type { Db, Tx } from "../../db/client.ts";
import { recordEvent } from "../events/recordEvent.ts";
import { enqueueCalls, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import { computeDeadlines, deadlineStatus, type TipExtension } from "../deadlines/tipDeadlines.ts";
import { scopeCovers } from "../officers/authorize.ts";
import { groupFor, noticeOnCards } from "./cards.ts";
import { formatVnDate, formatVnDateTime } from "../vnTime.ts";
import { provinceQueueId } from "./queues.ts";

/** When to remind officers about a tip. */
export interface ReminderSettings {
  /** Remind a group about a tip nobody has claimed after this long. */
  unclaimedMinutes: number;
  /** …and sooner when someone's life is in danger. */
  unclaimedLifeSafetyMinutes: number;
  /** The same reminder about the same tip is not repeated more often than this. */
  repeatHours: number;
}

async function recentlySent(tx: Tx, tipId: string, kind: string, now: Date, repeatHours: number): Promise<boolean> {
  const last = await tx.reminderLog.findFirst({ where: { tipId, kind }, orderBy: { sentAt: "desc" } });
  return !!last && now.getTime() - last.sentAt.getTime() < repeatHours * 3600_000;
}

/**
 * Reminds officers' groups about open tips: unclaimed after a while (sooner for life-safety), the
 * receipt notice, extension request and decision deadlines approaching, and overdue ones — which
 * also escalate to the unit's commanders (privately) and to the province duty group. Each reminder
 * is recorded, so none repeats more often than `repeatHours`; messages go through the outbox, at
 * the groups' pace.
 */
export async function sendReminders(db: Db, renderer: ReplyRenderer, settings: ReminderSettings, now = new Date()): Promise<OutboxRef[]> {
  const open = await db.tip.findMany({ where: { status: { not: "closed" } }, include: { queue: true }, orderBy: { receivedAt: "asc" } });
  const refs: OutboxRef[] = [];
  for (const tip of open) {
    const due: Array<{ kind: string; key: string; params: Record<string, unknown>; escalate?: string }> = [];
    if (tip.status === "new") {
      const minutes = tip.lifeSafety ? settings.unclaimedLifeSafetyMinutes : settings.unclaimedMinutes;
      const waited = (now.getTime() - tip.receivedAt.getTime()) / 60_000;
      if (waited >= minutes) due.push({ kind: "unclaimed", key: "officer:reminder.unclaimed", params: { code: tip.code, minutes: Math.floor(waited) } });
    }
    const deadlines = computeDeadlines({ receivedAt: tip.receivedAt, extension: tip.extension as TipExtension });
    for (const d of deadlineStatus(deadlines, now, { receiptNoticeSentAt: tip.receiptNoticeSentAt ?? undefined })) {
      if (d.state === "ok") continue;
      const date = d.kind === "receipt_notice" ? formatVnDateTime(d.due) : formatVnDate(d.due);
      if (d.state === "overdue" && d.kind !== "extension_request") {
        const what = d.kind === "receipt_notice" ? "officer:reminder.what_receipt" : "officer:reminder.what_decision";
        due.push({ kind: `${d.kind}_overdue`, key: "officer:reminder.overdue", params: { code: tip.code, what: { $t: what }, date }, escalate: what });
      } else if (d.state === "approaching") {
        const key = { receipt_notice: "officer:reminder.receipt_due", extension_request: "officer:reminder.extension_request", decision: "officer:reminder.decision_due" }[d.kind];
        due.push({ kind: `${d.kind}_due`, key, params: { code: tip.code, date } });
      }
    }
    for (const reminder of due) {
      await db.$transaction(async (tx) => {
        if (await recentlySent(tx, tip.id, reminder.kind, now, settings.repeatHours)) return;
        await tx.reminderLog.create({ data: { tipId: tip.id, kind: reminder.kind, sentAt: now } });
        refs.push(...(await noticeOnCards(tx, renderer, tip.id, { key: reminder.key, params: reminder.params }, { mainOnly: true })));
        if (reminder.escalate) refs.push(...(await escalate(tx, renderer, tip, reminder.escalate, String(reminder.params.date))));
      });
    }
  }
  return refs;
}

/** An overdue tip: told to the unit's commanders in private and to the province duty group. */
async function escalate(
  tx: Tx,
  renderer: ReplyRenderer,
  tip: { id: string; code: string; queue: { id: string; name: string; provinceCode: string; communeCode: string | null } },
  what: string,
  date: string,
): Promise<OutboxRef[]> {
  const message = { key: "officer:reminder.escalated", params: { code: tip.code, unit: tip.queue.name, what: { $t: what }, date } };
  const refs: OutboxRef[] = [];
  const targets = new Set<string>();
  const own = await groupFor(tx, tip.queue.id);
  const duty = await groupFor(tx, provinceQueueId(tip.queue.provinceCode));
  if (duty && duty.chatId !== own?.chatId) targets.add(duty.chatId);
  const commanders = await tx.officer.findMany({ where: { role: { in: ["commander", "admin"] }, revokedAt: null, privateChatId: { not: null } } });
  for (const c of commanders) {
    if (c.role === "commander" && scopeCovers(c, { provinceCode: tip.queue.provinceCode, communeCode: tip.queue.communeCode })) targets.add(c.privateChatId!);
  }
  for (const chatId of targets) {
    const chat = await tx.chat.findUnique({ where: { id: chatId } });
    if (!chat) continue;
    refs.push(...(await enqueueCalls(tx, { chatId: chat.id, channel: chat.channel }, renderer.render(message, chat.locale ?? "vi").calls)));
  }
  await recordEvent(tx, { tipId: tip.id, actor: { kind: "system" }, action: "tip.escalated", data: { what, to: targets.size } });
  return refs;
}
