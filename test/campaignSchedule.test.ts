import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import * as schedule from "../src/core/campaigns/schedule.ts";
import type { CampaignSchedule, QuietHours } from "../src/core/campaigns/schedule.ts";

// Every case is plain data (a function name, its arguments, the expected answer), so the same list
// runs here and in child processes started with other TZ values. Instants are written as Vietnam
// wall-clock times and travel as { $date: ISO string } so that no side reads them in its own zone.

type Instant = { $date: string };
type Api = Pick<typeof schedule, "parseSchedule" | "nextRun" | "isQuiet" | "nextAllowed" | "scheduleSummary">;
type Case = { name: string; fn: keyof Api; args: unknown[]; expected: unknown };

/** A Vietnam wall-clock time "YYYY-MM-DD HH:mm[:ss]" as an instant (Vietnam is UTC+7 all year). */
function vn(local: string): Instant {
  const [date, time] = local.split(" ");
  const seconds = time!.length === 5 ? `${time}:00` : time;
  return { $date: new Date(`${date}T${seconds}+07:00`).toISOString() };
}

const SUNDAY_MORNING = vn("2026-11-22 10:00"); // 22/11/2026 is a Sunday.
const weeklyMonday: CampaignSchedule = { kind: "recurring", cron: "0 8 * * 1" };
const daily0730: CampaignSchedule = { kind: "recurring", cron: "30 7 * * *" };
const lunch: QuietHours = { start: "12:00", end: "13:30" };

const ok = (s: CampaignSchedule) => ({ ok: true, schedule: s });
const error = (e: string) => ({ ok: false, error: e });
const parse = (name: string, text: string, expected: unknown, now: Instant = SUNDAY_MORNING): Case => ({ name, fn: "parseSchedule", args: [text, now], expected });
const next = (name: string, s: CampaignSchedule, after: Instant, expected: Instant | null, quiet?: QuietHours): Case => ({
  name,
  fn: "nextRun",
  args: quiet ? [s, after, quiet] : [s, after],
  expected,
});
const quietAt = (name: string, at: Instant, expected: boolean, quiet?: QuietHours): Case => ({ name, fn: "isQuiet", args: quiet ? [at, quiet] : [at], expected });
const allowed = (name: string, at: Instant, expected: Instant, quiet?: QuietHours): Case => ({
  name,
  fn: "nextAllowed",
  args: quiet ? [at, quiet] : [at],
  expected,
});
const summary = (name: string, s: CampaignSchedule, key: string, params: Record<string, string>): Case => ({
  name,
  fn: "scheduleSummary",
  args: [s],
  expected: { key, params },
});

