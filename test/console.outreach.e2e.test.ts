import fs from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { CHROMIUM, hasChromium, openPage } from "./helpers/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi, tgCallback, tgShownText } from "./fakes/telegramApi.ts";
import { eventually, waitIdle, type TestApp } from "./helpers/app.ts";
import { closeConsoleStage, logInByLink, seedConsolePerson, startConsoleStage } from "./helpers/console.ts";

/*
 * An outreach officer's journey in Debian's Chromium: log in by the bot's one-time link → add a
 * content item (with its quiz) and preview it as residents will see it → compose a campaign to
 * Hà Nội's fraud subscribers, the recipient count updating live as topics are ticked → send a
 * preview to themself (it arrives in their private chat on the Telegram fake, nobody else's) →
 * confirm → the campaign engine sends it to the subscribers (the fake receives it) → a resident
 * answers the quiz → the campaign's page and the campaigns list show the progress and the final
 * report without reloading. Screenshots for the README go to docs/console/.
 */

const SHOTS = path.resolve(import.meta.dirname, "../docs/console");
if (!hasChromium) console.warn(`\n!!! console.outreach.e2e.test.ts: ${CHROMIUM} is missing — the outreach journey is SKIPPED (apt-get install -y chromium).\n`);

const STAFF = 6501;
/** Hà Nội subscribers: three about fraud (two in Vietnamese, one in English), one about traffic only; one in Hồ Chí Minh City. */
const FRAUD_01 = [820001, 820002, 820003];
const TRAFFIC_01 = 820004;
const FRAUD_79 = 820005;

