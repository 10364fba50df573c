import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../src/core/officers/roles.ts";
import { FakeTelegramApi, tgUser } from "./fakes/telegramApi.ts";
import { vnReceipt } from "../src/core/vnTime.ts";
import { FAST_RATES, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { bindGroup } from "./helpers/officers.ts";
import { ConsoleClient, csrfIn, fileTipOnTelegram, logIn, seedConsolePerson } from "./helpers/console.ts";

/*
 * The console attacked as a logged-in abuser or a hostile page would: every request is a real
 * one against the running service (real database, Telegram fake). Each test names the attack and
 * asserts the safe answer — refused (translated), nothing changed, nothing leaked. Written by the
 * second review of issue 14; the role × scope matrix itself is test/console.authz.test.ts.
 */

const GROUP = -2701; // Phường Hoàn Kiếm (commune 00070, Hà Nội 01)
const TIPSTER = 7701;

interface Person {
  id: number;
  role: Role;
  scopeKind: string;
  scopeCode: string;
}
const P: Record<string, Person> = {
  officer: { id: 6701, role: "officer", scopeKind: "commune", scopeCode: "00070" },
  officerOut: { id: 6702, role: "officer", scopeKind: "commune", scopeCode: "00004" },
  commander: { id: 6703, role: "commander", scopeKind: "province", scopeCode: "01" },
  commanderOut: { id: 6704, role: "commander", scopeKind: "province", scopeCode: "79" },
  admin: { id: 6705, role: "admin", scopeKind: "national", scopeCode: "VN" },
  outreach: { id: 6706, role: "outreach", scopeKind: "province", scopeCode: "01" },
  legal: { id: 6707, role: "legal", scopeKind: "national", scopeCode: "VN" },
};

let tg: FakeTelegramApi;
let t: TestApp;
const logs: string[] = [];
const ids = new Map<string, string>();
const sessions = new Map<string, ConsoleClient>();
let tip: { id: string; code: string };
let other: { id: string; code: string };
let campaignId: string;

const events = (where: Record<string, unknown>) => t.db.auditEvent.findMany({ where, orderBy: { id: "asc" } });
const tipRow = (id: string) => t.db.tip.findUniqueOrThrow({ where: { id }, select: { status: true, claimedById: true, priority: true, queueId: true } });
const as = (name: string) => sessions.get(name)!;
const csrfOf = async (name: string) => csrfIn((await as(name).get("/console/home")).text);
/** A raw request with a session's cookie (any method, content type and body), never following redirects. */
async function raw(name: string, method: string, path: string, init: { headers?: Record<string, string>; body?: string | Buffer } = {}) {
  const res = await fetch(`${t.url}${path}`, { method, redirect: "manual", headers: { cookie: as(name).cookieHeader(), ...init.headers }, body: init.body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function fileTip(chatId: number) {
  const code = await fileTipOnTelegram(tg, chatId);
  return { id: (await t.db.tip.findUniqueOrThrow({ where: { code } })).id, code };
}

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  t = await startTestApp({ telegram: tg, env: FAST_RATES, referenceData: true, logLines: (line) => logs.push(line) });
  await bindGroup(t.db, "commune:00070", GROUP);
  for (const [name, p] of Object.entries(P)) ids.set(name, (await seedConsolePerson(t.db, { telegramUserId: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode })).id);
  tip = await fileTip(TIPSTER);
  other = await fileTip(TIPSTER + 1);
  const { addContent } = await import("../src/core/campaigns/commands/addContent.ts");
  const { createCampaign } = await import("../src/core/campaigns/commands/createCampaign.ts");
  const { confirmCampaign } = await import("../src/core/campaigns/commands/confirmCampaign.ts");
  const { allowed } = await import("../src/core/campaigns/commands/authorizeStaff.ts");
  const admin = { kind: "admin" as const, name: "attack-test" };
  await t.db.$transaction(async (tx) => {
    const contentId = allowed(await addContent(tx, { actor: admin, input: { title: "Phòng chống lừa đảo", bodies: { vi: "Không chuyển tiền cho người lạ." }, source: { law: "Bộ luật Hình sự 2015" }, topics: ["fraud"] } })).content.id;
    campaignId = allowed(await createCampaign(tx, { actor: admin, contentId, audience: { provinces: ["01"] }, schedule: "31/12/2099 08:00" })).campaign.id;
    allowed(await confirmCampaign(tx, { actor: admin, campaignId }));
  });
  await waitIdle(t);
  for (const [name, p] of Object.entries(P)) sessions.set(name, await logIn(t.url, tg, p.id));
}, 120_000);
afterAll(async () => {
  await t?.close();
  await tg?.close();
});

describe("verbs in paths are the route's own names, never an object's inherited ones", () => {
  const INHERITED = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"];

  it("a campaign action named `constructor` (or any inherited name) is 404 and does not cancel the campaign", async () => {
    const csrf = await csrfOf("outreach");
    const before = await t.db.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { status: true } });
    for (const verb of INHERITED) {
      const res = await as("outreach").post(`/console/outreach/campaigns/${campaignId}/${verb}`, { csrf });
      expect(res.status, verb).toBe(404);
    }
    expect(await t.db.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { status: true } })).toEqual(before);
    expect(before.status).toBe("scheduled");
    expect(await events({ action: "campaign.cancelled" })).toHaveLength(0);
  });

  it("a queue action named `constructor` is 404 (not a 500 from the action table), the tip unchanged", async () => {
    const csrf = await csrfOf("commander");
    const before = await tipRow(tip.id);
    for (const verb of INHERITED) {
      const res = await as("commander").post(`/console/tips/${tip.id}/${verb}`, { csrf });
      expect(res.status, verb).toBe(404);
      const page = await as("commander").post(`/console/tips/${tip.id}/do/${verb}`, { csrf });
      expect(page.status, verb).toBe(404);
    }
    expect(await tipRow(tip.id)).toEqual(before);
  });
});

