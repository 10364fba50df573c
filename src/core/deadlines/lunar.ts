/**
 * The Vietnamese lunisolar calendar (âm lịch), computed for UTC+7.
 *
 * This is Hồ Ngọc Đức's published algorithm ("Thuật toán tính âm lịch", 2004, the one behind most
 * Vietnamese calendar sites and apps), ported to TypeScript. It finds new moons and solar terms
 * with the astronomical formulas from Jean Meeus, "Astronomical Algorithms" (1998), and applies
 * the Vietnamese calendar rules: a month starts on the day (in UTC+7) of the new moon, month 11
 * holds the winter solstice, and in a 13-month year the first month with no major solar term
 * (trung khí) is the leap month.
 *
 * Vietnam reckons the calendar at UTC+7 and China at UTC+8, so the two occasionally differ by a
 * day or a month (Tết 1985 and 2007 are famous cases); never substitute a Chinese-calendar
 * library. npm has no well-kept Vietnamese one (the candidates are abandoned or ship
 * obfuscated code), hence this port. `test/deadlines.test.ts` checks Tết and Giỗ Tổ Hùng Vương
 * for 2025–2035 against dates published independently.
 *
 * The formulas are abridged, so a new moon within minutes of midnight could land on the wrong
 * day; every day of 2024–2036 was compared with an independent table (see the test), and the
 * holiday code only asks for years after 1975.
 */
import { VN_UTC_OFFSET_HOURS } from "../vnTime.ts";

/** A date of the Vietnamese lunar calendar. */
export interface LunarDate {
  /** Day of the lunar month, 1–30. */
  day: number;
  /** Lunar month, 1–12 (1 = tháng Giêng, 12 = tháng Chạp). */
  month: number;
  /** Lunar year, numbered as the Gregorian year in which it mostly falls (Ất Tỵ = 2025). */
  year: number;
  /** True for the intercalary (nhuận) repeat of `month`. */
  leap: boolean;
}

/** A Gregorian calendar day, without a time or a time zone. */
export interface SolarDate {
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31. */
  day: number;
}

/** Vietnam's time zone, in hours east of UTC, that the calendar is reckoned in. */
export const VIETNAM_CALENDAR_TIME_ZONE = VN_UTC_OFFSET_HOURS;

const PI = Math.PI;
const INT = Math.floor;
/** Julian day number of the new moon of 1 January 1900, the origin of the lunation count k. */
const K_ORIGIN = 2415021.076998695;
const SYNODIC_MONTH = 29.530588853;

/** Julian day number of a Gregorian date (Julian calendar before 15 October 1582). */
export function julianDayNumber(day: number, month: number, year: number): number {
  const a = INT((14 - month) / 12);
  const y = year + 4800 - a;
  const m = month + 12 * a - 3;
  let jd = day + INT((153 * m + 2) / 5) + 365 * y + INT(y / 4) - INT(y / 100) + INT(y / 400) - 32045;
  if (jd < 2299161) jd = day + INT((153 * m + 2) / 5) + 365 * y + INT(y / 4) - 32083;
  return jd;
}

/** The Gregorian date of a Julian day number. */
export function fromJulianDayNumber(jd: number): SolarDate {
  let b: number;
  let c: number;
  if (jd > 2299160) {
    const a = jd + 32044;
    b = INT((4 * a + 3) / 146097);
    c = a - INT((b * 146097) / 4);
  } else {
    b = 0;
    c = jd + 32082;
  }
  const d = INT((4 * c + 3) / 1461);
  const e = c - INT((1461 * d) / 4);
  const m = INT((5 * e + 2) / 153);
  return {
    day: e - INT((153 * m + 2) / 5) + 1,
    month: m + 3 - 12 * INT(m / 10),
    year: b * 100 + d - 4800 + INT(m / 10),
  };
}

