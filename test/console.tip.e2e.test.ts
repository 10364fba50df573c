import fs from "node:fs";
import { crc32, deflateSync } from "node:zlib";
import path from "node:path";
import type { Browser } from "playwright-core";
import { CHROMIUM, hasChromium, openPage } from "./helpers/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi, TG_TEST_TOKEN, tgShownText, type FakeCall } from "./fakes/telegramApi.ts";
import { eventually, waitIdle, type TestApp } from "./helpers/app.ts";
import { bindGroup } from "./helpers/officers.ts";
import { closeConsoleStage, fileTipOnTelegram, groupCardText, logInByLink, seedConsolePerson, startConsoleStage } from "./helpers/console.ts";
import { TelegramTipster } from "./helpers/tipster.ts";

/*
 * An officer works a tip to closure from the console, in Debian's Chromium: log in by the bot's
 * link → open the tip from the queue (its photo streamed through the service) → claim it → ask the
 * tipster a question → the tipster (Telegram fake) gets it and answers → the answer shows on the
 * tip page → close it with an outcome → the tipster is told on their channel and the group's
 * Telegram card shows it closed. Screenshots for the README: docs/console/tip.png (1280×800) and
 * docs/console/tip-phone.png (390 wide).
 */

const DOCS = path.resolve(import.meta.dirname, "..", "docs", "console");
if (!hasChromium) console.warn(`\n!!! console.tip.e2e.test.ts: ${CHROMIUM} is missing — the tip page journey is SKIPPED (apt-get install -y chromium).\n`);

const GROUP = -2401; // Phường Hoàn Kiếm's group
const OFFICER = 6401;
const TIPSTER = 7501;
const PHOTO_ID = "AgACAgUAAxkBAAIBSGZzE2eJourneyPhoto";

/** A small real PNG (a 64×48 grey picture with a dark band), so the page shows an image. */
function png(): Buffer {
  const w = 64;
  const h = 48;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) raw.fill(y > 18 && y < 30 ? 60 : 170, y * (w * 3 + 1) + 1 + x * 3, y * (w * 3 + 1) + 4 + x * 3);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

let tg: FakeTelegramApi;
let t: TestApp;
let browser: Browser;

const shown = (c: FakeCall) => tgShownText(c.payload);
const cardText = (code: string) => groupCardText(tg, GROUP, code);

