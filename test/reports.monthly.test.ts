import { execFile } from "node:child_process";
import crypto from "node:crypto";
import { promisify } from "node:util";
import { fromRoot } from "../src/paths.ts";
import { Cron } from "croner";
import { loadConfig } from "../src/config.ts";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../src/db/client.ts";
import { VN_TIME_ZONE, vnInstant } from "../src/core/vnTime.ts";
import type { MonthlySummary } from "../src/core/reports/monthly.ts";
import { monthlyReportChart } from "../src/core/reports/monthlyContent.ts";
import { createTranslator } from "../src/i18n.ts";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { ZaloRenderer } from "../src/channels/zalo/render.ts";
import { WebRenderer } from "../src/channels/web/render.ts";
import { FakeTelegramApi, tgShownText, uploadedBytes, type FakeCall } from "./fakes/telegramApi.ts";
import { FAST_RATES, eventually, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { seedTip } from "./helpers/reports.ts";
import { bindGroup } from "./helpers/officers.ts";

/*
 * The monthly report: seeded tips across two months and several units → each bound commune group
 * and province duty group gets a PNG chart (a real PNG, uploaded) with a translated summary; the
 * figures (tips, legal deadlines met, categories, the month before) are right, counts of 1–2 show as
 * "<3", months follow Vietnam time, a unit is reported on once per month (running again posts
 * nothing), an unbound commune gets none, an unbound province duty office's report is stored and
 * posted once a group is bound, and a restart between storing and sending loses nothing.
 */

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const GROUP_A = -3101; // Phường Hoàn Kiếm (00070), Vietnamese
const GROUP_B = -3102; // Phường Ba Đình (00004), Khmer
const GROUP_P = -3103; // Hà Nội duty office (01), English
const GROUP_HCM = -3104; // Hồ Chí Minh City duty office (79), bound later
const MAY = "2026-05";
/** The run: 1 June 2026, 07:00 in Vietnam (the schedule's time). */
const RUN_AT = vnInstant({ year: 2026, month: 6, day: 1 }, 7);

/** A Vietnam wall-clock instant. */
const vn = (month: number, day: number, hour = 9, minute = 0) => vnInstant({ year: 2026, month, day }, hour, minute);

const photosTo = (tg: FakeTelegramApi, group: number) => tg.delivered(group).filter((c) => c.method === "sendPhoto");

/** The PNG a sendPhoto call uploaded (multipart), checked to be a real PNG. */
async function uploadedPng(call: FakeCall): Promise<{ bytes: Buffer; width: number; height: number }> {
  const bytes = uploadedBytes(call.payload, "photo");
  expect(bytes, "the photo was uploaded as a file").toBeDefined();
  expect(bytes!.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  const meta = await sharp(bytes!).metadata();
  expect(meta.format).toBe("png");
  return { bytes: bytes!, width: meta.width!, height: meta.height! };
}

async function report(db: Db, unitKind: string, unitCode: string) {
  return db.monthlyReport.findUnique({ where: { month_unitKind_unitCode: { month: MAY, unitKind, unitCode } } });
}

describe("the monthly report", () => {
  let tg: FakeTelegramApi;
  let t: TestApp;
  let nameA: string;

  beforeAll(async () => {
    tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
    await tg.listen();
    t = await startTestApp({ telegram: tg, env: { ...FAST_RATES, MONTHLY_REPORT_SCHEDULE: "off" }, referenceData: true });
    await bindGroup(t.db, "commune:00070", GROUP_A, "vi");
    await bindGroup(t.db, "commune:00004", GROUP_B, "km");
    await bindGroup(t.db, "province:01", GROUP_P, "en");
    nameA = (await t.db.queue.findUniqueOrThrow({ where: { id: "commune:00070" } })).name;
    const db = t.db;
    const A = "commune:00070";
    // May in Hoàn Kiếm: 9 tips. Receipt notices: 6 met, 2 missed (one late, one never sent), 1 not yet due.
    // Decisions: 2 met, 3 missed (one closed late, two open past their date), 4 not yet due.
    await seedTip(db, { queueId: A, category: "drugs", receivedAt: vn(5, 2), receiptSentAt: vn(5, 2, 10), closedAt: vn(5, 10) });
    await seedTip(db, { queueId: A, category: "drugs", receivedAt: vn(5, 3), receiptSentAt: vn(5, 3, 10), closedAt: vn(5, 30) });
    await seedTip(db, { queueId: A, category: "drugs", receivedAt: vn(5, 4), receiptSentAt: vn(5, 20) });
    await seedTip(db, { queueId: A, category: "drugs", receivedAt: vn(5, 5) });
    await seedTip(db, { queueId: A, category: "drugs", receivedAt: vn(5, 20), receiptSentAt: vn(5, 20, 10) });
    await seedTip(db, { queueId: A, category: "theft", receivedAt: vn(5, 21), receiptSentAt: vn(5, 21, 10) });
    await seedTip(db, { queueId: A, category: "theft", receivedAt: vn(5, 22), receiptSentAt: vn(5, 22, 10) });
    // The month's edges in Vietnam time: 31 May 23:59 (UTC: 16:59 on the 31st) and 1 May 00:30 (UTC: still 30 April).
    await seedTip(db, { queueId: A, category: "online_fraud", receivedAt: vn(5, 31, 23, 59) });
    await seedTip(db, { queueId: A, category: "gambling", receivedAt: vn(5, 1, 0, 30), receiptSentAt: vn(5, 1, 8), closedAt: vn(5, 15) });
    // Outside May: 1 June 00:00 and 31 March 23:59 in Vietnam (both inside May / April in UTC terms of their neighbours).
    await seedTip(db, { queueId: A, category: "drugs", receivedAt: vn(6, 1, 0, 0) });
    await seedTip(db, { queueId: A, category: "drugs", receivedAt: vn(3, 31, 23, 59) });
    // April in Hoàn Kiếm: 7 tips, every receipt notice on time; 3 decisions on time, 4 missed.
    for (const day of [10, 11, 12]) await seedTip(db, { queueId: A, category: "drugs", receivedAt: vn(4, day), receiptSentAt: vn(4, day, 10), closedAt: vn(4, 20) });
    for (const at of [vn(4, 1, 0, 0), vn(4, 2), vn(4, 3), vn(4, 6)]) await seedTip(db, { queueId: A, category: "theft", receivedAt: at, receiptSentAt: new Date(at.getTime() + 3600_000) });
    // Ba Đình (group in Khmer): 3 thefts in May, nothing in April; decisions not yet due.
    for (const day of [25, 26, 27]) await seedTip(db, { queueId: "commune:00004", category: "theft", receivedAt: vn(5, day), receiptSentAt: vn(5, day, 10) });
    // Ngọc Hà (no group bound): 2 drug tips; the province duty office itself: 1 other.
    for (const day of [25, 26]) await seedTip(db, { queueId: "commune:00008", category: "drugs", receivedAt: vn(5, day), receiptSentAt: vn(5, day, 10) });
    await seedTip(db, { queueId: "province:01", category: "other", receivedAt: vn(5, 26), receiptSentAt: vn(5, 26, 10) });
    // Hồ Chí Minh City (no group yet): 4 frauds.
    for (const day of [5, 6, 7, 8]) await seedTip(db, { queueId: "province:79", category: "online_fraud", receivedAt: vn(5, day), receiptSentAt: vn(5, day, 10) });
    await waitIdle(t);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await tg?.close();
  });

  it("makes every unit's report of the month before (Vietnam time): figures, the month before, small counts held back", async () => {
    const run = await t.app.runMonthlyReport(undefined, RUN_AT);
    expect(run.month).toBe(MAY);
    // 2 bound communes + 34 province duty offices; 3 of them have a group.
    expect(run).toMatchObject({ units: 36, created: 36, posted: 3, unchanged: 0 });

    const a = await report(t.db, "commune", "00070");
    expect(a?.postedAt?.getTime()).toBe(RUN_AT.getTime());
    const summary = JSON.parse(a!.summary) as MonthlySummary;
    expect(summary).toEqual({
      version: 1,
      month: MAY,
      previousMonth: "2026-04",
      unit: { kind: "commune", code: "00070", name: nameA },
      asOf: RUN_AT.toISOString(),
      tips: { current: 9, previous: 7 },
      receipt: {
        current: { met: 6, breached: "<3", pending: "<3", percent: 75 },
        previous: { met: 7, breached: 0, pending: 0, percent: 100 },
      },
      decision: {
        current: { met: "<3", breached: 3, pending: 4, percent: 40 },
        previous: { met: 3, breached: 4, pending: 0, percent: 43 },
      },
      categories: [
        { category: "drugs", current: 5, previous: 3 },
        { category: "theft", current: "<3", previous: 4 },
        { category: "gambling", current: "<3", previous: 0 },
        { category: "online_fraud", current: "<3", previous: 0 },
      ],
    });
    // Nothing of 1–2 appears as a number anywhere in a stored report.
    for (const row of await t.db.monthlyReport.findMany({ where: { month: MAY } })) {
      expect(row.summary).not.toMatch(/"(current|previous|met|breached|pending)":[12][,}]/);
    }

    const province = JSON.parse((await report(t.db, "province", "01"))!.summary) as MonthlySummary;
    expect(province.tips).toEqual({ current: 15, previous: 7 });
    expect(province.categories).toEqual([
      { category: "drugs", current: 7, previous: 3 },
      { category: "theft", current: 5, previous: 4 },
      { category: "gambling", current: "<3", previous: 0 },
      { category: "online_fraud", current: "<3", previous: 0 },
      { category: "other", current: "<3", previous: 0 },
    ]);
    expect(province.receipt.current).toEqual({ met: 12, breached: "<3", pending: "<3", percent: 86 });
    expect(province.decision.current).toEqual({ met: "<3", breached: 3, pending: 10, percent: 40 });
    const b = JSON.parse((await report(t.db, "commune", "00004"))!.summary) as MonthlySummary;
    expect(b.tips).toEqual({ current: 3, previous: 0 });
    expect(b.decision.current.percent).toBeNull();

    // An unbound commune gets no report; an unbound province duty office's is stored, not posted.
    expect(await report(t.db, "commune", "00008")).toBeNull();
    const hcm = await report(t.db, "province", "79");
    expect(hcm?.postedAt).toBeNull();
    expect((JSON.parse(hcm!.summary) as MonthlySummary).tips.current).toBe(4);
    expect(await t.db.auditEvent.count({ where: { action: "report.monthly_posted" } })).toBe(3);
    expect(await t.db.auditEvent.count({ where: { action: "report.monthly_stored" } })).toBe(33);
  });

  it("each bound group receives the chart as an uploaded PNG with the summary in its language", async () => {
    const photoA = await eventually(() => photosTo(tg, GROUP_A)[0], 15_000, "the report in Hoàn Kiếm's group");
    const png = await uploadedPng(photoA);
    expect(png.width).toBe(800);
    expect(png.height).toBeGreaterThan(200);
    expect(png.bytes.length).toBeGreaterThan(5_000);
    const caption = tgShownText(photoA.payload);
    for (const line of [
      `📊 Báo cáo tháng 05/2026 — ${nameA}`,
      "Tin báo tiếp nhận: 9 (tháng trước: 7)",
      "Thông báo tiếp nhận đúng hạn: 75% (tháng trước: 100%)",
      "Ra quyết định giải quyết đúng hạn: 40% (tháng trước: 43%); chưa đến hạn: 4",
      "• Ma tuý: 5 (tháng trước: 3)",
      "• Trộm cắp, cướp giật: <3 (tháng trước: 4)",
      "«<3» là 1 hoặc 2 tin báo",
      "Xem chi tiết trên bảng điều khiển",
    ]) expect(caption).toContain(line);
    const reportA = await report(t.db, "commune", "00070");
    expect(JSON.stringify(photoA.payload)).toContain(`${t.url}/console/reports/${reportA!.id}`);

    const photoB = await eventually(() => photosTo(tg, GROUP_B)[0], 15_000, "the report in Ba Đình's group");
    await uploadedPng(photoB);
    expect(tgShownText(photoB.payload)).toContain("របាយការណ៍ដែលបានទទួល៖ 3 (ខែមុន៖ 0)");
    const photoP = await eventually(() => photosTo(tg, GROUP_P)[0], 15_000, "the report in the province duty group");
    await uploadedPng(photoP);
    expect(tgShownText(photoP.payload)).toContain("Reports received: 15 (previous month: 7)");
    expect(tgShownText(photoP.payload)).toContain("Receipt notices on time: 86% (previous month: 100%)");
    // Each group's chart is drawn in its own language: different images.
    expect((await uploadedPng(photoB)).bytes.equals(png.bytes)).toBe(false);
    await waitIdle(t);
    // The outbox kept only a reference to the chart (it is drawn from the stored figures when sent).
    const rows = await t.db.outboxMessage.findMany({ where: { method: "sendPhoto" } });
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.status).toBe("sent");
      expect(row.payload.length).toBeLessThan(4_000);
    }
  });

  it("running again (schedule, by hand, another instance) posts nothing twice; a province bound since gets its stored report", async () => {
    const again = await t.app.runMonthlyReport(MAY, new Date(RUN_AT.getTime() + 3600_000));
    expect(again).toMatchObject({ created: 0, posted: 0, unchanged: 36 });
    await waitIdle(t);
    for (const g of [GROUP_A, GROUP_B, GROUP_P]) expect(photosTo(tg, g)).toHaveLength(1);
    expect(await t.db.monthlyReport.count({ where: { month: MAY } })).toBe(36);

    await bindGroup(t.db, "province:79", GROUP_HCM, "vi");
    const stored = await report(t.db, "province", "79");
    const later = await t.app.runMonthlyReport(MAY, new Date(RUN_AT.getTime() + 86_400_000));
    expect(later).toMatchObject({ created: 0, posted: 1, unchanged: 35 });
    const photo = await eventually(() => photosTo(tg, GROUP_HCM)[0], 15_000, "the stored report posted to the new group");
    await uploadedPng(photo);
    expect(tgShownText(photo.payload)).toContain("Tin báo tiếp nhận: 4 (tháng trước: 0)");
    const posted = await report(t.db, "province", "79");
    expect(posted?.id).toBe(stored!.id);
    expect(posted?.summary).toBe(stored!.summary);
    expect(posted?.postedAt).not.toBeNull();
    // Two instances at once: still one post per unit.
    const [x, y] = await Promise.all([t.app.runMonthlyReport(MAY, RUN_AT), t.app.runMonthlyReport(MAY, RUN_AT)]);
    expect(x.posted + y.posted).toBe(0);
    await waitIdle(t);
    expect(photosTo(tg, GROUP_HCM)).toHaveLength(1);
    expect(await t.db.auditEvent.count({ where: { action: "report.monthly_posted" } })).toBe(4);
  });

  it("a month is checked (anything but YYYY-MM is refused); a month with no tips still reports zeros", async () => {
    await expect(t.app.runMonthlyReport("2026-13", RUN_AT)).rejects.toThrow(/not a month/);
    const run = await t.app.runMonthlyReport("2026-02", RUN_AT);
    expect(run).toMatchObject({ created: 36, posted: 4 });
    const a = JSON.parse((await t.db.monthlyReport.findUniqueOrThrow({ where: { month_unitKind_unitCode: { month: "2026-02", unitKind: "commune", unitCode: "00070" } } })).summary) as MonthlySummary;
    expect(a.tips).toEqual({ current: 0, previous: 0 });
    expect(a.categories).toEqual([]);
    expect(a.receipt.current.percent).toBeNull();
    const photo = await eventually(() => photosTo(tg, GROUP_A)[1], 15_000, "February's report");
    await uploadedPng(photo);
    expect(tgShownText(photo.payload)).toContain("Thông báo tiếp nhận đúng hạn: — (tháng trước: —)");
    await waitIdle(t);
  });
});

