/**
 * Vietnam local time, in one place: the zone, the wall-clock parts of an instant, the instant of a
 * wall-clock time, calendar days, and the date / time strings shown on cards, receipts and notices.
 *
 * Vietnam has kept UTC+07:00 without daylight saving since 13 June 1975, so a fixed offset is
 * exact for every date this service sees; nothing here reads the machine's time zone (TZ), and
 * every function answers the same under any TZ. Instants are plain `Date`s; an invalid one
 * throws a RangeError.
 */

/** The IANA name of Vietnam's zone, for libraries that take one (croner). */
export const VN_TIME_ZONE = "Asia/Ho_Chi_Minh";

/** Vietnam's offset from UTC, in hours (+7, no daylight saving). */
export const VN_UTC_OFFSET_HOURS = 7;

const OFFSET_MS = VN_UTC_OFFSET_HOURS * 3_600_000;
const DAY_MS = 86_400_000;

/** A calendar day in Vietnam (month 1–12). */
export interface VnDate {
  year: number;
  month: number;
  day: number;
}

/** A wall-clock time in Vietnam. */
export interface VnDateTime extends VnDate {
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** A calendar day in Vietnam as "YYYY-MM-DD". */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function time(at: Date): number {
  const t = at.getTime();
  if (!Number.isFinite(t)) throw new RangeError("Invalid Date");
  return t;
}

/** The wall-clock time in Vietnam at an instant. */
export function vnParts(at: Date): VnDateTime {
  const d = new Date(time(at) + OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}

/** The month ("YYYY-MM"), hour (0–23) and weekday (1 = Monday … 7 = Sunday) of an instant in Vietnam: what statistics group tips by. */
export function vnReceipt(at: Date): { month: string; hour: number; weekday: number } {
  const d = new Date(time(at) + OFFSET_MS);
  return { month: `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`, hour: d.getUTCHours(), weekday: ((d.getUTCDay() + 6) % 7) + 1 };
}

/** The instant of a wall-clock time in Vietnam (out-of-range fields carry over, as in `Date.UTC`). */
export function vnInstant(date: VnDate, hour = 0, minute = 0, second = 0, millisecond = 0): Date {
  return new Date(Date.UTC(date.year, date.month - 1, date.day, hour, minute, second, millisecond) - OFFSET_MS);
}

/** The day `days` after (or before) a calendar day. */
export function addVnDays(date: VnDate, days: number): VnDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Whether year, month and day name a real calendar day (years 1970–9999). */
export function isRealVnDate(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return year >= 1970 && year <= 9999 && d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** Orders two calendar days: negative when `a` is earlier, 0 on the same day. */
export function compareVnDates(a: VnDate, b: VnDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

// Day numbers: whole days since 1970-01-01, counted in Vietnam (day n starts at n × 24 h − 7 h UTC).

/** The day number (days since 1970-01-01, in Vietnam) an instant falls on. */
export function vnDayNumber(at: Date): number {
  return Math.floor((time(at) + OFFSET_MS) / DAY_MS);
}

/** The day number of a "YYYY-MM-DD" day; throws a RangeError on anything else or a day that does not exist. */
export function dayNumberOfIso(date: IsoDate): number {
  const m = ISO_DATE.exec(date);
  if (!m) throw new RangeError(`Not a YYYY-MM-DD date: ${date}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  if (new Date(ms).getUTCDate() !== d || mo < 1 || mo > 12) throw new RangeError(`No such date: ${date}`);
  return ms / DAY_MS;
}

/** The "YYYY-MM-DD" of a day number. */
export function isoOfDayNumber(day: number): IsoDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 00:00:00.000 in Vietnam of a day number. */
export function startOfDayNumber(day: number): Date {
  return new Date(day * DAY_MS - OFFSET_MS);
}

/** 23:59:59.999 in Vietnam of a day number. */
export function endOfDayNumber(day: number): Date {
  return new Date((day + 1) * DAY_MS - OFFSET_MS - 1);
}

/** The calendar day in Vietnam of an instant, "YYYY-MM-DD". */
export function vnDateOf(at: Date): IsoDate {
  return isoOfDayNumber(vnDayNumber(at));
}

/** 00:00:00.000 in Vietnam of a calendar day (or of the day an instant falls on). */
export function startOfVnDay(date: Date | IsoDate): Date {
  return startOfDayNumber(typeof date === "string" ? dayNumberOfIso(date) : vnDayNumber(date));
}

/** 23:59:59.999 in Vietnam of a calendar day (or of the day an instant falls on). */
export function endOfVnDay(date: Date | IsoDate): Date {
  return endOfDayNumber(typeof date === "string" ? dayNumberOfIso(date) : vnDayNumber(date));
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "22/11/2026": the Vietnam date of an instant, as cards, receipts and notices show it. */
export function formatVnDate(at: Date): string {
  const l = vnParts(at);
  return `${pad(l.day)}/${pad(l.month)}/${l.year}`;
}

/** "08:05": the Vietnam time of day of an instant (24-hour clock). */
export function formatVnTime(at: Date): string {
  const l = vnParts(at);
  return `${pad(l.hour)}:${pad(l.minute)}`;
}

/** "22/11/2026 08:05": the Vietnam date and time of an instant. */
export function formatVnDateTime(at: Date): string {
  return `${formatVnDate(at)} ${formatVnTime(at)}`;
}

/** "2026-11-22T08:05": a wall-clock time as campaign schedules store it. */
export function formatLocalDateTime(date: VnDate, hour: number, minute: number): string {
  return `${date.year}-${pad(date.month)}-${pad(date.day)}T${pad(hour)}:${pad(minute)}`;
}

/** The instant of a stored "YYYY-MM-DDTHH:mm" Vietnam wall-clock time; throws a RangeError on anything else. */
export function parseLocalDateTime(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(text);
  const [year, month, day, hour, minute] = m ? m.slice(1).map(Number) : [];
  if (!m || !isRealVnDate(year!, month!, day!) || hour! > 23 || minute! > 59) {
    throw new RangeError(`Invalid local date-time "${text}", expected YYYY-MM-DDTHH:mm`);
  }
  return vnInstant({ year: year!, month: month!, day: day! }, hour!, minute!);
}
