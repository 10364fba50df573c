/**
 * The legal clock of a crime tip (tố giác, tin báo về tội phạm):
 * - receipt notice to the reporter within 3 working days of receipt (TTLT 01/2017 Điều 14);
 * - a decision (khởi tố / không khởi tố / tạm đình chỉ) within 20 days of receipt (BLTTHS 2015
 *   Điều 147 khoản 1); for a complex tip the head of the investigating body may extend this to
 *   2 months (khoản 2), and the procuracy once more by up to 2 months, on a written request made
 *   at the latest 5 days before the 2 months expire.
 *
 * Periods are counted per BLTTHS 2015 Điều 134 and Bộ luật Dân sự 2015 Điều 147–148: the day of
 * receipt is not counted; a period in days ends at 24:00 (we use 23:59:59.999) Asia/Ho_Chi_Minh
 * of its last day; a period in months ends on the same day of the month (or the month's last day).
 *
 * The clock runs from the first receipt by any unit: a transfer to another commune or a province
 * unit never restarts it, which is why the input is the original `receivedAt` and nothing else.
 * Suspension (tạm đình chỉ, Điều 148) and resumption are not modelled here.
 */
import { addCalendarDays, addCalendarMonths, defaultWorkingCalendar, type WorkingCalendar } from "./calendar.ts";

/**
 * How far the decision deadline has been extended: not at all (20 days), by the head of the
 * investigating body to 2 months (Điều 147 khoản 2), or further by the procuracy.
 */
export type TipExtension = "none" | "two_months" | "procuracy";

/** Input of `computeDeadlines`. */
export interface TipDeadlineInput {
  /** When the tip was first received by any police unit (a transfer keeps this time). */
  receivedAt: Date;
  /** Extension recorded so far; default "none". */
  extension?: TipExtension;
  /** Months the procuracy granted (at most 2); used only when `extension` is "procuracy"; default 2. */
  procuracyMonths?: 1 | 2;
  /**
   * Move a decision deadline that falls on a weekend or day off to the end of the next working day,
   * as BLTTHS Điều 134 says for periods in months (and Bộ luật Dân sự Điều 148 for all periods).
   * Default false: the earlier, unmoved date, which meets the law under any reading.
   */
  rollOverRestDays?: boolean;
  /** Working calendar; default `defaultWorkingCalendar()`. */
  calendar?: WorkingCalendar;
}

/** The deadlines of a tip, as instants (each the end of a day in Asia/Ho_Chi_Minh). */
export interface TipDeadlines {
  /** End of the 3rd working day after the day of receipt. */
  receiptNoticeDue: Date;
  /** End of the current period for a decision: 20 days, 2 months, or 2 months + the procuracy's months. */
  decisionDue: Date;
  /**
   * Five days before `decisionDue`: the last day to extend. With "two_months" it is the legal limit
   * for asking the procuracy (Điều 147 khoản 2); with "none" it is the reminder to record the
   * 2-month extension in time; null once the procuracy has extended (no further extension exists).
   */
  extensionRequestBy: Date | null;
}

/** Days before the decision deadline by which an extension must be requested (Điều 147 khoản 2). */
export const EXTENSION_REQUEST_LEAD_DAYS = 5;

/**
 * The deadlines of a tip received at `receivedAt`, with the extensions recorded so far.
 * The procuracy's months run from the end of the 2-month period (31 Dec → 28 Feb → 28 Apr), the
 * earlier of the two readings of "gia hạn ... không quá 02 tháng".
 */