describe("the image intent in each channel", () => {
  const t = createTranslator().t;
  const caption = { key: "reports:monthly.heading", params: { month: "05/2026", unit: "Công an phường Hoàn Kiếm" }, strong: true };
  const intent = (more: Array<{ key: string; params?: Record<string, unknown> }> = []) =>
    ({ kind: "image" as const, image: { ref: "monthly-report:abc:vi", name: "report.png" }, caption: { ...caption, more, compact: true } });

  it("Telegram: a photo uploaded by reference (an object no file id a person sends can be), the summary as its caption", () => {
    const { calls } = new TelegramRenderer(t).intent(intent(), "vi");
    expect(calls).toEqual([{ method: "sendPhoto", payload: { photo: { $file: "monthly-report:abc:vi", name: "report.png" }, caption: "<b>📊 Báo cáo tháng 05/2026 — Công an phường Hoàn Kiếm</b>", parse_mode: "HTML" } }]);
  });

  it("Telegram: a summary too long for a caption (1,024 characters) follows the photo as a message", () => {
    const lines = Array.from({ length: 40 }, (_, i) => ({ key: "reports:monthly.category", params: { category: `Loại số ${i} với một tên rất dài`, count: i, previous: i } }));
    const { calls } = new TelegramRenderer(t).intent(intent(lines), "vi");
    expect(calls.map((c) => c.method)).toEqual(["sendPhoto", "sendMessage"]);
    expect(calls[0]!.payload.caption).toBeUndefined();
    expect(String(calls[1]!.payload.text)).toContain("Loại số 39 với một tên rất dài");
  });

  it("Zalo and the web chat, which take no such file, get the summary as text", () => {
    for (const renderer of [new ZaloRenderer(t), new WebRenderer(t)]) {
      const { calls } = renderer.intent(intent(), "vi");
      expect(calls).toHaveLength(1);
      expect(JSON.stringify(calls[0]!.payload)).toContain("Báo cáo tháng 05/2026");
      expect(JSON.stringify(calls[0]!.payload)).not.toContain("monthly-report:");
    }
  });
});