const CASES: Case[] = [
  // What staff type.
  parse('"now", "ngay" and "bây giờ" send now', "now", ok({ kind: "now" })),
  parse('"ngay" is now', "ngay", ok({ kind: "now" })),
  parse('"Bây giờ" is now', "Bây giờ", ok({ kind: "now" })),
  parse('"25/12/2026 08:00" is a one-off', "25/12/2026 08:00", ok({ kind: "once", at: "2026-12-25T08:00" })),
  parse('"2026-12-25 08:00" is a one-off', "2026-12-25 08:00", ok({ kind: "once", at: "2026-12-25T08:00" })),
  parse('"25/12 8h" is this year\'s 25 December', "25/12 8h", ok({ kind: "once", at: "2026-12-25T08:00" })),
  parse('"25/12 8h" typed on 26 December is next year\'s', "25/12 8h", ok({ kind: "once", at: "2027-12-25T08:00" }), vn("2026-12-26 09:00")),
  parse('"mai 8:00" is tomorrow morning', "mai 8:00", ok({ kind: "once", at: "2026-11-23T08:00" })),
  parse('"tomorrow 08:00" is tomorrow morning', "tomorrow 08:00", ok({ kind: "once", at: "2026-11-23T08:00" })),
  parse('"8 giờ tối nay" is 20:00 today', "8 giờ tối nay", ok({ kind: "once", at: "2026-11-22T20:00" })),
  parse('"lúc 8 giờ 30 ngày 25 tháng 12" reads the Vietnamese date', "lúc 8 giờ 30 ngày 25 tháng 12", ok({ kind: "once", at: "2026-12-25T08:30" })),
  parse("a one-off late on the evening before midnight is read in Vietnam time", "22/11/2026 23:30", ok({ kind: "once", at: "2026-11-22T23:30" })),
  parse('"mỗi thứ Hai 08:00" is every Monday', "mỗi thứ Hai 08:00", ok(weeklyMonday)),
  parse('"moi thu 2 8h" (no diacritics) is every Monday', "moi thu 2 8h", ok(weeklyMonday)),
  parse('"every Monday 08:00" is every Monday', "every Monday 08:00", ok(weeklyMonday)),
  parse('"hằng ngày 07:30" is daily', "hằng ngày 07:30", ok(daily0730)),
  parse('"daily 07:30" is daily', "daily 07:30", ok(daily0730)),
  parse('"ngày 1 hằng tháng 09:00" is monthly', "ngày 1 hằng tháng 09:00", ok({ kind: "recurring", cron: "0 9 1 * *" })),
  parse('"monthly on the 1st 09:00" is monthly', "monthly on the 1st 09:00", ok({ kind: "recurring", cron: "0 9 1 * *" })),
  parse('"cuối mỗi tháng 17h" is the last day of each month', "cuối mỗi tháng 17h", ok({ kind: "recurring", cron: "0 17 L * *" })),
  parse('a raw cron "0 8 * * 1" is accepted', "0 8 * * 1", ok(weeklyMonday)),
  parse('"… đến 31/12/2026" ends after that whole day', "mỗi thứ Hai 08:00 đến 31/12/2026", ok({ ...weeklyMonday, until: "2026-12-31T23:59" })),
  parse('"… until 2026-12-31 12:00" ends at that time', "every Monday 08:00 until 2026-12-31 12:00", ok({ ...weeklyMonday, until: "2026-12-31T12:00" })),

  // Refused input.
  parse("text that is no schedule is a bad date", "hello", error("bad_date")),
  parse("31 February does not exist", "31/02/2027 08:00", error("bad_date")),
  parse("a date without a time is refused", "25/12/2026", error("bad_date")),
  parse("25h is no time", "25/12 25h", error("bad_date")),
  parse("a one-off in the past is refused", "21/11/2026 08:00", error("in_the_past")),
  parse("a time already passed today is refused", "09:00", error("in_the_past")),
  parse("every hour is too frequent", "mỗi giờ", error("too_frequent")),
  parse("every 30 minutes is too frequent", "every 30 minutes", error("too_frequent")),
  parse("twice a day in words is too frequent", "hằng ngày 7h và 17h", error("too_frequent")),
  parse("a cron every 5 minutes is too frequent", "*/5 * * * *", error("too_frequent")),
  parse("a cron twice a day is too frequent", "0 8,17 * * *", error("too_frequent")),
  parse("a cron with minute 60 is a bad cron", "60 8 * * *", error("bad_cron")),
  parse("a cron that never runs (31 February) is a bad cron", "0 8 31 2 *", error("bad_cron")),
  parse('"mỗi tuần" without a day and time is a bad cron', "mỗi tuần", error("bad_cron")),
  parse("a recurrence that ended in the past is refused", "every Monday 08:00 until 01/01/2020", error("in_the_past")),
  parse("a recurrence that ends before its first run is a bad cron", "every Monday 08:00 until 23/11/2026 07:00", error("bad_cron")),

  // One-off and now.
  next("a one-off in the future runs at its time", { kind: "once", at: "2026-12-25T08:00" }, SUNDAY_MORNING, vn("2026-12-25 08:00")),
  next("a one-off in the past never runs", { kind: "once", at: "2026-11-20T08:00" }, SUNDAY_MORNING, null),
  next("a one-off at 22:30 waits until 07:00 the next day", { kind: "once", at: "2026-11-22T22:30" }, SUNDAY_MORNING, vn("2026-11-23 07:00")),
  next("a one-off held by quiet hours still runs when recomputed at 23:00", { kind: "once", at: "2026-11-22T22:30" }, vn("2026-11-22 23:00"), vn("2026-11-23 07:00")),
  next('"now" runs at once outside quiet hours', { kind: "now" }, vn("2026-11-22 10:00:15"), vn("2026-11-22 10:00:15")),
  next('"now" at 22:30 waits until 07:00', { kind: "now" }, vn("2026-11-22 22:30"), vn("2026-11-23 07:00")),

  // Recurring.
  next("every Monday 08:00 from Sunday 23:30 runs the next morning", weeklyMonday, vn("2026-11-22 23:30"), vn("2026-11-23 08:00")),
  next("every Monday 08:00 from Monday 08:00:01 runs the next week", weeklyMonday, vn("2026-11-23 08:00:01"), vn("2026-11-30 08:00")),
  next("every Monday 08:00 at Monday 08:00 sharp runs then", weeklyMonday, vn("2026-11-23 08:00"), vn("2026-11-23 08:00")),
  next("daily 07:30 after 07:30 runs tomorrow", daily0730, SUNDAY_MORNING, vn("2026-11-23 07:30")),
  next("daily 07:30 at 06:00 runs today", daily0730, vn("2026-11-22 06:00"), vn("2026-11-22 07:30")),
  next("monthly on the 1st runs on the 1st of next month", { kind: "recurring", cron: "0 9 1 * *" }, SUNDAY_MORNING, vn("2026-12-01 09:00")),
  next("monthly on the 1st crosses the new year", { kind: "recurring", cron: "0 9 1 * *" }, vn("2026-12-31 10:00"), vn("2027-01-01 09:00")),
  next("the last day of the month in February is the 28th", { kind: "recurring", cron: "0 17 L * *" }, vn("2027-02-10 10:00"), vn("2027-02-28 17:00")),
  next("daily 22:00 is held until 07:00 the next day", { kind: "recurring", cron: "0 22 * * *" }, SUNDAY_MORNING, vn("2026-11-23 07:00")),
  next("a held run is still due when recomputed inside quiet hours", { kind: "recurring", cron: "0 22 * * *" }, vn("2026-11-23 06:00"), vn("2026-11-23 07:00")),
  next("after a held run started, the next is the following morning", { kind: "recurring", cron: "0 22 * * *" }, vn("2026-11-23 07:00:01"), vn("2026-11-24 07:00")),
  next("a run at 12:15 waits for the end of a 12:00–13:30 window", { kind: "recurring", cron: "15 12 * * *" }, SUNDAY_MORNING, vn("2026-11-22 13:30"), lunch),
  next("until includes a run exactly at its time", { ...weeklyMonday, until: "2026-11-30T08:00" }, vn("2026-11-23 08:00:01"), vn("2026-11-30 08:00")),
  next("after until, a recurrence has ended", { ...weeklyMonday, until: "2026-11-30T08:00" }, vn("2026-11-30 08:00:01"), null),
  next("until a date stops the runs after it", { ...daily0730, until: "2026-11-23T23:59" }, vn("2026-11-23 08:00"), null),

  // Quiet hours (default 21:00–07:00).
  quietAt("22:30 is quiet", vn("2026-11-22 22:30"), true),
  allowed("22:30 is held until 07:00 the next day", vn("2026-11-22 22:30"), vn("2026-11-23 07:00")),
  allowed("22:30 on New Year's Eve is held until 07:00 on 1 January", vn("2026-12-31 22:30"), vn("2027-01-01 07:00")),
  allowed("00:30 is held until 07:00 the same day", vn("2026-11-23 00:30"), vn("2026-11-23 07:00")),
  allowed("06:59 is held until 07:00", vn("2026-11-23 06:59"), vn("2026-11-23 07:00")),
  quietAt("06:59:59 is quiet", vn("2026-11-23 06:59:59"), true),
  quietAt("07:00 is allowed", vn("2026-11-23 07:00"), false),
  allowed("07:00 is sent as it is", vn("2026-11-23 07:00"), vn("2026-11-23 07:00")),
  quietAt("20:59 is allowed", vn("2026-11-22 20:59"), false),
  allowed("20:59:59 is sent as it is", vn("2026-11-22 20:59:59"), vn("2026-11-22 20:59:59")),
  quietAt("21:00 is quiet", vn("2026-11-22 21:00"), true),
  quietAt("12:10 is inside a 12:00–13:30 window", vn("2026-11-22 12:10"), true, lunch),
  allowed("12:10 waits until 13:30 in a 12:00–13:30 window", vn("2026-11-22 12:10"), vn("2026-11-22 13:30"), lunch),
  quietAt("13:30 ends a 12:00–13:30 window", vn("2026-11-22 13:30"), false, lunch),
  quietAt("11:59 is before a 12:00–13:30 window", vn("2026-11-22 11:59"), false, lunch),
  quietAt("22:30 is allowed with a 12:00–13:30 window", vn("2026-11-22 22:30"), false, lunch),
  quietAt("a window that starts where it ends is no window", vn("2026-11-22 22:30"), false, { start: "07:00", end: "07:00" }),

  // Summaries for the preview.
  summary("now is summarised", { kind: "now" }, "campaign:schedule.now", {}),
  summary("a one-off shows its Vietnam date and time", { kind: "once", at: "2026-12-25T08:00" }, "campaign:schedule.once", { date: "25/12/2026", time: "08:00" }),
  summary("daily shows its time", daily0730, "campaign:schedule.daily", { time: "07:30" }),
  summary("weekly shows its weekday", weeklyMonday, "campaign:schedule.weekly", { day: "monday", time: "08:00" }),
  summary("cron Sunday as 7 is Sunday", { kind: "recurring", cron: "0 9 * * 7" }, "campaign:schedule.weekly", { day: "sunday", time: "09:00" }),
  summary("monthly shows its day", { kind: "recurring", cron: "0 9 1 * *" }, "campaign:schedule.monthly", { day: "1", time: "09:00" }),
  summary("the last day of the month has its own key", { kind: "recurring", cron: "0 17 L * *" }, "campaign:schedule.monthly_last", { time: "17:00" }),
  summary("any other cron is shown as it is", { kind: "recurring", cron: "0 8 * * 1-5" }, "campaign:schedule.cron", { cron: "0 8 * * 1-5" }),
  summary("an end adds _until and its date and time", { ...weeklyMonday, until: "2026-12-31T23:59" }, "campaign:schedule.weekly_until", {
    day: "monday",
    time: "08:00",
    untilDate: "31/12/2026",
    untilTime: "23:59",
  }),
];

