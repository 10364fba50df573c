/**
 * When a campaign sends: the schedule types, quiet hours and the next start time of a schedule.
 *
 * Pure: no database, no timers, no dependence on the machine's time zone. Every wall-clock time
 * here is in Vietnam ({@link SCHEDULE_TIME_ZONE}, see `../vnTime.ts`); instants are plain `Date`s
 * (UTC). Cron expressions are evaluated by `croner` with an explicit time zone. Reading what staff
 * type is in `scheduleText.ts`.
 */
import { Cron } from "croner";
import { addVnDays, parseLocalDateTime, vnInstant, vnParts, VN_TIME_ZONE } from "../vnTime.ts";

/** The time zone every campaign schedule and quiet-hours window is written and evaluated in. */
export const SCHEDULE_TIME_ZONE = VN_TIME_ZONE;

/** When a campaign starts sending. Local times are wall-clock times in {@link SCHEDULE_TIME_ZONE}. */
export type CampaignSchedule =
  | { kind: "now" }
  | {
      kind: "once";
      /** Local "YYYY-MM-DDTHH:mm". */
      at: string;
    }
  | {
      kind: "recurring";
      /** 5-field cron (minute hour day-of-month month day-of-week), at most one run a day. */
      cron: string;
      /** Local "YYYY-MM-DDTHH:mm"; the last occurrence that may run is at or before it. */
      until?: string;
    };

/** A daily window ("HH:mm" local times) in which nothing is sent. `start` after `end` spans midnight; `start` equal to `end` is no window. */
export type QuietHours = { start: string; end: string };

/** No campaign message between 21:00 and 07:00, Vietnam time. */
export const DEFAULT_QUIET_HOURS: QuietHours = Object.freeze({ start: "21:00", end: "07:00" });

/** No quiet hours at all (CAMPAIGN_QUIET_HOURS=off). */
export const NO_QUIET_HOURS: QuietHours = Object.freeze({ start: "00:00", end: "00:00" });

const DAY_MS = 24 * 60 * 60 * 1000;

/** A local "HH:mm" as minutes after midnight; throws on anything else. */
function parseClock(text: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new RangeError(`Invalid quiet-hours time "${text}", expected HH:mm`);
  return Number(m[1]) * 60 + Number(m[2]);
}

// ---------------------------------------------------------------------------------------------
// Quiet hours

/** Whether an instant falls inside the quiet window (start inclusive, end exclusive), Vietnam time. */
export function isQuiet(at: Date, quiet: QuietHours = DEFAULT_QUIET_HOURS): boolean {
  const start = parseClock(quiet.start) * 60_000;
  const end = parseClock(quiet.end) * 60_000;
  const l = vnParts(at);
  const ms = ((l.hour * 60 + l.minute) * 60 + l.second) * 1000 + l.millisecond;
  if (start === end) return false;
  return start < end ? ms >= start && ms < end : ms >= start || ms < end;
}

/**
 * The earliest instant at or after `at` outside quiet hours: `at` itself when it is allowed,
 * otherwise the end of the window (22:30 → 07:00 the next day; 06:59 → 07:00 the same day).
 * The sender uses it to hold a delivery that would fall inside quiet hours.
 */
export function nextAllowed(at: Date, quiet: QuietHours = DEFAULT_QUIET_HOURS): Date {
  if (!isQuiet(at, quiet)) return new Date(at.getTime());
  const start = parseClock(quiet.start);
  const end = parseClock(quiet.end);
  const l = vnParts(at);
  const spansMidnight = start > end;
  const endsTomorrow = spansMidnight && l.hour * 60 + l.minute >= start;
  return vnInstant(endsTomorrow ? addVnDays(l, 1) : l, Math.floor(end / 60), end % 60);
}

// ---------------------------------------------------------------------------------------------
// Next run

/** A croner job for a 5-field campaign cron in Vietnam time; throws on a bad pattern. */
export function cronJob(pattern: string): Cron {
  // No callback: croner only evaluates the pattern and never starts a timer.
  return new Cron(pattern, { timezone: SCHEDULE_TIME_ZONE, mode: "5-part", domAndDow: false });
}

/**
 * The next instant at or after `after` when the campaign should start sending, or `null` when a
 * one-off is past or a recurrence has ended.
 *
 * Each occurrence of the schedule (the one-off time, each cron match up to `until`, or `after`
 * itself for "now") starts at {@link nextAllowed} of it, so one inside quiet hours starts when
 * they end. The answer is the first such start at or after `after` — a pure function of the
 * schedule, so recomputing it after a restart neither skips nor repeats a run. To get the run
 * after one that started at T, pass T + 1 ms.
 *
 * Throws a RangeError for a malformed stored schedule (bad `at`, `until` or cron).
 */
export function nextRun(schedule: CampaignSchedule, after: Date, quiet: QuietHours = DEFAULT_QUIET_HOURS): Date | null {
  if (!Number.isFinite(after.getTime())) throw new RangeError("Invalid Date");
  switch (schedule.kind) {
    case "now":
      return nextAllowed(after, quiet);
    case "once": {
      const start = nextAllowed(parseLocalDateTime(schedule.at), quiet);
      return start.getTime() >= after.getTime() ? start : null;
    }
    case "recurring": {
      let job: Cron;
      try {
        job = cronJob(schedule.cron);
      } catch (err) {
        throw new RangeError(`Invalid campaign cron "${schedule.cron}": ${(err as Error).message}`);
      }
      const until = schedule.until === undefined ? null : parseLocalDateTime(schedule.until).getTime();
      // A quiet window is shorter than a day, so an occurrence more than a day before `after`
      // cannot start at or after it. croner's nextRun is strictly after its argument and works
      // in whole seconds.
      let cursor = new Date(Math.ceil(after.getTime() / 1000) * 1000 - DAY_MS - 1000);
      for (let i = 0; i < 5000; i++) {
        const occurrence = job.nextRun(cursor);
        if (!occurrence || (until !== null && occurrence.getTime() > until)) return null;
        const start = nextAllowed(occurrence, quiet);
        if (start.getTime() >= after.getTime()) return start;
        cursor = occurrence;
      }
      throw new RangeError(`Campaign cron "${schedule.cron}" runs too often to evaluate`);
    }
  }
}

