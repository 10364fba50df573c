import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { CHROMIUM, hasChromium, openPage } from "./helpers/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi, tgPrivateText, tgShownText } from "./fakes/telegramApi.ts";
import { eventually, type TestApp } from "./helpers/app.ts";
import { bindGroup } from "./helpers/officers.ts";
import { closeConsoleStage, logInByLink, seedConsolePerson, startConsoleStage } from "./helpers/console.ts";
import { TelegramTipster } from "./helpers/tipster.ts";

/*
 * A legal officer's journey in Debian's Chromium: a resident asks the bot a question it cannot
 * answer and sends it to the legal staff (Telegram fake) → the legal officer logs in by the bot's
 * one-time link → the question waits in the console → answered there and saved as a new entry →
 * the resident receives the answer on Telegram → the test box shows the bot now answers that
 * question from the new entry. Screenshots for the README: docs/console/legal-*.png.
 */

const SHOTS = path.resolve(import.meta.dirname, "..", "docs", "console");
if (!hasChromium) console.warn(`\n!!! console.legal.e2e.test.ts: ${CHROMIUM} is missing — the legal console journey is SKIPPED (apt-get install -y chromium).\n`);

const LEGAL_GROUP = -2501;
const LEGAL = 6501;
const RESIDENT = 7501;
const QUESTION = "Nuôi chim yến trong nhà phố có cần xin giấy phép không?";
const ANSWER = "Nuôi chim yến trong nhà phố phải tuân theo quy định của Uỷ ban nhân dân tỉnh về vùng được nuôi; bạn nên hỏi Uỷ ban nhân dân xã, phường nơi ở trước khi làm.";

let tg: FakeTelegramApi;
let t: TestApp;
let browser: Browser;

describe.skipIf(!hasChromium)("the legal staff's console in Chromium", () => {
  beforeAll(async () => {
    ({ tg, t, browser } = await startConsoleStage());
    await bindGroup(t.db, "legal:VN", LEGAL_GROUP);
    // The bot's knowledge base is built, and its search warmed, before the first resident's question
    // (the conversation helpers wait 10 s for an answer; building takes seconds on a loaded machine).
    (await t.app.knowledge.fresh(t.db)).search("ma tuý", 3);
    await seedConsolePerson(t.db, { telegramUserId: LEGAL, role: "legal", scopeKind: "national", scopeCode: "VN", displayName: "Luật sư Hà" });
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(() => closeConsoleStage({ tg, t, browser }));

  it("a question the bot cannot answer → answered in the console (relayed to the resident, saved) → the test box shows the bot now answers it", async () => {
    // The resident asks on Telegram; the bot has no good answer; the question goes to the legal staff.
    const resident = new TelegramTipster(tg, RESIDENT);
    await resident.command("/start");
    await resident.press("data:lang:vi");
    await resident.press("data:menu:ask");
    const before = tg.delivered(RESIDENT).length;
    expect((await tg.pushUpdate(tgPrivateText(RESIDENT, QUESTION))).status).toBe(200);
    await eventually(() => tg.delivered(RESIDENT).length > before, 60_000, "the bot's answer"); // the first search builds the index
    expect(resident.messages().at(-1)!.text).toContain("chưa tìm được câu trả lời phù hợp");
    expect((await resident.press("Gửi cho cán bộ pháp lý")).text).toContain("Đã gửi câu hỏi của bạn cho cán bộ pháp lý");
    const question = await t.db.legalQuestion.findFirstOrThrow({ where: { text: QUESTION } });
    const label = `Q-${question.id.slice(-6).toUpperCase()}`;

    const { context, page, errors } = await openPage(browser);

    // Log in by the link the bot sends to the legal officer's private chat.
    await logInByLink(page, t.url, tg, LEGAL);
    await page.waitForURL(`${t.url}/console/legal`);

    // The questions waiting: this one, with what the bot suggests, never who asked.
    await page.getByRole("link", { name: "Câu hỏi pháp lý" }).click();
    await page.waitForURL(`${t.url}/console/legal`);
    const card = page.locator(`article[data-question="${label}"]`);
    await card.waitFor();
    expect(await card.innerText()).toContain(QUESTION);
    expect(await card.locator("[data-decision]").innerText()).toMatch(/bot/);
    expect(await page.content()).not.toContain(String(RESIDENT));
    await page.screenshot({ path: path.join(SHOTS, "legal-queue.png") });
    // On a phone's width the queue is still usable (one screenshot for the README).
    await page.setViewportSize({ width: 390, height: 844 });
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, "legal-queue-phone.png") });
    await page.setViewportSize({ width: 1280, height: 800 });

    // Answer it, and keep the answer as a new knowledge base entry.
    await card.getByLabel(`Câu trả lời của bạn cho ${label}`).fill(ANSWER);
    await card.getByLabel("Thành mục mới (câu hỏi và câu trả lời)").check();
    await card.getByRole("button", { name: "Gửi câu trả lời" }).click();
    await page.waitForURL(/\/console\/legal\/kb\/kb-u-[0-9a-f]{8}\?done=answered_saved_new$/);
    expect(await page.getByRole("status").first().innerText()).toContain("Đã gửi câu trả lời tới người hỏi và lưu thành mục mới này");
    const entryId = /\/kb\/(kb-u-[0-9a-f]{8})/.exec(page.url())![1]!;
    expect(await page.getByLabel("Câu trả lời tiếng Việt").inputValue()).toBe(ANSWER);

    // The resident receives it on Telegram, anonymously.
    const relayed = await eventually(() => resident.messages().find((m) => m.text.includes("Cán bộ pháp lý trả lời")), 10_000, "the answer on Telegram");
    expect(relayed.text).toContain(ANSWER);
    expect(relayed.text).not.toContain("Luật sư Hà");
    // The legal group sees who answered.
    await eventually(() => tg.delivered(LEGAL_GROUP).some((m) => tgShownText(m.payload).includes("Luật sư Hà đã trả lời câu hỏi")), 10_000, "the group told");

    // The test box: the bot now answers that question directly from the new entry.
    await page.getByRole("link", { name: "Thử câu hỏi" }).click();
    await page.getByLabel("Một câu hỏi, như người dân sẽ gõ (bất kỳ ngôn ngữ nào)").fill("nuoi chim yen trong nha pho co can giay phep khong");
    await page.getByRole("button", { name: "Bot sẽ trả lời thế nào?" }).click();
    await page.locator("#result").waitFor();
    expect(await page.locator("[data-decision]").getAttribute("data-decision")).toBe("direct");
    expect(await page.locator("[data-chosen]").getAttribute("data-chosen")).toBe(entryId);
    expect(await page.locator("#result").innerText()).toContain(ANSWER);
    await page.screenshot({ path: path.join(SHOTS, "legal-testbox.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});