/** Julian date (fractional, UT) of the k-th new moon after 1 January 1900 (Meeus, ch. 49, abridged). */
function newMoon(k: number): number {
  const T = k / 1236.85;
  const T2 = T * T;
  const T3 = T2 * T;
  const dr = PI / 180;
  let jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * T2 - 0.000000155 * T3;
  jd1 += 0.00033 * Math.sin((166.56 + 132.87 * T - 0.009173 * T2) * dr);
  const M = 359.2242 + 29.10535608 * k - 0.0000333 * T2 - 0.00000347 * T3; // sun's mean anomaly
  const Mpr = 306.0253 + 385.81691806 * k + 0.0107306 * T2 + 0.00001236 * T3; // moon's mean anomaly
  const F = 21.2964 + 390.67050646 * k - 0.0016528 * T2 - 0.00000239 * T3; // moon's argument of latitude
  let C1 = (0.1734 - 0.000393 * T) * Math.sin(M * dr) + 0.0021 * Math.sin(2 * dr * M);
  C1 = C1 - 0.4068 * Math.sin(Mpr * dr) + 0.0161 * Math.sin(dr * 2 * Mpr);
  C1 = C1 - 0.0004 * Math.sin(dr * 3 * Mpr);
  C1 = C1 + 0.0104 * Math.sin(dr * 2 * F) - 0.0051 * Math.sin(dr * (M + Mpr));
  C1 = C1 - 0.0074 * Math.sin(dr * (M - Mpr)) + 0.0004 * Math.sin(dr * (2 * F + M));
  C1 = C1 - 0.0004 * Math.sin(dr * (2 * F - M)) - 0.0006 * Math.sin(dr * (2 * F + Mpr));
  C1 = C1 + 0.001 * Math.sin(dr * (2 * F - Mpr)) + 0.0005 * Math.sin(dr * (2 * Mpr + M));
  const deltaT =
    T < -11
      ? 0.001 + 0.000839 * T + 0.0002261 * T2 - 0.00000845 * T3 - 0.000000081 * T * T3
      : -0.000278 + 0.000265 * T + 0.000262 * T2;
  return jd1 + C1 - deltaT;
}

/** The sun's apparent longitude in radians, [0, 2π), at a Julian date (Meeus, ch. 25, abridged). */
function sunLongitude(jdn: number): number {
  const T = (jdn - 2451545.0) / 36525;
  const T2 = T * T;
  const dr = PI / 180;
  const M = 357.5291 + 35999.0503 * T - 0.0001559 * T2 - 0.00000048 * T * T2;
  const L0 = 280.46645 + 36000.76983 * T + 0.0003032 * T2;
  let DL = (1.9146 - 0.004817 * T - 0.000014 * T2) * Math.sin(dr * M);
  DL = DL + (0.019993 - 0.000101 * T) * Math.sin(dr * 2 * M) + 0.00029 * Math.sin(dr * 3 * M);
  let L = (L0 + DL) * dr;
  L = L - PI * 2 * INT(L / (PI * 2));
  return L;
}

/** Which 30° sector (0–11) the sun is in at the start of a local day; sector 9 begins at the winter solstice. */
function sunSector(dayNumber: number, timeZone: number): number {
  return INT((sunLongitude(dayNumber - 0.5 - timeZone / 24) / PI) * 6);
}

/** The local day (Julian day number) of the k-th new moon. */
function newMoonDay(k: number, timeZone: number): number {
  return INT(newMoon(k) + 0.5 + timeZone / 24);
}

/** First day of the lunar month 11 (the month holding the winter solstice) that starts in Gregorian `year`. */
function lunarMonth11(year: number, timeZone: number): number {
  const off = julianDayNumber(31, 12, year) - 2415021;
  const k = INT(off / SYNODIC_MONTH);
  let nm = newMoonDay(k, timeZone);
  if (sunSector(nm, timeZone) >= 9) nm = newMoonDay(k - 1, timeZone);
  return nm;
}

/** In a 13-month lunar year starting at month 11 `a11`, the offset of the leap month from month 11. */
function leapMonthOffset(a11: number, timeZone: number): number {
  const k = INT((a11 - K_ORIGIN) / SYNODIC_MONTH + 0.5);
  let last: number;
  let i = 1;
  let arc = sunSector(newMoonDay(k + i, timeZone), timeZone);
  do {
    last = arc;
    i++;
    arc = sunSector(newMoonDay(k + i, timeZone), timeZone);
  } while (arc !== last && i < 14);
  return i - 1;
}

