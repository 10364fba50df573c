/**
 * When a campaign sends — the public surface of three parts:
 * - `scheduleText.ts`: parsing what outreach staff type ("25/12 8h", "mỗi thứ Hai 08:00",
 *   "0 8 * * 1") and saying back what a schedule means;
 * - `scheduleRun.ts`: the schedule types, quiet hours and the next start time of a schedule;
 * - `../vnTime.ts`: Vietnam local time (every wall-clock time here is Vietnam's, whatever the
 *   machine's TZ).
 */
export {
  DEFAULT_QUIET_HOURS,
  NO_QUIET_HOURS,
  SCHEDULE_TIME_ZONE,
  isQuiet,
  nextAllowed,
  nextRun,
  type CampaignSchedule,
  type QuietHours,
} from "./scheduleRun.ts";
export { localDateTimeParams, parseSchedule, scheduleSummary, type ParsedSchedule, type ScheduleError, type ScheduleSummary } from "./scheduleText.ts";
