/**
 * Vietnamese working days for the public sector (cán bộ, công chức, viên chức, and so the commune
 * police's office hours), in Asia/Ho_Chi_Minh whatever the machine's TZ.
 *
 * Rules, and where they come from:
 * - Weekly rest: Saturday and Sunday (Quyết định 188/1999/QĐ-TTg, 40-hour week for the public
 *   sector).
 * - Public holidays: Bộ luật Lao động 2019 (45/2019/QH14) Điều 112 khoản 1 — Tết Dương lịch 1/1;
 *   Tết Âm lịch 5 days; Ngày Chiến thắng 30/4; Ngày Quốc tế lao động 1/5; Quốc khánh 2/9 plus
 *   one adjacent day before or after; Giỗ Tổ Hùng Vương 10/3 âm lịch. Điều 112 khoản 3: the Prime
 *   Minister fixes each year which 5 days are Tết and which day adjoins 2/9.
 *   Not amended as of this writing: Politburo Resolution 80-NQ/TW (January 2026) chose 24/11 as
 *   Ngày Văn hóa Việt Nam "hướng tới ngày nghỉ lễ", and Government Resolution 30/NQ-CP (February
 *   2026) asks for Điều 112 to be amended, but no amendment had been passed by the National
 *   Assembly in any source we could find. It is therefore NOT a day off here; when it becomes law,
 *   add it (and any other announcement) to `data/holidays-overrides.json` without a code change.
 *   Deliberately so: a missing day off makes a deadline earlier (safe), a wrong one makes it later.
 * - Nghỉ bù: Bộ luật Lao động 2019 Điều 111 khoản 3 — a holiday that falls on a weekly rest day
 *   gives a day off on the next working day ("ngày làm việc kế tiếp"). Applied in date order, so
 *   30/4 Saturday + 1/5 Sunday give Monday and Tuesday off, as in 2022.
 * - Tết, without an announcement: the last day of the old lunar year (29 or 30 tháng Chạp)
 *   through mùng 4 tháng Giêng, weekend days compensated. It is the span chosen for 2026 and the
 *   most common one; the Government has also used 28 Chạp–mùng 3 (2025) and 29/30 Chạp–mùng 5.
 * - Quốc khánh's adjacent day, without an announcement: 3/9 when 2/9 is a Monday or a Thursday
 *   (a four-day bridge), otherwise 1/9 — the choice actually made in 2021–2026.
 * - Announced schedules for 2025 and 2026 are built in (`OFFICIAL_ANNOUNCEMENTS`); later ones go
 *   in `data/holidays-overrides.json`.
 *
 * Days are counted in Vietnam local time through `../vnTime.ts` (UTC+07:00, no daylight saving),
 * so nothing here reads the machine's time zone.
 */
import fs from "node:fs";
import { z } from "zod";
import { hungKingsDate, lastDayOfLunarYear, solarToLunar, tetDate, type SolarDate } from "./lunar.ts";
import { fromRoot } from "../../paths.ts";
import {
  dayNumberOfIso as dayOfIso,
  endOfDayNumber as endOfDay,
  isoOfDayNumber as isoOfDay,
  vnDayNumber as dayOfInstant,
  type IsoDate,
} from "../vnTime.ts";

export { endOfVnDay, startOfVnDay, vnDateOf, type IsoDate } from "../vnTime.ts";

/** A name in Vietnamese (with diacritics) and English. */
export interface LocalizedName {
  vi: string;
  en: string;
}

/**
 * Why a weekday is not a working day: a statutory holiday (Điều 112), a compensatory day
 * (nghỉ bù, Điều 111 khoản 3), or a day off announced by the Government (a swap, a new holiday).
 */
export type DayOffKind = "holiday" | "compensatory" | "announced";

/** A day off in the public-sector calendar. Statutory holidays are listed even on a weekend. */
export interface DayOff {
  date: IsoDate;
  name: LocalizedName;
  kind: DayOffKind;
  /** The legal basis or the announcement. */
  source: string;
}

/** A Saturday or Sunday made a working day (làm bù) by a Government swap. */
export interface MadeUpWorkingDay {
  date: IsoDate;
  name: LocalizedName;
  source: string;
}