describe("requests from elsewhere and bodies that are not the console's forms", () => {
  it("a POST with an unreadable, foreign or cross-site Origin / Sec-Fetch-Site is 403 (never a 500), the tip unchanged", async () => {
    const csrf = await csrfOf("commander");
    const before = await tipRow(tip.id);
    const notes = await t.db.tipNote.count();
    const foreign: Array<Record<string, string>> = [{ origin: "not a url" }, { origin: "https://evil.example" }, { origin: `http://127.0.0.1.evil.example` }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }];
    for (const headers of foreign) {
      const res = await as("commander").post(`/console/tips/${tip.id}/do/note`, { csrf, text: "từ trang khác" }, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.text).not.toMatch(/Invalid URL|statusCode/);
      const claim = await as("commander").post(`/console/tips/${tip.id}/claim`, { csrf }, headers);
      expect(claim.status, JSON.stringify(headers)).toBe(403);
    }
    expect(await tipRow(tip.id)).toEqual(before);
    expect(await t.db.tipNote.count()).toBe(notes);
  });

  it("a JSON body (values that are not strings) is 415 with a translated page; nothing is parsed, nothing changes", async () => {
    const csrf = await csrfOf("admin");
    const notes = await t.db.tipNote.count();
    const contents = await t.db.content.count();
    const entries = await t.db.knowledgeEntry.count();
    const attacks: Array<[string, Record<string, unknown>]> = [
      [`/console/tips/${tip.id}/do/note`, { csrf, text: { toString: "x" } }],
      ["/console/outreach/content", { csrf, intent: "save", title: ["Tiêu đề"], body_vi: 5 }],
      ["/console/legal/kb/new", { csrf, id: ["kb-x"], questions_vi: { a: 1 } }],
    ];
    for (const [path, body] of attacks) {
      for (const type of ["application/json", "text/plain;charset=UTF-8"]) {
        const res = await raw("admin", "POST", path, { headers: { "content-type": type, "accept-language": "en" }, body: JSON.stringify(body) });
        expect(res.status, `${path} ${type}`).toBe(415);
        expect(res.headers.get("content-type")).toMatch(/^text\/html/);
        expect(res.text).toContain("The console only accepts its own forms. Nothing was changed.");
        expect(res.text).not.toContain("statusCode");
      }
    }
    const multipart = await raw("admin", "POST", `/console/tips/${tip.id}/do/note`, { headers: { "content-type": "multipart/form-data; boundary=x", "accept-language": "vi" }, body: `--x\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${csrf}\r\n--x--\r\n` });
    expect(multipart.status).toBe(415);
    expect(multipart.text).toContain("Bảng điều khiển chỉ nhận biểu mẫu của chính nó.");
    expect(await t.db.tipNote.count()).toBe(notes);
    expect(await t.db.content.count()).toBe(contents);
    expect(await t.db.knowledgeEntry.count()).toBe(entries);
  });

  it("a form over the size limit is 413 with a translated page (HTML, no error text), the tip unchanged", async () => {
    const csrf = await csrfOf("commander");
    const notes = await t.db.tipNote.count();
    const big = await as("commander").post(`/console/tips/${tip.id}/do/note`, { csrf, text: "x".repeat(300 * 1024) }, { "accept-language": "vi" });
    expect(big.status).toBe(413);
    expect(big.headers.get("content-type")).toMatch(/^text\/html/);
    expect(big.headers.get("cache-control")).toBe("no-store");
    expect(big.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(big.text).toContain("Nội dung gửi lên quá lớn. Không có gì bị thay đổi.");
    expect(big.text).not.toContain("FST_ERR");
    expect(await t.db.tipNote.count()).toBe(notes);
    // The knowledge import takes up to 12 MB, not more.
    const entries = await t.db.knowledgeEntry.count();
    const huge = await as("legal").post("/console/legal/import", { csrf: await csrfOf("legal"), step: "confirm", json: "[" + '"x",'.repeat(3_300_000) + '"x"]' }, { "accept-language": "en" });
    expect(huge.status).toBe(413);
    expect(huge.text).toContain("What was sent is too large. Nothing was changed.");
    expect(await t.db.knowledgeEntry.count()).toBe(entries);
  });
});

