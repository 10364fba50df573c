import type { Browser } from "playwright-core";
import { expect } from "vitest";
import type { Db } from "../../src/db/client.ts";
import type { Role } from "../../src/core/officers/roles.ts";
import { FakeTelegramApi, tgShownText } from "../fakes/telegramApi.ts";
import { FAST_RATES, eventually, startTestApp, type TestApp } from "./app.ts";
import { launchChromium } from "./browser.ts";
import { seedOfficer } from "./officers.ts";
import { TelegramTipster } from "./tipster.ts";

/** A browser-less console client: keeps its cookies, never follows redirects, reads the CSRF token of the last page. */
export class ConsoleClient {
  readonly jar = new Map<string, string>();
  lastSetCookies: string[] = [];
  constructor(readonly base: string) {}

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(method: "GET" | "POST", path: string, opts: { form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: "manual",
      headers: {
        cookie: this.cookieHeader(),
        ...(opts.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        ...opts.headers,
      },
      body: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
    });
    this.lastSetCookies = res.headers.getSetCookie();
    for (const c of this.lastSetCookies) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0\b/.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await res.text();
    return { status: res.status, location: res.headers.get("location"), text, headers: res.headers };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request("GET", path, { headers });
  }
  post(path: string, form: Record<string, string>, headers?: Record<string, string>) {
    return this.request("POST", path, { form, headers });
  }
}

/** The CSRF token in a page's forms. */
export function csrfIn(html: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error("no CSRF field in the page");
  return m[1]!;
}

/** The last console login (link token and code) the bot sent to a private chat. */
export function loginMessage(tg: FakeTelegramApi, chatId: number): { token: string; code: string; text: string } | undefined {
  const last = tg
    .delivered(chatId)
    .map((c) => tgShownText(c.payload))
    .filter((text) => /\/console\/login\//.test(text))
    .at(-1);
  if (!last) return undefined;
  return { token: /\/console\/login\/([0-9a-f]{64})/.exec(last)![1]!, code: /([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(last)![1]!, text: last };
}

/** Registers a person with a private chat with the bot (so the console's login can reach them). */
export async function seedConsolePerson(db: Db, p: { telegramUserId: number; role: Role; scopeKind: string; scopeCode: string; displayName?: string }) {
  const chat = await db.chat.create({ data: { channel: "telegram", platformChatId: String(p.telegramUserId), kind: "private" } });
  return db.$transaction((tx) => seedOfficer(tx, { role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode, displayName: p.displayName, telegramUserId: String(p.telegramUserId), privateChatId: chat.id }));
}

/** Logs a person in through the login page and the link the bot sent them; returns the client holding the session. */
export async function logIn(base: string, tg: FakeTelegramApi, telegramUserId: number): Promise<ConsoleClient> {
  const c = new ConsoleClient(base);
  const page = await c.get("/console/login");
  const before = loginMessage(tg, telegramUserId)?.token;
  const asked = await c.post("/console/login", { csrf: csrfIn(page.text), telegramUserId: String(telegramUserId) });
  if (asked.status !== 200) throw new Error(`login request answered ${asked.status}`);
  const msg = await eventually(() => {
    const m = loginMessage(tg, telegramUserId);
    return m && m.token !== before ? m : undefined;
  }, 10_000, "the login message");
  const linkPage = await c.get(`/console/login/${msg.token}`);
  const done = await c.post(`/console/login/${msg.token}`, { csrf: csrfIn(linkPage.text) });
  if (done.status !== 303 || !c.jar.has("tm_console")) throw new Error(`login by link answered ${done.status}: ${done.text.slice(0, 200)}`);
  return c;
}

/** A resident files an anonymous drugs tip from Hồ Hoàn Kiếm (commune 00070, Hà Nội) on Telegram; returns its code. */
export async function fileTipOnTelegram(tg: FakeTelegramApi, chatId: number): Promise<string> {
  const p = new TelegramTipster(tg, chatId);
  await p.command("/start");
  await p.press("data:lang:vi");
  await p.press("Báo tin tội phạm");
  await p.press("Ma tuý");
  await p.press("Không");
  await p.location(21.0287, 105.8524);
  await p.press("Hôm nay");
  await p.say("Có người bán ma tuý ở đầu ngõ mỗi tối");
  await p.say("Nội dung: thường sau 9 giờ tối");
  await p.say("xong");
  await p.press("Ẩn danh");
  return /Mã tin báo: (TM-[A-Z0-9]{6})/.exec((await p.press("Gửi tin báo")).text)![1]!;
}

/**
 * Logs a browser page in as `telegramUserId` the way a person does: asks for a link on the login
 * page (Vietnamese labels), sees the page confirm the link was sent, opens the link the bot sent
 * to their private chat, presses "Đăng nhập".
 * The caller waits for the page the person lands on (it depends on the role).
 */
export async function logInByLink(page: import("playwright-core").Page, baseUrl: string, tg: FakeTelegramApi, telegramUserId: number): Promise<void> {
  await page.goto(`${baseUrl}/console/login`);
  await page.getByLabel("Mã người dùng Telegram").fill(String(telegramUserId));
  await page.getByRole("button", { name: "Gửi cho tôi đường dẫn đăng nhập" }).click();
  await expect.poll(() => page.getByRole("status").innerText()).toContain("bot đã gửi đường dẫn và mã đăng nhập");
  const msg = await eventually(() => loginMessage(tg, telegramUserId), 10_000, "the login message in the private chat");
  await page.goto(/(http:\/\/\S+\/console\/login\/[0-9a-f]{64})/.exec(msg.text)![1]!);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
}

/** A console journey's stage: the Telegram fake (generous limits), the service on it and Chromium. */
export interface ConsoleStage {
  tg: FakeTelegramApi;
  t: TestApp;
  browser: Browser;
}

/**
 * Starts a console journey's stage: the Telegram fake, the service (reference data loaded, fast
 * rates, `env` on top) and Debian's Chromium. What was started is closed again if a later step fails.
 */
export async function startConsoleStage(env: Record<string, string> = {}): Promise<ConsoleStage> {
  const tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  let t: TestApp | undefined;
  try {
    await tg.listen();
    t = await startTestApp({ telegram: tg, env: { ...FAST_RATES, ...env }, referenceData: true });
    return { tg, t, browser: await launchChromium() };
  } catch (err) {
    await closeConsoleStage({ tg, t });
    throw err;
  }
}

/** Closes what of a console journey's stage was started: the browser, the service, the Telegram fake. */
export async function closeConsoleStage(stage: Partial<ConsoleStage>): Promise<void> {
  await stage.browser?.close();
  await stage.t?.close();
  await stage.tg?.close();
}

/** The latest text of tip `code`'s card in Telegram group `group` (the post or its latest accepted edit). */
export function groupCardText(tg: FakeTelegramApi, group: number, code: string): string | undefined {
  const sent = tg.delivered(group).find((c) => c.method === "sendMessage" && tgShownText(c.payload).includes(`TIN BÁO ${code}`));
  if (!sent) return undefined;
  const id = (sent.response!.result as { message_id: number }).message_id;
  const edits = tg.callsTo("editMessageText").filter((c) => c.status === 200 && String(c.payload.chat_id) === String(group) && c.payload.message_id === id);
  return tgShownText((edits.at(-1) ?? sent).payload);
}