/**
 * Yearly announcements that change the rule-based calendar: passed to `WorkingCalendar`, built in
 * as `OFFICIAL_ANNOUNCEMENTS`, or read from `data/holidays-overrides.json` (same shape).
 */
export interface HolidayOverrides {
  /** Per year ("2027"), the first of the 5 statutory Tết days the Government chose. */
  tetStart?: Record<string, IsoDate>;
  /** Per year, the day adjoining Quốc khánh that the Government chose: YYYY-09-01 or YYYY-09-03. */
  nationalDayAdjacent?: Record<string, IsoDate>;
  /** Extra days off: the weekday given in a swap, or a holiday newly made law. */
  daysOff?: Array<{ date: IsoDate; name: LocalizedName; source?: string }>;
  /** Weekend days made working days: the Saturday a swapped day is made up on. */
  workingDays?: Array<{ date: IsoDate; name: LocalizedName; source?: string }>;
}

const LABOUR_CODE_112 = "Bộ luật Lao động 2019, Điều 112 khoản 1";
const LABOUR_CODE_111 = "Bộ luật Lao động 2019, Điều 111 khoản 3";
const ANNOUNCED_2025 =
  "Văn bản 8726/VPCP-KGVX ngày 26/11/2024 (Thủ tướng đồng ý); Thông báo 6150/TB-BLĐTBXH về lịch nghỉ năm 2025";
const ANNOUNCED_2026_NEW_YEAR = "Văn bản 12729/VPCP-KGVX ngày 25/12/2025 (Phó Thủ tướng đồng ý, đề xuất của Bộ Nội vụ)";
const ANNOUNCED_2026 =
  "Văn phòng Chính phủ truyền đạt ý kiến Thủ tướng đồng ý đề xuất của Bộ Nội vụ về nghỉ Tết Âm lịch và Quốc khánh năm 2026 (10/2025)";

/**
 * The Government's announced schedules for public-sector staff that this module was checked
 * against:
 * - 2025: Tết 25/1–2/2, of which the 5 statutory days are 27–31/1 (28 tháng Chạp–mùng 3);
 *   30/4–4/5 with Friday 2/5 swapped for Saturday 26/4; Quốc khánh 30/8–2/9 (adjacent day 1/9).
 * - 2026: Tết Dương lịch 1–4/1 with Friday 2/1 swapped for Saturday 10/1; Tết 14–22/2, of which
 *   the 5 statutory days are 16–20/2 (29 tháng Chạp–mùng 4); Quốc khánh 29/8–2/9 (adjacent day
 *   1/9) with Monday 31/8 swapped for Saturday 22/8. Giỗ Tổ (Sunday 26/4) → nghỉ bù Monday 27/4
 *   follows from the rule.
 */
export const OFFICIAL_ANNOUNCEMENTS: HolidayOverrides = {
  tetStart: { "2025": "2025-01-27", "2026": "2026-02-16" },
  nationalDayAdjacent: { "2025": "2025-09-01", "2026": "2026-09-01" },
  daysOff: [
    {
      date: "2025-05-02",
      name: {
        vi: "Nghỉ hoán đổi dịp 30/4 – 1/5 (làm bù thứ Bảy 26/4/2025)",
        en: "Swapped day off for 30 April – 1 May (made up on Saturday 26 April 2025)",
      },
      source: ANNOUNCED_2025,
    },
    {
      date: "2026-01-02",
      name: {
        vi: "Nghỉ hoán đổi dịp Tết Dương lịch (làm bù thứ Bảy 10/1/2026)",
        en: "Swapped day off for New Year's Day (made up on Saturday 10 January 2026)",
      },
      source: ANNOUNCED_2026_NEW_YEAR,
    },
    {
      date: "2026-08-31",
      name: {
        vi: "Nghỉ hoán đổi dịp Quốc khánh (làm bù thứ Bảy 22/8/2026)",
        en: "Swapped day off for National Day (made up on Saturday 22 August 2026)",
      },
      source: ANNOUNCED_2026,
    },
  ],
  workingDays: [
    {
      date: "2025-04-26",
      name: { vi: "Làm bù cho ngày nghỉ hoán đổi 2/5/2025", en: "Made-up working day for the 2 May 2025 swap" },
      source: ANNOUNCED_2025,
    },
    {
      date: "2026-01-10",
      name: { vi: "Làm bù cho ngày nghỉ hoán đổi 2/1/2026", en: "Made-up working day for the 2 January 2026 swap" },
      source: ANNOUNCED_2026_NEW_YEAR,
    },
    {
      date: "2026-08-22",
      name: { vi: "Làm bù cho ngày nghỉ hoán đổi 31/8/2026", en: "Made-up working day for the 31 August 2026 swap" },
      source: ANNOUNCED_2026,
    },
  ],
};

