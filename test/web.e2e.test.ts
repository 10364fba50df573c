import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import { chatKeyOf } from "../src/channels/web/session.ts";
import { FALLBACK_GROUP, eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { dumpDatabase } from "./helpers/dump.ts";
import { PLANTED, WEB_COOKIE, hasGpsIfd, jpegMarkers, jpegWithMetadata } from "./helpers/webChat.ts";
import { CHROMIUM, hasChromium, launchChromium, watchErrors } from "./helpers/browser.ts";

const ARTIFACTS = path.resolve(import.meta.dirname, "artifacts");
const HOAN_KIEM_LAKE = { latitude: 21.0287, longitude: 105.8524 };

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

  static async open(opts: { geolocation?: boolean; clipboard?: boolean } = {}): Promise<BrowserTipster> {
    const permissions = [...(opts.geolocation ? ["geolocation"] : []), ...(opts.clipboard ? ["clipboard-read", "clipboard-write"] : [])];
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: "vi-VN",
      ...(opts.geolocation ? { geolocation: HOAN_KIEM_LAKE } : {}),
      ...(permissions.length ? { permissions } : {}),
    });
    contexts.push(context);
    const page = await context.newPage();
    const tipster = new BrowserTipster(page);
    watchErrors(page, tipster.errors);
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
  async start(url = t.url): Promise<string> {
    return this.after(() => this.page.goto(url));
  }

  /** The conversation as shown, both sides in order: "bot: …", "me: …", "notice: …" (a photo as "me: [photo]"). */
  async transcript(): Promise<string[]> {
    // (Run in the page; the test's TypeScript does not know the DOM.)
    return (await this.page.evaluate(`Array.from(document.querySelectorAll(".msg"), (el) => {
      const kind = el.classList.contains("bot") ? "bot" : el.classList.contains("me") ? "me" : "notice";
      const text = Array.from(el.childNodes).filter((n) => !(n.classList && n.classList.contains("who"))).map((n) => n.textContent).join("").trim();
      return kind + ": " + (el.querySelector("img") || /^📷 /.test(text) ? "[photo]" : text);
    })`)) as string[];
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
    browser = await launchChromium();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await tg?.close();
  });

  it("anonymous tip with the keyboard and buttons, the browser's location and a photo: receipt with code and PIN; nothing identifying stored", async () => {
    const p = await BrowserTipster.open({ geolocation: true, clipboard: true });
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
    // 113 in the bot's text is a phone link, and someone in danger gets a large «Gọi 113» button.
    expect(await p.page.locator('.msg.bot a[href="tel:113"]').last().innerText()).toBe("113");
    const call = p.page.locator("a.call113");
    expect(await call.count()).toBe(1);
    expect(await call.getAttribute("href")).toBe("tel:113");
    expect(await call.innerText()).toBe("📞 Gọi 113");
    const box = (await call.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(48);
    expect(box.width).toBeGreaterThan(300);

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

    // The receipt comes with a clear warning, and closing the tab before copying it asks first.
    const tools = p.page.locator(".receipt-tools");
    expect(await tools.locator(".warning").innerText()).toContain("Hãy chép lại mã tin báo và mã PIN ngay");
    expect(await tools.locator(".warning").innerText()).toContain("khi bạn đóng thẻ hoặc bấm «Ẩn mã», mã sẽ bị ẩn");
    await tools.scrollIntoViewIfNeeded();
    await p.page.screenshot({ path: path.join(ARTIFACTS, "web-chat-receipt-tools.png") });
    const asked = new Promise<string>((resolve) => p.page.once("dialog", (d) => void d.dismiss().then(() => resolve(d.type()))));
    await p.page.close({ runBeforeUnload: true });
    expect(await asked).toBe("beforeunload");
    expect(p.page.isClosed()).toBe(false);
    // The copy button copies the code and PIN.
    await tools.getByRole("button", { name: "📋 Sao chép mã" }).click();
    await p.page.locator("#status", { hasText: "Đã sao chép mã tin báo và mã PIN." }).waitFor();
    expect(await p.page.evaluate("navigator.clipboard.readText()")).toBe(`Mã tin báo: ${code}\nMã PIN: ${pin}`);
    // Nothing on the server holds it in clear once delivered.
    await eventually(async () => (await t.db.outboxMessage.findFirst({ where: { chatId: chat.id, sensitive: true } }))?.status === "sent");
    const dump = JSON.stringify(await dumpDatabase(t.db, t.databaseUrl));
    expect(dump).not.toContain(`PIN: ${pin}`);
    expect(dump).not.toContain(`"pin":"${pin}"`);

    // After a reload: both sides of the conversation as they were, the receipt still there (this tab keeps it).
    const before = await p.transcript();
    expect(before.filter((m) => m.startsWith("me: "))).toEqual([
      "me: Tiếng Việt",
      "me: 🚨 Báo tin tội phạm",
      "me: Ma tuý",
      "me: Có, đang nguy hiểm",
      "me: 📍 Đã gửi vị trí",
      "me: Hôm nay",
      "me: Quán nước đầu ngõ 12, tối nào cũng có người đến mua bán.",
      "me: [photo]",
      "me: Có khoảng 5 người, thường đến lúc 22 giờ.",
      "me: Xong",
      "me: Ẩn danh",
      "me: ✅ Gửi tin báo",
    ]);
    await p.page.reload();
    await p.page.locator(".msg.bot.receipt", { hasText: code }).waitFor();
    expect(await p.transcript()).toEqual(before);
    expect(await p.page.locator("a.call113").count()).toBe(1);

    // «Ẩn mã» hides it at once; after a reload, and in another tab, a placeholder explains why.
    await tools.getByRole("button", { name: "Ẩn mã" }).click();
    await p.page.locator(".msg.notice", { hasText: "không hiển thị lại" }).waitFor();
    expect(await p.page.locator(".msg.bot", { hasText: code }).count()).toBe(0);
    await p.page.reload();
    await p.page.locator(".msg.notice", { hasText: "không hiển thị lại" }).waitFor();
    expect(await p.page.locator(".msg.bot", { hasText: code }).count()).toBe(0);
    const other = await p.page.context().newPage();
    await other.goto(t.url);
    await other.locator(".msg.notice", { hasText: "không hiển thị lại" }).waitFor();
    expect(await other.locator(".msg", { hasText: code }).count()).toBe(0);
    expect(p.errors).toEqual([]);
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
  it("a message typed while the server is down is kept, marked «chưa gửi», and delivered exactly once when the server is back; a typing indicator while the bot works", async () => {
    // Its own service, restarted on the same port, database and sealing key (the session cookie stays valid).
    const key = crypto.randomBytes(32);
    const first = await startTestApp({ referenceData: true, sealingKey: key });
    let second: TestApp | undefined;
    try {
      const p = await BrowserTipster.open();
      await p.start(first.url);
      await p.press("Tiếng Việt");
      await p.press("Báo tin tội phạm");
      await p.press("Trộm cắp");
      await p.press("Không");
      await p.say("phuong hoan kiem");
      expect(await p.press("Hôm qua")).toContain("Bạn kể lại sự việc");

      // Every message request the page makes, and what the server answered.
      const posted: Array<{ id: string; text?: string }> = [];
      p.page.on("request", (req) => {
        if (req.method() === "POST" && req.url().endsWith("/api/chat/messages")) posted.push(JSON.parse(req.postData() ?? "{}"));
      });
      // Seen by the page: when the typing indicator and the bot's messages come and go.
      // (Run in the page; the test's TypeScript does not know the DOM.)
      await p.page.evaluate(`(() => {
        const seen = (window.seen = []);
        new MutationObserver((records) => {
          for (const r of records) {
            for (const n of r.addedNodes) if (n.matches && (n.matches(".typing") || n.matches(".msg.bot"))) seen.push(n.matches(".typing") ? "typing+" : "bot");
            for (const n of r.removedNodes) if (n.matches && n.matches(".typing")) seen.push("typing-");
          }
        }).observe(document.querySelector("#log"), { childList: true });
      })()`);

      await first.stopOnly();
      await p.page.locator("#status", { hasText: "Mất kết nối" }).waitFor();
      const botsBefore = await p.botMessages().count();
      const lines = ["Xe đạp màu xanh bị lấy trộm lúc 9 giờ sáng.", "Người lấy mặc áo đỏ, đi về phía chợ."] as const;
      for (const line of lines) {
        await p.page.getByLabel("Tin nhắn của bạn").fill(line);
        await p.page.getByLabel("Tin nhắn của bạn").press("Enter");
      }
      // Kept on the page, marked as not sent, with the reason in the status line.
      const unsent = p.page.locator(".msg.me.unsent");
      await eventually(async () => (await unsent.count()) === 2, 10_000, "both messages marked unsent");
      expect(await unsent.nth(0).innerText()).toContain(lines[0]);
      expect(await unsent.nth(1).innerText()).toContain("⏳ Chưa gửi — sẽ tự gửi khi có kết nối");
      await p.page.locator("#status", { hasText: "Tin nhắn của bạn được giữ lại" }).waitFor();
      await p.page.screenshot({ path: path.join(ARTIFACTS, "web-chat-offline.png") });
      const kept = JSON.parse((await p.page.evaluate("sessionStorage.getItem('taimat.chat.v1')")) as string) as { items: Array<{ id: string; state: string }> };
      const [firstId = "", secondId = ""] = kept.items.filter((i) => i.state === "pending").map((i) => i.id);
      expect(posted.filter((m) => m.id === firstId).length).toBeGreaterThanOrEqual(1); // tried while down

      // When the server is back, its first acknowledgement of the first message is lost on the way:
      // the page sends it again with the same id, and the server recognises the repeat.
      const answers: Array<{ id: string; duplicate: boolean }> = [];
      let swallowed = false;
      await p.page.route("**/api/chat/messages", async (route) => {
        let response;
        try {
          response = await route.fetch();
        } catch {
          return route.abort("connectionrefused");
        }
        const id = (JSON.parse(route.request().postData() ?? "{}") as { id: string }).id;
        const json = (await response.json()) as { duplicate: boolean };
        answers.push({ id, duplicate: json.duplicate });
        if (!swallowed && id === firstId && response.status() === 202) {
          swallowed = true;
          return route.abort("connectionreset");
        }
        return route.fulfill({ response });
      });
      // The bot's work is held at first, so the page is seen between the acknowledgement and the answer.
      second = await startTestApp({ databaseUrl: first.databaseUrl, port: Number(new URL(first.url).port), sealingKey: key, holdInbox: true });
      await eventually(async () => (await unsent.count()) === 0, 30_000, "the kept messages acknowledged");
      await p.page.locator(".typing").waitFor();
      expect(await p.botMessages().count()).toBe(botsBefore);
      second.app.worker.resume();

      await eventually(async () => (await p.botMessages().count()) >= botsBefore + 2, 30_000, "the kept messages answered");
      expect(await p.page.locator(".msg.me.refused").count()).toBe(0);
      expect(answers.filter((a) => a.id === firstId)).toEqual([
        { id: firstId, duplicate: false },
        { id: firstId, duplicate: true },
      ]);
      expect(answers.filter((a) => a.id === secondId)).toEqual([{ id: secondId, duplicate: false }]);
      // Every attempt of a message used its one id; the inbox holds one row per message.
      expect(posted.filter((m) => m.text === lines[0]).every((m) => m.id === firstId)).toBe(true);
      expect(posted.filter((m) => m.text === lines[1]).every((m) => m.id === secondId)).toBe(true);
      const chatKey = chatKeyOf((await p.cookie()).value);
      for (const id of [firstId, secondId]) {
        expect(await second.db.inboxUpdate.count({ where: { channel: "web", updateKey: second.sealer.handle(`${chatKey}:${id}`, "web-update") } })).toBe(1);
      }
      // The bot worked on them: the typing indicator came, then the answer replaced it.
      const seen = (await p.page.evaluate("window.seen")) as string[];
      // (No indicator for a repeat: its answer may have come already.)
      const answered = seen.indexOf("bot");
      expect(seen.slice(0, answered)).toEqual(["typing+", "typing-"]);
      expect(seen.lastIndexOf("typing+")).toBeLessThan(answered);
      expect(await p.page.locator(".typing").count()).toBe(0);

      // The tip holds each text exactly once, in order.
      await p.press("Xong");
      const review = await p.press("Ẩn danh");
      for (const line of lines) expect(review.split(line).length - 1).toBe(1);
      expect(review.indexOf(lines[0])).toBeLessThan(review.indexOf(lines[1]));
      expect(p.errors.filter((e) => !/ERR_CONNECTION|Failed to load resource|net::/.test(e))).toEqual([]);
    } finally {
      await second?.close();
      await first.close();
    }
  });

  it("a message not sent yet survives a reload of the page, still marked, and is sent once the connection is back", async () => {
    const p = await BrowserTipster.open();
    await p.start();
    await p.press("Tiếng Việt");
    // The message endpoint is unreachable (the event stream still works).
    await p.page.route("**/api/chat/messages", (route) => route.abort("internetdisconnected"));
    await p.page.getByLabel("Tin nhắn của bạn").fill("113");
    await p.page.getByLabel("Tin nhắn của bạn").press("Enter");
    await p.page.locator(".msg.me.unsent", { hasText: "113" }).waitFor();
    const kept = JSON.parse((await p.page.evaluate("sessionStorage.getItem('taimat.chat.v1')")) as string) as { items: Array<{ id: string; state: string }> };
    const id = kept.items.find((i) => i.state === "pending")!.id;

    p.page.on("dialog", (d) => void d.accept()); // "leave the page?" (something is not sent): yes, reload
    const bots = await p.botMessages().count();
    await p.page.reload();
    await p.botMessages().nth(bots - 1).waitFor();
    const unsent = p.page.locator(".msg.me.unsent");
    await unsent.waitFor();
    expect(await unsent.innerText()).toContain("113");
    expect(await unsent.innerText()).toContain("Chưa gửi");
    expect((await p.transcript()).slice(-2)).toEqual([expect.stringMatching(/^bot: Đã chọn tiếng Việt/), expect.stringMatching(/^me: 113\s*⏳ Chưa gửi/)]);

    await p.page.unroute("**/api/chat/messages");
    const answer = await p.botMessages().nth(bots).waitFor({ timeout: 30_000 }).then(() => p.botMessages().nth(bots).innerText());
    expect(answer).toContain("Nếu có người đang gặp nguy hiểm, hãy gọi ngay");
    await eventually(async () => (await unsent.count()) === 0);
    expect(await p.page.locator("a.call113").last().innerText()).toBe("📞 Gọi 113");
    const chatKey = chatKeyOf((await p.cookie()).value);
    expect(await t.db.inboxUpdate.count({ where: { channel: "web", updateKey: t.sealer.handle(`${chatKey}:${id}`, "web-update") } })).toBe(1);
    expect((await p.transcript()).filter((m) => m.startsWith("me: 113"))).toHaveLength(1);
    expect(p.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource|net::/.test(e))).toEqual([]);
  });

  it("an answer that arrives before the acknowledgement leaves no typing indicator behind", async () => {
    const p = await BrowserTipster.open();
    await p.start();
    await p.press("Tiếng Việt");
    const bots = await p.botMessages().count();
    // The server takes the message and the bot answers; its acknowledgement reaches the page only after the answer.
    await p.page.route("**/api/chat/messages", async (route) => {
      const response = await route.fetch();
      await p.botMessages().nth(bots).waitFor({ timeout: 30_000 });
      await route.fulfill({ response });
    });
    await p.page.getByLabel("Tin nhắn của bạn").fill("113");
    await p.page.getByLabel("Tin nhắn của bạn").press("Enter");
    await eventually(async () => {
      const kept = JSON.parse((await p.page.evaluate("sessionStorage.getItem('taimat.chat.v1')")) as string) as { items: Array<{ state: string }> };
      return kept.items.length > 0 && kept.items.every((i) => i.state === "sent");
    }, 30_000, "the message acknowledged");
    expect(await p.botMessages().nth(bots).innerText()).toContain("113");
    expect(await p.page.locator(".typing").count()).toBe(0);
  });

  it("all three languages in the header: the page sets its lang and its own labels in the chosen one, also after a reload", async () => {
    const p = await BrowserTipster.open();
    const response = await p.page.goto(t.url);
    // Served with a strict CSP, everything from this origin.
    expect(response!.headers()["content-security-policy"]).toContain("default-src 'self'; script-src 'self'");
    await p.botMessages().first().waitFor();
    expect(await p.page.locator(".langs button").allInnerTexts()).toEqual(["Tiếng Việt", "English", "ភាសាខ្មែរ"]);
    expect(await p.page.locator("html").getAttribute("lang")).toBe("vi");
    await p.page.screenshot({ path: path.join(ARTIFACTS, "web-chat-vi.png") });

    const chosen = await p.after(() => p.page.locator(".langs").getByRole("button", { name: "ភាសាខ្មែរ" }).click());
    expect(chosen).toContain("បានជ្រើសរើសភាសាខ្មែរ");
    const khmer = async () => {
      await p.page.getByRole("button", { name: "ផ្ញើ", exact: true }).waitFor();
      expect(await p.page.locator("html").getAttribute("lang")).toBe("km");
      expect(await p.page.title()).toBe("Tai Mắt — រាយការណ៍បទល្មើស");
      expect(await p.page.getByLabel("សាររបស់លោកអ្នក").getAttribute("placeholder")).toBe("វាយសារ…");
      expect(await p.page.locator(".tagline").innerText()).toBe("រាយការណ៍ទៅនគរបាលឃុំ សង្កាត់ — មានសុវត្ថិភាព និងអាចធ្វើជាអនាមិកបាន");
      expect(await p.page.locator(".langs button[lang=km]").getAttribute("aria-pressed")).toBe("true");
    };
    await khmer();
    // The emergency numbers are urgent: the large call button, labelled in Khmer.
    const numbers = await p.press("លេខទូរស័ព្ទសង្គ្រោះបន្ទាន់");
    expect(numbers).toContain("📞 113 — នគរបាល");
    expect(await p.page.locator("a.call113").last().innerText()).toBe("📞 ហៅលេខ 113");
    expect(await p.page.locator("a.call113").last().getAttribute("href")).toBe("tel:113");
    await p.page.screenshot({ path: path.join(ARTIFACTS, "web-chat-km.png") });

    // Reloaded: the page is served in Khmer from the start (no Vietnamese under lang="km").
    const reloaded = await p.page.reload();
    const html = await reloaded!.text();
    expect(html).toContain('<html lang="km">');
    expect(html).toContain("វាយសារ…");
    expect(html).not.toContain("Nhập tin nhắn");
    await khmer();

    await p.after(() => p.page.locator(".langs").getByRole("button", { name: "English" }).click());
    await p.page.getByRole("button", { name: "Send", exact: true }).waitFor();
    expect(await p.page.locator("html").getAttribute("lang")).toBe("en");
    // Typed, the emergency word gets the numbers and the call button in English.
    await p.say("113", "Your message");
    expect(await p.page.locator("a.call113").last().innerText()).toBe("📞 Call 113");
    await p.page.screenshot({ path: path.join(ARTIFACTS, "web-chat-en.png") });
    expect(p.errors).toEqual([]);
  });
});