describe("the schedule (MONTHLY_REPORT_SCHEDULE)", () => {
  const env = { DATABASE_URL: "file:./data/unused.db" };
  it("runs by default at 07:00 on the 1st of each month in Vietnam; 'off' leaves it to the admin command; a bad pattern is refused by name", () => {
    const config = loadConfig(env);
    expect(config.monthlyReport.schedule).toBe("0 7 1 * *");
    // From 15 May 2026 (any time zone of the machine): next 1 June 07:00 in Vietnam = 00:00 UTC.
    const next = new Cron(config.monthlyReport.schedule!, { timezone: VN_TIME_ZONE, paused: true }).nextRun(vn(5, 15));
    expect(next?.toISOString()).toBe("2026-06-01T00:00:00.000Z");
    expect(loadConfig({ ...env, MONTHLY_REPORT_SCHEDULE: "off" }).monthlyReport.schedule).toBeNull();
    expect(() => loadConfig({ ...env, MONTHLY_REPORT_SCHEDULE: "every month" })).toThrow(/MONTHLY_REPORT_SCHEDULE/);
    expect(() => loadConfig({ ...env, MONTHLY_REPORT_SCHEDULE: "0 7 32 * *" })).toThrow(/MONTHLY_REPORT_SCHEDULE/);
  });
});