/** `data/holidays-overrides.json` at the repository root. */
export const HOLIDAY_OVERRIDES_FILE = fromRoot("data", "holidays-overrides.json");

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// Days are handled as day numbers: whole days since 1970-01-01, counted in Vietnam (see vnTime.ts).

function dayOfSolar(date: SolarDate): number {
  return Date.UTC(date.year, date.month - 1, date.day) / DAY_MS;
}

function yearOfDay(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear();
}

/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
function weekdayOfDay(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

function isWeekend(day: number): boolean {
  const w = weekdayOfDay(day);
  return w === 0 || w === 6;
}

function dayOf(date: Date | IsoDate): number {
  return typeof date === "string" ? dayOfIso(date) : dayOfInstant(date);
}

function assertWholeDays(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number ≥ 0, got ${n}`);
}

/**
 * The deadline `n` calendar days after `start`: the end (23:59:59.999 Asia/Ho_Chi_Minh) of the
 * n-th day after the day `start` falls on. The day of `start` itself is not counted (Bộ luật Dân
 * sự 2015 Điều 147), and a day-based period ends at 24:00 of its last day (BLTTHS 2015 Điều 134).
 * Weekends and holidays count like any day; see `rollToWorkingDay`.
 */
export function addCalendarDays(start: Date, n: number): Date {
  if (!Number.isInteger(n)) throw new RangeError(`n must be a whole number, got ${n}`);
  return endOfDay(dayOfInstant(start) + n);
}

/**
 * The deadline `n` months after `start` (BLTTHS 2015 Điều 134): the end of the day with the same
 * day of the month, n months later in Vietnam; when that month is too short, its last day.
 * So 31 January + 2 months → 31 March, 31 December + 2 months → 28 February (29 in a leap year).
 */
export function addCalendarMonths(start: Date, n: number): Date {
  if (!Number.isInteger(n)) throw new RangeError(`n must be a whole number, got ${n}`);
  const d = new Date(dayOfInstant(start) * DAY_MS);
  const monthIndex = d.getUTCFullYear() * 12 + d.getUTCMonth() + n;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return endOfDay(Date.UTC(year, month, Math.min(d.getUTCDate(), lastDay)) / DAY_MS);
}

/** The adjacent Quốc khánh day when none was announced: 3/9 after a Monday or Thursday 2/9, else 1/9. */
function ruleNationalDayAdjacent(year: number): number {
  const nationalDay = dayOfSolar({ year, month: 9, day: 2 });
  const w = weekdayOfDay(nationalDay);
  return w === 1 || w === 4 ? nationalDay + 1 : nationalDay - 1;
}

function lunarDayLabel(day: number): LocalizedName {
  const s = new Date(day * DAY_MS);
  const lunar = solarToLunar({ year: s.getUTCFullYear(), month: s.getUTCMonth() + 1, day: s.getUTCDate() });
  const monthVi = lunar.month === 1 ? "tháng Giêng" : lunar.month === 12 ? "tháng Chạp" : `tháng ${lunar.month}`;
  const dayVi = lunar.day <= 10 ? `mùng ${lunar.day}` : String(lunar.day);
  const ordinal = (n: number) => `${n}${n % 10 === 1 && n !== 11 ? "st" : n % 10 === 2 && n !== 12 ? "nd" : n % 10 === 3 && n !== 13 ? "rd" : "th"}`;
  return {
    vi: `${dayVi} ${monthVi}`,
    en: `${ordinal(lunar.day)} day of the ${ordinal(lunar.month)} lunar month`,
  };
}

interface YearTable {
  daysOff: DayOff[];
  /** Day number → why it is off. */
  off: Map<number, DayOff[]>;
  madeUp: Map<number, MadeUpWorkingDay>;
}

/**
 * The public-sector working calendar: the rules above plus any announcements. Years are computed
 * on first use and cached. Construct one with your own overrides, or use `defaultWorkingCalendar()`.
 */
export class WorkingCalendar {
  private readonly tetStart = new Map<number, number>();
  private readonly nationalDayAdjacent = new Map<number, number>();
  private readonly extraDaysOff: Array<{ day: number; name: LocalizedName; source: string }> = [];
  private readonly madeUpDays = new Map<number, MadeUpWorkingDay>();
  private readonly years = new Map<number, YearTable>();

  /**
   * @param overrides applied in order (later ones win for `tetStart` and `nationalDayAdjacent`).
   *   Pass `[OFFICIAL_ANNOUNCEMENTS]` for the announced 2025–2026 schedules, or nothing for the
   *   bare rules. Throws a RangeError on a malformed or contradictory override.
   */
  constructor(overrides: HolidayOverrides[] = []) {
    for (const o of overrides) {
      for (const [year, date] of Object.entries(o.tetStart ?? {})) {
        const day = dayOfIso(date);
        const tet = dayOfSolar(tetDate(Number(year)));
        if (day > tet || day < tet - 4) {
          throw new RangeError(`tetStart ${year}: ${date} must be within the 4 days before Tết (${isoOfDay(tet)})`);
        }
        this.tetStart.set(Number(year), day);
      }
      for (const [year, date] of Object.entries(o.nationalDayAdjacent ?? {})) {
        if (date !== `${year}-09-01` && date !== `${year}-09-03`) {
          throw new RangeError(`nationalDayAdjacent ${year}: ${date} must be ${year}-09-01 or ${year}-09-03`);
        }
        this.nationalDayAdjacent.set(Number(year), dayOfIso(date));
      }
      for (const d of o.daysOff ?? []) {
        this.extraDaysOff.push({ day: dayOfIso(d.date), name: d.name, source: d.source ?? "data/holidays-overrides.json" });
      }
      for (const d of o.workingDays ?? []) {
        const day = dayOfIso(d.date);
        if (!isWeekend(day)) throw new RangeError(`workingDays: ${d.date} is not a Saturday or Sunday`);
        this.madeUpDays.set(day, { date: d.date, name: d.name, source: d.source ?? "data/holidays-overrides.json" });
      }
    }
    for (const d of this.extraDaysOff) {
      if (this.madeUpDays.has(d.day)) throw new RangeError(`${isoOfDay(d.day)} is both a day off and a working day`);
    }
  }

  /**
   * Every day off of a Gregorian year, in date order: the statutory holidays (even when on a
   * weekend), the compensatory days and the announced days off. Weekends are not listed.
   */
  holidaysIn(year: number): DayOff[] {
    return this.table(year).daysOff.map((d) => ({ ...d }));
  }

  /** The weekend days of a year that were made working days by an announced swap. */
  madeUpWorkingDaysIn(year: number): MadeUpWorkingDay[] {
    return [...this.table(year).madeUp.values()].sort((a, b) => a.date.localeCompare(b.date));
  }

  /** Why a day (or the day an instant falls on in Vietnam) is off: empty on a working day or a plain weekend. */
  daysOffOn(date: Date | IsoDate): DayOff[] {
    const day = dayOf(date);
    return [...(this.table(yearOfDay(day)).off.get(day) ?? [])];
  }

  /** Whether a Vietnamese calendar day (or the day an instant falls on in Vietnam) is a public-sector working day. */
  isWorkingDay(date: Date | IsoDate): boolean {
    return this.isWorkingDayNumber(dayOf(date));
  }

  /**
   * The deadline `n` working days after `start`: 23:59:59.999 Asia/Ho_Chi_Minh of the n-th
   * working day strictly after the day `start` falls on. The day of receipt never counts, even
   * when the tip arrives at 07:00 on a working day (Bộ luật Dân sự 2015 Điều 147: "ngày xảy ra sự
   * kiện không được tính"); a tip received on a weekend or holiday starts counting on the next
   * working day. `n = 0` gives the end of the day of `start`.
   */
  addWorkingDays(start: Date, n: number): Date {
    assertWholeDays(n, "n");
    let day = dayOfInstant(start);
    for (let left = n; left > 0; ) {
      day += 1;
      if (this.isWorkingDayNumber(day)) left -= 1;
    }
    return endOfDay(day);
  }

  /**
   * Working days elapsed from `from` to `to`: the working days after the day of `from`, up to and
   * including the day of `to` (negative when `to` is earlier). For any instant `t` and n ≥ 0,
   * `workingDaysBetween(t, addWorkingDays(t, n)) === n`.
   */
  workingDaysBetween(from: Date, to: Date): number {
    const a = dayOfInstant(from);
    const b = dayOfInstant(to);
    const [lo, hi, sign] = a <= b ? [a, b, 1] : [b, a, -1];
    let count = 0;
    for (let day = lo + 1; day <= hi; day++) if (this.isWorkingDayNumber(day)) count++;
    return sign * count;
  }

  /**
   * A deadline moved off a rest day: when `deadline` falls on a weekend or a day off, the end of
   * the next working day (BLTTHS 2015 Điều 134: "nếu thời hạn hết vào ngày nghỉ thì ngày làm việc
   * đầu tiên tiếp theo được tính là ngày cuối cùng của thời hạn"); otherwise `deadline` unchanged.
   */
  rollToWorkingDay(deadline: Date): Date {
    let day = dayOfInstant(deadline);
    if (this.isWorkingDayNumber(day)) return deadline;
    while (!this.isWorkingDayNumber(day)) day += 1;
    return endOfDay(day);
  }

  private isWorkingDayNumber(day: number): boolean {
    const table = this.table(yearOfDay(day));
    if (table.off.has(day)) return false;
    return !isWeekend(day) || table.madeUp.has(day);
  }

  private table(year: number): YearTable {
    if (!Number.isInteger(year) || year < 1976 || year > 2199) throw new RangeError(`Year out of range: ${year}`);
    const cached = this.years.get(year);
    if (cached) return cached;

    const statutory: Array<{ day: number; name: LocalizedName }> = [];
    const add = (day: number, vi: string, en: string) => statutory.push({ day, name: { vi, en } });

    add(dayOfSolar({ year, month: 1, day: 1 }), "Tết Dương lịch", "New Year's Day");
    const tetFirst = this.tetStart.get(year) ?? dayOfSolar(lastDayOfLunarYear(year).date);
    for (let day = tetFirst; day < tetFirst + 5; day++) {
      const label = lunarDayLabel(day);
      add(day, `Tết Âm lịch (${label.vi})`, `Lunar New Year, Tết (${label.en})`);
    }
    add(dayOfSolar(hungKingsDate(year)), "Giỗ Tổ Hùng Vương (10/3 âm lịch)", "Hùng Kings' Commemoration Day (10th day of the 3rd lunar month)");
    add(dayOfSolar({ year, month: 4, day: 30 }), "Ngày Chiến thắng (30/4)", "Victory Day, Reunification Day (30 April)");
    add(dayOfSolar({ year, month: 5, day: 1 }), "Ngày Quốc tế lao động (1/5)", "International Labour Day (1 May)");
    const nationalDay = dayOfSolar({ year, month: 9, day: 2 });
    const adjacent = this.nationalDayAdjacent.get(year) ?? ruleNationalDayAdjacent(year);
    add(nationalDay, "Quốc khánh (2/9)", "National Day (2 September)");
    add(
      adjacent,
      `Quốc khánh (ngày liền kề ${adjacent < nationalDay ? "trước" : "sau"}, ${Number(isoOfDay(adjacent).slice(8))}/9)`,
      `National Day (adjacent day, ${Number(isoOfDay(adjacent).slice(8))} September)`,
    );
    statutory.sort((a, b) => a.day - b.day);

    const off = new Map<number, DayOff[]>();
    const daysOff: DayOff[] = [];
    const record = (day: number, entry: Omit<DayOff, "date">) => {
      const d: DayOff = { date: isoOfDay(day), ...entry };
      daysOff.push(d);
      off.set(day, [...(off.get(day) ?? []), d]);
    };
    for (const h of statutory) record(h.day, { name: h.name, kind: "holiday", source: LABOUR_CODE_112 });
    for (const d of this.extraDaysOff) {
      if (yearOfDay(d.day) === year) record(d.day, { name: d.name, kind: "announced", source: d.source });
    }
    const madeUp = new Map([...this.madeUpDays].filter(([day]) => yearOfDay(day) === year));
    const isFree = (day: number) => !off.has(day) && (!isWeekend(day) || madeUp.has(day));

    for (const h of statutory) {
      if (!isWeekend(h.day)) continue;
      let day = h.day + 1;
      while (!isFree(day)) day += 1;
      record(day, {
        name: { vi: `Nghỉ bù ${h.name.vi}`, en: `Compensatory day off for ${h.name.en}` },
        kind: "compensatory",
        source: LABOUR_CODE_111,
      });
    }
    daysOff.sort((a, b) => a.date.localeCompare(b.date));
    const table: YearTable = { daysOff, off, madeUp };
    this.years.set(year, table);
    return table;
  }
}

const localizedName = z.object({ vi: z.string().min(1), en: z.string().min(1) });
const isoDate = z.string().regex(ISO_DATE, "YYYY-MM-DD");
const overridesSchema = z
  .object({
    $comment: z.unknown().optional(),
    tetStart: z.record(z.string().regex(/^\d{4}$/), isoDate).optional(),
    nationalDayAdjacent: z.record(z.string().regex(/^\d{4}$/), isoDate).optional(),
    daysOff: z.array(z.object({ date: isoDate, name: localizedName, source: z.string().optional() })).optional(),
    workingDays: z.array(z.object({ date: isoDate, name: localizedName, source: z.string().optional() })).optional(),
  })
  .strict();

/**
 * Reads announcements from a JSON file shaped like `HolidayOverrides` (a `$comment` key is
 * allowed). A missing file means no overrides; a malformed one throws, naming the file.
 */
export function loadHolidayOverrides(file: string = HOLIDAY_OVERRIDES_FILE): HolidayOverrides {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  const parsed = overridesSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.message}`);
  const { $comment: _comment, ...overrides } = parsed.data;
  return overrides;
}