describe("what every answer carries: CSP without inline code, no framing, no caching, content types", () => {
  let reportId: string;
  beforeAll(async () => {
    await t.app.runMonthlyReport(vnReceipt(new Date()).month, new Date());
    reportId = (await t.db.monthlyReport.findFirstOrThrow({ where: { unitKind: "commune", unitCode: "00070" } })).id;
    await waitIdle(t);
  });

  it("every page: strict CSP (no 'unsafe-inline', frame-ancestors 'none'), X-Frame-Options DENY, nosniff, no-store; no inline script, style or handler the CSP would block", async () => {
    const pages = [
      "/console/login",
      "/console/home",
      "/console/queue",
      `/console/tips/${tip.id}/view`,
      "/console/stats",
      "/console/reports",
      `/console/reports/${reportId}`,
      "/console/legal",
      "/console/legal/kb",
      "/console/legal/kb/kb-001",
      "/console/legal/kb/new",
      "/console/legal/import",
      "/console/legal/test?q=ma%20tuy",
      "/console/outreach/content",
      "/console/outreach/content/new",
      "/console/outreach/compose",
      "/console/outreach/campaigns",
      `/console/outreach/campaigns/${campaignId}`,
    ];
    for (const path of pages) {
      const res = await as("admin").get(path);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(csp, path).not.toContain("unsafe-eval");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      expect(res.headers.get("content-type"), path).toBe("text/html; charset=utf-8");
      expect(res.text, path).not.toMatch(/\sstyle="/);
      expect(res.text, path).not.toMatch(/<style[\s>]/);
      expect(res.text, path).not.toMatch(/<script(?![^>]*\ssrc="\/console\/static\/[a-z]+\.js")[^>]*>/);
      expect(res.text, path).not.toMatch(/\son[a-z]+="/);
      expect(res.text, path).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it("JSON endpoints are application/json and no-store; CSV, exports and the report's chart are no-store", async () => {
    for (const path of ["/console/api/queue", "/console/api/outreach/campaigns", `/console/api/outreach/campaigns/${campaignId}`, "/console/api/outreach/check?p%3A01=on"]) {
      const res = await as("admin").get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe("application/json; charset=utf-8");
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
    for (const path of ["/console/stats.csv", `/console/reports/${reportId}.csv`, "/console/legal/export", `/console/reports/${reportId}/chart.png`]) {
      const res = await as("admin").get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });

  it("static files: only the listed ones; a traversal or an unknown name is 404", async () => {
    expect((await as("admin").get("/console/static/console.js")).status).toBe(200);
    for (const path of ["/console/static/..%2Froutes.ts", "/console/static/..%2F..%2F..%2Fpackage.json", "/console/static/%2e%2e%2fkit.ts", "/console/static/console.js%00.png", "/console/static/nope.js"]) {
      const res = await as("admin").get(path);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toContain("import ");
    }
  });

  it("a link's ?done= cannot put words in the page: only a tip code is echoed", async () => {
    const lure = "Phiên hết hạn, hãy gửi mã đăng nhập cho @hotro";
    const page = await as("commander").get(`/console/queue?done=${encodeURIComponent(lure)}`);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("Phiên hết hạn");
    const short = await as("commander").get(`/console/queue?done=${encodeURIComponent("Gọi 0912000")}`);
    expect(short.text).not.toContain("Gọi 0912000");
    const real = await as("commander").get(`/console/queue?done=${tip.code}`);
    expect(real.text).toContain(tip.code);
    expect(real.text).toMatch(/role="status"/);
  });
});

describe("CSV exports never hand a spreadsheet a formula", () => {
  const FORMULAS = ["-2+3+cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","x")', "@SUM(1+1)"];
  /** The fields of a CSV text (RFC 4180, enough for these files). */
  const fields = (csv: string): string[] => [...csv.replace(/^\ufeff/, "").matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,\r\n]*))/gm)].map((m) => (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!));
  const formulaFields = (csv: string) => fields(csv).filter((f) => /^[=+\-@\t\r]/.test(f) && !/^-?\d+(\.\d+)?$/.test(f));
  beforeAll(async () => {
    if (!(await t.db.monthlyReport.count())) await t.app.runMonthlyReport(vnReceipt(new Date()).month, new Date());
  });

  it("the statistics CSV: a unit named like a formula (even one starting with a minus and a digit) is written with a leading apostrophe", async () => {
    const before = await t.db.queue.findUniqueOrThrow({ where: { id: "commune:00070" }, select: { name: true } });
    try {
      for (const name of FORMULAS) {
        await t.db.queue.update({ where: { id: "commune:00070" }, data: { name } });
        const csv = await as("admin").get("/console/stats.csv");
        expect(csv.status).toBe(200);
        expect(fields(csv.text)).toContain(`'${name}`);
        expect(formulaFields(csv.text), name).toEqual([]);
      }
    } finally {
      await t.db.queue.update({ where: { id: "commune:00070" }, data: { name: before.name } });
    }
  });

  it("a monthly report's CSV: a unit name like a formula is written with a leading apostrophe", async () => {
    const report = await t.db.monthlyReport.findFirstOrThrow({ where: { unitKind: "commune", unitCode: "00070" } });
    try {
      for (const name of FORMULAS) {
        const summary = JSON.parse(report.summary) as { unit: { name: string } };
        summary.unit.name = name;
        await t.db.monthlyReport.update({ where: { id: report.id }, data: { summary: JSON.stringify(summary) } });
        const csv = await as("admin").get(`/console/reports/${report.id}.csv`);
        expect(csv.status).toBe(200);
        expect(fields(csv.text)).toContain(`'${name}`);
        expect(formulaFields(csv.text), name).toEqual([]);
      }
    } finally {
      await t.db.monthlyReport.update({ where: { id: report.id }, data: { summary: report.summary } });
    }
  });
});

describe("a logged-in abuser and the expensive endpoints", () => {
  beforeAll(async () => {
    if (!(await t.db.monthlyReport.count())) await t.app.runMonthlyReport(vnReceipt(new Date()).month, new Date());
  });
  /**
   * Holds the database (SQLite: its one connection; PostgreSQL: the sessions' table locked) until
   * the returned release is called, so requests that reached it stay running.
   */
  async function holdDatabase(): Promise<() => Promise<void>> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const done = t.db.$transaction(
      async (tx) => {
        if (/^postgres/.test(t.databaseUrl)) await tx.$executeRawUnsafe('LOCK TABLE "OneTimeCode" IN ACCESS EXCLUSIVE MODE');
        else await tx.oneTimeCode.count();
        held();
        await released;
      },
      { timeout: 60_000, maxWait: 20_000 },
    );
    await holding;
    return async () => {
      release();
      await done;
    };
  }

  for (const path of ["/console/stats", "/console/stats.csv", "chart"]) {
    it(`${path}: a session gets at most 2 running at once; the third is 429 at once (translated, Retry-After), before any database work; the others finish`, async () => {
      const url = path === "chart" ? `/console/reports/${(await t.db.monthlyReport.findFirstOrThrow({ where: { unitKind: "commune", unitCode: "00070" } })).id}/chart.png` : path;
      const c = as("commander");
      expect((await c.get(url)).status).toBe(200);
      const exports = (await events({ action: "console.stats_exported" })).length;
      const release = await holdDatabase();
      let settled: Array<{ status: number; text: string; retry: string | null }>;
      try {
        const requests = [0, 1, 2].map(() => raw("commander", "GET", url, { headers: { "accept-language": "en" } }).then((r) => ({ status: r.status, text: r.text, retry: r.headers.get("retry-after") })));
        // While the database is held, one of the three answers (the one that found two running).
        // (Bounded: were none refused, all three would wait for the database; 15 s then ends the hold.)
        let bound: NodeJS.Timeout | undefined;
        const none = new Promise<{ status: number; text: string; retry: string | null }>((r) => (bound = setTimeout(() => r({ status: 0, text: "all three waited", retry: null }), 15_000)));
        const first = await Promise.race([...requests, none]);
        clearTimeout(bound);
        expect(first.status).toBe(429);
        expect(first.retry).toBe("5");
        expect(first.text).toContain("You have too many heavy requests running at once.");
        await release();
        settled = await Promise.all(requests);
      } finally {
        await release();
      }
      expect(settled.map((r) => r.status).sort()).toEqual([200, 200, 429]);
      if (path === "/console/stats.csv") expect((await events({ action: "console.stats_exported" })).length).toBe(exports + 2);
      // Done: the session may run them again.
      expect((await c.get(url)).status).toBe(200);
    });
  }
});

describe("GET never changes anything", () => {
  it("every state-changing route asked with GET (a link, an <img>) is 404 and nothing changes", async () => {
    const before = { tip: await tipRow(tip.id), campaign: await t.db.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { status: true } }), kb: await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-001" }, select: { active: true } }), sessions: await t.db.oneTimeCode.count({ where: { purpose: "console_session", usedAt: null } }) };
    const changes = [
      `/console/tips/${tip.id}/claim`,
      `/console/tips/${tip.id}/close?outcome=khoi_to`,
      `/console/tips/${tip.id}/do/claim`,
      `/console/tips/${tip.id}/do/note?text=x`,
      `/console/outreach/campaigns/${campaignId}/cancel`,
      `/console/outreach/campaigns/${campaignId}/pause`,
      "/console/legal/kb/kb-001/retire",
      "/console/logout",
    ];
    for (const path of changes) expect((await as("admin").get(path)).status, path).toBe(404);
    expect({
      tip: await tipRow(tip.id),
      campaign: await t.db.campaign.findUniqueOrThrow({ where: { id: campaignId }, select: { status: true } }),
      kb: await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-001" }, select: { active: true } }),
      sessions: await t.db.oneTimeCode.count({ where: { purpose: "console_session", usedAt: null } }),
    }).toEqual(before);
    expect((await as("admin").get("/console/home")).status).toBe(200);
  });
});

describe("ids in paths and forms reach only what the person's scope covers", () => {
  it("a file id of another tip, through a tip the officer may see, is 404: the file is not served", async () => {
    const upload = await t.db.upload.create({ data: { chatId: "web-attack", mime: "image/png", size: 10, bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 2]) } });
    const file = await t.db.tipAttachment.create({ data: { tipId: other.id, kind: "photo", ref: `upload:${upload.id}` } });
    expect((await as("officer").get(`/console/tips/${other.id}/media/${file.id}`)).status).toBe(200);
    const res = await as("officer").get(`/console/tips/${tip.id}/media/${file.id}`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    // From another commune: 403 and the look recorded, whichever tip id is used.
    const out = await as("officerOut").get(`/console/tips/${other.id}/media/${file.id}`);
    expect(out.status).toBe(403);
    const refusals = (await events({ action: "auth.refused", actor: `officer:${ids.get("officerOut")}`, tipId: other.id })).map((e) => JSON.parse(e.data));
    expect(refusals).toContainEqual(expect.objectContaining({ action: "console.tip", reason: "scope" }));
  });

  it("another commune's or province's tip, report and statistics: refused or empty, each refusal recorded", async () => {
    const report = await t.db.monthlyReport.findFirst({ where: { unitKind: "commune", unitCode: "00070" } });
    for (const name of ["officerOut", "commanderOut"]) {
      const before = await tipRow(tip.id);
      expect((await as(name).get(`/console/tips/${tip.id}/view`)).status, name).toBe(403);
      const csrf = await csrfOf(name);
      for (const verb of ["claim", "note", "priority", "transfer", "close", "open_contact"]) {
        const res = await as(name).post(`/console/tips/${tip.id}/do/${verb}`, { csrf, text: "x", value: "high", queue: `commune:${P[name]!.scopeCode}`, outcome: "khoi_to", reason: "để thử quyền" });
        expect(res.location, `${name} ${verb}`).toMatch(new RegExp(`^/console/tips/${tip.id}/view\\?refused=(scope|role|state)$`));
      }
      expect(await tipRow(tip.id)).toEqual(before);
      if (report) expect((await as(name).get(`/console/reports/${report.id}`)).status, name).toBe(403);
      const stats = await as(name).get(`/console/stats?commune=00070`);
      expect(stats.status).toBe(200);
      expect(stats.text).not.toContain("queue=commune%3A00070");
      const queue = await as(name).get("/console/api/queue?queue=commune%3A00070");
      expect(queue.status).toBe(400);
      const refusals = (await events({ action: "auth.refused", actor: `officer:${ids.get(name)}` })).map((e) => JSON.parse(e.data).action);
      expect(refusals).toContain("console.tip");
      if (report) expect(refusals).toContain("console.reports");
    }
  });

  it("outreach and legal staff are not officers: every tip route is 403 (audited), whatever id they try", async () => {
    for (const name of ["outreach", "legal"]) {
      const csrf = await csrfOf(name);
      for (const path of [`/console/tips/${tip.id}/view`, "/console/stats", "/console/stats.csv", "/console/reports", "/console/api/queue"]) expect((await as(name).get(path)).status, `${name} ${path}`).toBe(403);
      expect((await as(name).post(`/console/tips/${tip.id}/do/note`, { csrf, text: "x" })).status).toBe(403);
      expect((await as(name).post(`/console/tips/${tip.id}/claim`, { csrf })).status).toBe(403);
    }
    expect(await t.db.tipNote.count({ where: { text: "x" } })).toBe(0);
  });
});