/** The lunar date of a Gregorian day, reckoned at `timeZone` (UTC+7 by default). */
export function solarToLunar(date: SolarDate, timeZone = VIETNAM_CALENDAR_TIME_ZONE): LunarDate {
  const dayNumber = julianDayNumber(date.day, date.month, date.year);
  const k = INT((dayNumber - K_ORIGIN) / SYNODIC_MONTH);
  let monthStart = newMoonDay(k + 1, timeZone);
  if (monthStart > dayNumber) monthStart = newMoonDay(k, timeZone);
  let a11 = lunarMonth11(date.year, timeZone);
  let b11 = a11;
  let year: number;
  if (a11 >= monthStart) {
    year = date.year;
    a11 = lunarMonth11(date.year - 1, timeZone);
  } else {
    year = date.year + 1;
    b11 = lunarMonth11(date.year + 1, timeZone);
  }
  const day = dayNumber - monthStart + 1;
  const diff = INT((monthStart - a11) / 29);
  let leap = false;
  let month = diff + 11;
  if (b11 - a11 > 365) {
    const leapDiff = leapMonthOffset(a11, timeZone);
    if (diff >= leapDiff) {
      month = diff + 10;
      if (diff === leapDiff) leap = true;
    }
  }
  if (month > 12) month -= 12;
  if (month >= 11 && diff < 4) year -= 1;
  return { day, month, year, leap };
}

/**
 * The Gregorian day of a lunar date, reckoned at `timeZone` (UTC+7 by default). Returns undefined
 * for a leap month that the year does not have. Day 30 of a 29-day month gives the next month's
 * first day, so ask for the last day of a year with `lastDayOfLunarYear`.
 */
export function lunarToSolar(date: LunarDate, timeZone = VIETNAM_CALENDAR_TIME_ZONE): SolarDate | undefined {
  let a11: number;
  let b11: number;
  if (date.month < 11) {
    a11 = lunarMonth11(date.year - 1, timeZone);
    b11 = lunarMonth11(date.year, timeZone);
  } else {
    a11 = lunarMonth11(date.year, timeZone);
    b11 = lunarMonth11(date.year + 1, timeZone);
  }
  let off = date.month - 11;
  if (off < 0) off += 12;
  if (b11 - a11 > 365) {
    const leapOff = leapMonthOffset(a11, timeZone);
    let leapMonth = leapOff - 2;
    if (leapMonth < 0) leapMonth += 12;
    if (date.leap && date.month !== leapMonth) return undefined;
    if (date.leap || off >= leapOff) off += 1;
  } else if (date.leap) {
    return undefined;
  }
  const k = INT(0.5 + (a11 - K_ORIGIN) / SYNODIC_MONTH);
  const monthStart = newMoonDay(k + off, timeZone);
  return fromJulianDayNumber(monthStart + date.day - 1);
}

/** Tết Nguyên đán: the Gregorian day of mùng 1 tháng Giêng of lunar year `year`. */
export function tetDate(year: number): SolarDate {
  return lunarToSolar({ day: 1, month: 1, year, leap: false })!;
}

/** Giỗ Tổ Hùng Vương: the Gregorian day of 10 tháng 3 (never the leap tháng 3) of lunar year `year`. */
export function hungKingsDate(year: number): SolarDate {
  return lunarToSolar({ day: 10, month: 3, year, leap: false })!;
}

/** The last day of the lunar year that ends just before Tết of `year` (29 or 30 tháng Chạp). */
export function lastDayOfLunarYear(tetYear: number): { date: SolarDate; lunarDay: 29 | 30 } {
  const tet = tetDate(tetYear);
  const date = fromJulianDayNumber(julianDayNumber(tet.day, tet.month, tet.year) - 1);
  return { date, lunarDay: solarToLunar(date).day === 30 ? 30 : 29 };
}