/** A quiet-hours window twelve hours from now (Vietnam time): shown on the composer, never in the way of this test. */
function farQuietHours(): string {
  const vnHour = (new Date().getUTCHours() + 7) % 24;
  const start = (vnHour + 12) % 24;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(start)}:00-${pad((start + 1) % 24)}:00`;
}

let tg: FakeTelegramApi;
let t: TestApp;
let browser: Browser;

describe.skipIf(!hasChromium)("the outreach console in Chromium", () => {
  beforeAll(async () => {
    ({ tg, t, browser } = await startConsoleStage({ CAMPAIGN_QUIET_HOURS: farQuietHours() }));
    await seedConsolePerson(t.db, { telegramUserId: STAFF, role: "outreach", scopeKind: "province", scopeCode: "01", displayName: "Phạm Văn Hà" });
    const subscribers: Array<[number, string, string[], string]> = [
      ...FRAUD_01.map((id, i): [number, string, string[], string] => [id, "01", ["fraud"], i === 2 ? "en" : "vi"]),
      [TRAFFIC_01, "01", ["traffic"], "vi"],
      [FRAUD_79, "79", ["fraud"], "vi"],
    ];
    for (const [id, province, topics, locale] of subscribers) {
      const chat = await t.db.chat.create({ data: { channel: "telegram", platformChatId: String(id), kind: "private", locale } });
      await t.db.subscription.create({ data: { chatId: chat.id, topics: JSON.stringify(topics), provinceCode: province, consentedAt: new Date() } });
    }
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(() => closeConsoleStage({ tg, t, browser }));

  it("log in, write content, compose with a live count, preview to myself, confirm; the engine sends it and the report follows", async () => {
    const { context, page, errors } = await openPage(browser);

    // Log in by the link the bot sends to the private chat.
    await logInByLink(page, t.url, tg, STAFF);
    await page.waitForURL(`${t.url}/console/outreach/campaigns`);

    // The content library: add an item with a quiz, preview it, save it.
    await page.getByRole("link", { name: "Thư viện nội dung", exact: true }).click();
    await page.getByRole("link", { name: "Thêm nội dung" }).click();
    await page.getByLabel("Tiêu đề").fill("Cảnh giác cuộc gọi giả danh công an");
    await page.getByLabel("Nội dung tiếng Việt").fill("Công an không bao giờ yêu cầu chuyển tiền qua điện thoại. Hãy gọi 113 khi nghi ngờ.");
    await page.getByLabel("Nội dung tiếng Anh").fill("The police never ask you to transfer money by phone. Call 113 if in doubt.");
    await page.getByLabel("Văn bản pháp luật").fill("Bộ luật Hình sự 2015");
    await page.getByLabel("Điều, khoản").fill("Điều 174");
    await page.getByLabel("Cảnh báo lừa đảo").check();
    await page.getByLabel("Câu hỏi (Tiếng Việt)").first().fill("Công an có gọi điện yêu cầu chuyển tiền không?");
    const first = page.locator("fieldset.question").first();
    await first.locator('input[name="q0_o0_vi"]').fill("Có");
    await first.locator('input[name="q0_o1_vi"]').fill("Không bao giờ");
    await first.locator("#f-q0_answer_1").check();
    await page.getByRole("button", { name: "Xem trước" }).click();
    const preview = page.locator('article.phone[data-locale="vi"]');
    await preview.waitFor();
    expect(await preview.innerText()).toContain("Nguồn: Điều 174, Bộ luật Hình sự 2015.");
    expect(await preview.locator(".choices li").allInnerTexts()).toEqual(["Có", "Không bao giờ"]);
    expect(await page.locator('article.phone[data-locale="en"] .bubble').innerText()).toContain("The police never ask you");
    expect(await t.db.content.count()).toBe(0);
    await page.getByRole("button", { name: "Lưu" }).click();
    await expect.poll(() => page.getByRole("status").first().innerText()).toContain("Đã thêm vào thư viện.");
    const content = await t.db.content.findFirstOrThrow();
    expect(JSON.parse(content.quiz)[0].answer).toBe(1);

    // The composer: Hà Nội is ticked (the officer's province); ticking a topic updates the count live.
    await page.getByRole("link", { name: "Thư viện nội dung", exact: true }).click();
    await page.locator(`tr[data-content="${content.id}"]`).getByRole("link", { name: "Tạo chiến dịch" }).click();
    await page.waitForURL(/\/console\/outreach\/compose\?content=/);
    const check = page.locator("#check");
    expect(await check.innerText()).toContain("Số người nhận hiện nay: 4");
    await page.getByLabel("Cảnh báo lừa đảo").check();
    await expect.poll(() => check.innerText(), { timeout: 10_000 }).toContain("Số người nhận hiện nay: 3");
    await page.getByLabel("Thời gian gửi (gõ bằng lời)").fill("ngay");
    await expect.poll(() => check.innerText(), { timeout: 10_000 }).toContain("Đã hiểu thời gian: gửi ngay.");
    expect(await page.locator("#quiet").innerText()).toMatch(/^Giờ yên lặng: không gửi tin tuyên truyền từ \d\d:00 đến \d\d:00/);
    await check.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, "outreach-composer.png") });

    // "Send a preview to me": only the officer's private chat gets it.
    await page.getByRole("button", { name: "Gửi bản xem trước cho tôi" }).click();
    await expect.poll(() => page.getByRole("status").first().innerText()).toContain("Đã gửi bản xem trước");
    const previewed = await eventually(() => tg.delivered(STAFF).find((c) => tgShownText(c.payload).includes("Công an không bao giờ yêu cầu chuyển tiền")), 10_000, "the preview in the private chat");
    expect(tgShownText(previewed.payload)).toContain("Câu hỏi: Công an có gọi điện yêu cầu chuyển tiền không?");
    await waitIdle(t);
    for (const id of [...FRAUD_01, TRAFFIC_01, FRAUD_79]) expect(tg.delivered(id)).toEqual([]);
    expect(await t.db.campaign.count()).toBe(0);
    // The form kept its choices.
    expect(await page.getByLabel("Cảnh báo lừa đảo").isChecked()).toBe(true);
    expect(await check.innerText()).toContain("Số người nhận hiện nay: 3");

    // Confirm: the campaign is created and scheduled; the engine sends it to the three fraud subscribers of Hà Nội.
    await page.getByRole("button", { name: "Xác nhận và lên lịch" }).click();
    await page.waitForURL(/\/console\/outreach\/campaigns\/[A-Za-z0-9_-]+\?done=confirmed/);
    const campaign = await t.db.campaign.findFirstOrThrow();
    const officer = await t.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(STAFF) } });
    expect(await t.db.auditEvent.count({ where: { action: { in: ["campaign.created", "campaign.confirmed"] }, actor: `officer:${officer.id}` } })).toBe(2);
    for (const id of FRAUD_01) await eventually(() => tg.delivered(id).find((c) => tgShownText(c.payload).includes("Call 113") || tgShownText(c.payload).includes("Hãy gọi 113")), 20_000, `the campaign message to ${id}`);
    expect(tgShownText(tg.delivered(FRAUD_01[2]!)[0]!.payload)).toContain("The police never ask you");
    await waitIdle(t);
    expect(tg.delivered(TRAFFIC_01)).toEqual([]);
    expect(tg.delivered(FRAUD_79)).toEqual([]);
    // A resident answers the quiz (the right answer).
    const got = tg.delivered(FRAUD_01[0]!)[0]!;
    const buttons = (got.payload.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> }).inline_keyboard.flat();
    await tg.pushUpdate(tgCallback(FRAUD_01[0]!, buttons[1]!.callback_data, (got.response!.result as { message_id: number }).message_id));

    // The page follows without reloading: the final report with its figures and the quiz answer.
    const live = page.locator("#campaign");
    await expect.poll(() => live.innerText(), { timeout: 20_000 }).toContain("Báo cáo cuối cùng");
    await expect.poll(() => live.locator('tr[data-option="0:1"] td').first().innerText(), { timeout: 20_000 }).toBe("1");
    expect(await live.locator('tr[data-figure="sent"] td').innerText()).toBe("3");
    expect(await live.locator('tr[data-figure="targeted"] td').innerText()).toBe("3");
    expect(await live.locator("svg.chart").count()).toBe(2);
    expect(await live.innerText()).toContain("Hoàn thành");
    await live.locator("h2[data-final]").evaluate((el) => (el as unknown as { scrollIntoView(): void }).scrollIntoView());
    await page.screenshot({ path: path.join(SHOTS, "outreach-report.png") });

    // The campaigns list: the campaign, done, its figures.
    await page.getByRole("link", { name: "Chiến dịch", exact: true }).click();
    const row = page.locator(`tr[data-campaign="${campaign.id}"]`);
    expect(await row.getAttribute("data-status")).toBe("done");
    expect(await row.locator('td[data-figure="sent"]').innerText()).toBe("3");
    expect(await row.locator('td[data-figure="quiz"]').innerText()).toBe("1");
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "vi-VN", storageState: await context.storageState() });
    const small = await phone.newPage();
    await small.goto(`${t.url}/console/outreach/campaigns`);
    await small.screenshot({ path: path.join(SHOTS, "outreach-campaigns-phone.png") });
    await phone.close();
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