export function computeDeadlines(input: TipDeadlineInput): TipDeadlines {
  const { receivedAt, extension = "none", procuracyMonths = 2, rollOverRestDays = false } = input;
  const calendar = input.calendar ?? defaultWorkingCalendar();
  if (procuracyMonths !== 1 && procuracyMonths !== 2) throw new RangeError(`procuracyMonths must be 1 or 2, got ${procuracyMonths}`);

  let decisionDue: Date;
  switch (extension) {
    case "none":
      decisionDue = addCalendarDays(receivedAt, 20);
      break;
    case "two_months":
      decisionDue = addCalendarMonths(receivedAt, 2);
      break;
    case "procuracy":
      decisionDue = addCalendarMonths(addCalendarMonths(receivedAt, 2), procuracyMonths);
      break;
    default:
      throw new RangeError(`Unknown extension: ${String(extension)}`);
  }
  if (rollOverRestDays) decisionDue = calendar.rollToWorkingDay(decisionDue);

  return {
    receiptNoticeDue: calendar.addWorkingDays(receivedAt, 3),
    decisionDue,
    extensionRequestBy: extension === "procuracy" ? null : addCalendarDays(decisionDue, -EXTENSION_REQUEST_LEAD_DAYS),
  };
}

/** Which deadline: the receipt notice, the last day to request an extension, or the decision. */
export type DeadlineKind = "receipt_notice" | "extension_request" | "decision";

/** Where a pending deadline stands at a given moment. */
export type DeadlineState = "ok" | "approaching" | "overdue";

/** A pending deadline at a given moment. */
export interface DeadlineStatus {
  kind: DeadlineKind;
  due: Date;
  state: DeadlineState;
  /** `due − now` in milliseconds; negative once overdue. */
  remainingMs: number;
}

/** What has already been done on the tip. */
export interface TipProgress {
  /** When the receipt notice was sent; its deadline is then no longer pending. */
  receiptNoticeSentAt?: Date | null;
  /** When the decision was made; the decision and extension deadlines are then no longer pending. */
  decidedAt?: Date | null;
}

/** How close a deadline must be to count as "approaching", per kind, in milliseconds. */
export type ApproachingThresholds = Record<DeadlineKind, number>;

const HOUR_MS = 3_600_000;

/** Default "approaching" windows: 1 day for the receipt notice, 2 for the extension request, 3 for the decision. */
export const DEFAULT_APPROACHING_WITHIN_MS: Readonly<ApproachingThresholds> = Object.freeze({
  receipt_notice: 24 * HOUR_MS,
  extension_request: 48 * HOUR_MS,
  decision: 72 * HOUR_MS,
});

/**
 * The pending deadlines of a tip at `now`, soonest first (so `[0]` is the next one): each with its
 * state — "overdue" once `now` is past `due`, "approaching" within the kind's threshold, else
 * "ok" — and the time remaining. Deadlines already met by `progress` are left out.
 */
export function deadlineStatus(
  deadlines: TipDeadlines,
  now: Date,
  progress: TipProgress = {},
  approachingWithinMs: Partial<ApproachingThresholds> = {},
): DeadlineStatus[] {
  const thresholds = { ...DEFAULT_APPROACHING_WITHIN_MS, ...approachingWithinMs };
  const pending: Array<{ kind: DeadlineKind; due: Date }> = [];
  if (!progress.receiptNoticeSentAt) pending.push({ kind: "receipt_notice", due: deadlines.receiptNoticeDue });
  if (!progress.decidedAt) {
    if (deadlines.extensionRequestBy) pending.push({ kind: "extension_request", due: deadlines.extensionRequestBy });
    pending.push({ kind: "decision", due: deadlines.decisionDue });
  }
  return pending
    .map(({ kind, due }) => {
      const remainingMs = due.getTime() - now.getTime();
      const state: DeadlineState = remainingMs < 0 ? "overdue" : remainingMs <= thresholds[kind] ? "approaching" : "ok";
      return { kind, due, state, remainingMs };
    })
    .sort((a, b) => a.due.getTime() - b.due.getTime());
}

/** The next pending deadline of a tip at `now` (the first of `deadlineStatus`), or undefined when none is left. */
export function nextDeadline(
  deadlines: TipDeadlines,
  now: Date,
  progress: TipProgress = {},
  approachingWithinMs: Partial<ApproachingThresholds> = {},
): DeadlineStatus | undefined {
  return deadlineStatus(deadlines, now, progress, approachingWithinMs)[0];
}
