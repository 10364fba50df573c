import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { CHROMIUM, hasChromium, openPage } from "./helpers/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import type { TestApp } from "./helpers/app.ts";
import { closeConsoleStage, logInByLink, seedConsolePerson, startConsoleStage } from "./helpers/console.ts";
import { insertSeedTips, makeSeedTips } from "./helpers/statsSeed.ts";
import { markAllStatsDirty, refreshStatsRollups } from "../src/core/console/statsRollup.ts";
import { vnReceipt } from "../src/core/vnTime.ts";

/*
 * A commander's statistics journey in Debian's Chromium: log in by the bot's link → "Thống kê" in
 * the navigation → the charts (drawn on the server) → a bar of the category × month chart opens
 * /console/tips with that month and category (the list page is another part of the console: here
 * only the URL and its query are checked). Screenshots for the README: docs/console/stats.png
 * (1280×800) and docs/console/stats-phone.png (390 wide).
 */

const DOCS = path.resolve(import.meta.dirname, "..", "docs", "console");
if (!hasChromium) console.warn(`\n!!! console.stats.e2e.test.ts: ${CHROMIUM} is missing — the statistics journey is SKIPPED (apt-get install -y chromium).\n`);

const COMMANDER = 6501;

let tg: FakeTelegramApi;
let t: TestApp;
let browser: Browser;

describe.skipIf(!hasChromium)("statistics in Chromium", () => {
  beforeAll(async () => {
    ({ tg, t, browser } = await startConsoleStage());
    await insertSeedTips(t.db, makeSeedTips(new Date(), 600));
    // Written straight to the database (no events): build the statistics rollups over them.
    await markAllStatsDirty(t.db);
    await refreshStatsRollups(t.db);
    await seedConsolePerson(t.db, { telegramUserId: COMMANDER, role: "commander", scopeKind: "province", scopeCode: "01", displayName: "Nguyễn Văn Hùng" });
    fs.mkdirSync(DOCS, { recursive: true });
  }, 90_000);
  afterAll(() => closeConsoleStage({ tg, t, browser }));

  it("a commander opens the statistics from the navigation and drills down from a bar to the list of its tips", async () => {
    const { context, page, errors } = await openPage(browser);

    await logInByLink(page, t.url, tg, COMMANDER);
    await page.waitForURL(`${t.url}/console/queue`);

    await page.getByRole("link", { name: "Thống kê" }).click();
    await page.waitForURL(`${t.url}/console/stats`);
    expect(await page.getByRole("heading", { level: 1 }).innerText()).toContain("Thống kê");
    for (const h of ["Tin báo theo loại và tháng", "Thời hạn luật định", "Thời gian đến khi nhận xử lý", "Giờ × ngày trong tuần", "Tỉnh, thành phố", "Xã, phường có nhiều tin báo nhất"]) {
      await page.getByRole("heading", { name: h }).waitFor();
    }
    // A province's figures come from the rollups, "as of" their last refresh.
    await page.getByText("Số liệu của tỉnh và toàn quốc được tính sẵn và cập nhật mỗi phút.").waitFor();
    // The styles loaded (the CSP allows only our own files): the heatmap's darkest cells are dark.
    expect(await page.locator("svg.bars rect").count()).toBeGreaterThan(20);
    expect(await page.locator("svg.map path").count()).toBe(34);
    await page.screenshot({ path: path.join(DOCS, "stats.png") });

    // Filter by a category with the form (no script): the URL carries it and so do the drill-down links.
    await page.locator("#f-category").selectOption("drugs");
    await page.getByRole("button", { name: "Xem" }).click();
    await page.waitForURL(/\/console\/stats\?.*category=drugs/);
    const bar = page.locator("svg.bars a:has(rect)").first();
    const label = (await bar.getAttribute("aria-label"))!;
    expect(label).toMatch(/^\d{4}-\d{2}, Ma tuý: \d+ tin báo$/);
    const month = label.slice(0, 7);
    expect(errors).toEqual([]);

    await bar.click();
    await page.waitForURL(/\/console\/tips\?/);
    const landed = new URL(page.url());
    expect(landed.pathname).toBe("/console/tips");
    expect(Object.fromEntries(landed.searchParams)).toEqual({ month, category: "drugs" });
    // That bar counted exactly the province's drugs tips of that month.
    const n = await t.db.tip.count({ where: { receivedMonth: month, category: "drugs", queue: { provinceCode: "01" } } });
    expect(label).toBe(`${month}, Ma tuý: ${n} tin báo`);
    expect(vnReceipt(new Date()).month >= month).toBe(true);

    // The same page on a phone: the charts scroll sideways inside their own boxes.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "vi-VN", storageState: await context.storageState() });
    const small = await phone.newPage();
    await small.goto(`${t.url}/console/stats`);
    await small.getByRole("heading", { name: "Giờ × ngày trong tuần" }).waitFor();
    expect(await small.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await small.screenshot({ path: path.join(DOCS, "stats-phone.png"), fullPage: true });
    await phone.close();
    await context.close();
  }, 90_000);
});
