import fs from "node:fs";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";

/** Debian's Chromium (CI installs it; no browser is ever downloaded). */
export const CHROMIUM = "/usr/bin/chromium";
/** Flags every browser journey launches it with (headless in a container, no network of its own). */
export const CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
/** Whether Chromium is installed (a journey without it is skipped, loudly). */
export const hasChromium = fs.existsSync(CHROMIUM);

/** Launches Debian's Chromium, headless, with CHROMIUM_FLAGS. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** Collects into `errors` (returned) the page's uncaught script errors and the errors in its console (a CSP refusal shows there). */
export function watchErrors(page: Page, errors: string[] = []): string[] {
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  return errors;
}

/** A new browser context (1280×800 desktop in Vietnamese unless `options` say otherwise) with one page whose errors are collected. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "vi-VN", ...options });
  const page = await context.newPage();
  return { context, page, errors: watchErrors(page) };
}