const revive = (v: unknown) => (v !== null && typeof v === "object" && "$date" in v ? new Date((v as Instant).$date) : v);
const encode = (v: unknown) => (v instanceof Date ? { $date: v.toISOString() } : v);

function run(api: Api, c: Case): unknown {
  return encode((api[c.fn] as (...args: unknown[]) => unknown)(...c.args.map(revive)));
}

describe("campaign schedules, Asia/Ho_Chi_Minh", () => {
  for (const c of CASES) it(c.name, () => expect(run(schedule, c)).toEqual(c.expected));

  it("a malformed stored schedule is an error, not a silent skip", () => {
    const after = new Date();
    expect(() => schedule.nextRun({ kind: "once", at: "25/12/2026 08:00" }, after)).toThrow(RangeError);
    expect(() => schedule.nextRun({ kind: "recurring", cron: "every day" }, after)).toThrow(RangeError);
    expect(() => schedule.isQuiet(after, { start: "9pm", end: "07:00" })).toThrow(RangeError);
  });

  it("a one-off parsed at any instant starts when nextRun says, in Vietnam time", () => {
    const now = new Date(vn("2026-11-22 10:00").$date);
    const parsed = schedule.parseSchedule("mai 8:00", now);
    expect(parsed.ok && schedule.nextRun(parsed.schedule, now)?.toISOString()).toBe(vn("2026-11-23 08:00").$date);
    expect(schedule.localDateTimeParams(new Date(vn("2026-11-23 07:05").$date))).toEqual({ date: "23/11/2026", time: "07:05" });
  });
});