describe.skipIf(!hasChromium)("the tip page in Chromium", () => {
  beforeAll(async () => {
    ({ tg, t, browser } = await startConsoleStage());
    tg.addFile(PHOTO_ID, png(), "ngo.png");
    await bindGroup(t.db, "commune:00070", GROUP);
    await seedConsolePerson(t.db, { telegramUserId: OFFICER, role: "officer", scopeKind: "commune", scopeCode: "00070", displayName: "Trần Thị Lan" });
    fs.mkdirSync(DOCS, { recursive: true });
  }, 60_000);
  afterAll(() => closeConsoleStage({ tg, t, browser }));

  it("log in by the bot's link, open the tip from the queue, ask the tipster, see the answer, close it: the tipster and the card follow", async () => {
    const code = await fileTipOnTelegram(tg, TIPSTER, {
      description: "Có người bán ma tuý ở đầu ngõ 14 Hàng Bạc mỗi tối",
      details: ["Thường sau 9 giờ tối, hai người đi xe máy"],
      files: (p) => p.photo(PHOTO_ID, "Ảnh đầu ngõ"),
    });
    const tipster = new TelegramTipster(tg, TIPSTER);
    await eventually(() => cardText(code), 10_000, "the card in the group");

    const { context, page, errors } = await openPage(browser);
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));

    // Log in by the bot's one-time link.
    await logInByLink(page, t.url, tg, OFFICER);
    await page.waitForURL(`${t.url}/console/queue`);

    // The queue links to the tip page.
    await page.locator(`tr[data-code="${code}"]`).getByRole("link", { name: code }).click();
    await page.waitForURL(/\/console\/tips\/[^/]+\/view$/);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText()).toContain(`Tin báo ${code}`);
    expect(await page.locator("main").innerText()).toContain("Có người bán ma tuý ở đầu ngõ 14 Hàng Bạc mỗi tối");
    // The photo is shown, loaded from the service (not from Telegram).
    const img = page.locator(".media img");
    await expect.poll(() => page.evaluate<number>(`(() => { const i = document.querySelector(".media img"); return i && i.complete ? i.naturalWidth : 0; })()`)).toBe(64);
    expect(await img.getAttribute("alt")).toBe("Ảnh đầu ngõ");

    // Claim, then ask the tipster.
    await page.locator('form[data-action="claim"]').getByRole("button").click();
    await expect.poll(() => page.getByRole("status").innerText()).toContain("Đã thực hiện: Nhận xử lý.");
    await page.getByLabel("Câu hỏi gửi người báo tin").fill("Hai người đó đi xe máy màu gì?");
    await page.getByRole("button", { name: "Hỏi người báo tin" }).click();
    await expect.poll(() => page.getByRole("status").innerText()).toContain("Đã thực hiện: Hỏi người báo tin.");
    expect(await page.locator("main").innerText()).toContain("Đang chờ người báo tin trả lời");

    // The tipster gets the question on Telegram and answers it.
    await eventually(() => tg.delivered(TIPSTER).some((c) => shown(c).includes("Hai người đó đi xe máy màu gì?")), 10_000, "the question delivered to the tipster");
    await tipster.say("Xe Wave màu đỏ, biển 29");
    await waitIdle(t);
    await expect
      .poll(async () => {
        await page.reload();
        return page.locator("#h-relay + ol, section[aria-labelledby='h-relay']").first().innerText();
      }, { timeout: 10_000 })
      .toContain("Xe Wave màu đỏ, biển 29");
    expect(await page.locator("main").innerText()).not.toContain("Đang chờ người báo tin trả lời");
    await page.screenshot({ path: path.join(DOCS, "tip.png") });

    // The same page on a phone.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "vi-VN", storageState: await context.storageState() });
    const phonePage = await phone.newPage();
    await phonePage.goto(page.url());
    await phonePage.getByRole("heading", { level: 1 }).waitFor();
    expect(await phonePage.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await phonePage.screenshot({ path: path.join(DOCS, "tip-phone.png") });
    await phone.close();

    // Close it with an outcome.
    await page.getByLabel("Kết quả").selectOption("khoi_to");
    await page.locator('form[data-action="close"]').getByRole("button").click();
    await expect.poll(() => page.getByRole("status").innerText()).toContain("Đã thực hiện: Kết thúc.");
    expect(await page.locator("main").innerText()).toContain("Khởi tố vụ án");

    // The tipster is told on their channel; the group's card shows it closed.
    await eventually(() => tg.delivered(TIPSTER).some((c) => shown(c).includes(`Tin báo ${code} của bạn đã được giải quyết. Kết quả: cơ quan điều tra đã khởi tố vụ án.`)), 10_000, "the tipster told the outcome");
    await eventually(() => cardText(code)?.includes(`TIN BÁO ${code} · ĐÃ KẾT THÚC: Khởi tố vụ án`), 10_000, "the card shown closed");
    const officer = await t.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(OFFICER) } });
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
    for (const action of ["tip.claimed", "tip.question_sent", "tip.closed"]) expect(await t.db.auditEvent.count({ where: { action, actor: `officer:${officer.id}`, tipId: tip.id } })).toBe(1);

    // Nothing the browser asked for or was shown went to Telegram or carried the bot's token.
    expect(requested.every((u) => u.startsWith(t.url))).toBe(true);
    const html = await page.content();
    for (const secret of [TG_TEST_TOKEN, PHOTO_ID, tg.apiRoot, String(TIPSTER)]) expect(html).not.toContain(secret);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});
