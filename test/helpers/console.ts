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

/** A person of a console role × scope test: Telegram user id, role and scope; `inside` when the scope covers the tip under test. */
export interface ConsolePerson {
  id: number;
  role: Role;
  scopeKind: string;
  scopeCode: string;
  inside: boolean;
}

/**
 * The role × scope matrix around a tip filed in Phường Hoàn Kiếm (commune 00070, Hà Nội 01): an
 * officer and a commander inside and outside its scope, an administrator, outreach staff (of the
 * commune) and legal staff, with Telegram user ids `base + 1` … `base + 7` in that order.
 */
export function roleScopeMatrix(base: number): Record<"officerIn" | "officerOut" | "commanderIn" | "commanderOut" | "admin" | "outreach" | "legal", ConsolePerson> {
  return {
    officerIn: { id: base + 1, role: "officer", scopeKind: "commune", scopeCode: "00070", inside: true },
    officerOut: { id: base + 2, role: "officer", scopeKind: "commune", scopeCode: "00004", inside: false },
    commanderIn: { id: base + 3, role: "commander", scopeKind: "province", scopeCode: "01", inside: true },
    commanderOut: { id: base + 4, role: "commander", scopeKind: "province", scopeCode: "79", inside: false },
    admin: { id: base + 5, role: "admin", scopeKind: "national", scopeCode: "VN", inside: true },
    outreach: { id: base + 6, role: "outreach", scopeKind: "commune", scopeCode: "00070", inside: true },
    legal: { id: base + 7, role: "legal", scopeKind: "national", scopeCode: "VN", inside: true },
  };
}

/** Registers each person (`seedConsolePerson`); records their officer ids by Telegram user id in `ids` (returned). */
export async function seedConsolePeople(db: Db, people: Iterable<Omit<ConsolePerson, "inside">>, ids = new Map<number, string>()): Promise<Map<number, string>> {
  for (const p of people) ids.set(p.id, (await seedConsolePerson(db, { telegramUserId: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode })).id);
  return ids;
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

/** How `fileTipOnTelegram`'s resident tells their tip (every field optional). */
export interface TelegramTipOptions {
  /** The description (default: someone sells drugs at the lane's end every evening). */
  description?: string;
  /** What they add after it, line by line (default: one line on the time). */
  details?: string[];
  /** Sends the files (photos, documents) before "xong". */
  files?: (p: TelegramTipster) => Promise<unknown>;
  /** Confidential with this contact (default: anonymous). */
  contact?: { name: string; phone: string };
}

/** A resident files a drugs tip from Hồ Hoàn Kiếm (commune 00070, Hà Nội) on Telegram, anonymous unless a contact is given; returns its code. */
export async function fileTipOnTelegram(tg: FakeTelegramApi, chatId: number, opts: TelegramTipOptions = {}): Promise<string> {
  const p = new TelegramTipster(tg, chatId);
  await p.command("/start");
  await p.press("data:lang:vi");
  await p.press("Báo tin tội phạm");
  await p.press("Ma tuý");
  await p.press("Không");
  await p.location(21.0287, 105.8524);
  await p.press("Hôm nay");
  await p.say(opts.description ?? "Có người bán ma tuý ở đầu ngõ mỗi tối");
  for (const line of opts.details ?? ["Nội dung: thường sau 9 giờ tối"]) await p.say(line);
  await opts.files?.(p);
  await p.say("xong");
  if (opts.contact) {
    await p.press("Bảo mật");
    await p.say(opts.contact.name);
    await p.say(opts.contact.phone);
  } else await p.press("Ẩn danh");
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
