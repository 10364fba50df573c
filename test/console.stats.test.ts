import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { consoleStats, defaultPeriod, monthsBetween, parseStatsFilter, suppressSmall, type Stats, type StatsFilter } from "../src/core/console/stats.ts";
import { markAllStatsDirty, refreshStatsRollups, rollupStats, statsFor } from "../src/core/console/statsRollup.ts";
import { recordEvent } from "../src/core/events/recordEvent.ts";
import { DEFAULT_APPROACHING_WITHIN_MS } from "../src/core/deadlines/tipDeadlines.ts";
import { endOfVnDay, startOfVnDay, vnInstant, vnParts, vnReceipt } from "../src/core/vnTime.ts";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import { FAST_RATES, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { ConsoleClient, csrfIn, fileTipOnTelegram, logIn, seedConsolePerson } from "./helpers/console.ts";
import { insertSeedTips, makeSeedTips, type SeedTip } from "./helpers/statsSeed.ts";

/*
 * The statistics against a seeded database of a few hundred tips whose figures the test recomputes
 * on its own from the seed: per category × month, time to claim, the legal clocks, the heatmap in
 * Vietnam time (across a UTC day and month boundary), scope isolation, the CSV's small counts, and
 * every drill-down link's filter selecting exactly the tips counted (counted here straight from the
 * database with the filter contract's conditions). The province and national pages read the
 * rollups (src/core/console/statsRollup.ts): every figure they give equals the live count, after
 * the first build, after tip changes of every kind, and as time passes.
 */

const NOW = new Date();
const COMMANDER_01 = { id: 6401, role: "commander" as const, scopeKind: "province", scopeCode: "01" };
const COMMANDER_79 = { id: 6402, role: "commander" as const, scopeKind: "province", scopeCode: "79" };
const OFFICER_00070 = { id: 6403, role: "officer" as const, scopeKind: "commune", scopeCode: "00070" };
const ADMIN = { id: 6404, role: "admin" as const, scopeKind: "national", scopeCode: "VN" };

let tg: FakeTelegramApi;
let t: TestApp;
let seed: SeedTip[];
const clients = new Map<number, ConsoleClient>();

/** The first day of the VN month before the current one, 00:30 in Vietnam = 17:30 UTC the day before (another UTC month). */
const boundary = (() => {
  const p = vnParts(NOW);
  const prev = p.month === 1 ? { year: p.year - 1, month: 12 } : { year: p.year, month: p.month - 1 };
  return vnInstant({ ...prev, day: 1 }, 0, 30);
})();
/** Tips received at that instant, alone in commune 25750 (Phú Lợi, 79). */
const BOUNDARY_TIPS: SeedTip[] = [0, 1, 2].map((i) => ({
  code: `TM-B0000${i}`,
  category: "theft",
  channel: "web",
  queueId: "commune:25750",
  provinceCode: "79",
  communeCode: "25750",
  receivedAt: boundary,
  claimedAt: null,
  receiptNoticeSentAt: null,
  closedAt: null,
  receiptNoticeDueAt: new Date(boundary.getTime() + 5 * 86_400_000),
  decisionDueAt: new Date(boundary.getTime() + 20 * 86_400_000),
}));

const period = defaultPeriod(NOW);
const inPeriod = (s: SeedTip) => {
  const m = vnReceipt(s.receivedAt).month;
  return m >= period.from && m <= period.to;
};
const filter = (extra: Partial<StatsFilter> = {}): StatsFilter => ({ ...period, cpage: 1, upage: 1, ...extra });
const all = () => [...seed, ...BOUNDARY_TIPS];

// The legal clocks, recomputed from the seed (the definitions in README "Statistics and legal clocks").
const receiptDone = (s: SeedTip) => s.receiptNoticeSentAt ?? s.closedAt;
const clockOf = (s: SeedTip, kind: "receipt" | "decision", now: Date) => {
  const done = kind === "receipt" ? receiptDone(s) : s.closedAt;
  const due = kind === "receipt" ? s.receiptNoticeDueAt : s.decisionDueAt;
  if (done) return done <= due ? "met" : "breached";
  if (due < now) return "breached";
  return due.getTime() - now.getTime() <= DEFAULT_APPROACHING_WITHIN_MS[kind === "receipt" ? "receipt_notice" : "decision"] ? "atRisk" : "open";
};
/** Claim minutes as the statistics group them (exact under 1 h, then 5 min, 30 min, whole days). */
const bucket = (m: number) => (m < 60 ? m : m < 360 ? Math.floor(m / 5) * 5 : m < 4320 ? Math.floor(m / 30) * 30 : Math.floor(m / 1440) * 1440);
const nearestRank = (sorted: number[], p: number) => (sorted.length ? sorted[Math.ceil(p * sorted.length) - 1]! : null);

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  // The rollup job's own timer is kept out of the way: the tests run each refresh pass themselves.
  t = await startTestApp({ telegram: tg, env: { ...FAST_RATES, STATS_ROLLUP_SECONDS: "3600" }, referenceData: true });
  seed = makeSeedTips(NOW, 400);
  await insertSeedTips(t.db, all());
  // The seed is written straight to the database (no events): build the rollups over it.
  await markAllStatsDirty(t.db, NOW);
  await refreshStatsRollups(t.db, NOW);
  for (const p of [COMMANDER_01, COMMANDER_79, OFFICER_00070, ADMIN]) {
    await seedConsolePerson(t.db, { telegramUserId: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode });
    clients.set(p.id, await logIn(t.url, tg, p.id));
  }
}, 90_000);
afterAll(async () => {
  await t?.close();
  await tg?.close();
});

