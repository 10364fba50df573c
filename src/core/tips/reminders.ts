import type { Db, Prisma, Tx } from "../../db/client.ts";
import { sqliteConnection } from "../../db/client.ts";
import { recordEvent } from "../events/recordEvent.ts";
import { enqueueCalls, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import { computeDeadlines, deadlineStatus, type DeadlineKind, type DeadlineState, type TipExtension } from "../deadlines/tipDeadlines.ts";
import { scopeCovers } from "../officers/authorize.ts";
import { groupFor, noticeOnCards } from "./cards.ts";
import { endOfDayNumber, formatVnDate, formatVnDateTime, startOfDayNumber, vnDayNumber } from "../vnTime.ts";
import { provinceQueueId } from "./queues.ts";
import { TIP_STATES } from "./tipStates.ts";

/** When to remind officers about a tip. */
export interface ReminderSettings {
  /** Remind a group about a tip nobody has claimed after this long. */
  unclaimedMinutes: number;
  /** …and sooner when someone's life is in danger. */
  unclaimedLifeSafetyMinutes: number;
  /** The same reminder about the same tip is not repeated more often than this. */
  repeatHours: number;
}

/** What a reminder is about, as recorded in `ReminderLog.kind` (the repeat rule is per tip and kind). */
export type ReminderKind =
  | "unclaimed"
  | "receipt_notice_due"
  | "receipt_notice_overdue"
  | "extension_request_due"
  | "decision_due"
  | "decision_overdue";

/** One reminder due about a tip: its kind, the message for the group, and what to escalate (overdue ones). */
export interface DueReminder {
  kind: ReminderKind;
  key: string;
  params: Record<string, unknown>;
  escalate?: string;
}

/** What `remindersDue` reads of a tip. */
export interface ReminderTip {
  code: string;
  status: string;
  lifeSafety: boolean;
  receivedAt: Date;
  extension: string;
  receiptNoticeSentAt: Date | null;
}

/**
 * The reminders due about an open tip at `now`, before the repeat rule: unclaimed ("new") after
 * `unclaimedMinutes` (life-safety: `unclaimedLifeSafetyMinutes`); the receipt notice (until sent),
 * the extension request and the decision deadlines when approaching, the receipt notice and the
 * decision when overdue (these escalate). In the order the group is told.
 */
export function remindersDue(tip: ReminderTip, now: Date, settings: ReminderSettings): DueReminder[] {
  const due: DueReminder[] = [];
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
      due.push({ kind: `${d.kind}_overdue` as ReminderKind, key: "officer:reminder.overdue", params: { code: tip.code, what: { $t: what }, date }, escalate: what });
    } else if (d.state === "approaching") {
      const key = { receipt_notice: "officer:reminder.receipt_due", extension_request: "officer:reminder.extension_request", decision: "officer:reminder.decision_due" }[d.kind];
      due.push({ kind: `${d.kind}_due` as ReminderKind, key, params: { code: tip.code, date } });
    }
  }
  return due;
}

/** How far back the day-of-receipt cut-offs are searched: no deadline is this far after receipt (the longest is 4 months). */
const SEARCH_DAYS_BACK = 3_660;
const EXTENSIONS: TipExtension[] = ["none", "two_months", "procuracy"];
/** Every state but "closed" (the old sweep's `status <> 'closed'`), as a list an index on the status can seek. */
const OPEN_STATES = TIP_STATES.filter((s) => s !== "closed");
/** Tips read per page of a sweep. */
const PAGE_SIZE = 200;

/**
 * The last Vietnam day of receipt whose `kind` deadline (with `extension`) is at least `state` at
 * `now` — every earlier day is too, since a deadline never comes sooner for a later receipt
 * (working days, calendar days and months all move forward with the day of receipt); -Infinity
 * when no day is, +Infinity when every day is. Found by bisection with the very functions the
 * reminders use, so the cut-off follows the working calendar (Tết, days off, overrides).
 */
