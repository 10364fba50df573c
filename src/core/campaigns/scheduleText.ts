/**
 * Campaign schedules as staff write and read them: parsing what outreach staff type ("25/12 8h",
 * "mỗi thứ Hai 08:00", "0 8 * * 1") into a {@link CampaignSchedule}, and saying back what a
 * schedule means. Pure; Vietnam wall-clock times throughout (see `../vnTime.ts`).
 */
import type { Cron } from "croner";
import { fold } from "../text.ts";
import {
  addVnDays,
  compareVnDates,
  formatLocalDateTime,
  formatVnDate,
  formatVnTime,
  isRealVnDate,
  parseLocalDateTime,
  vnInstant,
  vnParts,
  type VnDate,
} from "../vnTime.ts";
import { cronJob, type CampaignSchedule } from "./scheduleRun.ts";

/** Why a typed schedule was refused; the caller turns it into a translated message. */
export type ScheduleError = "bad_date" | "in_the_past" | "bad_cron" | "too_frequent";

/** Result of {@link parseSchedule}. */
export type ParsedSchedule = { ok: true; schedule: CampaignSchedule } | { ok: false; error: ScheduleError };

/** A locale key under `campaign:schedule.*` and its params, for the caller to translate. */
export type ScheduleSummary = { key: string; params: Record<string, string> };

/**
 * The Vietnam wall-clock date ("25/12/2026") and time ("08:00") of an instant, for messages such
 * as a campaign preview ("first send: {{date}} {{time}}").
 */
export function localDateTimeParams(at: Date): { date: string; time: string } {
  return { date: formatVnDate(at), time: formatVnTime(at) };
}

const pad = (n: number) => String(n).padStart(2, "0");

// ---------------------------------------------------------------------------------------------
// Parsing what staff type

const fail = (error: ScheduleError): ParsedSchedule => ({ ok: false, error });

