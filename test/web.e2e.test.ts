import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import { FALLBACK_GROUP, startTestApp, type TestApp } from "./helpers/app.ts";
import { PLANTED, WEB_COOKIE, hasGpsIfd, jpegMarkers, jpegWithMetadata } from "./helpers/webChat.ts";

/** Debian's Chromium (CI installs it; no browser is ever downloaded). */
const CHROMIUM = "/usr/bin/chromium";
/** Flags for this machine's closed network (see the environment notes): no background connections. */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = path.resolve(import.meta.dirname, "artifacts");
const HOAN_KIEM_LAKE = { latitude: 21.0287, longitude: 105.8524 };

const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `\n${"!".repeat(100)}\n!!! web.e2e.test.ts: ${CHROMIUM} is missing — the web chat browser journeys are SKIPPED.\n` +
      `!!! Install Debian's chromium (apt-get install -y chromium); .ci/run does it before the tests.\n${"!".repeat(100)}\n`,
  );
}

let t: TestApp;
let tg: FakeTelegramApi;
let browser: Browser;
const contexts: BrowserContext[] = [];

/** A resident in a browser: each action waits for the bot's answer and returns its text. */
class BrowserTipster {
  constructor(readonly page: Page) {}

  static async open(opts: { geolocation?: boolean } = {}): Promise<BrowserTipster> {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: "vi-VN",
      ...(opts.geolocation ? { geolocation: HOAN_KIEM_LAKE, permissions: ["geolocation"] } : {}),
    });
    contexts.push(context);
    const page = await context.newPage();
    const tipster = new BrowserTipster(page);
    page.on("pageerror", (err) => tipster.errors.push(String(err)));
    page.on("console", (msg) => {
      if (msg.type() === "error") tipster.errors.push(msg.text());
    });
    return tipster;
  }

  /** Script errors and CSP violations seen in the page. */
  readonly errors: string[] = [];

  botMessages(): Locator {
    return this.page.locator(".msg.bot");
  }

  /** Runs `action`, then waits for `replies` new bot messages; returns the last one's text. */
  async after(action: () => Promise<unknown>, replies = 1): Promise<string> {
    const before = await this.botMessages().count();
    await action();
    await this.botMessages().nth(before + replies - 1).waitFor({ timeout: 10_000 });
    return this.botMessages().last().innerText();
  }

  /** Loads the page; the bot greets a new session by itself. */
  async start(): Promise<string> {
    return this.after(() => this.page.goto(t.url));
  }

  choice(label: string): Locator {
    return this.page.locator(".choices button", { hasText: label }).first();
  }

  /** Clicks the button of the last message whose label contains `label`. */
  press(label: string): Promise<string> {
    return this.after(() => this.choice(label).click());
  }

  /** Moves the keyboard focus to the button and presses Enter. */
  pressWithKeyboard(label: string): Promise<string> {
    return this.after(async () => {
      await this.choice(label).focus();
      await this.page.keyboard.press("Enter");
    });
  }

  /** Types into the message box and presses Enter. */
  say(text: string, label = "Tin nhắn của bạn"): Promise<string> {
    return this.after(async () => {
      await this.page.getByLabel(label).fill(text);
      await this.page.getByLabel(label).press("Enter");
    });
  }

  /** The session cookie as the browser holds it. */
  async cookie() {
    const cookies = await this.page.context().cookies();
    return cookies.find((c) => c.name === WEB_COOKIE)!;
  }
}

const codeOf = (text: string) => /(?:Mã tin báo|Report code): (TM-[A-Z0-9]{6})/.exec(text)?.[1];
const pinOf = (text: string) => /(?:Mã PIN|PIN): (\d{6})/.exec(text)?.[1];

/** The anonymous tip's code and PIN, checked again in another browser session. */
let anonymousReceipt: { code: string; pin: string } | undefined;