function lastDayReaching(kind: DeadlineKind, extension: TipExtension, state: Exclude<DeadlineState, "ok">, now: Date): number {
  const reached = (day: number): boolean => {
    const s = deadlineStatus(computeDeadlines({ receivedAt: startOfDayNumber(day), extension }), now).find((d) => d.kind === kind);
    return !!s && (state === "overdue" ? s.state === "overdue" : s.state !== "ok");
  };
  const today = vnDayNumber(now);
  let lo = today - SEARCH_DAYS_BACK;
  let hi = today + 7;
  if (!reached(lo)) return -Infinity;
  if (reached(hi)) return Infinity;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reached(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Received on a day after `afterDay` up to `uptoDay` (both Vietnam day numbers, possibly infinite); null when empty. */
function receivedOnDays(afterDay: number, uptoDay: number): Prisma.DateTimeFilter | null {
  if (uptoDay <= afterDay) return null;
  return {
    ...(afterDay === -Infinity ? {} : { gt: endOfDayNumber(afterDay) }),
    ...(uptoDay === Infinity ? {} : { lte: endOfDayNumber(uptoDay) }),
  };
}

/**
 * The open tips with at least one reminder due at `now` that was not sent within `repeatHours`:
 * per kind, the timestamps that decide it (unclaimed since; received on or before the last day
 * whose deadline is approaching or overdue, per extension; receipt notice not sent) and no
 * `ReminderLog` of that kind since `now − repeatHours`. The same rule as `remindersDue`, so the
 * sweep reads only the tips it will remind about.
 */
export function dueTipsWhere(now: Date, settings: ReminderSettings): Prisma.TipWhereInput {
  const since = new Date(now.getTime() - settings.repeatHours * 3_600_000);
  const notSentSince = (kind: ReminderKind): Prisma.TipWhereInput => ({ reminders: { none: { kind, sentAt: { gt: since } } } });
  // Received at or before now − w, w the fewest whole milliseconds with w / 60,000 ≥ minutes (the comparison `remindersDue` makes).
  const unclaimedBy = (minutes: number) => {
    let waited = Math.max(0, Math.ceil(minutes * 60_000));
    while (waited / 60_000 < minutes) waited++;
    while (waited > 0 && (waited - 1) / 60_000 >= minutes) waited--;
    return new Date(now.getTime() - waited);
  };
  const branches: Prisma.TipWhereInput[] = [
    {
      status: "new",
      OR: [
        { lifeSafety: true, receivedAt: { lte: unclaimedBy(settings.unclaimedLifeSafetyMinutes) } },
        { lifeSafety: false, receivedAt: { lte: unclaimedBy(settings.unclaimedMinutes) } },
      ],
      ...notSentSince("unclaimed"),
    },
  ];
  for (const kind of ["receipt_notice", "extension_request", "decision"] as const) {
    const approaching: Prisma.TipWhereInput[] = [];
    const overdue: Prisma.TipWhereInput[] = [];
    // The receipt notice's deadline does not depend on the extension.
    for (const extension of kind === "receipt_notice" ? (["none"] as const) : EXTENSIONS) {
      const which: Prisma.TipWhereInput = kind === "receipt_notice" ? {} : { extension };
      const lastOverdue = lastDayReaching(kind, extension, "overdue", now);
      const lastApproaching = lastDayReaching(kind, extension, "approaching", now);
      const soon = receivedOnDays(lastOverdue, lastApproaching);
      if (soon) approaching.push({ ...which, receivedAt: soon });
      const late = kind === "extension_request" ? null : receivedOnDays(-Infinity, lastOverdue); // a missed extension request is not reminded
      if (late) overdue.push({ ...which, receivedAt: late });
    }
    const pending: Prisma.TipWhereInput = kind === "receipt_notice" ? { receiptNoticeSentAt: null } : {};
    if (approaching.length) branches.push({ ...pending, OR: approaching, ...notSentSince(`${kind}_due`) });
    if (overdue.length) branches.push({ ...pending, OR: overdue, ...notSentSince(`${kind}_overdue` as ReminderKind) });
  }
  return { status: { in: OPEN_STATES }, OR: branches };
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
 *
 * Only the tips with a reminder due are read (`dueTipsWhere`), in pages of PAGE_SIZE oldest first,
 * with their reminders of the last `repeatHours`. Each reminder is one transaction (its log row,
 * its outbox rows and, when it escalates, its event) that checks the log again first — on
 * PostgreSQL with the tip's row locked — so a sweep that overlaps another (the leadership passed
 * mid-run) never sends a reminder twice.
 */
export async function sendReminders(db: Db, renderer: ReplyRenderer, settings: ReminderSettings, now = new Date()): Promise<OutboxRef[]> {
  const postgres = isPostgres(db);
  const refs: OutboxRef[] = [];
  for await (const page of dueTipPages(db, settings, now)) {
    for (const tip of page) {
      const sent = new Set(tip.reminders.map((r) => r.kind));
      for (const reminder of remindersDue(tip, now, settings)) {
        if (sent.has(reminder.kind)) continue;
        refs.push(...(await remindOnce(db, renderer, tip, reminder, now, settings.repeatHours, postgres)));
      }
    }
  }
  return refs;
}

/** The tips with a reminder due at `now` (`dueTipsWhere`), in pages of PAGE_SIZE oldest first, each with its queue and the kinds of its reminders sent within `repeatHours`. */
export async function* dueTipPages(db: Db, settings: ReminderSettings, now: Date) {
  const since = new Date(now.getTime() - settings.repeatHours * 3_600_000);
  const due = dueTipsWhere(now, settings);
  let after: { receivedAt: Date; id: string } | undefined;
  for (;;) {
    const page = await db.tip.findMany({
      where: after ? { AND: [due, { OR: [{ receivedAt: { gt: after.receivedAt } }, { receivedAt: after.receivedAt, id: { gt: after.id } }] }] } : due,
      include: { queue: true, reminders: { where: { sentAt: { gt: since } }, select: { kind: true } } },
      orderBy: [{ receivedAt: "asc" }, { id: "asc" }],
      take: PAGE_SIZE,
    });
    if (page.length) yield page;
    if (page.length < PAGE_SIZE) return;
    const last = page[page.length - 1]!;
    after = { receivedAt: last.receivedAt, id: last.id };
  }
}

/** Whether `db` is a PostgreSQL client (several instances may share it). */
export const isPostgres = (db: Db): boolean => !sqliteConnection(db);

/** A tip as `remindOnce` needs it: its code and its queue (for escalation). */
export type RemindedTip = { id: string; code: string; queue: { id: string; name: string; provinceCode: string; communeCode: string | null } };

/**
 * Sends one reminder about a tip, in one transaction: unless the log shows it was sent within
 * `repeatHours` (checked again here — on PostgreSQL with the tip's row locked, so two overlapping
 * sweeps cannot both pass), records it, puts the notice under the tip's working card and, when it
 * escalates, tells the commanders and the duty group and records `tip.escalated`.
 */
export async function remindOnce(db: Db, renderer: ReplyRenderer, tip: RemindedTip, reminder: DueReminder, now: Date, repeatHours: number, postgres = isPostgres(db)): Promise<OutboxRef[]> {
  return db.$transaction(async (tx) => {
    if (postgres) await tx.$queryRaw`SELECT 1 FROM "Tip" WHERE "id" = ${tip.id} FOR UPDATE`;
    if (await recentlySent(tx, tip.id, reminder.kind, now, repeatHours)) return [];
    await tx.reminderLog.create({ data: { tipId: tip.id, kind: reminder.kind, sentAt: now } });
    const refs = await noticeOnCards(tx, renderer, tip.id, { key: reminder.key, params: reminder.params }, { mainOnly: true });
    if (reminder.escalate) refs.push(...(await escalate(tx, renderer, tip, reminder.escalate, String(reminder.params.date))));
    return refs;
  });
}

/** An overdue tip: told to the unit's commanders in private and to the province duty group. */
async function escalate(
  tx: Tx,
  renderer: ReplyRenderer,
  tip: RemindedTip,
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
