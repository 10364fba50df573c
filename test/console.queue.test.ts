import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NEW_FOR_MINUTES, QUEUE_GROUP_LIMIT, QUEUE_GROUPS, consoleQueue, queueChoices, type QueueFilter } from "../src/core/console/queueView.ts";
import { computeDeadlines, deadlineStatus, type TipExtension } from "../src/core/deadlines/tipDeadlines.ts";
import type { OfficerRecord } from "../src/core/officers/authorize.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import type { Db } from "../src/db/client.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { insertTips, type TipRowSpec } from "./helpers/tipRows.ts";
import { mulberry32 } from "./helpers/random.ts";

/*
 * The live queue's reads against the real database, compared with an independent oracle over the
 * seeded tips: every group's tips in order (life-safety first, then the longest waiting; closed
 * ones newest first), unit and holder names, "awaiting" (the tip's wait for the tipster as the
 * commands leave it: a question starts it, any answer — words or a file — ends it), the per-status
 * limit, for a commune officer, two province commanders and a national administrator, narrowed to a
 * unit (a province's duty queue included) or an officer. The scope is the unit now handling the tip
 * (a transferred tip shows where it is, not where it happened); "closed" means closed today in
 * Vietnam (at or after 00:00 Asia/Ho_Chi_Minh of the day `now` falls on), to the millisecond.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = new Date(Date.UTC(2026, 10, 18, 3, 30, 0)); // 10:30 in Vietnam, a Wednesday
/** 00:00 in Vietnam (UTC+7, no daylight saving) of the day an instant falls on, computed here, not by the service. */
const vnMidnight = (at: Date) => new Date(Math.floor((at.getTime() + 7 * HOUR) / DAY) * DAY - 7 * HOUR);
const MIDNIGHT = new Date(Date.UTC(2026, 10, 17, 17, 0, 0)); // 2026-11-18 00:00 in Vietnam

const QUEUES = [
  { id: "commune:00070", provinceCode: "01", communeCode: "00070" },
  { id: "commune:00004", provinceCode: "01", communeCode: "00004" },
  { id: "province:01", provinceCode: "01", communeCode: null },
  { id: "cyber:01", provinceCode: "01", communeCode: null },
  { id: "commune:25747", provinceCode: "79", communeCode: "25747" },
  { id: "province:79", provinceCode: "79", communeCode: null },
] as const;

const PEOPLE = {
  officerHK: { telegramUserId: "7301", displayName: "Lan", role: "officer", scopeKind: "commune", scopeCode: "00070" },
  officerBD: { telegramUserId: "7302", displayName: null, role: "officer", scopeKind: "commune", scopeCode: "00004" },
  commanderHN: { telegramUserId: "7303", displayName: "Hùng", role: "commander", scopeKind: "province", scopeCode: "01" },
  commanderHCM: { telegramUserId: "7304", displayName: "Tâm", role: "commander", scopeKind: "province", scopeCode: "79" },
  admin: { telegramUserId: "7305", displayName: "Quân", role: "admin", scopeKind: "national", scopeCode: "VN" },
} as const;
type Who = keyof typeof PEOPLE;