describe("what the pages write is escaped", () => {
  const XSS = `"><script>alert(1)</script><img src=x onerror=alert(2)>'`;
  const raw = (html: string) => html.includes("<script>alert(1)</script>") || /<img src=x onerror/.test(html);

  it("a tipster's words, a unit's name and an officer's name with markup are shown as text on the tip page, the queue and its JSON", async () => {
    await t.db.tip.update({ where: { id: other.id }, data: { description: XSS, placeText: XSS, occurredWhen: XSS, details: JSON.stringify({ text: XSS, phones: [XSS], accounts: [XSS], links: [`javascript:alert(1)`] }) } });
    await t.db.officer.update({ where: { id: ids.get("officer")! }, data: { displayName: XSS } });
    const queueName = (await t.db.queue.findUniqueOrThrow({ where: { id: "commune:00070" } })).name;
    await t.db.queue.update({ where: { id: "commune:00070" }, data: { name: XSS } });
    try {
      const csrf = await csrfOf("officer");
      expect((await as("officer").post(`/console/tips/${other.id}/do/note`, { csrf, text: XSS })).status).toBe(303);
      for (const path of [`/console/tips/${other.id}/view`, "/console/queue", "/console/home"]) {
        const page = await as("officer").get(path);
        expect(page.status, path).toBe(200);
        expect(raw(page.text), path).toBe(false);
        expect(page.text, path).not.toContain('href="javascript:');
      }
      const json = JSON.parse((await as("commander").get("/console/api/queue")).text) as { html: string };
      expect(raw(json.html)).toBe(false);
      expect(json.html).toContain("&#60;script&#62;");
    } finally {
      await t.db.queue.update({ where: { id: "commune:00070" }, data: { name: queueName } });
      await t.db.officer.update({ where: { id: ids.get("officer")! }, data: { displayName: null } });
    }
  });

  it("a knowledge entry, a content item and filter values typed back are shown as text", async () => {
    const legal = await csrfOf("legal");
    const saved = await as("legal").post("/console/legal/kb/new", {
      csrf: legal, id: "kb-c-attack", questions_vi: `Câu hỏi ${XSS}`, answer_vi: `Trả lời ${XSS}`, law: `Luật ${XSS}`, topics: "", lastReviewed: "2026-01-01", updatedAt: "",
    });
    expect([303, 400]).toContain(saved.status);
    const outreach = await csrfOf("outreach");
    await as("outreach").post("/console/outreach/content", { csrf: outreach, intent: "preview", title: `Tiêu đề ${XSS}`, body_vi: `Nội dung ${XSS}`, law: `Luật ${XSS}`, "t:fraud": "on", q0_vi: XSS, q0_o0_vi: XSS, q0_o1_vi: "Không" });
    const pages: Array<[string, string]> = [
      ["legal", "/console/legal/kb"],
      ["legal", "/console/legal/kb/kb-c-attack"],
      ["legal", `/console/legal/kb?q=${encodeURIComponent(XSS)}&status=${encodeURIComponent(XSS)}`],
      ["legal", `/console/legal/test?q=${encodeURIComponent(XSS)}`],
      ["outreach", `/console/outreach/compose?content=${encodeURIComponent(XSS)}&communes=${encodeURIComponent(XSS)}`],
      ["outreach", `/console/api/outreach/check?communes=${encodeURIComponent(XSS)}&schedule=${encodeURIComponent(XSS)}`],
      ["admin", `/console/stats?commune=${encodeURIComponent(XSS)}`],
      ["admin", `/console/reports?month=${encodeURIComponent(XSS)}`],
      ["admin", `/console/queue?queue=${encodeURIComponent(XSS)}`],
      ["admin", `/console/tips/${encodeURIComponent(XSS)}/view`],
    ];
    for (const [who, path] of pages) {
      const res = await as(who).get(path);
      expect(res.status, path).toBeLessThan(500);
      expect(raw(res.text), path).toBe(false);
    }
    const preview = await as("outreach").post("/console/outreach/content", { csrf: outreach, intent: "preview", title: `Tiêu đề ${XSS}`, body_vi: `Nội dung ${XSS}`, law: `Luật ${XSS}`, "t:fraud": "on", q0_vi: XSS, q0_o0_vi: XSS, q0_o1_vi: "Không" });
    expect(preview.status).toBeLessThan(500);
    expect(raw(preview.text)).toBe(false);
  });

  it("a knowledge import with __proto__ / constructor keys pollutes nothing; too many entries are refused with a translated list, nothing written", async () => {
    const csrf = await csrfOf("legal");
    const entries = await t.db.knowledgeEntry.count();
    const poison = `[{"id":"kb-c-proto","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"topics":[],"questions":{"vi":["Câu hỏi thử?"],"__proto__":{"polluted":"yes"}},"answer":{"vi":"Trả lời thử."},"source":{"law":"Luật thử"},"reportable":false,"lastReviewed":"2026-01-01"}]`;
    const res = await as("legal").post("/console/legal/import", { csrf, step: "preview", json: poison });
    expect(res.status).toBeLessThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    const many = JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ id: `kb-c-many-${i}` })));
    const refused = await as("legal").post("/console/legal/import", { csrf, step: "confirm", json: many }, { "accept-language": "en" });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/role="alert"/);
    expect(await t.db.knowledgeEntry.count()).toBe(entries);
  });
});

