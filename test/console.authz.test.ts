import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createTranslator } from "../src/i18n.ts";
import { runTipAction } from "../src/cli/tipActions.ts";
import type { Role } from "../src/core/officers/roles.ts";
import { FakeTelegramApi, tgCommand } from "./fakes/telegramApi.ts";
import { FAST_RATES, eventually, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { revokeAsAdmin, seedBinding } from "./helpers/officers.ts";
import { ConsoleClient, csrfIn, fileTipOnTelegram, logIn, loginMessage, seedConsolePerson } from "./helpers/console.ts";

/*
 * The console's routes × every role × scope: officers, commanders and administrators see and work
 * the tips their scope covers (the command refuses the others, audited); outreach and legal staff
 * get 403 (audited); a revoked officer's live session ends at once; no session gets the login page.
 * Plus the login itself: same answer for any id, single use, guessing limited, cookie flags, CSRF.
 */

const GROUP = -2101; // Phường Hoàn Kiếm (commune 00070, Hà Nội 01)
const TIPSTER = 7301;
const t8 = createTranslator().t;

interface Person {
  id: number;
  role: Role;
  scopeKind: string;
  scopeCode: string;
  /** Whether the person's scope covers the tip (filed in Hoàn Kiếm, Hà Nội). */
  inside: boolean;
}
const PEOPLE: Record<string, Person> = {
  officerIn: { id: 6101, role: "officer", scopeKind: "commune", scopeCode: "00070", inside: true },
  officerOut: { id: 6102, role: "officer", scopeKind: "commune", scopeCode: "00004", inside: false },
  commanderIn: { id: 6103, role: "commander", scopeKind: "province", scopeCode: "01", inside: true },
  commanderOut: { id: 6104, role: "commander", scopeKind: "province", scopeCode: "79", inside: false },
  admin: { id: 6105, role: "admin", scopeKind: "national", scopeCode: "VN", inside: true },
  outreach: { id: 6106, role: "outreach", scopeKind: "commune", scopeCode: "00070", inside: true },
  legal: { id: 6107, role: "legal", scopeKind: "national", scopeCode: "VN", inside: true },
};
const REVOKED = 6108;
const STRANGER = 6199;

let tg: FakeTelegramApi;
let t: TestApp;
let code: string;
let tipId: string;
const officerIds = new Map<number, string>();

const events = (where: Record<string, unknown>) => t.db.auditEvent.findMany({ where, orderBy: { id: "asc" } });
const tipState = async () => (await t.db.tip.findUniqueOrThrow({ where: { id: tipId }, select: { status: true, claimedById: true } }));

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  t = await startTestApp({ telegram: tg, env: { ...FAST_RATES, TRUST_PROXY: "127.0.0.1", CODE_GUESS_PER_ACCOUNT: "4" }, referenceData: true });
  await t.db.$transaction(async (tx) => {
    const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(GROUP), kind: "group" } });
    await seedBinding(tx, new TelegramRenderer(t8), { queueId: "commune:00070", groupChatId: chat.id });
  });
  for (const p of Object.values(PEOPLE)) officerIds.set(p.id, (await seedConsolePerson(t.db, { telegramUserId: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode })).id);
  await seedConsolePerson(t.db, { telegramUserId: REVOKED, role: "officer", scopeKind: "commune", scopeCode: "00070" });

  code = await fileTipOnTelegram(tg, TIPSTER);
  tipId = (await t.db.tip.findUniqueOrThrow({ where: { code } })).id;
  await waitIdle(t);
}, 60_000);
afterAll(async () => {
  await t?.close();
  await tg?.close();
});