let defaultCalendar: WorkingCalendar | undefined;

/** The service's calendar: the rules, `OFFICIAL_ANNOUNCEMENTS`, then `data/holidays-overrides.json` (read once). */
export function defaultWorkingCalendar(): WorkingCalendar {
  defaultCalendar ??= new WorkingCalendar([OFFICIAL_ANNOUNCEMENTS, loadHolidayOverrides()]);
  return defaultCalendar;
}

/** Every day off of a year in the given calendar (default: the service's). See `WorkingCalendar.holidaysIn`. */
export function holidaysIn(year: number, calendar: WorkingCalendar = defaultWorkingCalendar()): DayOff[] {
  return calendar.holidaysIn(year);
}

/** Whether a day is a public-sector working day in Vietnam. See `WorkingCalendar.isWorkingDay`. */
export function isWorkingDay(date: Date | IsoDate, calendar: WorkingCalendar = defaultWorkingCalendar()): boolean {
  return calendar.isWorkingDay(date);
}

/** End of the n-th working day after the day of `start`. See `WorkingCalendar.addWorkingDays`. */
export function addWorkingDays(start: Date, n: number, calendar: WorkingCalendar = defaultWorkingCalendar()): Date {
  return calendar.addWorkingDays(start, n);
}

/** Working days after the day of `from` up to the day of `to`. See `WorkingCalendar.workingDaysBetween`. */
export function workingDaysBetween(from: Date, to: Date, calendar: WorkingCalendar = defaultWorkingCalendar()): number {
  return calendar.workingDaysBetween(from, to);
}

/** A deadline moved off a weekend or day off. See `WorkingCalendar.rollToWorkingDay`. */
export function rollToWorkingDay(deadline: Date, calendar: WorkingCalendar = defaultWorkingCalendar()): Date {
  return calendar.rollToWorkingDay(deadline);
}