describe.skipIf(!hasChromium)("web chat in Chromium", () => {
  beforeAll(async () => {
    // Officers' side configured (a Telegram fake, a fall-back group bound), so receipts can say "sent".
    tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
    await tg.listen();
    t = await startTestApp({ telegram: tg, referenceData: true, fallbackGroup: FALLBACK_GROUP });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await tg?.close();
  });

  it("anonymous tip with the keyboard and buttons, the browser's location and a photo: receipt with code and PIN; nothing identifying stored", async () => {
    const p = await BrowserTipster.open({ geolocation: true });
    const greeting = await p.start();
    expect(greeting).toContain("Xin chào! Đây là Tai Mắt");
    // The first button has the focus: a keyboard user just presses Enter.
    expect(await p.page.locator(":focus").innerText()).toBe("Tiếng Việt");
    const menu = await p.after(() => p.page.keyboard.press("Enter"));
    expect(menu).toContain("Đã chọn tiếng Việt");
    const category = await p.pressWithKeyboard("Báo tin tội phạm");
    expect(category).toContain("Bạn muốn báo tin về việc gì?");
    await p.press("Ma tuý");
    const place = await p.press("Có, đang nguy hiểm");
    expect(place).toContain("🚨 Hãy gọi ngay 113");
    expect(place).toContain("Việc này xảy ra ở đâu?");
    // 113 in the bot's text is a phone link.
    expect(await p.page.locator('.msg.bot a[href="tel:113"]').last().innerText()).toBe("113");

    const locate = p.page.getByRole("button", { name: "📍 Gửi vị trí" });
    await locate.waitFor({ state: "visible" });
    await p.page.screenshot({ path: path.join(ARTIFACTS, "web-chat-mobile.png") });

    const when = await p.after(() => locate.click());
    expect(when).toContain("Nơi xảy ra: Phường Hoàn Kiếm, Thành phố Hà Nội.");
    expect(await locate.isVisible()).toBe(false);
    const details = await p.press("Hôm nay");
    expect(details).toContain("địa điểm cụ thể");
    const what = await p.say("Quán nước đầu ngõ 12, tối nào cũng có người đến mua bán.");
    expect(what).toContain("Bạn kể lại sự việc");

    const photo = await jpegWithMetadata(120, 90);
    const received = await p.after(() => p.page.locator("#photo").setInputFiles({ name: "IMG_0001.jpg", mimeType: "image/jpeg", buffer: photo }));
    expect(received).toContain("Đã nhận");
    expect(await p.page.locator(".msg.me img").count()).toBe(1);
    expect(await p.say("Có khoảng 5 người, thường đến lúc 22 giờ.")).toContain("Đã nhận");
    const identity = await p.press("Xong");
    expect(identity).toContain("🕶 Ẩn danh");
    const review = await p.press("Ẩn danh");
    expect(review).toContain("Tệp đính kèm: 1");
    expect(review).toContain("Cách gửi: Ẩn danh");
    const receipt = await p.press("Gửi tin báo");
    expect(receipt).toContain("Đã gửi tin báo đến Công an phường Hoàn Kiếm.");
    const code = codeOf(receipt)!;
    const pin = pinOf(receipt)!;
    expect(code).toMatch(/^TM-[2-9A-HJKMNP-Z]{6}$/);
    expect(pin).toMatch(/^\d{6}$/);
    anonymousReceipt = { code, pin };
    await p.page.screenshot({ path: path.join(ARTIFACTS, "web-chat-mobile-receipt.png") });

    const cookie = await p.cookie();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code }, include: { attachments: true } });
    expect(tip).toMatchObject({ channel: "web", identityMode: "anonymous", contactSealed: null, communeCode: "00070", placeSource: "location", category: "drugs", lifeSafety: true });
    const stored = JSON.stringify(tip);
    const chat = await t.db.chat.findFirstOrThrow({ where: { channel: "web", outbox: { some: { sensitive: true } } }, orderBy: { createdAt: "desc" } });
    expect(stored).not.toContain(cookie.value);
    expect(stored).not.toContain(chat.platformChatId);
    expect(stored).not.toContain(chat.platformChatId.slice(2));
    expect(t.sealer.open(tip.replyRefSealed, "tip-reply-ref")).toBe(chat.id);
    expect(tip.attachments).toHaveLength(1);
    const ref = tip.attachments[0]!.ref;
    expect(ref).toMatch(/^upload:[A-Za-z0-9_-]+$/);
    const upload = await t.db.upload.findUniqueOrThrow({ where: { id: ref.slice("upload:".length) } });
    expect(upload.chatId).not.toContain(chat.platformChatId);
    const bytes = Buffer.from(upload.bytes);
    expect(hasGpsIfd(bytes)).toBe(false);
    expect(jpegMarkers(bytes).filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe)).toEqual([]);
    for (const planted of ["Exif", PLANTED.make, PLANTED.serial, PLANTED.comment]) expect(bytes.includes(Buffer.from(planted, "latin1"))).toBe(false);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: "jpeg", width: 120, height: 90 });
    expect(p.errors).toEqual([]);

    // After a reload the receipt is not shown again: a placeholder explains why.
    await p.page.reload();
    await p.page.locator(".msg.notice", { hasText: "không hiển thị lại" }).waitFor();
    expect(await p.page.locator(".msg.bot", { hasText: code }).count()).toBe(0);
  });

  it("confidential tip with a typed place and a typed phone number; the contact is kept sealed", async () => {
    const p = await BrowserTipster.open();
    await p.start();
    await p.press("Tiếng Việt");
    await p.press("Báo tin tội phạm");
    await p.press("Trộm cắp");
    await p.press("Không");
    // No permission for the location: a clear message, and typing the place works.
    await p.page.getByRole("button", { name: "📍 Gửi vị trí" }).click();
    await p.page.locator("#status.error", { hasText: "Bạn chưa cho phép trang web biết vị trí" }).waitFor();
    const when = await p.say("phuong hoan kiem");
    expect(when).toContain("Nơi xảy ra: Phường Hoàn Kiếm, Thành phố Hà Nội.");
    await p.press("Hôm qua");
    await p.say("Xe máy bị lấy trộm trước cửa nhà số 5.");
    await p.press("Xong");
    expect(await p.press("Bảo mật")).toContain("họ và tên");
    expect(await p.say("Phạm Thị Dung")).toContain("số điện thoại");
    expect(await p.say("12345")).toContain("Số điện thoại chưa đúng");
    const review = await p.say("0987 654 321");
    expect(review).toContain("Cách gửi: Bảo mật");
    const receipt = await p.press("Gửi tin báo");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code: codeOf(receipt)! } });
    expect(tip).toMatchObject({ channel: "web", identityMode: "confidential", placeSource: "typed", communeCode: "00070" });
    expect(tip.contactSealed).not.toContain("0987654321");
    expect(tip.contactSealed).not.toContain("Dung");
    expect(JSON.parse(t.sealer.open(tip.contactSealed!, "tip-contact"))).toEqual({ name: "Phạm Thị Dung", phone: "0987654321" });
    expect(p.errors.filter((e) => !e.includes("geolocation"))).toEqual([]);
  });

  it("checks a tip with its code and PIN from another browser session", async () => {
    expect(anonymousReceipt).toBeDefined();
    const p = await BrowserTipster.open();
    await p.start();
    await p.press("Tiếng Việt");
    expect(await p.press("Tra cứu tin báo")).toContain("Bạn gõ mã tin báo");
    expect(await p.say(anonymousReceipt!.code.toLowerCase())).toContain("mã PIN");
    const status = await p.say(anonymousReceipt!.pin);
    expect(status).toContain(`Tin báo ${anonymousReceipt!.code}`);
    expect(status).toContain("Nơi tiếp nhận: Công an phường Hoàn Kiếm");
    expect(status).toContain("Tình trạng: Đã tiếp nhận, đang chờ cán bộ xem xét");
    // "Bổ sung thông tin": what is typed next goes under the tip's card, and the page says so.
    expect(await p.press("Bổ sung thông tin")).toContain("Mỗi tin được chuyển ngay tới Công an phường Hoàn Kiếm");
    expect(await p.say("Thêm: người bán đi xe máy màu đỏ.")).toContain("✅ Đã chuyển thông tin bổ sung của bạn tới Công an phường Hoàn Kiếm.");
    await tg.waitFor(() => tg.delivered(FALLBACK_GROUP).find((c) => String(c.payload.text).includes("┃ Thêm: người bán đi xe máy màu đỏ.")), 10_000);
    expect(await p.press("Xong")).toContain("Cảm ơn bạn đã bổ sung thông tin");
  });

  it("switching to English changes the page's labels and the bot's replies; a named tip in English", async () => {
    const p = await BrowserTipster.open();
    await p.start();
    expect(await p.page.getByRole("button", { name: "Gửi", exact: true }).isVisible()).toBe(true);
    const chosen = await p.after(() => p.page.locator(".langs").getByRole("button", { name: "English" }).click());
    expect(chosen).toContain("English selected");
    await p.page.getByRole("button", { name: "Send", exact: true }).waitFor();
    expect(await p.page.getByLabel("Your message").getAttribute("placeholder")).toBe("Type a message…");
    expect(await p.page.locator("html").getAttribute("lang")).toBe("en");
    expect(await p.page.locator(".langs button[lang=en]").getAttribute("aria-pressed")).toBe("true");
    expect(await p.page.locator("label[for=photo]").innerText()).toContain("Send a photo");
    expect(await p.page.title()).toBe("Tai Mắt — Report a crime");

    await p.press("Report a crime");
    await p.press("Theft, robbery");
    expect(await p.press("No")).toContain("Where did it happen?");
    expect(await p.say("Phường Hoàn Kiếm, Hà Nội", "Your message")).toContain("Place: Phường Hoàn Kiếm, Thành phố Hà Nội.");
    await p.press("Today");
    await p.say("My bicycle was stolen outside the market.", "Your message");
    await p.press("Done");
    expect(await p.press("Named")).toContain("Your full name");
    await p.say("Tran Van Binh", "Your message");
    const review = await p.say("+84 912 345 678", "Your message");
    expect(review).toContain("Named");
    const receipt = await p.press("Send report");
    const code = codeOf(receipt)!;
    expect(receipt).toContain("Report code:");
    const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
    expect(tip).toMatchObject({ channel: "web", identityMode: "named", locale: "en" });
    expect(JSON.parse(t.sealer.open(tip.contactSealed!, "tip-contact"))).toEqual({ name: "Tran Van Binh", phone: "0912345678" });

    // Reloading keeps the language: the page is served in English from the start.
    await p.page.reload();
    await p.page.getByRole("button", { name: "Send", exact: true }).waitFor();
    expect(p.errors).toEqual([]);
  });
});