describe("logging in", () => {
  it("answers the same for a registered person and an unknown id; only the person gets a link, in their private chat; both audited", async () => {
    const c = new ConsoleClient(t.url);
    const page = await c.get("/console/login");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const known = await c.post("/console/login", { csrf: csrfIn(page.text), telegramUserId: String(PEOPLE.officerIn!.id) });
    const unknown = await c.post("/console/login", { csrf: csrfIn(page.text), telegramUserId: String(STRANGER) });
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(known.status);
    expect(unknown.text).toBe(known.text);
    const msg = await eventually(() => loginMessage(tg, PEOPLE.officerIn!.id), 10_000, "login message");
    expect(msg.text).toContain(`${t.url}/console/login/${msg.token}`);
    await waitIdle(t);
    expect(tg.delivered(STRANGER)).toEqual([]);
    expect(await events({ action: "console.login_requested", actor: `officer:${officerIds.get(PEOPLE.officerIn!.id)}` })).toHaveLength(1);
    const refused = await events({ action: "auth.refused", actor: "public" });
    expect(refused.map((e) => JSON.parse(e.data))).toContainEqual({ action: "console.login", reason: "not_officer", via: "console" });
    // Neither the token nor the code is stored anywhere (the message is scrubbed once sent).
    const rows = JSON.stringify([await t.db.oneTimeCode.findMany(), await t.db.outboxMessage.findMany(), await t.db.auditEvent.findMany()]);
    expect(rows).not.toContain(msg.token);
    expect(rows).not.toContain(msg.code);
  });

  it("a link opens one session (cookie HttpOnly, SameSite=Strict, Secure only over HTTPS) and is single use; the code dies with it", async () => {
    const msg = loginMessage(tg, PEOPLE.officerIn!.id)!;
    const c = new ConsoleClient(t.url);
    const linkPage = await c.get(`/console/login/${msg.token}`);
    expect(linkPage.status).toBe(200); // a GET (a link preview) uses nothing
    const done = await c.post(`/console/login/${msg.token}`, { csrf: csrfIn(linkPage.text) }, { "x-forwarded-proto": "https" });
    expect(done.status).toBe(303);
    expect(done.location).toBe("/console/queue");
    const set = c.lastSetCookies.find((s) => s.startsWith("tm_console="))!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Secure/);
    expect(await events({ action: "console.login", actor: `officer:${officerIds.get(PEOPLE.officerIn!.id)}` })).toHaveLength(1);

    const again = new ConsoleClient(t.url);
    const p2 = await again.get(`/console/login/${msg.token}`);
    expect((await again.post(`/console/login/${msg.token}`, { csrf: csrfIn(p2.text) })).status).toBe(400);
    const p3 = await again.get("/console/login");
    expect((await again.post("/console/login/code", { csrf: csrfIn(p3.text), code: msg.code })).status).toBe(400);
    expect(again.jar.has("tm_console")).toBe(false);

    // Over plain HTTP the cookie is not marked Secure.
    const plain = await logIn(t.url, tg, PEOPLE.officerIn!.id);
    expect(plain.lastSetCookies.find((s) => s.startsWith("tm_console="))).not.toMatch(/Secure/);
  });

  it("a typed code works too; a login form without its CSRF token or posted from another site changes nothing", async () => {
    const c = new ConsoleClient(t.url);
    const page = await c.get("/console/login");
    expect((await c.post("/console/login", { csrf: "forged", telegramUserId: String(PEOPLE.admin!.id) })).status).toBe(403);
    expect((await c.post("/console/login", { csrf: csrfIn(page.text), telegramUserId: String(PEOPLE.admin!.id) }, { origin: "https://evil.example" })).status).toBe(403);
    await waitIdle(t);
    expect(loginMessage(tg, PEOPLE.admin!.id)).toBeUndefined();
    await c.post("/console/login", { csrf: csrfIn(page.text), telegramUserId: String(PEOPLE.admin!.id) });
    const msg = await eventually(() => loginMessage(tg, PEOPLE.admin!.id), 10_000, "admin's login message");
    const done = await c.post("/console/login/code", { csrf: csrfIn(page.text), code: msg.code.toLowerCase() });
    expect(done.status).toBe(303);
    expect((await c.get("/console/queue")).status).toBe(200);
  });
});