let tdb: TestDatabase;
let db: Db;
const officers = new Map<Who, OfficerRecord>();
const unitNames = new Map<string, string>();
interface Seeded {
  id: string;
  code: string;
  queueId: string;
  status: string;
  lifeSafety: boolean;
  receivedAt: Date;
  closedAt: Date | null;
  claimedById: string | null;
  awaitingAnswerSince: Date | null;
  extension: TipExtension;
  receiptNoticeSentAt: Date | null;
}
let tips: Seeded[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  await loadReferenceData(db);
  await ensureQueues(db);
  for (const q of await db.queue.findMany({ where: { id: { in: QUEUES.map((x) => x.id) } } })) unitNames.set(q.id, q.name);
  for (const [who, p] of Object.entries(PEOPLE) as Array<[Who, (typeof PEOPLE)[Who]]>) officers.set(who, await db.officer.create({ data: { ...p } }));
  const holders = [officers.get("officerHK")!.id, officers.get("officerBD")!.id, officers.get("commanderHN")!.id, officers.get("commanderHCM")!.id];
  const rnd = mulberry32(14);
  const specs: TipRowSpec[] = [];
  const add = (queueIndex: number, status: "new" | "claimed" | "closed", receivedAt: Date, extra: Partial<TipRowSpec> = {}) => {
    const q = QUEUES[queueIndex]!;
    specs.push({
      queueId: q.id,
      provinceCode: q.provinceCode,
      communeCode: q.communeCode,
      status,
      receivedAt,
      lifeSafety: rnd() < 0.15,
      claimedById: status === "new" ? null : holders[Math.floor(rnd() * holders.length)]!,
      claimedAt: status === "new" ? null : new Date(receivedAt.getTime() + 5 * MIN),
      receiptNoticeSentAt: status !== "new" && rnd() < 0.6 ? new Date(receivedAt.getTime() + HOUR) : null,
      extension: rnd() < 0.1 ? "two_months" : "none",
      ...extra,
    });
  };
  // Every queue: tips of each status, minutes to weeks old; receipt times rounded to the minute so some tie (then by id).
  for (let i = 0; i < 420; i++) {
    const queueIndex = Math.floor(rnd() * QUEUES.length);
    const r = rnd();
    const status = r < 0.35 ? "new" : r < 0.7 ? "claimed" : "closed";
    const age = Math.floor(rnd() * (rnd() < 0.5 ? 3 * HOUR : 40 * DAY) / MIN) * MIN;
    const receivedAt = new Date(NOW.getTime() - age);
    const closedAt = status === "closed" ? new Date(Math.min(NOW.getTime(), receivedAt.getTime() + rnd() * 3 * DAY)) : null;
    add(queueIndex, status, receivedAt, { closedAt });
  }
  // More new tips in one commune than a group shows: the oldest (life-safety first) are read.
  for (let i = 0; i < QUEUE_GROUP_LIMIT + 30; i++) add(0, "new", new Date(NOW.getTime() - Math.floor(rnd() * 300) * MIN));
  // The closed group's edges: today in Vietnam starts at 00:00 there (17:00 UTC the day before).
  add(0, "closed", new Date(NOW.getTime() - 3 * DAY), { code: "TM-MIDNT0", closedAt: MIDNIGHT });
  add(0, "closed", new Date(NOW.getTime() - 3 * DAY), { code: "TM-PREMID", closedAt: new Date(MIDNIGHT.getTime() - 1) });
  add(0, "closed", new Date(NOW.getTime() - 3 * DAY), { code: "TM-EVE233", closedAt: new Date(MIDNIGHT.getTime() - 30 * MIN) });
  // 06:00 in Vietnam today, still yesterday in UTC: today's.
  add(0, "closed", new Date(NOW.getTime() - 3 * DAY), { code: "TM-UTCEVE", closedAt: new Date(Date.UTC(2026, 10, 17, 23, 0, 0)) });
  // A tip that happened in commune 00004 and was moved to 00070: it shows in 00070's queue, not 00004's.
  add(0, "claimed", new Date(NOW.getTime() - 2 * HOUR), { code: "TM-MOVED1", communeCode: "00004", claimedById: officers.get("officerHK")!.id });
  // A province duty queue's tip (place unknown) and a cyber tip: the province's, no commune's.
  // (Life-safety, so it stays among the oldest QUEUE_GROUP_LIMIT new tips the province's queue reads.)
  add(2, "new", new Date(NOW.getTime() - 10 * MIN), { code: "TM-DUTY01", lifeSafety: true });
  add(3, "claimed", new Date(NOW.getTime() - 30 * HOUR), { code: "TM-CYBER1", claimedById: officers.get("commanderHN")!.id });
  const codes = await insertTips(db, specs);
  const stored = await db.tip.findMany({ where: { code: { in: codes } } });
  tips = stored.map((t) => ({ id: t.id, code: t.code, queueId: t.queueId, status: t.status, lifeSafety: t.lifeSafety, receivedAt: t.receivedAt, closedAt: t.closedAt, claimedById: t.claimedById, awaitingAnswerSince: null, extension: t.extension as TipExtension, receiptNoticeSentAt: t.receiptNoticeSentAt }));
  // The exchanges with the tipster, as the commands record them (a question starts the wait, an
  // answer in words or a file ends it, added information does not): asked and not answered, asked
  // and answered, answered by a photo only, answered then asked again, a closed tip asked.
  const claimed = tips.filter((t) => t.status === "claimed");
  // (Not the duty queue's tip: the test above expects it among the new ones, so no question waits on it.)
  const fresh = tips.filter((t) => t.status === "new" && t.code !== "TM-DUTY01");
  const closed = tips.filter((t) => t.status === "closed");
  const threads: Array<[Seeded, string[]]> = [];
  for (let i = 0; i < claimed.length; i += 4) threads.push([claimed[i]!, ["to_tipster"]]);
  for (let i = 1; i < claimed.length; i += 4) threads.push([claimed[i]!, ["to_tipster", "from_tipster"]]);
  for (let i = 3; i < claimed.length; i += 8) threads.push([claimed[i]!, ["to_tipster", "photo"]]);
  for (let i = 2; i < claimed.length; i += 8) threads.push([claimed[i]!, ["to_tipster", "from_tipster", "to_tipster", "addition"]]);
  for (let i = 7; i < claimed.length; i += 8) threads.push([claimed[i]!, ["to_tipster", "photo", "to_tipster"]]);
  for (let i = 0; i < fresh.length; i += 9) threads.push([fresh[i]!, ["to_tipster"]]);
  for (let i = 0; i < closed.length; i += 5) threads.push([closed[i]!, ["to_tipster"]]);
  threads.push([tips.find((t) => t.code === "TM-MOVED1")!, ["to_tipster"]]);
  let at = NOW.getTime() - 5 * DAY;
  for (const [tip, steps] of threads) {
    for (const step of steps) {
      at += MIN;
      if (step === "photo") await db.tipAttachment.create({ data: { tipId: tip.id, kind: "photo", ref: "AgAC-answer" } });
      else await db.relayMessage.create({ data: { tipId: tip.id, direction: step, text: "…" } });
      if (step === "to_tipster") tip.awaitingAnswerSince ??= new Date(at);
      if (step === "from_tipster" || step === "photo") tip.awaitingAnswerSince = null;
    }
    await db.tip.update({ where: { id: tip.id }, data: { awaitingAnswerSince: tip.awaitingAnswerSince } });
  }
}, 120_000);