// The child reads the cases on stdin, runs them against the module and prints the answers, with
// the offset its own clock reports, to show that its TZ really differs.
const CHILD = String.raw`
const api = await import(process.env.SCHEDULE_MODULE);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const revive = (v) => (v !== null && typeof v === "object" && "$date" in v ? new Date(v.$date) : v);
const encode = (v) => (v instanceof Date ? { $date: v.toISOString() } : v);
const results = JSON.parse(input).map((c) => encode(api[c.fn](...c.args.map(revive))));
process.stdout.write(JSON.stringify({ offset: new Date("2026-07-01T00:00:00Z").getTimezoneOffset(), results }));
`;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function runInTimeZone(tz: string): Promise<{ offset: number; results: unknown[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], {
      cwd: ROOT,
      env: { ...process.env, TZ: tz, SCHEDULE_MODULE: pathToFileURL(path.join(ROOT, "src/core/campaigns/schedule.ts")).href },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`TZ=${tz} exited ${code}: ${err}`))));
    child.stdin.end(JSON.stringify(CASES.map(({ fn, args }) => ({ fn, args }))));
  });
}

describe("the same answers whatever the machine's time zone", () => {
  // Minutes behind UTC on 1 July 2026, as Date#getTimezoneOffset reports them.
  const ZONES: Record<string, number> = { UTC: 0, "America/New_York": 240, "Asia/Tokyo": -540 };
  const answers: Record<string, { offset: number; results: unknown[] }> = {};

  beforeAll(async () => {
    const runs = await Promise.all(Object.keys(ZONES).map(async (tz) => [tz, await runInTimeZone(tz)] as const));
    for (const [tz, result] of runs) answers[tz] = result;
  });

  for (const [tz, offset] of Object.entries(ZONES)) {
    it(`TZ=${tz}`, () => {
      expect(answers[tz]!.offset).toBe(offset);
      const byName = (results: unknown[]) => Object.fromEntries(CASES.map((c, i) => [c.name, results[i]]));
      expect(byName(answers[tz]!.results)).toEqual(byName(CASES.map((c) => c.expected)));
    });
  }
});
