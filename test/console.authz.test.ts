import { vnReceipt } from "../src/core/vnTime.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createTranslator } from "../src/i18n.ts";
import { runTipAction } from "../src/cli/tipActions.ts";
import { FakeTelegramApi, tgShownText, tgCommand } from "./fakes/telegramApi.ts";
import { FAST_RATES, eventually, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { bindGroup, revokeAsAdmin } from "./helpers/officers.ts";
import { ConsoleClient, csrfIn, fileTipOnTelegram, logIn, loginMessage, roleScopeMatrix, seedConsolePeople, seedConsolePerson, type ConsolePerson as Person } from "./helpers/console.ts";
import { handOffQuestion } from "../src/core/qa/commands/handOffQuestion.ts";
import { refreshStatsRollups } from "../src/core/console/statsRollup.ts";

/*
 * The console's routes × every role × scope: officers, commanders and administrators see and work
 * the tips their scope covers (the command refuses the others, audited); outreach and legal staff
 * get 403 (audited); a revoked officer's live session ends at once; no session gets the login page.
 * Plus the login itself: same answer for any id, single use, guessing limited, cookie flags, CSRF.
 */

const GROUP = -2101; // Phường Hoàn Kiếm (commune 00070, Hà Nội 01)
// Platform ids long enough that no random id or token on a page (cuids, CSRF tokens) contains them by
// chance: the pages are searched for them as plain text (a 4-digit id once matched a cuid).
const TIPSTER = 730_151_997;
const t8 = createTranslator().t;

// Whether each person's scope covers the tip (filed in Hoàn Kiếm, Hà Nội): `inside`.
const PEOPLE: Record<string, Person> = {
  ...roleScopeMatrix(6100),
  legalOut: { id: 6140, role: "legal", scopeKind: "commune", scopeCode: "00004", inside: false },
};
const REVOKED = 6108;
const REVOKED_LEGAL = 6141;
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
  await bindGroup(t.db, "commune:00070", GROUP);
  await seedConsolePeople(t.db, Object.values(PEOPLE), officerIds);
  await seedConsolePerson(t.db, { telegramUserId: REVOKED, role: "officer", scopeKind: "commune", scopeCode: "00070" });
  await seedConsolePerson(t.db, { telegramUserId: REVOKED_LEGAL, role: "legal", scopeKind: "national", scopeCode: "VN" });

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

/** One live session per person, opened once (login requests per person are limited) and shared by the describes below. */
const liveSessions = new Map<string, ConsoleClient>();

describe("statistics (/console/stats, /console/stats.csv) × role × scope", () => {
  const sessions = liveSessions;
  const REVOKED_STATS = 6110;
  beforeAll(async () => {
    for (const [name, p] of Object.entries(PEOPLE)) if (!sessions.has(name)) sessions.set(name, await logIn(t.url, tg, p.id));
    await seedConsolePerson(t.db, { telegramUserId: REVOKED_STATS, role: "commander", scopeKind: "province", scopeCode: "01" });
    // Province and national figures are the rollups "as of" their last refresh (every minute): bring them up to date.
    await refreshStatsRollups(t.db);
  }, 60_000);

  for (const [name, p] of Object.entries(PEOPLE)) {
    const works = ["officer", "commander", "admin"].includes(p.role);
    it(`${name} (${p.role}, ${p.scopeKind} ${p.scopeCode}): ${works ? (p.inside ? "sees the tip counted, its unit in the CSV" : "sees figures without the tip or its unit") : "403 on both, audited"}`, async () => {
      const c = sessions.get(name)!;
      const officerId = officerIds.get(p.id)!;
      const page = await c.get("/console/stats");
      const csv = await c.get("/console/stats.csv");
      const nav = await c.get("/console/home");
      expect(nav.text.includes('href="/console/stats"')).toBe(works);
      if (!works) {
        for (const res of [page, csv]) {
          expect(res.status).toBe(403);
          expect(res.text).not.toContain("commune:00070");
          expect(res.text).not.toContain("commune%3A00070");
        }
        const refusals = await events({ action: "auth.refused", actor: `officer:${officerId}` });
        expect(refusals.filter((e) => JSON.parse(e.data).action === "console.stats")).toHaveLength(2);
        expect(await events({ action: "console.stats_exported", actor: `officer:${officerId}` })).toHaveLength(0);
        return;
      }
      expect(page.status).toBe(200);
      expect(csv.status).toBe(200);
      // The tip (drugs, Phường Hoàn Kiếm's queue) is counted only inside the scope; its drill-down link opens that unit's tips.
      expect(page.text.includes("queue=commune%3A00070")).toBe(p.inside);
      expect(csv.text.includes("commune:00070,")).toBe(p.inside);
      expect(page.text).not.toContain(String(TIPSTER));
      expect(await events({ action: "console.stats_exported", actor: `officer:${officerId}` })).toHaveLength(1);
    });
  }

  it("no session: the page and the CSV send to the login page", async () => {
    const c = new ConsoleClient(t.url);
    expect((await c.get("/console/stats")).location).toBe("/console/login");
    expect((await c.get("/console/stats.csv")).location).toBe("/console/login");
  });

  it("a revoked commander's live session ends at once on the statistics too", async () => {
    const c = await logIn(t.url, tg, REVOKED_STATS);
    expect((await c.get("/console/stats")).status).toBe(200);
    await t.db.$transaction((tx) => revokeAsAdmin(tx, { telegramUserId: String(REVOKED_STATS) }));
    expect((await c.get("/console/stats")).location).toBe("/console/login");
    expect((await c.get("/console/stats.csv")).location).toBe("/console/login");
  });
});


describe("the console's routes × role × scope", () => {
  const sessions = liveSessions;
  beforeAll(async () => {
    for (const [name, p] of Object.entries(PEOPLE)) if (!sessions.has(name)) sessions.set(name, await logIn(t.url, tg, p.id));
  }, 60_000);

  describe("the tip page's routes (view, file, action forms) × role × scope", () => {
    const REVOKED_LATER = 6109;
    let fileId: number;
    let revokedSession: ConsoleClient;
    beforeAll(async () => {
      // A photo sent from the web chat, attached to the tip (read through the web channel's storage).
      const upload = await t.db.upload.create({ data: { chatId: "web-x", mime: "image/png", size: 10, bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1]) } });
      fileId = (await t.db.tipAttachment.create({ data: { tipId, kind: "photo", ref: `upload:${upload.id}` } })).id;
      await seedConsolePerson(t.db, { telegramUserId: REVOKED_LATER, role: "commander", scopeKind: "province", scopeCode: "01" });
      revokedSession = await logIn(t.url, tg, REVOKED_LATER);
    }, 60_000);

    for (const [name, p] of Object.entries(PEOPLE)) {
      const works = ["officer", "commander", "admin"].includes(p.role);
      const expected = works ? (p.inside ? "sees the tip and its file, adds a note" : "403 on the page and the file, the note refused (scope); all audited") : "403 everywhere, audited";
      it(`${name} (${p.role}, ${p.scopeKind} ${p.scopeCode}): ${expected}`, async () => {
        const c = sessions.get(name)!;
        const officerId = officerIds.get(p.id)!;
        const view = await c.get(`/console/tips/${tipId}/view`);
        const file = await c.get(`/console/tips/${tipId}/media/${fileId}`);
        const csrf = csrfIn((await c.get("/console/home")).text);
        const notes = await t.db.tipNote.count({ where: { tipId } });
        const note = await c.post(`/console/tips/${tipId}/do/note`, { csrf, text: `Ghi chú của ${name}` });
        const refusals = async () => (await events({ action: "auth.refused", actor: `officer:${officerId}` })).map((e) => ({ tipId: e.tipId, ...JSON.parse(e.data) }));
        if (works && p.inside) {
          expect(view.status).toBe(200);
          expect(view.text).toContain(code);
          expect(view.text).not.toContain(String(TIPSTER));
          expect(file.status).toBe(200);
          expect(file.headers.get("content-type")).toBe("image/png");
          expect(note.location).toBe(`/console/tips/${tipId}/view?done=note`);
          expect(await t.db.tipNote.count({ where: { tipId } })).toBe(notes + 1);
          expect(await events({ action: "tip.note_added", actor: `officer:${officerId}`, tipId })).toHaveLength(1);
          return;
        }
        expect(view.status).toBe(403);
        expect(view.text).not.toContain(code);
        expect(file.status).toBe(403);
        expect(await t.db.tipNote.count({ where: { tipId } })).toBe(notes);
        if (works) {
          expect(note.location).toBe(`/console/tips/${tipId}/view?refused=scope`);
          const mine = await refusals();
          expect(mine.filter((r) => r.action === "console.tip" && r.reason === "scope" && r.tipId === tipId)).toHaveLength(2);
          expect(mine).toContainEqual(expect.objectContaining({ tipId, action: "note", reason: "scope" }));
          return;
        }
        expect(note.status).toBe(403);
        expect((await refusals()).filter((r) => r.action === "console.tip" && r.reason === "staff_role")).toHaveLength(3);
      });
    }

    it("a revoked commander's live session ends at once on these routes; no session: the login page", async () => {
      const c = revokedSession;
      expect((await c.get(`/console/tips/${tipId}/view`)).status).toBe(200);
      const csrf = csrfIn((await c.get(`/console/tips/${tipId}/view`)).text);
      await t.db.$transaction((tx) => revokeAsAdmin(tx, { telegramUserId: String(REVOKED_LATER) }));
      const notes = await t.db.tipNote.count({ where: { tipId } });
      expect((await c.get(`/console/tips/${tipId}/view`)).location).toBe("/console/login");
      expect((await c.get(`/console/tips/${tipId}/media/${fileId}`)).location).toBe("/console/login");
      expect((await c.post(`/console/tips/${tipId}/do/note`, { csrf, text: "x" })).location).toBe("/console/login");
      expect(await t.db.tipNote.count({ where: { tipId } })).toBe(notes);
      const anonymous = new ConsoleClient(t.url);
      expect((await anonymous.get(`/console/tips/${tipId}/view`)).location).toBe("/console/login");
      expect((await anonymous.get(`/console/tips/${tipId}/media/${fileId}`)).location).toBe("/console/login");
      expect((await anonymous.post(`/console/tips/${tipId}/do/reopen`, { csrf: "x" })).location).toBe("/console/login");
      expect(await t.db.tipNote.count({ where: { tipId } })).toBe(notes);
    });
  });


  for (const [name, p] of Object.entries(PEOPLE)) {
    const works = ["officer", "commander", "admin"].includes(p.role);
    it(`${name} (${p.role}, ${p.scopeKind} ${p.scopeCode}): ${works ? (p.inside ? "sees and claims the tip" : "does not see it; claiming is refused (scope)") : "403 on the queue, audited"}`, async () => {
      const c = sessions.get(name)!;
      const officerId = officerIds.get(p.id)!;
      const home = await c.get("/console");
      // Each role lands on its first page: officers on the queue, outreach on campaigns, legal staff on the questions.
      expect(home.location).toBe(works ? "/console/queue" : p.role === "outreach" ? "/console/outreach/campaigns" : p.role === "legal" ? "/console/legal" : "/console/home");
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

  // The legal staff's pages (src/console/areas/legal.ts): legal staff and administrators, whatever
  // their unit (legal questions carry no place and all go to the national legal queue); everyone
  // else 403, audited as console.legal, and their posts change nothing.
  const LEGAL_PAGES = ["/console/legal", "/console/legal/kb", "/console/legal/kb/kb-001", "/console/legal/kb/new", "/console/legal/import", "/console/legal/export", "/console/legal/test?q=ma%20tuy"];
  let askerSeq = 736_054_120;
  const legalQuestion = async (text: string) =>
    t.db.$transaction(async (tx) => {
      const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(askerSeq++), kind: "private" } });
      await handOffQuestion(tx, { sealer: t.sealer }, { chatId: chat.id, text, locale: "vi" });
      return { id: (await tx.legalQuestion.findFirstOrThrow({ where: { text } })).id, asker: Number(chat.platformChatId) };
    });
  for (const [name, p] of Object.entries(PEOPLE)) {
    const allowed = p.role === "legal" || p.role === "admin";
    it(`${name} (${p.role}, ${p.scopeKind} ${p.scopeCode}) on the legal pages: ${allowed ? "sees every open question and answers one (relayed)" : "403 on every page and action, audited"}`, async () => {
      const c = sessions.get(name)!;
      const officerId = officerIds.get(p.id)!;
      const q = await legalQuestion(`Câu hỏi pháp lý thử quyền của ${name}?`);
      const before = (await events({ action: "auth.refused", actor: `officer:${officerId}` })).length;
      for (const path of LEGAL_PAGES) expect((await c.get(path)).status, path).toBe(allowed ? 200 : 403);
      const page = await c.get("/console/legal");
      expect(page.text.includes(`Câu hỏi pháp lý thử quyền của ${name}?`)).toBe(allowed);
      const csrf = csrfIn(allowed ? page.text : (await c.get("/console/home")).text);
      expect((await c.post(`/console/legal/questions/${q.id}/answer`, { csrf: "x", answer: "Trả lời", save: "none" })).status).toBe(403);
      const answered = await c.post(`/console/legal/questions/${q.id}/answer`, { csrf, answer: `Trả lời của ${name}`, save: "none" });
      const retire = await c.post("/console/legal/kb/kb-001/retire", { csrf: "x" });
      expect(retire.status).toBe(403);
      expect((await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-001" } })).active).toBe(true);
      if (!allowed) {
        expect(answered.status).toBe(403);
        expect((await t.db.legalQuestion.findUniqueOrThrow({ where: { id: q.id } })).status).toBe("open");
        const refusals = (await events({ action: "auth.refused", actor: `officer:${officerId}` })).slice(before).map((e) => JSON.parse(e.data));
        expect(refusals).toEqual(Array(LEGAL_PAGES.length + 4).fill({ action: "console.legal", reason: p.role === "outreach" ? "staff_role" : "role", role: p.role }));
        return;
      }
      expect(answered.location).toContain("/console/legal?done=answered");
      expect(await t.db.legalQuestion.findUniqueOrThrow({ where: { id: q.id } })).toMatchObject({ status: "answered", answeredBy: officerId });
      expect(await events({ action: "question.answered", actor: `officer:${officerId}` })).toHaveLength(1);
      await eventually(() => tg.delivered(q.asker).some((m) => JSON.stringify(m.payload).includes(`Trả lời của ${name}`)), 10_000, "the answer relayed to the asker");
      // Never the asker: their platform id is nowhere in the pages.
      expect(page.text).not.toContain(String(q.asker));
    });
  }

  it("a revoked legal officer's live session ends at once on the legal pages; their answer changes nothing", async () => {
    const c = await logIn(t.url, tg, REVOKED_LEGAL);
    const page = await c.get("/console/legal");
    expect(page.status).toBe(200);
    const q = await legalQuestion("Câu hỏi cho cán bộ pháp lý sắp bị thu hồi?");
    await t.db.$transaction((tx) => revokeAsAdmin(tx, { telegramUserId: String(REVOKED_LEGAL) }));
    for (const path of LEGAL_PAGES) expect((await c.get(path)).location, path).toBe("/console/login");
    expect((await c.post(`/console/legal/questions/${q.id}/answer`, { csrf: csrfIn(page.text), answer: "Trả lời", save: "none" })).location).toBe("/console/login");
    expect((await t.db.legalQuestion.findUniqueOrThrow({ where: { id: q.id } })).status).toBe("open");
    const id = (await t.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(REVOKED_LEGAL) } })).id;
    expect((await events({ action: "auth.refused", actor: `officer:${id}` })).map((e) => JSON.parse(e.data))).toContainEqual({ action: "console.session", reason: "revoked" });
  });

  describe("monthly reports (/console/reports, a report, its chart and CSV) × role × scope", () => {
    const ids = new Map<string, string>();
    beforeAll(async () => {
      // This month's reports (the tip was filed today): Hoàn Kiếm's (its group is bound) and every province duty office's.
      const run = await t.app.runMonthlyReport(vnReceipt(new Date()).month, new Date());
      expect(run.created).toBeGreaterThanOrEqual(35);
      for (const r of await t.db.monthlyReport.findMany({ where: { month: run.month } })) ids.set(`${r.unitKind}:${r.unitCode}`, r.id);
      await waitIdle(t);
    });
    /** Which reports each person may open: their commune's; their province's and its communes'; everything nationally. */
    const SEES: Record<string, string[]> = {
      officerIn: ["commune:00070"],
      officerOut: [],
      commanderIn: ["commune:00070", "province:01"],
      commanderOut: ["province:79"],
      admin: ["commune:00070", "province:01", "province:79"],
    };
    for (const [name, p] of Object.entries(PEOPLE)) {
      const works = ["officer", "commander", "admin"].includes(p.role);
      it(`${name} (${p.role}, ${p.scopeKind} ${p.scopeCode}): ${works ? `opens ${SEES[name]!.join(", ") || "none of the three"}; the others are refused (403, audited)` : "403 on every report route, audited"}`, async () => {
        const c = sessions.get(name)!;
        const officerId = officerIds.get(p.id)!;
        const refusals = async () => (await events({ action: "auth.refused", actor: `officer:${officerId}` })).filter((e) => JSON.parse(e.data).action === "console.reports");
        const before = (await refusals()).length;
        const list = await c.get("/console/reports");
        const home = await c.get("/console/home");
        if (!works) {
          expect(list.status).toBe(403);
          expect(home.text).not.toContain('href="/console/reports"');
          for (const unit of ["commune:00070", "province:01"]) {
            const id = ids.get(unit)!;
            for (const path of [`/console/reports/${id}`, `/console/reports/${id}.csv`, `/console/reports/${id}/chart.png`]) {
              const res = await c.get(path);
              expect(res.status, path).toBe(403);
              expect(res.headers.get("content-type")).not.toMatch(/png|csv/);
            }
          }
          const refused = await refusals();
          expect(refused.length - before).toBe(7);
          expect(refused.map((e) => JSON.parse(e.data).reason)).toContain("staff_role");
          return;
        }
        expect(list.status).toBe(200);
        expect(home.text).toContain('href="/console/reports"');
        let outside = 0;
        for (const unit of ["commune:00070", "province:01", "province:79"]) {
          const id = ids.get(unit)!;
          const sees = SEES[name]!.includes(unit);
          expect(list.text.includes(`/console/reports/${id}"`), `${unit} in the list`).toBe(sees);
          const page = await c.get(`/console/reports/${id}`);
          const csv = await c.get(`/console/reports/${id}.csv`);
          const chart = await c.get(`/console/reports/${id}/chart.png`);
          if (!sees) {
            outside++;
            for (const res of [page, csv, chart]) expect(res.status).toBe(403);
            expect(page.text).not.toContain("Tin báo tiếp nhận");
            continue;
          }
          expect(page.status).toBe(200);
          expect(page.text).toContain(`<img src="/console/reports/${id}/chart.png?lang=vi"`);
          // Never the tipster's identity; the drill-down opens the tips behind the figures (the list's filter contract).
          expect(page.text).not.toContain(String(TIPSTER));
          if (unit === "commune:00070") {
            expect(page.text).toMatch(/<th scope="row"><a href="\/console\/tips\?queue=commune%3A00070&#38;month=\d{4}-\d{2}&#38;category=drugs">Ma tuý<\/a><\/th><td>&#60;3<\/td>/);
          }
          expect(csv.status).toBe(200);
          expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
          expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename="report-\d{4}-\d{2}-(commune|province)-\d+\.csv"$/);
          expect(csv.text).toContain("month,unit_kind,unit_code,unit,figure,category");
          if (unit === "commune:00070") expect(csv.text).toMatch(/,tips_by_category,drugs,Ma tuý,<3,0,/);
          expect(chart.status).toBe(200);
          expect(chart.headers.get("content-type")).toBe("image/png");
        }
        const refused = await refusals();
        expect(refused.length - before).toBe(outside * 3);
        for (const e of refused.slice(before)) expect(JSON.parse(e.data)).toMatchObject({ action: "console.reports", reason: "scope" });
        // An unknown report and a bad month: 404 and 400, nothing else said.
        expect((await c.get("/console/reports/nope")).status).toBe(404);
        expect((await c.get("/console/reports?month=2026-13")).status).toBe(400);
        expect((await c.get("/console/reports/%3Cscript%3E")).status).toBe(404);
      });
    }
  });

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
    // The administrators are alerted in their private chat, as for wrong invitation codes (once per window).
    expect(await events({ action: "auth.code_alert", actor: { startsWith: "console-client:" } })).toHaveLength(1);
    await eventually(() => tg.delivered(PEOPLE.admin!.id).some((m) => tgShownText(m.payload).includes("sai mã đăng nhập bảng điều khiển 4 lần")), 10_000, "the admin's alert");
  });
});