describe("npm run admin -- report:monthly", () => {
  it("runs the same command by hand: the running service sends what it queued; a bad month is refused with the usage", async () => {
    const tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
    await tg.listen();
    const t = await startTestApp({ telegram: tg, env: { ...FAST_RATES, MONTHLY_REPORT_SCHEDULE: "off" }, referenceData: true });
    try {
      await bindGroup(t.db, "commune:00070", GROUP_A, "vi");
      for (const day of [4, 5, 6, 7]) await seedTip(t.db, { queueId: "commune:00070", category: "theft", receivedAt: vn(5, day), receiptSentAt: vn(5, day, 10) });
      const env = { ...process.env, DATABASE_URL: t.databaseUrl, TELEGRAM_BOT_TOKEN: tg.token, LOG_LEVEL: "silent", PUBLIC_URL: t.url };
      const admin = (...args: string[]) => promisify(execFile)("npx", ["tsx", "src/cli/admin.ts", ...args], { cwd: fromRoot(), env });
      const bad = await admin("report:monthly", "2026-5").catch((err: { code: number; stderr: string }) => err);
      expect(bad).toMatchObject({ code: 2 });
      expect((bad as { stderr: string }).stderr).toContain("the month must be YYYY-MM");
      expect(await t.db.monthlyReport.count()).toBe(0);
      const { stdout } = await admin("report:monthly", MAY);
      expect(stdout).toContain("2026-05: 35 unit(s); 35 report(s) stored, 1 posted");
      // The service picks up what the command queued (its outbox sweep) and sends the chart.
      const photo = await eventually(() => photosTo(tg, GROUP_A)[0], 20_000, "the report sent by the service");
      await uploadedPng(photo);
      expect(tgShownText(photo.payload)).toContain("Tin báo tiếp nhận: 4 (tháng trước: 0)");
      expect(await t.db.auditEvent.count({ where: { action: "report.monthly_posted", actor: "admin:cli" } })).toBe(1);
      expect((await admin("report:monthly", MAY)).stdout).toContain("0 report(s) stored, 0 posted");
    } finally {
      await t.close();
      await tg.close();
    }
  }, 180_000);
});