describe("/console to the bot in private", () => {
  it("sends an outreach staff member their login link in that chat; a resident gets the residents' answer and no link", async () => {
    const before = tg.delivered(PEOPLE.outreach!.id).length;
    expect((await tg.pushUpdate(tgCommand(PEOPLE.outreach!.id, "/console"))).status).toBe(200);
    const msg = await eventually(() => loginMessage(tg, PEOPLE.outreach!.id), 10_000, "login message");
    expect(tg.delivered(PEOPLE.outreach!.id).length).toBe(before + 1);
    expect(msg.text).toContain("Đăng nhập bảng điều khiển");
    const requested = await events({ action: "console.login_requested", actor: `officer:${officerIds.get(PEOPLE.outreach!.id)}` });
    expect(requested.map((e) => JSON.parse(e.data).via)).toEqual(["telegram"]);

    const resident = 7399;
    expect((await tg.pushUpdate(tgCommand(resident, "/console"))).status).toBe(200);
    await tg.waitFor(() => tg.delivered(resident).length > 0, 10_000);
    await waitIdle(t);
    expect(loginMessage(tg, resident)).toBeUndefined();
    expect(JSON.stringify(await t.db.auditEvent.findMany())).not.toContain(String(resident));
  });
});

describe("the console's routes × role × scope", () => {
  const sessions = new Map<string, ConsoleClient>();
  beforeAll(async () => {
    for (const [name, p] of Object.entries(PEOPLE)) sessions.set(name, await logIn(t.url, tg, p.id));
  }, 60_000);

  for (const [name, p] of Object.entries(PEOPLE)) {
    const works = ["officer", "commander", "admin"].includes(p.role);
    it(`${name} (${p.role}, ${p.scopeKind} ${p.scopeCode}): ${works ? (p.inside ? "sees and claims the tip" : "does not see it; claiming is refused (scope)") : "403 on the queue, audited"}`, async () => {
      const c = sessions.get(name)!;
      const officerId = officerIds.get(p.id)!;
      const home = await c.get("/console");
      expect(home.location).toBe(works ? "/console/queue" : "/console/home");
      expect((await c.get("/console/home")).status).toBe(200);
      const queue = await c.get("/console/queue");
      const api = await c.get("/console/api/queue");
      const before = await tipState();
      if (!works) {
        expect(queue.status).toBe(403);
        expect(queue.text).not.toContain(code);
        expect(api.status).toBe(403);
        const claim = await c.post(`/console/tips/${tipId}/claim`, { csrf: csrfIn((await c.get("/console/home")).text) });
        expect(claim.status).toBe(403);
        expect(await tipState()).toEqual(before);
        const refusals = await events({ action: "auth.refused", actor: `officer:${officerId}` });
        expect(refusals.filter((e) => JSON.parse(e.data).action === "console.queue")).toHaveLength(3);
        return;
      }
      expect(queue.status).toBe(200);
      expect(api.status).toBe(200);
      const json = JSON.parse(api.text) as { html: string; counts: { new: number } };
      expect(queue.text.includes(code)).toBe(p.inside);
      expect(json.html.includes(code)).toBe(p.inside);
      // Never the tipster's identity: their Telegram id or chat is nowhere in the page.
      expect(queue.text).not.toContain(String(TIPSTER));
      const csrf = csrfIn(queue.text);
      // Without the CSRF token nothing happens.
      expect((await c.post(`/console/tips/${tipId}/claim`, { csrf: "x" })).status).toBe(403);
      expect(await tipState()).toEqual(before);
      const claim = await c.post(`/console/tips/${tipId}/claim`, { csrf });
      expect(claim.status).toBe(303);
      if (!p.inside) {
        expect(claim.location).toBe("/console/queue?refused=scope");
        expect(await tipState()).toEqual(before);
        const refused = await events({ action: "auth.refused", actor: `officer:${officerId}`, tipId });
        expect(refused.map((e) => JSON.parse(e.data))).toContainEqual(expect.objectContaining({ action: "claim", reason: "scope" }));
        return;
      }
      expect(claim.location).toBe(`/console/queue?done=${code}`);
      expect(await tipState()).toEqual({ status: "claimed", claimedById: officerId });
      expect(await events({ action: "tip.claimed", actor: `officer:${officerId}`, tipId })).toHaveLength(1);
      const claimed = await c.get("/console/queue");
      expect(claimed.text).toContain(code);
      // Back to new for the next person, through the same action table (as that officer, from the CLI).
      const renderer = new TelegramRenderer(t8);
      const released = await runTipAction(t.db, { sealer: t.sealer, t: t8, officerRenderer: renderer, renderers: { telegram: renderer } }, { action: "tip.release", code, as: String(p.id) });
      expect(released.ok).toBe(true);
      await waitIdle(t);
    });
  }

  it("close from the console: a bad outcome changes nothing; a commander closes the unclaimed tip (same command as the card's)", async () => {
    const c = sessions.get("commanderIn")!;
    const csrf = csrfIn((await c.get("/console/queue")).text);
    const before = await tipState();
    expect((await c.post(`/console/tips/${tipId}/close`, { csrf, outcome: "<b>nope</b>" })).location).toBe("/console/queue?refused=bad_input");
    expect(await tipState()).toEqual(before);
    expect((await c.post(`/console/tips/${tipId}/close`, { csrf, outcome: "khong_khoi_to" })).location).toBe(`/console/queue?done=${code}`);
    expect((await tipState()).status).toBe("closed");
    expect(await events({ action: "tip.closed", actor: `officer:${officerIds.get(PEOPLE.commanderIn!.id)}`, tipId })).toHaveLength(1);
    const page = await c.get("/console/queue");
    expect(page.text.slice(page.text.indexOf('data-group="closed"'))).toContain(`data-code="${code}"`);
    await waitIdle(t);
    await eventually(() => tg.delivered(TIPSTER).some((m) => JSON.stringify(m.payload).includes(code) && JSON.stringify(m.payload).includes("không khởi tố vụ án")), 10_000, "the tipster told the outcome");
  });

  it("no session: pages send to the login page, the JSON endpoint answers 401, actions change nothing", async () => {
    const c = new ConsoleClient(t.url);
    for (const path of ["/console", "/console/queue", "/console/home"]) expect((await c.get(path)).location).toBe("/console/login");
    expect((await c.get("/console/api/queue")).status).toBe(401);
    const before = await tipState();
    expect((await c.post(`/console/tips/${tipId}/claim`, { csrf: "x" })).location).toBe("/console/login");
    expect((await c.post(`/console/tips/${tipId}/close`, { csrf: "x", outcome: "khoi_to" })).location).toBe("/console/login");
    expect(await tipState()).toEqual(before);
  });

  it("a revoked officer's live session ends at once (audited); their login link no longer opens one", async () => {
    const c = await logIn(t.url, tg, REVOKED);
    expect((await c.get("/console/queue")).status).toBe(200);
    const csrf = csrfIn((await c.get("/console/queue")).text);
    await t.db.$transaction((tx) => revokeAsAdmin(tx, { telegramUserId: String(REVOKED) }));
    const before = await tipState();
    expect((await c.get("/console/queue")).location).toBe("/console/login");
    expect((await c.get("/console/api/queue")).status).toBe(401);
    expect((await c.post(`/console/tips/${tipId}/claim`, { csrf })).location).toBe("/console/login");
    expect(await tipState()).toEqual(before);
    const id = (await t.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(REVOKED) } })).id;
    const refused = await events({ action: "auth.refused", actor: `officer:${id}` });
    expect(refused.map((e) => JSON.parse(e.data))).toContainEqual({ action: "console.session", reason: "revoked" });
    // Asking again: the same answer as anyone, and no link is sent.
    const sent = tg.delivered(REVOKED).length;
    const fresh = new ConsoleClient(t.url);
    const page = await fresh.get("/console/login");
    expect((await fresh.post("/console/login", { csrf: csrfIn(page.text), telegramUserId: String(REVOKED) })).status).toBe(200);
    await waitIdle(t);
    expect(tg.delivered(REVOKED).length).toBe(sent);
  });

  it("an idle session ends; logout ends the session (audited) and needs the CSRF token", async () => {
    const c = sessions.get("officerIn")!;
    const page = await c.get("/console/queue");
    expect((await c.post("/console/logout", { csrf: "x" })).status).toBe(403);
    expect((await c.get("/console/queue")).status).toBe(200);
    expect((await c.post("/console/logout", { csrf: csrfIn(page.text) })).location).toBe("/console/login?said=logged_out");
    expect(await events({ action: "console.logout", actor: `officer:${officerIds.get(PEOPLE.officerIn!.id)}` })).toHaveLength(1);
    const old = c.jar.get("tm_console");
    expect(old).toBeUndefined();

    const idle = sessions.get("commanderIn")!;
    expect((await idle.get("/console/queue")).status).toBe(200);
    // The session's idle time runs out (CONSOLE_IDLE_MINUTES): its expiry passes.
    await t.db.oneTimeCode.updateMany({ where: { purpose: "console_session", createdBy: `officer:${officerIds.get(PEOPLE.commanderIn!.id)}`, usedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await idle.get("/console/queue")).location).toBe("/console/login");
  });

  it("guessing codes is limited per client like other one-time codes: after the limit even a right code is refused unchecked", async () => {
    // Another client address (through the trusted proxy): the limit is per client.
    const from = { "x-forwarded-for": "203.0.113.9" };
    const c = new ConsoleClient(t.url);
    const page = await c.get("/console/login");
    await c.post("/console/login", { csrf: csrfIn(page.text), telegramUserId: String(PEOPLE.legal!.id) }, from);
    const msg = await eventually(() => loginMessage(tg, PEOPLE.legal!.id), 10_000, "legal's login message");
    const failedBefore = (await events({ action: "auth.code_failed" })).length;
    for (let i = 0; i < 4; i++) expect((await c.post("/console/login/code", { csrf: csrfIn(page.text), code: "AAAA-AAAA" }, from)).status).toBe(400);
    expect((await events({ action: "auth.code_failed" })).length).toBe(failedBefore + 4);
    const limited = await c.post("/console/login/code", { csrf: csrfIn(page.text), code: msg.code }, from);
    expect(limited.status).toBe(429);
    expect(c.jar.has("tm_console")).toBe(false);
    const refused = await events({ action: "auth.refused" });
    expect(refused.map((e) => JSON.parse(e.data))).toContainEqual({ action: "console.login", reason: "guess_limit_account" });
  });
});

