import { afterEach, describe, expect, it } from "vitest";
import {
  addVnDays,
  endOfVnDay,
  formatLocalDateTime,
  formatVnDate,
  formatVnDateTime,
  formatVnTime,
  parseLocalDateTime,
  startOfVnDay,
  vnDateOf,
  vnInstant,
  vnParts,
} from "../src/core/vnTime.ts";
import { vnReceipt } from "../src/core/vnTime.ts";

// The zone's own rules (tzdata through Intl) are the reference: the fixed +07:00 offset must agree
// with them on every instant since Vietnam last changed its clocks (13 June 1975).
const reference = new Intl.DateTimeFormat("en-US", {
  timeZone: "Asia/Ho_Chi_Minh",
  hourCycle: "h23",
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
});
function referenceParts(at: Date) {
  const f = Object.fromEntries(reference.formatToParts(at).filter((p) => p.type !== "literal").map((p) => [p.type, Number(p.value)]));
  return { year: f.year, month: f.month, day: f.day, hour: f.hour, minute: f.minute, second: f.second, millisecond: at.getUTCMilliseconds() };
}
/** How cards formatted dates and times before vnTime.ts (Intl, en-GB, 24-hour) and how receipts formatted dates (vi-VN). */
function referenceDateTime(at: Date): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}
const referenceDate = (at: Date) => at.toLocaleDateString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric" });

/** Instants from 1976 to 2100: pseudo-random ones, and each side of Vietnam's midnight and of UTC's. */
function instants(): Date[] {
  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const from = Date.UTC(1976, 0, 1);
  const to = Date.UTC(2100, 11, 31);
  const out: Date[] = [];
  for (let i = 0; i < 3000; i++) out.push(new Date(Math.floor(from + random() * (to - from))));
  for (let i = 0; i < 400; i++) {
    const day = Math.floor(from / 86_400_000 + random() * ((to - from) / 86_400_000)) * 86_400_000;
    for (const edge of [-7 * 3_600_000 - 1, -7 * 3_600_000, -1, 0, 17 * 3_600_000 - 1, 17 * 3_600_000]) out.push(new Date(day + edge));
  }
  return out;
}

describe("Vietnam local time", () => {
  it("agrees with the zone's rules on wall-clock parts, cards' and receipts' formats, and back to the instant", () => {
    for (const at of instants()) {
      const parts = vnParts(at);
      expect(parts, at.toISOString()).toEqual(referenceParts(at));
      expect(formatVnDateTime(at), at.toISOString()).toBe(referenceDateTime(at));
      expect(formatVnDate(at), at.toISOString()).toBe(referenceDate(at));
      expect(vnInstant(parts, parts.hour, parts.minute, parts.second, parts.millisecond).getTime()).toBe(at.getTime());
      const start = startOfVnDay(at);
      expect(referenceParts(start)).toMatchObject({ year: parts.year, month: parts.month, day: parts.day, hour: 0, minute: 0, second: 0 });
      expect(endOfVnDay(at).getTime() - start.getTime()).toBe(86_400_000 - 1);
      expect(startOfVnDay(vnDateOf(at)).getTime()).toBe(start.getTime());
    }
  });

  it("refuses an invalid instant and a malformed stored local time", () => {
    expect(() => vnParts(new Date(NaN))).toThrow(RangeError);
    expect(() => formatVnDate(new Date(NaN))).toThrow(RangeError);
    for (const bad of ["2026-02-29T08:00", "2026-12-25 08:00", "2026-12-25T24:00", "2026-13-01T08:00"]) expect(() => parseLocalDateTime(bad)).toThrow(RangeError);
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
    const offsets: Record<string, number> = { UTC: 0, "America/New_York": 300, "Asia/Ho_Chi_Minh": -420, "Pacific/Kiritimati": -840, "Pacific/Pago_Pago": 660 };
    expect(new Date(2026, 0, 1).getTimezoneOffset()).toBe(offsets[tz]); // the change took effect

    // 00:05 on Sunday 22/11/2026 in Vietnam is still Saturday in UTC and everywhere west of it.
    const justAfterMidnight = new Date("2026-11-21T17:05:00Z");
    expect(vnParts(justAfterMidnight)).toEqual({ year: 2026, month: 11, day: 22, hour: 0, minute: 5, second: 0, millisecond: 0 });
    expect(formatVnDateTime(justAfterMidnight)).toBe("22/11/2026 00:05");
    expect(formatVnDate(new Date("2026-12-31T16:59:59.999Z"))).toBe("31/12/2026");
    expect(formatVnDate(new Date("2026-12-31T17:00:00Z"))).toBe("01/01/2027");
    expect(formatVnTime(new Date("2026-07-01T01:30:00Z"))).toBe("08:30");
    expect(vnDateOf(justAfterMidnight)).toBe("2026-11-22");
    expect(vnInstant({ year: 2026, month: 11, day: 22 }, 0, 5).toISOString()).toBe("2026-11-21T17:05:00.000Z");
    expect(startOfVnDay("2026-09-02").toISOString()).toBe("2026-09-01T17:00:00.000Z");
    expect(endOfVnDay(justAfterMidnight).toISOString()).toBe("2026-11-22T16:59:59.999Z");
    expect(parseLocalDateTime("2027-01-01T07:00").toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(formatLocalDateTime(addVnDays({ year: 2028, month: 2, day: 28 }, 1), 8, 0)).toBe("2028-02-29T08:00");
  });
});

describe("the month, hour and weekday statistics group a tip by", () => {
  it("are Vietnam's, not UTC's: 23:30 UTC on Sunday 31 May 2026 is Monday 1 June, 06:30", () => {
    expect(vnReceipt(new Date("2026-05-31T23:30:00Z"))).toEqual({ month: "2026-06", hour: 6, weekday: 1 });
    expect(vnReceipt(new Date("2026-06-07T16:59:59Z"))).toEqual({ month: "2026-06", hour: 23, weekday: 7 });
  });
});
