import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  HOLIDAY_OVERRIDES_FILE,
  OFFICIAL_ANNOUNCEMENTS,
  WorkingCalendar,
  addCalendarDays,
  addCalendarMonths,
  addWorkingDays,
  defaultWorkingCalendar,
  endOfVnDay,
  holidaysIn,
  isWorkingDay,
  loadHolidayOverrides,
  startOfVnDay,
  vnDateOf,
  workingDaysBetween,
} from "../src/core/deadlines/calendar.ts";
import { hungKingsDate, lastDayOfLunarYear, lunarToSolar, solarToLunar, tetDate, type SolarDate } from "../src/core/deadlines/lunar.ts";
import { computeDeadlines, deadlineStatus, nextDeadline } from "../src/core/deadlines/tipDeadlines.ts";

/** The calendar as announced for 2025–2026, without the data file (so later edits to it cannot break these tests). */
const announced = new WorkingCalendar([OFFICIAL_ANNOUNCEMENTS]);
/** The bare rules, as for a year with no announcement yet. */
const rules = new WorkingCalendar();

/** An instant written with Vietnam's offset. */
const vn = (local: string) => new Date(`${local}+07:00`);
/** The deadline instant that ends a Vietnamese day. */
const endOf = (date: string) => vn(`${date}T23:59:59.999`);
const iso = (d: SolarDate) => `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;
/** Weekdays (Mon–Fri) off between two dates, and weekend days worked. */
function weekdaysOff(calendar: WorkingCalendar, from: string, to: string) {
  const off: string[] = [];
  const worked: string[] = [];
  for (let t = startOfVnDay(from).getTime(); t <= startOfVnDay(to).getTime(); t += 86_400_000) {
    const date = vnDateOf(new Date(t));
    const weekend = [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay());
    if (!weekend && !calendar.isWorkingDay(date)) off.push(date);
    if (weekend && calendar.isWorkingDay(date)) worked.push(date);
  }
  return { off, worked };
}

describe("lunar calendar (UTC+7)", () => {
  // Tết (mùng 1 tháng Giêng) and Giỗ Tổ Hùng Vương (10 tháng 3) in Vietnam, 2025–2035. Checked
  // against: the Government's holiday announcements (Tết 2025 = 29/1, Giỗ Tổ 2025 = 7/4, Tết 2026 =
  // 17/2, Giỗ Tổ 2026 = Sunday 26/4); the Chinese calendar of the `lunar-javascript` package, which
  // computes at UTC+8 with its own tables and agrees on every date below except Tết 2030; and Hồ
  // Ngọc Đức's calendar-rules page, which names 2030 as a year when Vietnam's Tết (2/2/2030)
  // comes a day before China's (3/2/2030), as in 2007 (17/2 vs 18/2).
  const table: Array<[year: number, tet: string, hungKings: string]> = [
    [2025, "2025-01-29", "2025-04-07"],
    [2026, "2026-02-17", "2026-04-26"],
    [2027, "2027-02-06", "2027-04-16"],
    [2028, "2028-01-26", "2028-04-04"],
    [2029, "2029-02-13", "2029-04-23"],
    [2030, "2030-02-02", "2030-04-12"],
    [2031, "2031-01-23", "2031-04-01"],
    [2032, "2032-02-11", "2032-04-19"],
    [2033, "2033-01-31", "2033-04-09"],
    [2034, "2034-02-19", "2034-04-28"],
    [2035, "2035-02-08", "2035-04-17"],
  ];

  it.each(table)("%i: Tết is %s and Giỗ Tổ Hùng Vương is %s", (year, tet, hungKings) => {
    expect(iso(tetDate(year))).toBe(tet);
    expect(iso(hungKingsDate(year))).toBe(hungKings);
    expect(solarToLunar(tetDate(year))).toEqual({ day: 1, month: 1, year, leap: false });
  });

  it("uses Vietnam's time zone where it differs from China's (Tết 2007, 2030, and 1985's month-early Tết)", () => {
    expect(iso(tetDate(2007))).toBe("2007-02-17");
    expect(iso(tetDate(2030))).toBe("2030-02-02");
    expect(iso(tetDate(1985))).toBe("1985-01-21");
  });

  it("knows whether the last day of the year is 29 or 30 tháng Chạp", () => {
    expect(lastDayOfLunarYear(2025)).toEqual({ date: { year: 2025, month: 1, day: 28 }, lunarDay: 29 });
    expect(lastDayOfLunarYear(2026)).toEqual({ date: { year: 2026, month: 2, day: 16 }, lunarDay: 29 });
    expect(lastDayOfLunarYear(2034)).toEqual({ date: { year: 2034, month: 2, day: 18 }, lunarDay: 30 });
  });

  it("converts every day of 2025–2035 to a lunar date and back", () => {
    for (let t = Date.UTC(2025, 0, 1); t <= Date.UTC(2035, 11, 31); t += 86_400_000) {
      const d = new Date(t);
      const solar = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
      expect(lunarToSolar(solarToLunar(solar))).toEqual(solar);
    }
  });

  it("places the 2031 leap month after the regular third month, so Giỗ Tổ stays in the first", () => {
    expect(solarToLunar({ year: 2031, month: 4, day: 30 })).toEqual({ day: 10, month: 3, year: 2031, leap: true });
    expect(lunarToSolar({ day: 10, month: 4, year: 2031, leap: true })).toBeUndefined();
  });
});

describe("public holidays", () => {
  it("2025 matches the announced schedule: Tết 27–31/1, Giỗ Tổ 7/4, 30/4–2/5 with Saturday 26/4 worked, 1–2/9", () => {
    expect(weekdaysOff(announced, "2025-01-01", "2025-12-31")).toEqual({
      off: ["2025-01-01", "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-04-07", "2025-04-30", "2025-05-01", "2025-05-02", "2025-09-01", "2025-09-02"],
      worked: ["2025-04-26"],
    });
  });

  it("2026 matches the announced schedule: 1–2/1 with Saturday 10/1 worked, Tết 16–20/2, nghỉ bù 27/4, 30/4–1/5, 31/8–2/9 with Saturday 22/8 worked", () => {
    expect(weekdaysOff(announced, "2026-01-01", "2026-12-31")).toEqual({
      off: ["2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-04-27", "2026-04-30", "2026-05-01", "2026-08-31", "2026-09-01", "2026-09-02"],
      worked: ["2026-01-10", "2026-08-22"],
    });
  });

  it("lists each day off with its Vietnamese and English name and its legal basis", () => {
    const days = announced.holidaysIn(2026);
    expect(days.find((d) => d.date === "2026-04-26")).toMatchObject({
      kind: "holiday",
      name: { vi: "Giỗ Tổ Hùng Vương (10/3 âm lịch)" },
      source: "Bộ luật Lao động 2019, Điều 112 khoản 1",
    });
    expect(days.find((d) => d.date === "2026-04-27")).toMatchObject({ kind: "compensatory", name: { vi: "Nghỉ bù Giỗ Tổ Hùng Vương (10/3 âm lịch)" } });
    expect(days.find((d) => d.date === "2026-02-16")?.name.vi).toBe("Tết Âm lịch (29 tháng Chạp)");
    expect(days.find((d) => d.date === "2026-02-17")?.name).toEqual({
      vi: "Tết Âm lịch (mùng 1 tháng Giêng)",
      en: "Lunar New Year, Tết (1st day of the 1st lunar month)",
    });
    expect(days.find((d) => d.date === "2026-01-02")).toMatchObject({ kind: "announced" });
    expect(days.map((d) => d.date)).toEqual([...days.map((d) => d.date)].sort());
    for (const d of holidaysIn(2027, rules)) expect(d.name.vi.length > 0 && d.name.en.length > 0).toBe(true);
  });

  it("without an announcement, Tết runs from the last day of the year to mùng 4, weekend days given back after it", () => {
    // 2026's announced span is exactly the rule's; 2025's was chosen differently (28 Chạp–mùng 3).
    expect(weekdaysOff(rules, "2026-02-01", "2026-02-28").off).toEqual(["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"]);
    expect(weekdaysOff(rules, "2025-01-20", "2025-02-10").off).toEqual(["2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03"]);
    // 2027: Tết on Saturday 6/2 → Friday 5/2 to Tuesday 9/2, then nghỉ bù Wednesday 10/2 and Thursday 11/2.
    expect(weekdaysOff(rules, "2027-02-01", "2027-02-28").off).toEqual(["2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"]);
  });

  it("gives a compensatory day for 2/9 on a weekend, after its adjacent day (2023 as announced; 2028)", () => {
    // 2023: 2/9 on Saturday — announced 1/9 (Friday) to 4/9 (Monday, nghỉ bù).
    expect(weekdaysOff(rules, "2023-08-25", "2023-09-10").off).toEqual(["2023-09-01", "2023-09-04"]);
    // 2028: 2/9 on Saturday again.
    expect(weekdaysOff(rules, "2028-08-25", "2028-09-10").off).toEqual(["2028-09-01", "2028-09-04"]);
    expect(rules.daysOffOn("2028-09-04")).toEqual([
      expect.objectContaining({ kind: "compensatory", name: { vi: "Nghỉ bù Quốc khánh (2/9)", en: "Compensatory day off for National Day (2 September)" } }),
    ]);
    // 2029: 2/9 on Sunday, 1/9 on Saturday → both given back on Monday 3/9 and Tuesday 4/9.
    expect(weekdaysOff(rules, "2029-08-25", "2029-09-10").off).toEqual(["2029-09-03", "2029-09-04"]);
    // 2027: 2/9 on Thursday → the adjacent day is Friday 3/9.
    expect(weekdaysOff(rules, "2027-08-25", "2027-09-10").off).toEqual(["2027-09-02", "2027-09-03"]);
  });

  it("gives back two holidays on one weekend on the next two working days (30/4–1/5 2022)", () => {
    expect(weekdaysOff(rules, "2022-04-25", "2022-05-08").off).toEqual(["2022-05-02", "2022-05-03"]);
  });

  it("does not treat 24/11 (Ngày Văn hóa Việt Nam) as a day off until the Labour Code is amended, but takes it from the overrides", () => {
    expect(isWorkingDay("2026-11-24")).toBe(true);
    const amended = new WorkingCalendar([
      OFFICIAL_ANNOUNCEMENTS,
      { daysOff: [{ date: "2026-11-24", name: { vi: "Ngày Văn hóa Việt Nam", en: "Vietnamese Culture Day" } }] },
    ]);
    expect(amended.isWorkingDay("2026-11-24")).toBe(false);
    expect(amended.addWorkingDays(vn("2026-11-23T10:00"), 1)).toEqual(endOf("2026-11-25"));
  });

  it("accepts a yearly announcement of the Tết span, the 2/9 adjacent day and a swapped Saturday", () => {
    const cal = new WorkingCalendar([
      {
        tetStart: { "2027": "2027-02-04" },
        nationalDayAdjacent: { "2027": "2027-09-01" },
        daysOff: [{ date: "2027-02-12", name: { vi: "Nghỉ hoán đổi", en: "Swapped day off" }, source: "test" }],
        workingDays: [{ date: "2027-02-20", name: { vi: "Làm bù", en: "Made-up day" }, source: "test" }],
      },
    ]);
    expect(weekdaysOff(cal, "2027-02-01", "2027-02-28")).toEqual({
      off: ["2027-02-04", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-12"],
      worked: ["2027-02-20"],
    });
    expect(weekdaysOff(cal, "2027-08-25", "2027-09-10").off).toEqual(["2027-09-01", "2027-09-02"]);
    expect(cal.madeUpWorkingDaysIn(2027)).toEqual([{ date: "2027-02-20", name: { vi: "Làm bù", en: "Made-up day" }, source: "test" }]);
  });

  it("refuses overrides that cannot be right", () => {
    expect(() => new WorkingCalendar([{ tetStart: { "2027": "2027-03-01" } }])).toThrow(RangeError);
    expect(() => new WorkingCalendar([{ nationalDayAdjacent: { "2027": "2027-09-04" } }])).toThrow(RangeError);
    expect(() => new WorkingCalendar([{ workingDays: [{ date: "2027-02-22", name: { vi: "x", en: "x" } }] }])).toThrow(/not a Saturday/);
    expect(() => isWorkingDay("2026-02-30")).toThrow(RangeError);
  });

  it("reads data/holidays-overrides.json, treats a missing file as none, and rejects a malformed one", () => {
    expect(() => loadHolidayOverrides(HOLIDAY_OVERRIDES_FILE)).not.toThrow();
    expect(defaultWorkingCalendar().isWorkingDay("2026-01-10")).toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "holidays-"));
    try {
      expect(loadHolidayOverrides(path.join(dir, "none.json"))).toEqual({});
      const good = path.join(dir, "good.json");
      fs.writeFileSync(good, JSON.stringify({ $comment: "x", daysOff: [{ date: "2027-11-24", name: { vi: "Ngày Văn hóa Việt Nam", en: "Vietnamese Culture Day" } }] }));
      expect(new WorkingCalendar([loadHolidayOverrides(good)]).isWorkingDay("2027-11-24")).toBe(false);
      const bad = path.join(dir, "bad.json");
      fs.writeFileSync(bad, JSON.stringify({ daysOff: [{ date: "24/11/2027" }] }));
      expect(() => loadHolidayOverrides(bad)).toThrow(/bad\.json/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("working-day arithmetic", () => {
  it("does not count the day of receipt, and skips the weekend", () => {
    expect(addWorkingDays(vn("2025-03-07T08:00"), 3, announced)).toEqual(endOf("2025-03-12")); // Friday → Wednesday
    expect(addWorkingDays(vn("2025-03-08T10:00"), 3, announced)).toEqual(endOf("2025-03-12")); // Saturday → Wednesday
    expect(addWorkingDays(vn("2025-03-10T07:00"), 3, announced)).toEqual(endOf("2025-03-13")); // Monday → Thursday
    expect(addWorkingDays(vn("2025-03-10T07:00"), 0, announced)).toEqual(endOf("2025-03-10"));
  });

  it("decides the day of receipt at midnight in Vietnam, not in UTC", () => {
    // 23:30 Thursday and 00:30 Friday in Vietnam are both Thursday in UTC.
    expect(addWorkingDays(vn("2025-03-06T23:30"), 3, announced)).toEqual(endOf("2025-03-11"));
    expect(addWorkingDays(vn("2025-03-07T00:30"), 3, announced)).toEqual(endOf("2025-03-12"));
    expect(endOf("2025-03-12").toISOString()).toBe("2025-03-12T16:59:59.999Z");
  });

  it("a tip received the Friday before Tết 2026 is due for a receipt notice on Wednesday 25/2", () => {
    expect(addWorkingDays(vn("2026-02-13T16:00"), 3, announced)).toEqual(endOf("2026-02-25"));
    expect(workingDaysBetween(vn("2026-02-13T16:00"), vn("2026-02-22T12:00"), announced)).toBe(0);
  });

  it("a tip received the Friday before Tết 2025 is due on Wednesday 5/2", () => {
    expect(addWorkingDays(vn("2025-01-24T09:00"), 3, announced)).toEqual(endOf("2025-02-05"));
  });

  it("skips 30/4–1/5 and the swapped 2/5 in 2025, and counts the made-up Saturday 26/4", () => {
    expect(addWorkingDays(vn("2025-04-29T09:00"), 3, announced)).toEqual(endOf("2025-05-07"));
    expect(addWorkingDays(vn("2025-04-25T09:00"), 3, announced)).toEqual(endOf("2025-04-29")); // Sat 26, Mon 28, Tue 29
    expect(isWorkingDay("2025-04-26", announced)).toBe(true);
  });

  it("skips Giỗ Tổ and its nghỉ bù, then 30/4–1/5, in 2026", () => {
    expect(addWorkingDays(vn("2026-04-29T09:00"), 3, announced)).toEqual(endOf("2026-05-06"));
    // Fri 24/4 → (Sun 26 Giỗ Tổ, Mon 27 nghỉ bù) Tue 28, Wed 29, (30/4, 1/5, weekend) Mon 4/5.
    expect(addWorkingDays(vn("2026-04-24T09:00"), 3, announced)).toEqual(endOf("2026-05-04"));
  });

  it("skips Giỗ Tổ Hùng Vương on a weekday (Monday 7/4/2025)", () => {
    expect(addWorkingDays(vn("2025-04-04T09:00"), 3, announced)).toEqual(endOf("2025-04-10"));
  });

  it("skips Quốc khánh and its adjacent day, and the 2026 swap", () => {
    expect(addWorkingDays(vn("2025-08-29T09:00"), 3, announced)).toEqual(endOf("2025-09-05"));
    expect(addWorkingDays(vn("2026-08-28T09:00"), 3, announced)).toEqual(endOf("2026-09-07"));
    expect(addWorkingDays(vn("2026-08-20T09:00"), 3, announced)).toEqual(endOf("2026-08-24")); // Fri 21, Sat 22 (made up), Mon 24
  });

  it("skips 2/9 on a Saturday with its nghỉ bù (2028)", () => {
    expect(addWorkingDays(vn("2028-08-31T09:00"), 3, rules)).toEqual(endOf("2028-09-07"));
  });

  it("carries across the new year (Tết Dương lịch 2026 with its swapped Friday)", () => {
    expect(addWorkingDays(vn("2025-12-31T15:00"), 3, announced)).toEqual(endOf("2026-01-07"));
  });

  it("counts working days between two instants as the inverse of addWorkingDays", () => {
    const starts = ["2025-01-24T09:00", "2025-04-25T23:59", "2026-02-13T16:00", "2026-08-20T00:00", "2028-08-31T12:00"].map(vn);
    for (const start of starts) {
      for (const n of [0, 1, 3, 10, 40]) {
        expect(workingDaysBetween(start, addWorkingDays(start, n, announced), announced)).toBe(n);
      }
    }
    expect(workingDaysBetween(vn("2025-03-12T10:00"), vn("2025-03-07T10:00"), announced)).toBe(-3);
  });

  it("adds calendar days and months in Vietnamese calendar terms", () => {
    expect(addCalendarDays(vn("2026-03-02T09:00"), 20)).toEqual(endOf("2026-03-22"));
    expect(addCalendarMonths(vn("2026-01-31T09:00"), 2)).toEqual(endOf("2026-03-31"));
    expect(addCalendarMonths(vn("2025-12-31T09:00"), 2)).toEqual(endOf("2026-02-28"));
    expect(addCalendarMonths(vn("2027-12-31T09:00"), 2)).toEqual(endOf("2028-02-29"));
    expect(addCalendarMonths(vn("2026-11-30T06:00"), 2)).toEqual(endOf("2027-01-30")); // 23:00 UTC on 29/11
    expect(endOfVnDay(vn("2026-03-02T00:00"))).toEqual(endOf("2026-03-02"));
  });
});

describe("the same answers whatever the machine's time zone", () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it.each(["UTC", "America/New_York", "Asia/Ho_Chi_Minh", "Pacific/Kiritimati", "Pacific/Pago_Pago"])("TZ=%s", (tz) => {
    process.env.TZ = tz;
    // The change took effect: local midnight of 1/1/2026 is where that zone puts it.
    const offsets: Record<string, number> = { UTC: 0, "America/New_York": 300, "Asia/Ho_Chi_Minh": -420, "Pacific/Kiritimati": -840, "Pacific/Pago_Pago": 660 };
    expect(new Date(2026, 0, 1).getTimezoneOffset()).toBe(offsets[tz]);

    const cal = new WorkingCalendar([OFFICIAL_ANNOUNCEMENTS]);
    expect(vnDateOf(new Date("2026-02-13T17:30:00Z"))).toBe("2026-02-14");
    expect(cal.addWorkingDays(new Date("2026-02-13T09:00:00Z"), 3).toISOString()).toBe("2026-02-25T16:59:59.999Z");
    expect(cal.addWorkingDays(new Date("2025-03-06T17:30:00Z"), 3).toISOString()).toBe("2025-03-12T16:59:59.999Z");
    expect(cal.isWorkingDay(new Date("2026-04-26T18:00:00Z"))).toBe(false); // Monday 27/4 01:00 in Vietnam, nghỉ bù
    expect(cal.isWorkingDay(new Date("2026-04-27T17:00:00Z"))).toBe(true); // Tuesday 28/4 00:00
    expect(cal.holidaysIn(2026).filter((d) => d.kind !== "holiday").map((d) => d.date)).toEqual(["2026-01-02", "2026-04-27", "2026-08-31"]);
    const d = computeDeadlines({ receivedAt: new Date("2025-12-31T17:30:00Z"), extension: "two_months", calendar: cal });
    expect(d.decisionDue.toISOString()).toBe("2026-03-01T16:59:59.999Z"); // received 1/1 00:30 → 1/3
    expect(d.receiptNoticeDue.toISOString()).toBe("2026-01-07T16:59:59.999Z"); // 1/1 and 2/1 off, weekend, then Mon 5, Tue 6, Wed 7
    expect(addCalendarMonths(new Date("2025-12-30T17:00:00Z"), 2).toISOString()).toBe("2026-02-28T16:59:59.999Z");
    expect(startOfVnDay("2026-09-02").toISOString()).toBe("2026-09-01T17:00:00.000Z");
  });
});

describe("tip deadlines", () => {
  const receivedAt = vn("2026-03-02T09:00"); // a Monday

  it("receipt notice: 3 working days; decision: 20 days; extension reminder: 5 days before the decision", () => {
    expect(computeDeadlines({ receivedAt, calendar: announced })).toEqual({
      receiptNoticeDue: endOf("2026-03-05"),
      decisionDue: endOf("2026-03-22"),
      extensionRequestBy: endOf("2026-03-17"),
    });
  });

  it("a tip received the Friday before Tết 2026: notice by 25/2, decision by 5/3", () => {
    expect(computeDeadlines({ receivedAt: vn("2026-02-13T16:00"), calendar: announced })).toEqual({
      receiptNoticeDue: endOf("2026-02-25"),
      decisionDue: endOf("2026-03-05"),
      extensionRequestBy: endOf("2026-02-28"),
    });
  });

  it("the commander's extension runs 2 months from receipt, and the procuracy request is due 5 days before it", () => {
    expect(computeDeadlines({ receivedAt: vn("2026-01-31T10:00"), extension: "two_months", calendar: announced })).toMatchObject({
      decisionDue: endOf("2026-03-31"),
      extensionRequestBy: endOf("2026-03-26"),
    });
    expect(computeDeadlines({ receivedAt: vn("2025-12-31T10:00"), extension: "two_months", calendar: announced })).toMatchObject({
      decisionDue: endOf("2026-02-28"),
      extensionRequestBy: endOf("2026-02-23"),
    });
  });

  it("the procuracy extends by up to 2 more months from the end of the 2 months; no further extension is possible", () => {
    const received = vn("2025-12-31T10:00");
    expect(computeDeadlines({ receivedAt: received, extension: "procuracy", calendar: announced })).toMatchObject({
      decisionDue: endOf("2026-04-28"),
      extensionRequestBy: null,
    });
    expect(computeDeadlines({ receivedAt: received, extension: "procuracy", procuracyMonths: 1, calendar: announced }).decisionDue).toEqual(endOf("2026-03-28"));
    expect(computeDeadlines({ receivedAt, extension: "procuracy", calendar: announced }).decisionDue).toEqual(endOf("2026-07-02"));
  });

  it("optionally moves a decision deadline off a rest day, as BLTTHS Điều 134 allows", () => {
    // 20 days after 2/3/2026 is Sunday 22/3; 2 months after 31/12/2025 is Saturday 28/2.
    expect(computeDeadlines({ receivedAt, rollOverRestDays: true, calendar: announced })).toMatchObject({
      decisionDue: endOf("2026-03-23"),
      extensionRequestBy: endOf("2026-03-18"),
    });
    expect(computeDeadlines({ receivedAt: vn("2025-12-31T10:00"), extension: "two_months", rollOverRestDays: true, calendar: announced }).decisionDue).toEqual(endOf("2026-03-02"));
    // 20 days after 10/4/2026 is Thursday 30/4, a holiday: then the next working day is Monday 4/5.
    expect(computeDeadlines({ receivedAt: vn("2026-04-10T10:00"), rollOverRestDays: true, calendar: announced }).decisionDue).toEqual(endOf("2026-05-04"));
  });

  it("a transferred tip keeps the clock of its first receipt", () => {
    const original = computeDeadlines({ receivedAt, calendar: announced });
    const transferredAt = vn("2026-03-12T15:00");
    // The receiving unit computes from the tip's original receivedAt, not from the transfer.
    const afterTransfer = computeDeadlines({ receivedAt, calendar: announced });
    expect(afterTransfer).toEqual(original);
    expect(afterTransfer.decisionDue).not.toEqual(computeDeadlines({ receivedAt: transferredAt, calendar: announced }).decisionDue);
    const next = nextDeadline(afterTransfer, transferredAt, { receiptNoticeSentAt: vn("2026-03-03T10:00") });
    expect(next).toMatchObject({ kind: "extension_request", due: endOf("2026-03-17") });
  });

  it("rejects an unknown extension or procuracy period", () => {
    expect(() => computeDeadlines({ receivedAt, procuracyMonths: 3 as 2, extension: "procuracy" })).toThrow(RangeError);
    expect(() => computeDeadlines({ receivedAt, extension: "forever" as "none" })).toThrow(RangeError);
  });
});

describe("deadline status", () => {
  const deadlines = computeDeadlines({ receivedAt: vn("2026-03-02T09:00"), calendar: announced });

  it("lists the pending deadlines soonest first, with time remaining", () => {
    const now = vn("2026-03-02T12:00");
    const status = deadlineStatus(deadlines, now);
    expect(status.map((s) => [s.kind, s.state])).toEqual([
      ["receipt_notice", "ok"],
      ["extension_request", "ok"],
      ["decision", "ok"],
    ]);
    expect(status[0]!.remainingMs).toBe(endOf("2026-03-05").getTime() - now.getTime());
  });

  it("marks a deadline approaching inside its window and overdue once past", () => {
    expect(nextDeadline(deadlines, vn("2026-03-05T08:00"))).toMatchObject({ kind: "receipt_notice", state: "approaching" });
    expect(nextDeadline(deadlines, vn("2026-03-05T23:59:59.999"))).toMatchObject({ state: "approaching", remainingMs: 0 });
    expect(nextDeadline(deadlines, vn("2026-03-06T00:00"))).toMatchObject({ kind: "receipt_notice", state: "overdue", remainingMs: -1 });
    const late = deadlineStatus(deadlines, vn("2026-03-20T10:00"), { receiptNoticeSentAt: vn("2026-03-04T10:00") });
    expect(late.map((s) => [s.kind, s.state])).toEqual([
      ["extension_request", "overdue"],
      ["decision", "approaching"],
    ]);
  });

  it("takes custom approaching windows", () => {
    const now = vn("2026-03-04T10:00");
    expect(nextDeadline(deadlines, now)?.state).toBe("ok");
    expect(nextDeadline(deadlines, now, {}, { receipt_notice: 3 * 86_400_000 })?.state).toBe("approaching");
  });

  it("drops what has been done: the notice once sent, the decision and extension once decided", () => {
    const now = vn("2026-03-10T10:00");
    expect(deadlineStatus(deadlines, now, { receiptNoticeSentAt: vn("2026-03-03T10:00") }).map((s) => s.kind)).toEqual(["extension_request", "decision"]);
    expect(deadlineStatus(deadlines, now, { decidedAt: vn("2026-03-09T10:00") }).map((s) => s.kind)).toEqual(["receipt_notice"]);
    expect(nextDeadline(deadlines, now, { receiptNoticeSentAt: now, decidedAt: now })).toBeUndefined();
  });

  it("has no extension reminder after the procuracy's extension", () => {
    const extended = computeDeadlines({ receivedAt: vn("2026-03-02T09:00"), extension: "procuracy", calendar: announced });
    expect(deadlineStatus(extended, vn("2026-06-30T10:00"), { receiptNoticeSentAt: vn("2026-03-03T10:00") })).toEqual([
      { kind: "decision", due: endOf("2026-07-02"), state: "approaching", remainingMs: endOf("2026-07-02").getTime() - vn("2026-06-30T10:00").getTime() },
    ]);
  });
});