/*
 * The tip list, its CSV export and saved views (areas/tips.ts) × every role × inside / outside the
 * tip's scope, with people of their own (their own logins, so the other blocks' sessions are left
 * alone): officers, commanders and administrators list and export only the tips their scope
 * covers, whatever the parameters; outreach and legal staff get 403 on every route (audited as
 * `console.tips`); saved views are each person's own; a revoked officer's live session ends.
 */
describe("the tip list, export and saved views × role × scope", () => {
  const LIST_PEOPLE: Record<string, Person> = {
    officerIn: { id: 6121, role: "officer", scopeKind: "commune", scopeCode: "00070", inside: true },
    officerOut: { id: 6122, role: "officer", scopeKind: "commune", scopeCode: "00004", inside: false },
    commanderIn: { id: 6123, role: "commander", scopeKind: "province", scopeCode: "01", inside: true },
    commanderOut: { id: 6124, role: "commander", scopeKind: "province", scopeCode: "79", inside: false },
    admin: { id: 6125, role: "admin", scopeKind: "national", scopeCode: "VN", inside: true },
    outreach: { id: 6126, role: "outreach", scopeKind: "commune", scopeCode: "00070", inside: true },
    legal: { id: 6127, role: "legal", scopeKind: "national", scopeCode: "VN", inside: true },
  };
  const LIST_REVOKED = 6128;
  const clients = new Map<string, ConsoleClient>();
  const listIds = new Map<string, string>();
  let foreignView: string;

  beforeAll(async () => {
    for (const [name, p] of Object.entries(LIST_PEOPLE)) {
      listIds.set(name, (await seedConsolePerson(t.db, { telegramUserId: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode })).id);
      clients.set(name, await logIn(t.url, tg, p.id));
    }
    await seedConsolePerson(t.db, { telegramUserId: LIST_REVOKED, role: "officer", scopeKind: "commune", scopeCode: "00070" });
    // A view of someone else's (the other block's administrator), which nobody here may open or delete.
    foreignView = (await t.db.savedView.create({ data: { officerId: officerIds.get(PEOPLE.admin!.id)!, name: "admin's", query: "category=drugs" } })).id;
  }, 60_000);

  for (const [name, p] of Object.entries(LIST_PEOPLE)) {
    const works = ["officer", "commander", "admin"].includes(p.role);
    it(`${name} (${p.role}, ${p.scopeKind} ${p.scopeCode}): ${works ? (p.inside ? "lists and exports the tip; saves, opens and deletes a view of their own" : "lists and exports without the tip, even asking for its commune and province") : "403 on every route, audited; nothing saved"}`, async () => {
      const c = clients.get(name)!;
      const officerId = listIds.get(name)!;
      const homeCsrf = csrfIn((await c.get("/console/home")).text);
      const urls = ["/console/tips", "/console/tips?province=01&commune=00070", "/console/tips?queue=commune:00070&category=drugs", "/console/tips.csv", "/console/tips.csv?province=01"];
      if (!works) {
        for (const url of urls) {
          const res = await c.get(url);
          expect(res.status, url).toBe(403);
          expect(res.text).not.toContain(code);
        }
        expect((await c.post("/console/views", { csrf: homeCsrf, name: "x", query: "category=drugs" })).status).toBe(403);
        expect((await c.get(`/console/views/${foreignView}`)).status).toBe(403);
        expect((await c.post(`/console/views/${foreignView}/delete`, { csrf: homeCsrf })).status).toBe(403);
        expect(await t.db.savedView.count({ where: { officerId } })).toBe(0);
        expect(await t.db.savedView.count({ where: { id: foreignView } })).toBe(1);
        const refusals = await events({ action: "auth.refused", actor: `officer:${officerId}` });
        expect(refusals.filter((e) => JSON.parse(e.data).action === "console.tips")).toHaveLength(urls.length + 3);
        expect(await t.db.auditEvent.count({ where: { action: "console.export", actor: `officer:${officerId}` } })).toBe(0);
        return;
      }
      for (const url of urls) {
        const res = await c.get(url);
        expect(res.status, url).toBe(200);
        expect(res.text.includes(code), url).toBe(p.inside);
        // Never the tipster's identity (their Telegram id as a value of its own).
        expect(res.text).not.toMatch(new RegExp(`(?<![\\w:-])${TIPSTER}(?![\\w-])`));
      }
      expect(await t.db.auditEvent.count({ where: { action: "console.export", actor: `officer:${officerId}` } })).toBe(2);
      // Saved views: their own only; someone else's is "not found" and stays.
      const csrf = csrfIn((await c.get("/console/tips")).text);
      expect((await c.post("/console/views", { csrf: "x", name: "mine", query: "category=drugs" })).status).toBe(403);
      const saved = await c.post("/console/views", { csrf, name: "mine", query: "category=drugs" });
      expect(saved.status).toBe(303);
      const mine = await t.db.savedView.findFirstOrThrow({ where: { officerId } });
      expect((await c.get(`/console/views/${mine.id}`)).location).toBe("/console/tips?category=drugs");
      expect((await c.get(`/console/views/${foreignView}`)).status).toBe(404);
      expect((await c.post(`/console/views/${foreignView}/delete`, { csrf })).status).toBe(404);
      expect(await t.db.savedView.count({ where: { id: foreignView } })).toBe(1);
      expect((await c.post(`/console/views/${mine.id}/delete`, { csrf })).status).toBe(303);
      expect(await t.db.savedView.count({ where: { officerId } })).toBe(0);
    });
  }

  it("no session: the list and saved views send to the login page, nothing is exported or saved", async () => {
    const c = new ConsoleClient(t.url);
    for (const path of ["/console/tips", "/console/tips.csv", `/console/views/${foreignView}`]) expect((await c.get(path)).location).toBe("/console/login");
    expect((await c.post("/console/views", { csrf: "x", name: "x", query: "" })).location).toBe("/console/login");
    expect((await c.post(`/console/views/${foreignView}/delete`, { csrf: "x" })).location).toBe("/console/login");
    expect(await t.db.savedView.count({ where: { id: foreignView } })).toBe(1);
  });

  it("a revoked officer's live session ends at once on the list and the export", async () => {
    const c = await logIn(t.url, tg, LIST_REVOKED);
    expect((await c.get("/console/tips")).text).toContain(code);
    await t.db.$transaction((tx) => revokeAsAdmin(tx, { telegramUserId: String(LIST_REVOKED) }));
    expect((await c.get("/console/tips")).location).toBe("/console/login");
    const csv = await c.get("/console/tips.csv");
    expect(csv.location).toBe("/console/login");
    expect(csv.text).not.toContain(code);
    const id = (await t.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(LIST_REVOKED) } })).id;
    expect(await t.db.auditEvent.count({ where: { action: "console.export", actor: `officer:${id}` } })).toBe(0);
  });
});
