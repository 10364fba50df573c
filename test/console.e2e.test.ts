import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { CHROMIUM, hasChromium, openPage } from "./helpers/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createTranslator } from "../src/i18n.ts";
import { runTipAction } from "../src/cli/tipActions.ts";
import { FakeTelegramApi, tgShownText, type FakeCall } from "./fakes/telegramApi.ts";
import { eventually, waitIdle, type TestApp } from "./helpers/app.ts";
import { bindGroup } from "./helpers/officers.ts";
import { closeConsoleStage, fileTipOnTelegram, groupCardText, logInByLink, seedConsolePerson, startConsoleStage } from "./helpers/console.ts";

/*
 * An officer's journey in Debian's Chromium: ask for a login by Telegram id → the link arrives in
 * their private chat (the Telegram fake) → logged in → the queue shows the new tip → claim it from
 * the console → the group's Telegram card shows it claimed and the tipster got the receipt notice
 * (the same command as the card's button) → log out.
 */

const ARTIFACTS = path.resolve(import.meta.dirname, "artifacts");
if (!hasChromium) console.warn(`\n!!! console.e2e.test.ts: ${CHROMIUM} is missing — the console journey is SKIPPED (apt-get install -y chromium).\n`);

const GROUP = -2201; // Phường Hoàn Kiếm's group
const OFFICER = 6201;
const TIPSTER = 7201;

let tg: FakeTelegramApi;
let t: TestApp;
let browser: Browser;

const shown = (c: FakeCall) => tgShownText(c.payload);
const cardText = (code: string) => groupCardText(tg, GROUP, code);

describe.skipIf(!hasChromium)("the console in Chromium", () => {
  beforeAll(async () => {
    ({ tg, t, browser } = await startConsoleStage());
    await bindGroup(t.db, "commune:00070", GROUP);
    await seedConsolePerson(t.db, { telegramUserId: OFFICER, role: "officer", scopeKind: "commune", scopeCode: "00070", displayName: "Trần Thị Lan" });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(() => closeConsoleStage({ tg, t, browser }));

  it("log in by the bot's link, see the tip, claim it (card and tipster follow), log out", async () => {
    const code = await fileTipOnTelegram(tg, TIPSTER);
    await eventually(() => cardText(code), 10_000, "the card in the group");

    const { context, page, errors } = await openPage(browser);

    await page.goto(`${t.url}/console`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    await logInByLink(page, t.url, tg, OFFICER);
    await page.waitForURL(`${t.url}/console/queue`);
    const row = page.locator(`tr[data-code="${code}"]`);
    await row.waitFor();
    expect(await page.locator('section[data-group="new"]').innerText()).toContain(code);
    expect(await row.innerText()).toContain("Ma tuý");
    expect(await row.innerText()).toContain("Thông báo tiếp nhận");
    await page.screenshot({ path: path.join(ARTIFACTS, "console-queue.png") });
    const cookie = (await context.cookies()).find((c) => c.name === "tm_console")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false });

    await row.getByRole("button", { name: "Nhận xử lý" }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toContain(`${code}: đã thực hiện.`);
    expect(await page.locator('section[data-group="claimed"]').innerText()).toContain(code);
    expect(await page.locator('section[data-group="claimed"]').innerText()).toContain("Trần Thị Lan");

    // The same command as the card's button: the card in the group shows it claimed, the tipster got the receipt notice.
    await eventually(() => cardText(code)?.includes(`👮 TIN BÁO ${code} · ĐANG XỬ LÝ: Trần Thị Lan`), 10_000, "the card shown claimed");
    await eventually(() => tg.delivered(TIPSTER).some((c) => shown(c).includes(`đã tiếp nhận tin báo ${code}`)), 10_000, "the tipster's receipt notice");
    const officer = await t.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(OFFICER) } });
    expect(await t.db.auditEvent.count({ where: { action: "tip.claimed", actor: `officer:${officer.id}` } })).toBe(1);

    // A change made elsewhere shows without reloading (the page polls): the tip closed from the CLI, as the officer.
    const renderer = new TelegramRenderer(createTranslator().t);
    const closed = await runTipAction(t.db, { sealer: t.sealer, t: createTranslator().t, officerRenderer: renderer, renderers: { telegram: renderer } }, { action: "tip.close", code, as: String(OFFICER), arg: "khoi_to" });
    expect(closed.ok).toBe(true);
    await expect.poll(() => page.locator('section[data-group="closed"]').innerText(), { timeout: 10_000 }).toContain(code);
    expect(await page.locator('section[data-group="claimed"]').innerText()).not.toContain(code);
    await waitIdle(t);
    await page.getByRole("button", { name: "Đăng xuất" }).click();
    await page.waitForURL(`${t.url}/console/login?said=logged_out`);
    expect(await page.getByRole("status").innerText()).toContain("Bạn đã đăng xuất.");
    await page.goto(`${t.url}/console/queue`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    expect(await t.db.auditEvent.count({ where: { action: "console.logout", actor: `officer:${officer.id}` } })).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