describe("figures", () => {
  it("tips per category × month, per province and the commune ranking equal the seed's (national scope, default 12 months)", async () => {
    const s = await consoleStats(t.db, ADMIN, filter(), NOW);
    const expected = all().filter(inPeriod);
    expect(seed.some((x) => !inPeriod(x))).toBe(true); // some are outside the period, and left out
    expect(s.total).toBe(expected.length);
    expect(s.months).toEqual(monthsBetween(period.from, period.to));
    expect(s.months).toHaveLength(12);
    const cells = new Map<string, number>();
    for (const x of expected) cells.set(`${x.category} ${vnReceipt(x.receivedAt).month}`, (cells.get(`${x.category} ${vnReceipt(x.receivedAt).month}`) ?? 0) + 1);
    const got = new Map<string, number>();
    for (const [c, months] of s.byCategoryMonth) for (const [m, v] of months) got.set(`${c} ${m}`, v);
    expect(got).toEqual(cells);
    expect(Object.fromEntries(s.byProvince)).toEqual({ "01": expected.filter((x) => x.provinceCode === "01").length, "79": expected.filter((x) => x.provinceCode === "79").length });
    const communes = new Map<string, number>();
    for (const x of expected) if (x.communeCode) communes.set(x.communeCode, (communes.get(x.communeCode) ?? 0) + 1);
    const ranked = [...communes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    expect(s.communes.rows.map((r) => [r.code, r.count])).toEqual(ranked);
    expect(s.communes.count).toBe(ranked.length);
    expect(s.communes.rows.find((r) => r.code === "00070")?.name).toBe("Phường Hoàn Kiếm");
  });

  it("time to claim: median and p90 per month (nearest rank, whole minutes)", async () => {
    const s = await consoleStats(t.db, ADMIN, filter(), NOW);
    for (const row of s.claimTimes) {
      const minutes = all()
        .filter((x) => x.claimedAt && vnReceipt(x.receivedAt).month === row.month)
        .map((x) => bucket(Math.floor((x.claimedAt!.getTime() - x.receivedAt.getTime()) / 60_000)))
        .sort((a, b) => a - b);
      expect({ month: row.month, claimed: row.claimed, median: row.medianMinutes, p90: row.p90Minutes }).toEqual({
        month: row.month,
        claimed: minutes.length,
        median: nearestRank(minutes, 0.5),
        p90: nearestRank(minutes, 0.9),
      });
    }
    expect(s.claimTimes.filter((r) => r.claimed > 0).length).toBeGreaterThan(8);
  });

  it("legal clocks: met / breached / open / at risk per unit and in total, and the on-time %", async () => {
    const s = await consoleStats(t.db, ADMIN, filter(), NOW);
    const expected = all().filter(inPeriod);
    const count = (list: SeedTip[], kind: "receipt" | "decision") => {
      const states = list.map((x) => clockOf(x, kind, NOW));
      const met = states.filter((v) => v === "met").length;
      const breached = states.filter((v) => v === "breached").length;
      const atRisk = states.filter((v) => v === "atRisk").length;
      return { met, breached, open: states.filter((v) => v === "open").length + atRisk, atRisk, onTimePercent: met + breached ? Math.round((met / (met + breached)) * 1000) / 10 : null };
    };
    expect(s.totals.receipt).toEqual(count(expected, "receipt"));
    expect(s.totals.decision).toEqual(count(expected, "decision"));
    for (const kind of ["met", "breached", "open"] as const) {
      expect(s.totals.receipt[kind]).toBeGreaterThan(0);
      expect(s.totals.decision[kind]).toBeGreaterThan(0);
    }
    expect(s.units.count).toBe(6);
    for (const u of s.units.rows) {
      const mine = expected.filter((x) => x.queueId === u.queueId);
      expect({ id: u.queueId, tips: u.tips, receipt: u.receipt, decision: u.decision }).toEqual({ id: u.queueId, tips: mine.length, receipt: count(mine, "receipt"), decision: count(mine, "decision") });
    }
  });

  it("the heatmap is in Vietnam time: tips at 17:30 UTC on the last day of a month count at 0 h on the 1st (its weekday, its month)", async () => {
    const vn = vnReceipt(boundary);
    expect(vn.hour).toBe(0);
    expect(boundary.getUTCHours()).toBe(17);
    expect(boundary.toISOString().slice(0, 7)).not.toBe(vn.month);
    const s = await consoleStats(t.db, ADMIN, filter({ commune: "25750" }), NOW);
    expect(Object.fromEntries(s.heatmap)).toEqual({ [`0,${vn.weekday}`]: 3 });
    expect(s.byMonth.get(vn.month)).toBe(3);
    // The national heatmap equals the seed's, cell by cell.
    const national = await consoleStats(t.db, ADMIN, filter(), NOW);
    const cells = new Map<string, number>();
    for (const x of all().filter(inPeriod)) {
      const r = vnReceipt(x.receivedAt);
      cells.set(`${r.hour},${r.weekday}`, (cells.get(`${r.hour},${r.weekday}`) ?? 0) + 1);
    }
    expect(national.heatmap).toEqual(cells);
  });

  it("scope: a commune officer, a province commander each count only the tips their units handle; filters narrow further", async () => {
    const mine = await consoleStats(t.db, OFFICER_00070, filter(), NOW);
    expect(mine.total).toBe(all().filter((x) => inPeriod(x) && x.queueId === "commune:00070").length);
    expect([...mine.byProvince.keys()]).toEqual(["01"]);
    expect(mine.units.rows.map((u) => u.queueId)).toEqual(["commune:00070"]);
    const hcm = await consoleStats(t.db, COMMANDER_79, filter(), NOW);
    expect(hcm.total).toBe(all().filter((x) => inPeriod(x) && x.provinceCode === "79").length);
    expect(hcm.communes.rows.map((r) => r.code).sort()).toEqual(["25747", "25750"]);
    const drugs = await consoleStats(t.db, COMMANDER_79, filter({ category: "drugs", channel: "zalo" }), NOW);
    expect(drugs.total).toBe(all().filter((x) => inPeriod(x) && x.provinceCode === "79" && x.category === "drugs" && x.channel === "zalo").length);
    // Another province's commune filter inside my scope selects nothing.
    expect((await consoleStats(t.db, COMMANDER_79, filter({ commune: "00070" }), NOW)).total).toBe(0);
  });

  it("a bad query is refused by name (400, translated) and runs nothing", async () => {
    expect(parseStatsFilter({ from: "2026-13" }, NOW)).toEqual({ ok: false, field: "from" });
    expect(parseStatsFilter({ from: "2026-05", to: "2026-01" }, NOW)).toEqual({ ok: false, field: "period" });
    expect(parseStatsFilter({ from: "2020-01", to: "2026-01" }, NOW)).toEqual({ ok: false, field: "period" });
    expect(parseStatsFilter({ category: ["drugs", "theft"] }, NOW)).toEqual({ ok: false, field: "category" });
    const c = clients.get(COMMANDER_01.id)!;
    const bad = await c.get("/console/stats?category=%3Cscript%3E&lang=vi");
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Loại tin báo không hợp lệ.");
    expect(bad.text).not.toContain("<script>");
    expect((await c.get("/console/stats?commune=0007&lang=en")).text).toContain("A commune code has 5 digits.");
    expect((await c.get("/console/stats.csv?channel=fax")).status).toBe(400);
  });
});

describe("the aggregate CSV", () => {
  it("suppressSmall: 1 and 2 become <3; 0 stays 0; 3 and more are shown", () => {
    expect([0, 1, 2, 3, 17].map(suppressSmall)).toEqual(["0", "<3", "<3", "3", "17"]);
    expect(() => suppressSmall(-1)).toThrow(RangeError);
  });

  it("one row per unit × category × month of the scope, every count of 1–2 shown as <3 (0 stays 0); the export is audited", async () => {
    const c = clients.get(COMMANDER_01.id)!;
    const res = await c.get(`/console/stats.csv?from=${period.from}&to=${period.to}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    const [head, ...lines] = res.text.replace(/^\ufeff/, "").trim().split("\r\n");
    expect(head).toBe("month,queueId,unit,category,tips,receiptMet,receiptBreached,decisionMet,decisionBreached");
    const rows = lines.map((l) => l.split(","));
    const expected = new Map<string, number>();
    for (const x of all().filter((x) => inPeriod(x) && ["commune:00070", "commune:00004", "province:01"].includes(x.queueId))) {
      const key = `${vnReceipt(x.receivedAt).month},${x.queueId},${x.category}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    expect(new Map(rows.map((r) => [`${r[0]},${r[1]},${r[3]}`, r[4]]))).toEqual(new Map([...expected].map(([k, v]) => [k, suppressSmall(v)])));
    const counts = rows.flatMap((r) => r.slice(4));
    expect(counts).toContain("<3");
    expect(counts).toContain("0");
    expect(counts.some((v) => /^\d+$/.test(v) && Number(v) >= 3)).toBe(true);
    expect(counts.filter((v) => v === "1" || v === "2")).toEqual([]);
    // Rows of another province never appear.
    expect(rows.every((r) => ["commune:00070", "commune:00004", "province:01"].includes(r[1]!))).toBe(true);
    const officerId = (await t.db.officer.findFirstOrThrow({ where: { telegramUserId: String(COMMANDER_01.id) } })).id;
    const audit = await t.db.auditEvent.findMany({ where: { action: "console.stats_exported", actor: `officer:${officerId}` } });
    expect(audit.map((e) => JSON.parse(e.data))).toEqual([{ from: period.from, to: period.to }]);
  });
});

/** An attribute's text as the browser reads it (the pages escape every character that matters as &#NN;). */
const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d))).replace(/&amp;/g, "&");

