import fs from "node:fs";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import type { Browser } from "playwright-core";
import { CHROMIUM, hasChromium, openPage } from "./helpers/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import type { TestApp } from "./helpers/app.ts";
import { closeConsoleStage, logInByLink, seedConsolePerson, startConsoleStage } from "./helpers/console.ts";
import { insertTips, type TipRowSpec } from "./helpers/tipRows.ts";

/*
 * A province commander's journey through the tip list in Debian's Chromium: log in by the bot's
 * link → the list from the navigation → filter (category, status) → save the filter as a view →
 * clear the filter → open the saved view again → download the CSV and check its rows are the
 * filtered tips → the export is audited. Screenshots for the README (desktop and phone width).
 */

const DOCS = path.resolve(import.meta.dirname, "..", "docs", "console");
const ARTIFACTS = path.resolve(import.meta.dirname, "artifacts");
if (!hasChromium) console.warn(`\n!!! console.list.e2e.test.ts: ${CHROMIUM} is missing — the tip list journey is SKIPPED (apt-get install -y chromium).\n`);

const COMMANDER = 6401;
const HOUR = 3_600_000;
const NO_REMINDERS = { REMINDER_UNCLAIMED_MINUTES: "100000000", REMINDER_UNCLAIMED_LIFE_SAFETY_MINUTES: "100000000" };

let tg: FakeTelegramApi;
let t: TestApp;
let browser: Browser;

describe.skipIf(!hasChromium)("the tip list in Chromium", () => {
  beforeAll(async () => {
    // Seeded old unclaimed tips would otherwise be escalated to groups (messages this test does not wait for).
    ({ tg, t, browser } = await startConsoleStage(NO_REMINDERS));
    const commander = await seedConsolePerson(t.db, { telegramUserId: COMMANDER, role: "commander", scopeKind: "province", scopeCode: "01", displayName: "Nguyễn Văn Hùng" });
    const now = Date.now();
    const units = [
      { queueId: "commune:00070", communeCode: "00070" },
      { queueId: "commune:00004", communeCode: "00004" },
      { queueId: "province:01", communeCode: null },
    ];
    const cats = ["drugs", "theft", "online_fraud", "drugs", "gambling", "traffic"];
    const specs: TipRowSpec[] = Array.from({ length: 36 }, (_, i) => {
      const u = units[i % 3]!;
      const status = (["new", "claimed", "closed"] as const)[Math.floor(i / 2) % 3];
      const receivedAt = new Date(now - i * 7 * HOUR - 5 * 60_000);
      return {
        ...u,
        provinceCode: "01",
        category: cats[i % cats.length],
        status,
        lifeSafety: i % 8 === 0,
        channel: (["telegram", "zalo", "web"] as const)[i % 3],
        receivedAt,
        claimedById: status === "new" ? null : commander.id,
        claimedAt: status === "new" ? null : new Date(receivedAt.getTime() + HOUR),
        receiptNoticeSentAt: status === "new" ? null : new Date(receivedAt.getTime() + HOUR),
        closedAt: status === "closed" ? new Date(receivedAt.getTime() + 2 * HOUR) : null,
        outcome: status === "closed" ? "xu_ly_hanh_chinh" : null,
      };
    });
    // One in another province: never listed for this commander.
    specs.push({ queueId: "commune:25747", provinceCode: "79", communeCode: "25747", category: "drugs", status: "claimed", receivedAt: new Date(now - HOUR) });
    await insertTips(t.db, specs);
    fs.mkdirSync(DOCS, { recursive: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(() => closeConsoleStage({ tg, t, browser }));

  it("filter, save the view, open it again, download the CSV of exactly those tips", async () => {
    const { context, page, errors } = await openPage(browser, { acceptDownloads: true });

    await logInByLink(page, t.url, tg, COMMANDER);
    await page.waitForURL(`${t.url}/console/queue`);

    await page.getByRole("link", { name: "Danh sách tin báo" }).click();
    await page.waitForURL(`${t.url}/console/tips`);
    expect(await page.locator("tr[data-code]").count()).toBe(36);

    // Filter: drugs, in progress.
    await page.getByLabel("Loại tin báo").selectOption("drugs");
    await page.getByLabel("Trạng thái").selectOption("claimed");
    await page.getByRole("button", { name: "Lọc", exact: true }).click();
    await page.waitForURL(/category=drugs/);
    const want = (
      await t.db.tip.findMany({ where: { category: "drugs", status: "claimed", provinceCode: "01" }, orderBy: [{ receivedAt: "desc" }, { id: "desc" }], select: { code: true } })
    ).map((x) => x.code);
    expect(want.length).toBeGreaterThan(2);
    const shown = async () => page.locator("tr[data-code]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-code")));
    expect(await shown()).toEqual(want);
    expect(await page.locator("p.count").innerText()).toBe(`${want.length} tin báo`);
    await page.screenshot({ path: path.join(DOCS, "list.png") });

    // Save it as a view.
    await page.getByLabel("Tên bộ lọc").fill("Ma tuý đang xử lý");
    await page.getByRole("button", { name: "Lưu bộ lọc hiện tại" }).click();
    await expect.poll(() => page.getByRole("status").first().innerText()).toContain("Đã lưu bộ lọc «Ma tuý đang xử lý».");

    // Clear the filter, then open the saved view again.
    await page.getByRole("link", { name: "Xoá bộ lọc" }).click();
    await page.waitForURL(`${t.url}/console/tips`);
    expect(await page.locator("tr[data-code]").count()).toBe(36);
    await page.getByRole("link", { name: "Mở Ma tuý đang xử lý" }).click();
    await page.waitForURL(`${t.url}/console/tips?category=drugs&status=claimed`);
    expect(await shown()).toEqual(want);
    expect(await page.getByLabel("Loại tin báo").inputValue()).toBe("drugs");

    // Download the CSV of the same filter.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /Tải CSV/ }).click()]);
    expect(download.suggestedFilename()).toMatch(/^tai-mat-tips-\d{8}-\d{4}\.csv$/);
    const file = path.join(ARTIFACTS, "list-export.csv");
    await download.saveAs(file);
    const rows = parseCsv(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""), { columns: false }) as string[][];
    expect(rows[0]![0]).toBe("Mã tin báo");
    expect(rows.slice(1).map((r) => r[0])).toEqual(want);
    expect(rows.slice(1).every((r) => r[2] === "drugs" && r[5] === "claimed")).toBe(true);
    const officer = await t.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(COMMANDER) } });
    const audit = await t.db.auditEvent.findMany({ where: { action: "console.export", actor: `officer:${officer.id}` } });
    expect(audit.map((e) => JSON.parse(e.data))).toEqual([expect.objectContaining({ filter: "category=drugs&status=claimed", rows: want.length, complete: true })]);

    // A phone's width: the same page, readable.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(DOCS, "list-phone.png"), fullPage: false });
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});