describe("the outreach routes × role × scope", () => {
  // Their own people (login requests are limited per person), scoped around Hà Nội (01): a campaign to
  // Hà Nội is inside the Hà Nội outreach officer's area, outside Hồ Chí Minh City's (79).
  const P: Record<string, Person & { revoked?: boolean }> = {
    officer: { id: 6401, role: "officer", scopeKind: "commune", scopeCode: "00070", inside: true },
    commanderIn: { id: 6402, role: "commander", scopeKind: "province", scopeCode: "01", inside: true },
    commanderOut: { id: 6403, role: "commander", scopeKind: "province", scopeCode: "79", inside: false },
    admin: { id: 6404, role: "admin", scopeKind: "national", scopeCode: "VN", inside: true },
    outreachIn: { id: 6405, role: "outreach", scopeKind: "province", scopeCode: "01", inside: true },
    outreachOut: { id: 6406, role: "outreach", scopeKind: "province", scopeCode: "79", inside: false },
    legal: { id: 6407, role: "legal", scopeKind: "national", scopeCode: "VN", inside: true },
    revoked: { id: 6408, role: "outreach", scopeKind: "province", scopeCode: "01", inside: true, revoked: true },
  };
  const clients = new Map<string, ConsoleClient>();
  const ids = new Map<string, string>();
  let contentId: string;
  let campaignId: string;
  const campaignState = async () => (await t.db.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { status: true, nextRunAt: true } }));

  beforeAll(async () => {
    const { addContent } = await import("../src/core/campaigns/commands/addContent.ts");
    const { createCampaign } = await import("../src/core/campaigns/commands/createCampaign.ts");
    const { confirmCampaign } = await import("../src/core/campaigns/commands/confirmCampaign.ts");
    const { allowed } = await import("../src/core/campaigns/commands/authorizeStaff.ts");
    const admin = { kind: "admin" as const, name: "authz-test" };
    await t.db.$transaction(async (tx) => {
      contentId = allowed(await addContent(tx, { actor: admin, input: { title: "Phòng chống lừa đảo", bodies: { vi: "Không chuyển tiền cho người lạ." }, source: { law: "Bộ luật Hình sự 2015" }, topics: ["fraud"] } })).content.id;
      campaignId = allowed(await createCampaign(tx, { actor: admin, contentId, audience: { provinces: ["01"] }, schedule: "31/12/2099 08:00" })).campaign.id;
      allowed(await confirmCampaign(tx, { actor: admin, campaignId }));
    });
    for (const [name, p] of Object.entries(P)) {
      ids.set(name, (await seedConsolePerson(t.db, { telegramUserId: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode })).id);
      clients.set(name, await logIn(t.url, tg, p.id));
    }
    // Revoked while logged in: the live session ends at once.
    await t.db.$transaction((tx) => revokeAsAdmin(tx, { telegramUserId: String(P.revoked!.id) }));
  }, 60_000);

  for (const [name, p] of Object.entries(P)) {
    const works = !p.revoked && (p.role === "outreach" || p.role === "admin");
    const title = p.revoked
      ? "revoked: every route sends to the login page (JSON 401), nothing changes"
      : works
        ? p.inside
          ? "every page and endpoint; sees the campaign and pauses/resumes it through the command"
          : "every page, but the campaign outside the area is neither listed nor shown (audited) and its actions are refused by the command (audited)"
        : "403 on every outreach page, endpoint and action, each audited as console.outreach; nothing changes";
    it(`${name} (${p.role}, ${p.scopeKind} ${p.scopeCode}): ${title}`, async () => {
      const c = clients.get(name)!;
      const before = await campaignState();
      const contents = await t.db.content.count();
      const pages = ["/console/outreach/content", "/console/outreach/content/new", `/console/outreach/content/${contentId}`, "/console/outreach/compose", "/console/outreach/campaigns"];
      const apis = ["/console/api/outreach/check?p%3A01=on", "/console/api/outreach/campaigns"];
      const own = [`/console/outreach/campaigns/${campaignId}`, `/console/api/outreach/campaigns/${campaignId}`];
      const posts: Array<[string, Record<string, string>]> = [
        ["/console/outreach/content", { intent: "save", title: "" }],
        [`/console/outreach/content/${contentId}`, { intent: "save", title: "" }],
        ["/console/outreach/compose", { intent: "count", "p:01": "on" }],
        [`/console/outreach/campaigns/${campaignId}/pause`, {}],
      ];
      if (p.revoked) {
        for (const path of ["/console/outreach", ...pages, own[0]!]) expect((await c.get(path)).location, path).toBe("/console/login");
        for (const path of [...apis, own[1]!]) expect((await c.get(path)).status, path).toBe(401);
        for (const [path, form] of posts) expect((await c.post(path, { csrf: "x", ...form })).location, path).toBe("/console/login");
        expect(await campaignState()).toEqual(before);
        expect(await t.db.content.count()).toBe(contents);
        return;
      }
      const csrf = csrfIn((await c.get("/console/home")).text);
      if (!works) {
        for (const path of ["/console/outreach", ...pages, own[0]!]) expect((await c.get(path)).status, path).toBe(403);
        for (const path of [...apis, own[1]!]) expect((await c.get(path)).status, path).toBe(403);
        for (const [path, form] of posts) expect((await c.post(path, { csrf, ...form })).status, path).toBe(403);
        expect(await campaignState()).toEqual(before);
        expect(await t.db.content.count()).toBe(contents);
        const refused = (await events({ action: "auth.refused", actor: `officer:${ids.get(name)}` })).map((e) => JSON.parse(e.data));
        expect(refused.filter((d) => d.action === "console.outreach")).toHaveLength(1 + pages.length + 1 + apis.length + 1 + posts.length);
        expect((await c.get("/console/home")).text).not.toContain("/console/outreach/");
        return;
      }
      expect((await c.get("/console/outreach")).location).toBe("/console/outreach/campaigns");
      for (const path of [...pages, ...apis]) expect((await c.get(path)).status, path).toBe(200);
      expect((await c.get("/console/home")).text).toContain('href="/console/outreach/campaigns"');
      const listed = (await c.get("/console/outreach/campaigns")).text.includes(`data-campaign="${campaignId}"`);
      expect(listed).toBe(p.inside);
      // Bad content changes nothing; counting changes nothing.
      expect((await c.post(posts[0]![0], { csrf, ...posts[0]![1] })).status).toBe(400);
      expect((await c.post(posts[1]![0], { csrf, ...posts[1]![1] })).status).toBe(400);
      expect((await c.post(posts[2]![0], { csrf, ...posts[2]![1] })).status).toBe(200);
      expect(await t.db.content.count()).toBe(contents);
      // Without the CSRF token nothing happens.
      expect((await c.post(`/console/outreach/campaigns/${campaignId}/pause`, { csrf: "x" })).status).toBe(403);
      expect(await campaignState()).toEqual(before);
      const pause = await c.post(`/console/outreach/campaigns/${campaignId}/pause`, { csrf });
      const officerId = ids.get(name)!;
      if (!p.inside) {
        for (const path of own) expect((await c.get(path)).status, path).toBe(403);
        expect(pause.location).toBe(`/console/outreach/campaigns/${campaignId}?error=scope`);
        expect(await campaignState()).toEqual(before);
        const refused = (await events({ action: "auth.refused", actor: `officer:${officerId}` })).map((e) => JSON.parse(e.data));
        expect(refused).toContainEqual({ action: "campaign.report", reason: "scope", campaignId });
        expect(refused).toContainEqual({ action: "campaign.pause", reason: "scope", campaignId });
        return;
      }
      for (const path of own) expect((await c.get(path)).status, path).toBe(200);
      expect(pause.location).toBe(`/console/outreach/campaigns/${campaignId}?done=pause`);
      expect((await campaignState()).status).toBe("paused");
      expect(await events({ action: "campaign.paused", actor: `officer:${officerId}` })).toHaveLength(1);
      expect((await c.post(`/console/outreach/campaigns/${campaignId}/resume`, { csrf })).location).toBe(`/console/outreach/campaigns/${campaignId}?done=resume`);
      expect(await campaignState()).toEqual(before);
    });
  }

  it("no session: outreach pages send to the login page, JSON answers 401, actions change nothing", async () => {
    const c = new ConsoleClient(t.url);
    const before = await campaignState();
    for (const path of ["/console/outreach", "/console/outreach/content", "/console/outreach/compose", "/console/outreach/campaigns", `/console/outreach/campaigns/${campaignId}`]) expect((await c.get(path)).location).toBe("/console/login");
    for (const path of ["/console/api/outreach/check", "/console/api/outreach/campaigns", `/console/api/outreach/campaigns/${campaignId}`]) expect((await c.get(path)).status).toBe(401);
    expect((await c.post(`/console/outreach/campaigns/${campaignId}/cancel`, { csrf: "x" })).location).toBe("/console/login");
    expect(await campaignState()).toEqual(before);
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