/** The filter contract's conditions, written here independently of the statistics' SQL. */
function contractWhere(q: URLSearchParams, scope: { scopeKind: string; scopeCode: string }, now: Date, fields: TestApp["db"]["tip"]["fields"]): Prisma.TipWhereInput {
  const and: Prisma.TipWhereInput[] = [];
  if (scope.scopeKind === "province") and.push({ queue: { provinceCode: scope.scopeCode } });
  if (scope.scopeKind === "commune") and.push({ queue: { communeCode: scope.scopeCode } });
  for (const [k, v] of q) {
    switch (k) {
      case "from":
        and.push({ receivedAt: { gte: startOfVnDay(v) } });
        break;
      case "to":
        and.push({ receivedAt: { lte: endOfVnDay(v) } });
        break;
      case "month":
        and.push({ receivedMonth: v });
        break;
      case "category":
        and.push({ category: v });
        break;
      case "channel":
        and.push({ channel: v });
        break;
      case "province":
        and.push({ provinceCode: v });
        break;
      case "commune":
        and.push({ communeCode: v });
        break;
      case "queue":
        and.push({ queueId: v });
        break;
      case "hour":
        and.push({ receivedHour: Number(v) });
        break;
      case "weekday":
        and.push({ receivedWeekday: Number(v) });
        break;
      case "ontime": {
        const receiptMet: Prisma.TipWhereInput = { OR: [{ receiptNoticeSentAt: { not: null, lte: fields.receiptNoticeDueAt } }, { receiptNoticeSentAt: null, closedAt: { not: null, lte: fields.receiptNoticeDueAt } }] };
        const receiptBreached: Prisma.TipWhereInput = {
          OR: [{ receiptNoticeSentAt: { not: null, gt: fields.receiptNoticeDueAt } }, { receiptNoticeSentAt: null, closedAt: { not: null, gt: fields.receiptNoticeDueAt } }, { receiptNoticeSentAt: null, closedAt: null, receiptNoticeDueAt: { lt: now } }],
        };
        const decisionMet: Prisma.TipWhereInput = { closedAt: { not: null, lte: fields.decisionDueAt } };
        const decisionBreached: Prisma.TipWhereInput = { OR: [{ closedAt: { not: null, gt: fields.decisionDueAt } }, { closedAt: null, decisionDueAt: { lt: now } }] };
        and.push({ receipt_met: receiptMet, receipt_breached: receiptBreached, decision_met: decisionMet, decision_breached: decisionBreached }[v]!);
        break;
      }
      default:
        throw new Error(`a drill-down link carries an unknown parameter: ${k}`);
    }
  }
  return { AND: and };
}