/** Punctuation that only separates words ("mỗi thứ Hai, 8h." → "mỗi thứ Hai 8h"). */
function dropSeparators(text: string): string {
  return text
    .replace(/(\d{4}-\d{1,2}-\d{1,2})t(?=\d)/g, "$1 ")
    .replace(/[,;!?]+/g, " ")
    .replace(/\.(?=\s|$)/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

const NOW_RE = /^(?:gui )?(?:ngay(?: bay gio| lap tuc)?|bay gio|now|right now|immediately|send now)$/;
const RECURRING_RE = /\b(?:moi|hang|every|each|daily|weekly|monthly|hourly|(?:sun|mon|tues|wednes|thurs|fri|satur)days)\b/;
const TOO_OFTEN_RE = /\b(?:moi|hang|every|each)(?: \d+)? (?:gio|tieng|phut|hours?|minutes?|mins?)\b|\bhourly\b/;
const UNTIL_RE = /^(.*?) (?:cho )?(?:den|until|till|through) (?:het )?(?:ngay )?(.+)$/;
const CRON_FIELD_RE = /^[0-9a-z*,/?#-]+$/;
const CRON_TIME_FIELD_RE = /^[0-9*,/-]+$/;

/**
 * Reads what outreach staff type into a schedule, or says why it cannot.
 *
 * - now: "now", "ngay", "bây giờ", "gửi ngay"
 * - once: "25/12/2026 08:00", "2026-12-25 08:00", "25/12 8h" (this year, or next year once the
 *   day has passed), "8 giờ sáng 25/12", "mai 8:00", "tomorrow 08:00", "hôm nay 15h", "20:00"
 *   (today). A time today that has passed is `in_the_past`.
 * - recurring: "hằng ngày 07:30", "daily 07:30", "mỗi tối 8 giờ", "mỗi thứ Hai 08:00",
 *   "every Monday 08:00", "ngày 1 hằng tháng 09:00", "cuối mỗi tháng 17h", "monthly on the
 *   1st 09:00", or a raw 5-field cron "0 8 * * 1"; any of them may end with
 *   "đến 31/12/2026" / "until 31/12/2026" (that whole day) or a date and time.
 *
 * Recurring schedules must run at most once a day (`too_frequent`). Diacritics are optional.
 */
export function parseSchedule(text: string, now: Date): ParsedSchedule {
  const folded = fold(text);
  if (!folded) return fail("bad_date");

  const untilMatch = UNTIL_RE.exec(folded);
  const main = untilMatch ? untilMatch[1]!.trim() : folded;
  const untilText = untilMatch ? dropSeparators(untilMatch[2]!) : undefined;

  const fields = main.split(" ");
  if (fields.length === 5 && fields.every((f) => CRON_FIELD_RE.test(f)) && fields.slice(0, 2).every((f) => CRON_TIME_FIELD_RE.test(f))) {
    return recurring(fields.join(" ").toUpperCase(), untilText, now);
  }

  const words = dropSeparators(main);
  if (RECURRING_RE.test(words)) return parseRecurringWords(words, untilText, now);

  const whole = dropSeparators(folded);
  if (NOW_RE.test(whole)) return { ok: true, schedule: { kind: "now" } };
  return parseOnce(whole, now);
}

// --- times -------------------------------------------------------------------------------------

type Meridiem = "sang" | "trua" | "chieu" | "toi" | "dem" | "am" | "pm";
type FoundTime = { hour: number; minute: number; meridiem?: Meridiem; index: number; length: number };

/** "08:00", "8h", "8h30", "8 giờ 30 phút", "8 giờ rưỡi", "8g", "8am", "8:30 pm", "8 giờ tối". */
const TIME_RE =
  /(?<![\d/.:-])(\d{1,2})(?: ?: ?(\d{2})| ?(?:h|g|gio)(?![a-z])(?: ?(\d{1,2})(?![\d/.-])(?: ?(?:phut|p)(?![a-z]))?| (ruoi)(?![a-z]))?|(?= ?(?:am|pm|a\.m|p\.m)(?![a-z])))(?: ?(sang|trua|chieu|toi|dem|am|pm|a\.m\.?|p\.m\.?)(?![a-z]))?(?![\d:])/g;

/** A bare hour after "lúc" / "at": "lúc 8", "at 8", "lúc 8 tối". */
const BARE_HOUR_RE = /\b((?:luc|at) )(\d{1,2})(?: (sang|trua|chieu|toi|dem))?(?![\d:/.-])/g;

function findTimes(text: string): FoundTime[] {
  const times = [...text.matchAll(TIME_RE)];
  if (times.length === 0) {
    return [...text.matchAll(BARE_HOUR_RE)].map((m) => ({
      hour: Number(m[2]),
      minute: 0,
      meridiem: m[3] as Meridiem | undefined,
      index: m.index + m[1]!.length,
      length: m[0].length - m[1]!.length,
    }));
  }
  return times.map((m) => {
    const rawMeridiem = m[5]?.replace(/\./g, "");
    return {
      hour: Number(m[1]),
      minute: m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? Number(m[3]) : m[4] ? 30 : 0,
      meridiem: rawMeridiem as Meridiem | undefined,
      index: m.index,
      length: m[0].length,
    };
  });
}

/** The 24-hour clock hour of "8 giờ tối", "8pm", "12am"…; null when impossible. */
function toHour(hour: number, meridiem: Meridiem | undefined): number | null {
  if (meridiem && hour > 12) return meridiem === "sang" || meridiem === "am" ? null : hour;
  switch (meridiem) {
    case "am":
      return hour === 12 ? 0 : hour;
    case "pm":
    case "chieu":
    case "toi":
      return hour < 12 ? hour + 12 : hour;
    case "trua":
      return hour >= 1 && hour <= 3 ? hour + 12 : hour;
    case "dem":
      return hour >= 7 && hour <= 11 ? hour + 12 : hour === 12 ? 0 : hour;
    default:
      return hour;
  }
}

/** Part-of-day words typed apart from the time: "sáng mai 8h", "tối nay 8 giờ", "every evening". */
const PART_OF_DAY: Record<string, Meridiem> = {
  sang: "sang",
  trua: "trua",
  chieu: "chieu",
  toi: "toi",
  dem: "dem",
  morning: "am",
  afternoon: "pm",
  evening: "pm",
  night: "pm",
  tonight: "pm",
};

/** Resolves the one time in `text`; returns it with the time cut out of the text. */
function takeTime(text: string): { hour: number; minute: number; rest: string } | "none" | "many" | "bad" {
  const times = findTimes(text);
  if (times.length === 0) return "none";
  if (times.length > 1) return "many";
  const t = times[0]!;
  const rest = `${text.slice(0, t.index)} ${text.slice(t.index + t.length)}`.replace(/\s+/g, " ").trim();
  const partOfDay = t.meridiem ?? rest.split(" ").map((w) => PART_OF_DAY[w]).find((m) => m !== undefined);
  const hour = toHour(t.hour, partOfDay);
  if (hour === null || hour > 23 || t.minute > 59) return "bad";
  return { hour, minute: t.minute, rest };
}

/** Whether every word left over is one that only decorates a schedule ("lúc", "vào", "every"…). */
function onlyFillers(text: string, fillers: ReadonlySet<string>): boolean {
  return text.split(" ").every((w) => w === "" || fillers.has(w) || w in PART_OF_DAY);
}

// --- one-off -------------------------------------------------------------------------------------

const ONCE_FILLERS = new Set(["luc", "vao", "ngay", "gui", "at", "on", "send", "the", "of", "in", "this"]);

type DateSpan = { date: { day: number; month: number; year?: number }; index: number; length: number };

const DATE_PATTERNS: [RegExp, (m: RegExpExecArray, today: VnDate) => DateSpan["date"]][] = [
  [/(?<![\d/.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d/.-])/g, (m) => ({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) })],
  [/(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?(?![\d/.-])/g, (m) => ({ day: Number(m[1]), month: Number(m[2]), year: fullYear(m[3]) })],
  [/(?<![\d/.-])(\d{1,2}) thang (\d{1,2})(?: nam (\d{4}))?(?!\d)/g, (m) => ({ day: Number(m[1]), month: Number(m[2]), year: fullYear(m[3]) })],
  [/\b(?:ngay kia|(?:the )?day after tomorrow)\b/g, (_, today) => addVnDays(today, 2)],
  [/\b(?:ngay mai|mai|(?<!after )tomorrow)\b/g, (_, today) => addVnDays(today, 1)],
  [/\b(?:hom nay|nay|today|tonight)\b/g, (_, today) => today],
];

function fullYear(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return text.length === 2 ? 2000 + Number(text) : Number(text);
}

/**
 * The one date in `text` ("25/12/2026", "2026-12-25", "25/12", "25 tháng 12", "mai", "hôm nay"…)
 * and the text without it; `date: null` when there is none, "bad" when there are several or it
 * does not exist. A date without a year is this year's, or next year's once this year's has passed.
 */
function takeDate(text: string, today: VnDate): { date: VnDate | null; rest: string } | "bad" {
  const spans: DateSpan[] = [];
  for (const [re, read] of DATE_PATTERNS) {
    for (const m of text.matchAll(re)) spans.push({ date: read(m as RegExpExecArray, today), index: m.index, length: m[0].length });
  }
  if (spans.length === 0) return { date: null, rest: text };
  if (spans.length > 1) return "bad";
  const { date, index, length } = spans[0]!;
  const rest = `${text.slice(0, index)} ${text.slice(index + length)}`.replace(/\s+/g, " ").trim();
  let year = date.year ?? today.year;
  if (date.year === undefined && isRealVnDate(year, date.month, date.day) && compareVnDates({ year, month: date.month, day: date.day }, today) < 0) year += 1;
  if (!isRealVnDate(year, date.month, date.day)) return "bad";
  return { date: { year, month: date.month, day: date.day }, rest };
}

function parseOnce(words: string, now: Date): ParsedSchedule {
  const time = takeTime(words);
  if (typeof time === "string") return fail("bad_date");
  const today = vnParts(now);
  const date = takeDate(time.rest, today);
  if (date === "bad" || !onlyFillers(date.rest, ONCE_FILLERS)) return fail("bad_date");
  const day = date.date ?? today;
  const at = vnInstant(day, time.hour, time.minute);
  // The current minute still counts as now.
  if (at.getTime() < Math.floor(now.getTime() / 60_000) * 60_000) return fail("in_the_past");
  return { ok: true, schedule: { kind: "once", at: formatLocalDateTime(day, time.hour, time.minute) } };
}

// --- recurring -----------------------------------------------------------------------------------

const RECURRING_FILLERS = new Set([
  ...["moi", "hang", "ngay", "tuan", "thang", "vao", "luc", "gui", "cua", "cung", "cuoi", "lan"],
  ...["every", "each", "daily", "weekly", "monthly", "day", "days", "week", "month", "on", "at", "of", "the", "a", "in", "send", "last"],
]);

/** Weekday words: "thứ Hai", "thứ 2", "T2", "Chủ nhật", "CN", "Monday(s)", "Mon". */
const WEEKDAY_RE =
  /\b(?:thu (hai|ba|tu|nam|sau|bay|[2-7])|t([2-7])|(chu nhat|cn)|(sundays?|mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sun|mon|tues?|wed|thurs?|fri|sat))\b/g;
const VIETNAMESE_WEEKDAY: Record<string, number> = { hai: 1, ba: 2, tu: 3, nam: 4, sau: 5, bay: 6 };
const ENGLISH_WEEKDAY = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** Day of the week (Sunday = 0) of a {@link WEEKDAY_RE} match; "thứ 2" is Monday. */
function weekdayOf(m: RegExpMatchArray): number {
  if (m[1]) return /\d/.test(m[1]) ? Number(m[1]) - 1 : VIETNAMESE_WEEKDAY[m[1]]!;
  if (m[2]) return Number(m[2]) - 1;
  if (m[3]) return 0;
  return ENGLISH_WEEKDAY.indexOf(m[4]!.slice(0, 3));
}

function parseRecurringWords(words: string, untilText: string | undefined, now: Date): ParsedSchedule {
  if (TOO_OFTEN_RE.test(words)) return fail("too_frequent");
  const time = takeTime(words);
  if (time === "many") return fail("too_frequent");
  if (time === "none" || time === "bad") return fail("bad_cron");
  const { hour, minute } = time;
  let rest = time.rest;

  let dayOfMonth: string | undefined;
  let dayOfWeek: number | undefined;
  if (/\b(?:thang|month|monthly)\b/.test(rest)) {
    if (/\b(?:cuoi|last)\b/.test(rest)) {
      dayOfMonth = "L";
    } else {
      const m = /\b(?:ngay|mung|mong|day|the) (\d{1,2})(?:st|nd|rd|th)?\b|\b(\d{1,2})(?:st|nd|rd|th)\b/.exec(rest);
      const day = m ? Number(m[1] ?? m[2]) : NaN;
      if (!(day >= 1 && day <= 31)) return fail("bad_cron");
      dayOfMonth = String(day);
      rest = `${rest.slice(0, m!.index)} ${rest.slice(m!.index + m![0].length)}`;
    }
  } else {
    const days = [...rest.matchAll(WEEKDAY_RE)];
    if (days.length > 0) {
      const numbers = new Set(days.map(weekdayOf));
      // One weekday per schedule in words (several need a raw cron such as "0 8 * * 1,4").
      if (numbers.size !== 1) return fail("bad_cron");
      dayOfWeek = [...numbers][0]!;
      rest = rest.replace(WEEKDAY_RE, " ");
    } else if (!/\b(?:(?:moi|hang) (?:ngay|sang|trua|chieu|toi|dem)|every ?day|each day|daily|every (?:morning|afternoon|evening|night))\b/.test(rest)) {
      return fail("bad_cron");
    }
  }
  if (!onlyFillers(rest.replace(/\s+/g, " ").trim(), RECURRING_FILLERS)) return fail("bad_cron");
  return recurring(`${minute} ${hour} ${dayOfMonth ?? "*"} * ${dayOfWeek ?? "*"}`, untilText, now);
}

/** The local "YYYY-MM-DDTHH:mm" an "until" text means: a date (that whole day) or a date and time. */
function parseUntil(text: string, now: Date): string | null {
  const today = vnParts(now);
  const time = takeTime(text);
  if (time === "many" || time === "bad") return null;
  const date = takeDate(time === "none" ? text : time.rest, today);
  if (date === "bad" || date.date === null || !onlyFillers(date.rest, ONCE_FILLERS)) return null;
  return time === "none" ? formatLocalDateTime(date.date, 23, 59) : formatLocalDateTime(date.date, time.hour, time.minute);
}

/** Validates a cron (and its end) for a campaign: it must run, not more than once a local day. */
function recurring(cron: string, untilText: string | undefined, now: Date): ParsedSchedule {
  let job: Cron;
  try {
    job = cronJob(cron);
  } catch {
    return fail("bad_cron");
  }
  const first = job.nextRun(new Date(Math.floor(now.getTime() / 1000) * 1000 - 1000));
  if (!first) return fail("bad_cron");
  // A 5-field cron runs at the same times of day on every day it matches, so one day shows its pace.
  const firstDay = vnParts(first);
  const [, second] = job.nextRuns(2, new Date(vnInstant(firstDay, 0, 0).getTime() - 1000));
  if (second && compareVnDates(vnParts(second), firstDay) === 0) return fail("too_frequent");

  if (untilText === undefined) return { ok: true, schedule: { kind: "recurring", cron } };
  const until = parseUntil(untilText, now);
  if (until === null) return fail("bad_date");
  if (parseLocalDateTime(until).getTime() < now.getTime()) return fail("in_the_past");
  // An end before the first run means it would never send.
  if (first.getTime() > parseLocalDateTime(until).getTime()) return fail("bad_cron");
  return { ok: true, schedule: { kind: "recurring", cron, until } };
}

// ---------------------------------------------------------------------------------------------
// Summary

const WEEKDAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

function clock(hour: string, minute: string): string | null {
  const h = Number(hour);
  const m = Number(minute);
  return h <= 23 && m <= 59 ? `${pad(h)}:${pad(m)}` : null;
}

function summariseCron(cron: string): ScheduleSummary {
  const [minute, hour, dom, month, dow, ...more] = cron.trim().toLowerCase().split(/\s+/);
  const time = more.length === 0 && /^\d{1,2}$/.test(minute ?? "") && /^\d{1,2}$/.test(hour ?? "") ? clock(hour!, minute!) : null;
  if (time && month === "*") {
    if (dom === "*" && dow === "*") return { key: "campaign:schedule.daily", params: { time } };
    const weekday = /^[0-7]$/.test(dow!) ? Number(dow) % 7 : ENGLISH_WEEKDAY.indexOf(dow!);
    if (dom === "*" && weekday >= 0) return { key: "campaign:schedule.weekly", params: { day: WEEKDAY_NAMES[weekday]!, time } };
    if (dow === "*" && dom === "l") return { key: "campaign:schedule.monthly_last", params: { time } };
    if (dow === "*" && /^\d{1,2}$/.test(dom!) && Number(dom) >= 1 && Number(dom) <= 31) {
      return { key: "campaign:schedule.monthly", params: { day: String(Number(dom)), time } };
    }
  }
  return { key: "campaign:schedule.cron", params: { cron: cron.trim() } };
}

/**
 * What a schedule means, as a locale key under `campaign:schedule.*` and its params (times as
 * "HH:mm", dates as "DD/MM/YYYY", weekdays as English names for `campaign:schedule.weekday.*`).
 * A recurring schedule with an end uses the key with `_until` and adds `untilDate`, `untilTime`.
 */
export function scheduleSummary(schedule: CampaignSchedule): ScheduleSummary {
  switch (schedule.kind) {
    case "now":
      return { key: "campaign:schedule.now", params: {} };
    case "once":
      return { key: "campaign:schedule.once", params: localDateTimeParams(parseLocalDateTime(schedule.at)) };
    case "recurring": {
      const summary = summariseCron(schedule.cron);
      if (schedule.until === undefined) return summary;
      const until = localDateTimeParams(parseLocalDateTime(schedule.until));
      return { key: `${summary.key}_until`, params: { ...summary.params, untilDate: until.date, untilTime: until.time } };
    }
  }
}