afterAll(async () => {
  await tdb?.drop();
});

const queueOf = (id: string) => QUEUES.find((q) => q.id === id)!;

/** The oracle: which tips a person's queue shows, in which group and order, computed from the seeded rows. */
function expected(who: Who, filter: QueueFilter = {}) {
  const p = PEOPLE[who];
  const inScope = (t: Seeded) => {
    const q = queueOf(t.queueId);
    return p.scopeKind === "national" || (p.scopeKind === "province" ? q.provinceCode === p.scopeCode : q.communeCode === p.scopeCode);
  };
  const shown = tips.filter((t) => inScope(t) && (!filter.queueId || t.queueId === filter.queueId) && (!filter.claimedById || t.claimedById === filter.claimedById));
  const open = (a: Seeded, b: Seeded) => Number(b.lifeSafety) - Number(a.lifeSafety) || a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : 1);
  const fresh = filter.claimedById ? [] : shown.filter((t) => t.status === "new").sort(open).slice(0, QUEUE_GROUP_LIMIT);
  const claimed = shown.filter((t) => t.status === "claimed").sort(open).slice(0, QUEUE_GROUP_LIMIT);
  const closed = shown
    .filter((t) => t.status === "closed" && t.closedAt!.getTime() >= MIDNIGHT.getTime())
    .sort((a, b) => b.closedAt!.getTime() - a.closedAt!.getTime() || (a.id < b.id ? -1 : 1))
    .slice(0, QUEUE_GROUP_LIMIT);
  const awaiting = (t: Seeded) => t.status !== "closed" && t.awaitingAnswerSince !== null;
  const groups: Record<string, Seeded[]> = { new: [], unclaimed: [], claimed: [], awaiting: [], overdue: [], closed };
  for (const t of [...fresh, ...claimed].sort(open)) {
    const deadlines = deadlineStatus(computeDeadlines({ receivedAt: t.receivedAt, extension: t.extension }), NOW, { receiptNoticeSentAt: t.receiptNoticeSentAt });
    if (deadlines.some((d) => d.state === "overdue")) groups.overdue!.push(t);
    else if (awaiting(t)) groups.awaiting!.push(t);
    else if (t.status === "claimed") groups.claimed!.push(t);
    else if ((NOW.getTime() - t.receivedAt.getTime()) / MIN < NEW_FOR_MINUTES) groups.new!.push(t);
    else groups.unclaimed!.push(t);
  }
  return { groups, awaiting };
}