describe("drill-down", () => {
  for (const who of [COMMANDER_01, OFFICER_00070, ADMIN]) {
    it(`${who.role} ${who.scopeCode}: every figure on the page links to /console/tips?<filter> selecting exactly the tips it counts`, async () => {
      const c = clients.get(who.id)!;
      await refreshStatsRollups(t.db);
      const page = await c.get(`/console/stats?lang=vi`);
      expect(page.status).toBe(200);
      // A province or the country: the rollups, "as of" their last refresh; a commune: counted live.
      expect(page.text).toContain(`data-source="${who.scopeKind === "commune" ? "live" : "rollup"}"`);
      expect(page.text.includes("cập nhật mỗi phút")).toBe(who.scopeKind !== "commune");
      const links = [...page.text.matchAll(/<a href="(\/console\/tips\?[^"]*)"[^>]*>([^<]*)<\/a>/g)].map((m) => ({ url: unescape(m[1]!), text: m[2]! }));
      const counted = links.filter((l) => /^[\d.]+$/.test(l.text));
      expect(counted.length).toBeGreaterThan(30);
      // Every kind of figure is among them.
      for (const key of ["month=", "category=", "hour=", "weekday=", "province=", "queue=", "ontime=receipt_met", "ontime=receipt_breached", "ontime=decision_met", "ontime=decision_breached"]) {
        expect(counted.some((l) => l.url.includes(key)), key).toBe(true);
      }
      if (who.scopeKind !== "commune") expect(counted.some((l) => l.url.includes("commune="))).toBe(true);
      const now = new Date();
      for (const l of counted) {
        const q = new URLSearchParams(l.url.split("?")[1]);
        const n = await t.db.tip.count({ where: contractWhere(q, who, now, t.db.tip.fields) });
        expect({ url: l.url, n }).toEqual({ url: l.url, n: Number(l.text.replace(/\./g, "")) });
        // The list the link opens (src/core/console/tipFilter.ts) shows the same number of tips.
        const list = await c.get(l.url);
        expect({ url: l.url, listed: Number(/data-count="(\d+)"/.exec(list.text)?.[1]) }).toEqual({ url: l.url, listed: n });
      }
    }, 60_000);
  }

  it("the drill-down links carry the page's own filters; a month's bar carries the month instead of the period", async () => {
    const c = clients.get(ADMIN.id)!;
    const page = await c.get(`/console/stats?from=${period.from}&to=${period.to}&category=drugs&channel=zalo&province=01`);
    expect(page.status).toBe(200);
    // Every figure (the map's other provinces link to their own province, still with the other filters).
    const urls = [...page.text.matchAll(/<a href="(\/console\/tips\?[^"]*)"[^>]*>[\d.]+<\/a>/g)].map((m) => new URLSearchParams(unescape(m[1]!).split("?")[1]));
    expect(urls.length).toBeGreaterThan(10);
    for (const q of urls) {
      expect(q.get("category")).toBe("drugs");
      expect(q.get("channel")).toBe("zalo");
      expect(q.get("province")).toBe("01");
      if (q.has("month")) expect(q.has("from")).toBe(false);
      else expect([q.get("from"), q.get("to")?.slice(0, 7)]).toEqual([`${period.from}-01`, period.to]);
    }
  });

  it("the page shows the scope's figures only: the 79 commander's page names none of Hà Nội's units", async () => {
    const page = await clients.get(COMMANDER_79.id)!.get("/console/stats?lang=vi");
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("queue=commune%3A00070");
    expect(page.text).not.toContain("Phường Hoàn Kiếm");
    expect(page.text).toContain("Phường Thủ Dầu Một");
  });
});