describe("a restart between storing a report and sending it", () => {
  it("loses nothing: the next start sends the chart and summary", async () => {
    const tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
    await tg.listen();
    const sealingKey = crypto.randomBytes(32);
    const env = { ...FAST_RATES, MONTHLY_REPORT_SCHEDULE: "off" };
    const first = await startTestApp({ telegram: tg, env, referenceData: true, sealingKey });
    let second: TestApp | undefined;
    try {
      await bindGroup(first.db, "commune:00070", GROUP_A, "vi");
      for (const day of [4, 5, 6]) await seedTip(first.db, { queueId: "commune:00070", category: "drugs", receivedAt: vn(5, day), receiptSentAt: vn(5, day, 10) });
      await waitIdle(first);
      // Telegram asks to wait 5 seconds: the report is stored and queued, not sent, when the service stops.
      tg.failNext("sendPhoto", 1, { status: 429, description: "Too Many Requests: retry after 5", parameters: { retry_after: 5 } });
      const run = await first.app.runMonthlyReport(MAY, RUN_AT);
      expect(run.posted).toBe(1);
      await eventually(async () => (await first.db.outboxMessage.findFirst({ where: { method: "sendPhoto", rateLimitedCount: 1 } })) ?? undefined, 15_000, "the rate-limited attempt");
      await first.stopOnly();
      expect(photosTo(tg, GROUP_A).filter((c) => c.status === 200)).toHaveLength(0);

      second = await startTestApp({ telegram: tg, env, databaseUrl: first.databaseUrl, sealingKey });
      const photo = await eventually(() => photosTo(tg, GROUP_A).find((c) => c.status === 200), 15_000, "the report sent after the restart");
      const png = await uploadedPng(photo);
      expect(png.width).toBe(800);
      expect(tgShownText(photo.payload)).toContain("Tin báo tiếp nhận: 3 (tháng trước: 0)");
      // The chart sent is the one the stored figures draw (the same bytes every time).
      const stored = await second.db.monthlyReport.findFirstOrThrow({ where: { unitKind: "commune", unitCode: "00070" } });
      expect(png.bytes.equals(monthlyReportChart(JSON.parse(stored.summary) as MonthlySummary, "vi", createTranslator().t).png)).toBe(true);
      await waitIdle(second);
      expect(await second.db.outboxMessage.findFirst({ where: { method: "sendPhoto" } })).toMatchObject({ status: "sent" });
      // And the next run does not post it again.
      expect((await second.app.runMonthlyReport(MAY, RUN_AT)).posted).toBe(0);
    } finally {
      await second?.stopOnly();
      await first.close();
      await tg.close();
    }
  }, 60_000);
});