const holderName = (id: string | null) => {
  if (!id) return null;
  const o = [...officers.values()].find((x) => x.id === id)!;
  return o.displayName ?? o.id.slice(-5);
};

async function compare(who: Who, filter: QueueFilter = {}) {
  const got = await consoleQueue(db, officers.get(who)!, NOW, filter);
  const want = expected(who, filter);
  for (const g of QUEUE_GROUPS) {
    expect(got[g].map((r) => r.code), `${who} ${JSON.stringify(filter)} ${g}`).toEqual(want.groups[g]!.map((t) => t.code));
    for (const [i, r] of got[g].entries()) {
      const t = want.groups[g]![i]!;
      expect(r).toMatchObject({
        id: t.id,
        status: t.status,
        unit: unitNames.get(t.queueId),
        holder: holderName(t.claimedById),
        awaiting: want.awaiting(t),
        minutesWaiting: Math.floor((NOW.getTime() - t.receivedAt.getTime()) / MIN),
      });
      expect(r.deadlines.length > 0).toBe(t.status !== "closed");
    }
  }
  return got;
}

describe("the live queue's reads", () => {
  it("show each person the tips of the units their scope covers, in every group and order, as the oracle does", async () => {
    for (const who of Object.keys(PEOPLE) as Who[]) await compare(who);
    // The oracle's groups are not empty: the comparison is not between two empty lists.
    const national = expected("admin").groups;
    for (const g of QUEUE_GROUPS) expect(national[g]!.length, g).toBeGreaterThan(0);
    expect(national.new!.length + national.unclaimed!.length + national.overdue!.length).toBeGreaterThan(QUEUE_GROUP_LIMIT);
  });

  it("closed means closed today in Vietnam: from 00:00 Asia/Ho_Chi_Minh, to the millisecond, whatever the UTC date", async () => {
    expect(vnMidnight(NOW)).toEqual(MIDNIGHT);
    const closedAt = async (now: Date) => (await consoleQueue(db, officers.get("officerHK")!, now)).closed.map((r) => r.code);
    // 10:30 in Vietnam: closed at 00:00 is today's; a millisecond before midnight (10.5 hours ago, so
    // "the last 24 hours" would keep it) is yesterday's; 06:00 in Vietnam is today's though it is
    // still yesterday in UTC (a UTC day would drop it).
    const morning = await closedAt(NOW);
    expect(morning).toEqual(expect.arrayContaining(["TM-MIDNT0", "TM-UTCEVE"]));
    expect(morning).not.toContain("TM-PREMID");
    expect(morning).not.toContain("TM-EVE233");
    // At 23:59:59.999 the evening before, the tip closed at 23:30 is today's; at 00:00:00.000 it is not.
    expect(await closedAt(new Date(MIDNIGHT.getTime() - 1))).toContain("TM-EVE233");
    expect(await closedAt(MIDNIGHT)).not.toContain("TM-EVE233");
    expect(await closedAt(MIDNIGHT)).toContain("TM-MIDNT0");
    // At 23:59:59.999 today everything closed since this morning's midnight is still there; a millisecond later, none of it.
    const lastMs = new Date(MIDNIGHT.getTime() + DAY - 1);
    expect(await closedAt(lastMs)).toEqual(expect.arrayContaining(["TM-MIDNT0", "TM-UTCEVE"]));
    expect(await closedAt(new Date(MIDNIGHT.getTime() + DAY))).toEqual([]);
  });

  it("place a tip by the unit handling it: a moved tip shows in its new commune; duty and cyber tips only at the province", async () => {
    const codes = async (who: Who) => Object.values(await consoleQueue(db, officers.get(who)!, NOW)).flat().map((r) => r.code);
    expect(await codes("officerHK")).toContain("TM-MOVED1");
    expect(await codes("officerBD")).not.toContain("TM-MOVED1");
    for (const code of ["TM-DUTY01", "TM-CYBER1"]) {
      expect(await codes("commanderHN")).toContain(code);
      expect(await codes("admin")).toContain(code);
      expect(await codes("officerHK")).not.toContain(code);
      expect(await codes("officerBD")).not.toContain(code);
      expect(await codes("commanderHCM")).not.toContain(code);
    }
  });

  it("narrow to one unit (a province's duty queue too) or one officer, within the scope", async () => {
    const hk = officers.get("officerHK")!.id;
    const hnCommander = officers.get("commanderHN")!.id;
    for (const [who, filter] of [
      ["commanderHN", { queueId: "province:01" }],
      ["commanderHN", { queueId: "commune:00070" }],
      ["admin", { queueId: "province:01" }],
      ["admin", { queueId: "commune:25747" }],
      ["officerHK", { claimedById: hk }],
      ["commanderHN", { claimedById: hk }],
      ["commanderHN", { claimedById: hnCommander }],
      ["admin", { claimedById: hnCommander }],
      ["commanderHN", { queueId: "commune:00070", claimedById: hk }],
    ] as Array<[Who, QueueFilter]>) {
      await compare(who, filter);
    }
    const duty = await compare("commanderHN", { queueId: "province:01" });
    expect(duty.new.map((r) => r.code)).toContain("TM-DUTY01");
    // A unit outside the scope shows nothing, whatever the caller passed.
    expect(Object.values(await consoleQueue(db, officers.get("officerBD")!, NOW, { queueId: "commune:00070" })).flat()).toEqual([]);
    expect(Object.values(await consoleQueue(db, officers.get("commanderHCM")!, NOW, { queueId: "province:01" })).flat()).toEqual([]);
  });

  it("offer the units of the scope holding open tips, and the scope's own", async () => {
    for (const who of Object.keys(PEOPLE) as Who[]) {
      const p = PEOPLE[who];
      const { units } = await queueChoices(db, officers.get(who)!);
      const open = new Set(tips.filter((t) => t.status !== "closed").map((t) => t.queueId));
      const own = (await db.queue.findMany({ where: p.scopeKind === "commune" ? { communeCode: p.scopeCode } : p.scopeKind === "province" ? { provinceCode: p.scopeCode, communeCode: null } : { kind: "national" }, select: { id: true } })).map((q) => q.id);
      const want = new Set([...own, ...QUEUES.filter((q) => open.has(q.id) && (p.scopeKind === "national" || (p.scopeKind === "province" ? q.provinceCode === p.scopeCode : q.communeCode === p.scopeCode))).map((q) => q.id)]);
      expect(new Set(units.map((u) => u.id)), who).toEqual(want);
    }
  });
});