/** Everything the page shows, but when and how it was counted. */
const figures = (s: Stats) => {
  const { at: _at, source: _source, ...rest } = s;
  return rest;
};
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Filters each scope is checked with: none, each one, several, another period, other pages. */
const FILTERS: Array<Partial<StatsFilter>> = [
  {},
  { category: "drugs" },
  { channel: "zalo" },
  { province: "79" },
  { province: "01", category: "theft", channel: "web" },
  { from: vnReceipt(new Date(NOW.getTime() - 700 * DAY)).month, to: period.to, upage: 2 },
  { from: period.to, to: period.to, cpage: 2 },
];

/** Every figure from the rollups equals the live count at `at` (the instant of the last pass), for the province and national scopes and every filter. */
async function expectRollupsEqualLive(at: Date, what: string): Promise<void> {
  for (const who of [ADMIN, COMMANDER_01, COMMANDER_79]) {
    for (const extra of FILTERS) {
      const f = filter(extra);
      const rolled = await rollupStats(t.db, who, f);
      expect(rolled?.source, what).toBe("rollup");
      expect(rolled!.at).toEqual(at);
      const live = await consoleStats(t.db, who, f, at);
      expect(figures(rolled!), `${what}: ${who.scopeKind} ${who.scopeCode} ${JSON.stringify(extra)}`).toEqual(figures(live));
    }
  }
}