describe("the tipster stays anonymous", () => {
  const CONFIDENTIAL = 7791;
  const CONTACT = { name: "Lê Thị Mai Hương", phone: "0912345678" };
  let conf: { id: string; code: string };
  beforeAll(async () => {
    const code = await fileTipOnTelegram(tg, CONFIDENTIAL, { details: ["Nội dung: thường sau 9 giờ tối, đi xe máy"], contact: CONTACT });
    conf = { id: (await t.db.tip.findUniqueOrThrow({ where: { code } })).id, code };
    await waitIdle(t);
  }, 60_000);
  /** What would name a tipster: their platform ids, username, and a confidential tipster's contact. */
  const identities = () => {
    const out = [String(TIPSTER), String(TIPSTER + 1), String(CONFIDENTIAL), `user${TIPSTER}`, `user${CONFIDENTIAL}`, CONTACT.name, CONTACT.phone];
    for (const id of [TIPSTER, CONFIDENTIAL]) if (tgUser(id).first_name.length >= 8) out.push(tgUser(id).first_name);
    return out;
  };

  it("no page, JSON answer, CSV or export of the console names a tipster, for any role", async () => {
    const report = await t.db.monthlyReport.findFirst({ where: { unitKind: "commune", unitCode: "00070" } });
    const paths = [
      "/console/queue", "/console/api/queue", `/console/tips/${tip.id}/view`, `/console/tips/${conf.id}/view`, "/console/stats", "/console/stats.csv",
      "/console/reports", ...(report ? [`/console/reports/${report.id}`, `/console/reports/${report.id}.csv`] : []),
      "/console/legal", "/console/legal/export", "/console/outreach/campaigns", "/console/api/outreach/campaigns", "/console/home",
    ];
    for (const who of Object.keys(P)) {
      for (const path of paths) {
        const res = await as(who).get(path);
        for (const secret of identities()) expect(res.text.includes(secret), `${who} ${path} ${secret}`).toBe(false);
      }
    }
  });

  it("the contact opens only for a commander, through the audited command, in that one response; an officer is refused; neither the audit, the log nor a page afterwards holds it", async () => {
    const officerCsrf = await csrfOf("officer");
    const refused = await as("officer").post(`/console/tips/${conf.id}/do/open_contact`, { csrf: officerCsrf, reason: "Cần liên hệ xác minh" });
    expect(refused.location).toBe(`/console/tips/${conf.id}/view?refused=role`);
    const csrf = await csrfOf("commander");
    const short = await as("commander").post(`/console/tips/${conf.id}/do/open_contact`, { csrf, reason: "x" });
    expect(short.text).not.toContain(CONTACT.phone);
    const opened = await as("commander").post(`/console/tips/${conf.id}/do/open_contact`, { csrf, reason: "Cần liên hệ xác minh tại chỗ" });
    expect(opened.status).toBe(200);
    expect(opened.text).toContain(CONTACT.phone);
    expect(opened.headers.get("cache-control")).toBe("no-store");
    expect(await events({ action: "tip.contact_opened", tipId: conf.id, actor: `officer:${ids.get("commander")}` })).toHaveLength(1);
    await waitIdle(t);
    const stored = JSON.stringify(await t.db.auditEvent.findMany({ where: { tipId: conf.id } }));
    expect(stored).not.toContain(CONTACT.phone);
    expect(logs.join("\n")).not.toContain(CONTACT.phone);
    for (const who of ["commander", "admin"]) expect((await as(who).get(`/console/tips/${conf.id}/view`)).text).not.toContain(CONTACT.phone);
    for (const secret of identities()) expect(logs.join("\n").includes(secret), secret).toBe(false);
  });
});
