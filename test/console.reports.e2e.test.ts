import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { CHROMIUM, hasChromium, openPage } from "./helpers/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vnInstant } from "../src/core/vnTime.ts";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import { eventually, type TestApp } from "./helpers/app.ts";
import { closeConsoleStage, logInByLink, seedConsolePerson, startConsoleStage } from "./helpers/console.ts";
import { seedTip } from "./helpers/reports.ts";
import { bindGroup } from "./helpers/officers.ts";

/*
 * A commander opens the monthly reports in Debian's Chromium: logs in by the bot's link, opens the
 * list, opens Hoàn Kiếm's May report: the chart (a PNG served by the service) is shown, the figures
 * are in the table, a category row opens the tips behind it. Screenshots for the README.
 */

const DOCS = path.resolve(import.meta.dirname, "../docs/console");
if (!hasChromium) console.warn(`\n!!! console.reports.e2e.test.ts: ${CHROMIUM} is missing — the reports journey is SKIPPED (apt-get install -y chromium).\n`);

const GROUP = -2301; // Phường Hoàn Kiếm's group
const COMMANDER = 6301;
/** In the page: an image's natural width once loaded (0 or false before). */
const loadedWidth = (el: unknown) => {
  const img = el as { complete: boolean; naturalWidth: number };
  return img.complete && img.naturalWidth;
};
const vn = (month: number, day: number, hour = 9) => vnInstant({ year: 2026, month, day }, hour);

describe.skipIf(!hasChromium)("the monthly reports in Chromium", () => {
  let tg: FakeTelegramApi;
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    ({ tg, t, browser } = await startConsoleStage({ MONTHLY_REPORT_SCHEDULE: "off" }));
    await bindGroup(t.db, "commune:00070", GROUP, "vi");
    const seeds: Array<[string, number, number, boolean]> = [
      ["drugs", 5, 6, true], ["drugs", 5, 3, true], ["drugs", 5, 2, true], ["theft", 5, 3, true], ["theft", 5, 3, false], ["theft", 5, 4, true],
      ["online_fraud", 5, 4, true], ["online_fraud", 5, 3, true], ["online_fraud", 5, 3, false], ["domestic_violence", 5, 1, true],
      ["drugs", 4, 4, true], ["theft", 4, 5, true], ["online_fraud", 4, 1, true],
    ];
    for (const [category, month, n, onTime] of seeds) {
      for (let i = 0; i < n; i++) {
        const receivedAt = vn(month, 2 + i * 3);
        await seedTip(t.db, { queueId: "commune:00070", category, receivedAt, receiptSentAt: onTime ? new Date(receivedAt.getTime() + 3600_000) : vn(month, 28), closedAt: onTime ? vn(month, 26) : undefined });
      }
    }
    await t.app.runMonthlyReport("2026-05", vnInstant({ year: 2026, month: 6, day: 1 }, 7));
    await eventually(() => tg.delivered(GROUP).find((c) => c.method === "sendPhoto"), 15_000, "the report in the group");
    await seedConsolePerson(t.db, { telegramUserId: COMMANDER, role: "commander", scopeKind: "province", scopeCode: "01", displayName: "Nguyễn Văn Hùng" });
    fs.mkdirSync(DOCS, { recursive: true });
  }, 60_000);
  afterAll(() => closeConsoleStage({ tg, t, browser }));

  it("opens a report: the chart is shown, the figures are in tables, a row opens the tips behind it", async () => {
    const { context, page, errors } = await openPage(browser);
    await logInByLink(page, t.url, tg, COMMANDER);
    await page.waitForURL(`${t.url}/console/queue`);

    await page.getByRole("link", { name: "Báo cáo tháng" }).first().click();
    await page.waitForURL(`${t.url}/console/reports`);
    await page.getByRole("link", { name: "Công an phường Hoàn Kiếm" }).click();
    await page.getByRole("heading", { level: 1, name: "Báo cáo tháng 05/2026 — Công an phường Hoàn Kiếm" }).waitFor();

    const chart = page.getByRole("img", { name: /Biểu đồ tin báo theo loại của Công an phường Hoàn Kiếm, tháng 05\/2026/ });
    await expect.poll(() => chart.evaluate(loadedWidth), { timeout: 10_000 }).toBe(800);
    const overview = page.getByRole("table", { name: "Tổng quan" });
    expect(await overview.getByRole("row", { name: /Tin báo tiếp nhận/ }).innerText()).toMatch(/Tin báo tiếp nhận\s+32\s+10/);
    const byCategory = page.getByRole("table", { name: "Theo loại tin báo" });
    expect(await byCategory.getByRole("row", { name: /Bạo lực gia đình/ }).innerText()).toMatch(/<3\s+0/);
    await page.screenshot({ path: path.join(DOCS, "report.png"), fullPage: true });

    const link = await byCategory.getByRole("link", { name: "Ma tuý" }).getAttribute("href");
    expect(link).toBe("/console/tips?queue=commune%3A00070&month=2026-05&category=drugs");
    const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Tải bảng số liệu (CSV)" }).click()]);
    expect(csv.suggestedFilename()).toBe("report-2026-05-commune-00070.csv");
    const reportUrl = page.url();
    const state = await context.storageState();
    await context.close();

    // On a phone: the same page at 390 px wide, the chart scaled to the screen.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "vi-VN", storageState: state });
    const small = await phone.newPage();
    small.on("pageerror", (err) => errors.push(String(err)));
    await small.goto(reportUrl);
    const img = small.getByRole("img", { name: /Biểu đồ tin báo/ });
    await expect.poll(() => img.evaluate(loadedWidth), { timeout: 10_000 }).toBe(800);
    const box = await img.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    await small.screenshot({ path: path.join(DOCS, "report-phone.png"), fullPage: true });
    await phone.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