describe("rollups (province and national figures)", () => {
  // Instants after anything the test does in real time, so each pass's "now" moves forward.
  const X = new Date(Date.now() + 2 * HOUR);

  it("the first build (after the migration) marks every month × province (of the queue) with tips; until it completes the page counts live; then every figure equals the live count", async () => {
    await t.db.$transaction([t.db.statsRollupState.deleteMany(), t.db.statsUnit.deleteMany(), t.db.statsCell.deleteMany(), t.db.statsChunk.deleteMany()]);
    expect(await rollupStats(t.db, ADMIN, filter())).toBeNull();
    expect((await statsFor(t.db, ADMIN, filter(), X)).source).toBe("live");
    const report = await refreshStatsRollups(t.db, X);
    expect(report.becameReady).toBe(true);
    const queueProvince = new Map((await t.db.queue.findMany({ select: { id: true, provinceCode: true } })).map((q) => [q.id, q.provinceCode]));
    const chunks = new Set(all().map((x) => `${vnReceipt(x.receivedAt).month} ${queueProvince.get(x.queueId)}`));
    expect(chunks.size).toBeGreaterThan(10);
    expect(report.chunks).toBe(chunks.size);
    expect(await t.db.statsDirty.count()).toBe(0);
    await expectRollupsEqualLive(X, "first build");
    const national = await rollupStats(t.db, ADMIN, filter());
    expect(national!.total).toBe(all().filter(inPeriod).length);
    // A commune scope or a commune filter is counted live (fast through its queue's index).
    expect(await rollupStats(t.db, OFFICER_00070, filter())).toBeNull();
    expect(await rollupStats(t.db, ADMIN, filter({ commune: "00070" }))).toBeNull();
    expect((await statsFor(t.db, OFFICER_00070, filter(), X)).source).toBe("live");
    expect((await statsFor(t.db, ADMIN, filter(), X)).at).toEqual(X);
  });

  it("tip changes of every kind (new tips, claim, release, close, extension, transfer to another province, reopen) mark their month × province in the same transaction; the next pass rebuilds those and the figures equal the live count again", async () => {
    const X2 = new Date(X.getTime() + HOUR);
    const before = { national: (await rollupStats(t.db, ADMIN, filter()))!, hcm: (await rollupStats(t.db, COMMANDER_79, filter()))! };
    const codes = [await fileTipOnTelegram(tg, 7701), await fileTipOnTelegram(tg, 7702), await fileTipOnTelegram(tg, 7703)];
    await waitIdle(t);
    const [a, b, c] = await Promise.all(codes.map((code) => t.db.tip.findUniqueOrThrow({ where: { code } })));
    const admin = clients.get(ADMIN.id)!;
    const act = async (tipId: string, verb: string, form: Record<string, string> = {}) => {
      const csrf = csrfIn((await admin.get(`/console/tips/${tipId}/view`)).text);
      const res = await admin.post(`/console/tips/${tipId}/do/${verb}`, { csrf, ...form });
      expect(res.location, verb).toBe(`/console/tips/${tipId}/view?done=${verb}`);
    };
    await act(a!.id, "claim");
    await act(a!.id, "close", { outcome: "khoi_to" });
    await act(b!.id, "extend", { value: "two_months" });
    await act(b!.id, "transfer", { queue: "commune:25747" });
    await act(c!.id, "claim");
    await act(c!.id, "release");
    await act(c!.id, "claim");
    await act(c!.id, "close", { outcome: "khong_khoi_to" });
    await act(c!.id, "reopen");
    await waitIdle(t);
    const month = vnReceipt(a!.receivedAt).month;
    const marks = await t.db.statsDirty.findMany({ select: { month: true, queueProvince: true } });
    expect(new Set(marks.map((m) => `${m.month} ${m.queueProvince}`))).toEqual(new Set([`${month} 01`, `${month} 79`]));
    // Not rebuilt yet: the rollups still give the figures of the last pass.
    const stale = (await rollupStats(t.db, ADMIN, filter()))!;
    expect(figures(stale)).toEqual(figures(before.national));
    const live = await consoleStats(t.db, ADMIN, filter(), X2);
    expect(live.total).toBe(before.national.total + 3);
    expect((await consoleStats(t.db, COMMANDER_79, filter(), X2)).total).toBe(before.hcm.total + 1);

    const due = await t.db.statsChunk.count({ where: { nextChangeAt: { lte: X2 } }, });
    const report = await refreshStatsRollups(t.db, X2);
    expect(report.chunks).toBeLessThanOrEqual(2 + due);
    expect(report.chunks).toBeGreaterThanOrEqual(2);
    expect(await t.db.statsDirty.count()).toBe(0);
    await expectRollupsEqualLive(X2, "after tip changes");
    const after = (await rollupStats(t.db, ADMIN, filter()))!;
    expect(after.total).toBe(before.national.total + 3);
    // A reminder's escalation changes nothing counted: no mark. Any other event about a tip marks
    // its month × the provinces of its queue and of the queue it came from.
    await t.db.$transaction((tx) => recordEvent(tx, { action: "tip.escalated", actor: { kind: "system" }, tipId: b!.id, data: { what: "receipt_notice" } }));
    expect(await t.db.statsDirty.count()).toBe(0);
    await t.db.$transaction((tx) => recordEvent(tx, { action: "tip.note_added", actor: { kind: "system" }, tipId: b!.id, data: {} }));
    expect((await t.db.statsDirty.findMany()).map((m) => `${m.month} ${m.queueProvince}`).sort()).toEqual([`${month} 01`, `${month} 79`]);
    await refreshStatsRollups(t.db, X2);
    expect(await t.db.statsDirty.count()).toBe(0);
    // The transferred tip counts for the Hồ Chí Minh City unit now handling it.
    expect((await rollupStats(t.db, COMMANDER_79, filter()))!.units.rows.find((u) => u.queueId === "commune:25747")!.tips).toBe(
      all().filter((x) => inPeriod(x) && x.queueId === "commune:25747").length + 1,
    );
  });

  it("time passing alone (open tips becoming at risk, then missed) changes the figures at the next pass, which rebuilds only the months × provinces it affects", async () => {
    const X2 = new Date(X.getTime() + HOUR);
    const first = await t.db.statsChunk.findFirst({ where: { nextChangeAt: { not: null } }, orderBy: { nextChangeAt: "asc" } });
    expect(first).not.toBeNull();
    const instants = [new Date(first!.nextChangeAt!.getTime() + 1000), new Date(X2.getTime() + 4 * DAY), new Date(X2.getTime() + 90 * DAY)];
    for (const T of instants) {
      const due = await t.db.statsChunk.count({ where: { nextChangeAt: { lte: T } } });
      expect(due, `chunks due at ${T.toISOString()}`).toBeGreaterThan(0);
      const stale = (await rollupStats(t.db, ADMIN, filter()))!;
      const live = await consoleStats(t.db, ADMIN, filter(), T);
      expect(figures(stale), "time alone changed the figures").not.toEqual(figures(live));
      if (T === instants.at(-1)) {
        // The service's own job (what its timer runs every STATS_ROLLUP_SECONDS).
        await t.app.refreshStatsRollups(T);
        expect(await t.db.statsChunk.count({ where: { builtAt: T } })).toBe(due);
      } else {
        const report = await refreshStatsRollups(t.db, T);
        expect(report.chunks).toBe(due);
      }
      await expectRollupsEqualLive(T, `time passed to ${T.toISOString()}`);
    }
    // 90 days on, every open legal clock is missed: nothing is left to change by time alone.
    expect(await t.db.statsChunk.count({ where: { nextChangeAt: { not: null } } })).toBe(0);
    const end = (await rollupStats(t.db, ADMIN, filter()))!;
    expect([end.totals.receipt.open, end.totals.decision.open]).toEqual([0, 0]);
  });
});
