import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { computeDeadlines, type TipExtension } from "../src/core/deadlines/tipDeadlines.ts";
import { dueTipsWhere, sendReminders, type ReminderSettings } from "../src/core/tips/reminders.ts";
import { postCard } from "../src/core/tips/cards.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import { openDb, type Db } from "../src/db/client.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createTranslator } from "../src/i18n.ts";
import { PROVIDER, createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { seedBinding, seedOfficer } from "./helpers/officers.ts";
import { mulberry32 } from "./helpers/random.ts";
import { insertTips, type TipRowSpec } from "./helpers/tipRows.ts";

/*
 * The reminder sweep reads only the tips with a reminder due (a WHERE in the database) instead of
 * every open tip. Oracle: a seeded mix of tips in every state and age, of several queues (bound to a
 * group or falling back to the duty group, two provinces), with reminders already sent at every
 * distance from the repeat limit; at several instants the tips the database selects and the
 * reminders the sweep sends must be exactly those of the rule of issue 4, written here on its own:
 *   - a tip nobody claimed ("new") after 60 minutes (10 for life-safety): "unclaimed";
 *   - the receipt notice, until sent: due in 3 working days — "receipt_notice_due" from 24 h before,
 *     "receipt_notice_overdue" once past;
 *   - the extension request, 5 days before the decision deadline (none after the procuracy's
 *     extension): "extension_request_due" from 48 h before until then (a missed one is not reminded);
 *   - the decision: 20 days, 2 months, 2 + 2 months — "decision_due" from 72 h before,
 *     "decision_overdue" once past;
 *   - never for a closed tip; never the same kind about the same tip again within 24 hours;
 *   - overdue ones escalate (the unit's commanders, the province duty group) with a `tip.escalated` event.
 * There are no per-queue reminder settings and no quiet hours: the queue only decides who is told.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SETTINGS: ReminderSettings = { unclaimedMinutes: 60, unclaimedLifeSafetyMinutes: 10, repeatHours: 24 };
/** 10:00 in Vietnam a week before Tết 2026 (17 February): the receipt notice's working days cross the holiday. */
const T0 = new Date("2026-02-10T03:00:00.000Z");
const COMMANDER = "720001";
const renderer = new TelegramRenderer(createTranslator().t);

let tdb: TestDatabase;
let db: Db;
let commanderChatId: string;
const cardChat = new Map<string, string>();

type Kind = "unclaimed" | "receipt_notice_due" | "receipt_notice_overdue" | "extension_request_due" | "decision_due" | "decision_overdue";

/** The rule, from the issue and product.md (not from src/core/tips/reminders.ts): the (tip code, kind) pairs due at `now`. */
async function expected(now: Date): Promise<string[]> {
  const tips = await db.tip.findMany({ include: { reminders: true } });
  const out: string[] = [];
  for (const tip of tips) {
    if (tip.status === "closed") continue;
    const wanted: Kind[] = [];
    const left = (due: Date) => due.getTime() - now.getTime();
    if (tip.status === "new" && now.getTime() - tip.receivedAt.getTime() >= (tip.lifeSafety ? 10 : 60) * 60_000) wanted.push("unclaimed");
    const d = computeDeadlines({ receivedAt: tip.receivedAt, extension: tip.extension as TipExtension });
    if (!tip.receiptNoticeSentAt) {
      if (left(d.receiptNoticeDue) < 0) wanted.push("receipt_notice_overdue");
      else if (left(d.receiptNoticeDue) <= 24 * HOUR) wanted.push("receipt_notice_due");
    }
    if (tip.extension !== "procuracy") {
      const by = d.decisionDue.getTime() - 5 * DAY; // the decision deadline is the end of a day; 5 days earlier, the same hour
      expect(d.extensionRequestBy!.getTime()).toBe(by);
      if (by - now.getTime() >= 0 && by - now.getTime() <= 48 * HOUR) wanted.push("extension_request_due");
    }
    if (left(d.decisionDue) < 0) wanted.push("decision_overdue");
    else if (left(d.decisionDue) <= 72 * HOUR) wanted.push("decision_due");
    for (const kind of wanted) {
      const recent = tip.reminders.some((r) => r.kind === kind && now.getTime() - r.sentAt.getTime() < 24 * HOUR);
      if (!recent) out.push(`${tip.code} ${kind}`);
    }
  }
  return out.sort();
}

const lastLogId = async () => (await db.reminderLog.aggregate({ _max: { id: true } }))._max.id ?? 0;
/** The reminders logged after log row `id`, as sorted "code kind" lines. */
const loggedSince = async (id: number) =>
  (await db.reminderLog.findMany({ where: { id: { gt: id } }, include: { tip: { select: { code: true } } } })).map((r) => `${r.tip.code} ${r.kind}`).sort();

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  await loadReferenceData(db);
  await ensureQueues(db);
  const rnd = mulberry32(1512);
  // Queues: a bound commune of Hà Nội, an unbound one (its cards fall back to the bound duty group),
  // the duty queue itself, and a commune of another province with no group and no commander.
  const other = await db.queue.findFirstOrThrow({ where: { kind: "commune", provinceCode: { not: "01" } }, orderBy: { id: "asc" } });
  const queues = [
    { queueId: "commune:00004", provinceCode: "01", communeCode: "00004" },
    { queueId: "commune:00070", provinceCode: "01", communeCode: "00070" },
    { queueId: "province:01", provinceCode: "01", communeCode: null },
    { queueId: other.id, provinceCode: other.provinceCode, communeCode: other.communeCode },
  ];
  const group = await db.chat.create({ data: { channel: "telegram", platformChatId: "-7201", kind: "group" } });
  const duty = await db.chat.create({ data: { channel: "telegram", platformChatId: "-7202", kind: "group" } });
  const otherGroup = await db.chat.create({ data: { channel: "telegram", platformChatId: "-7203", kind: "group" } });
  await db.$transaction((tx) => seedBinding(tx, renderer, { queueId: "commune:00004", groupChatId: group.id }));
  await db.$transaction((tx) => seedBinding(tx, renderer, { queueId: "province:01", groupChatId: duty.id }));
  await db.$transaction((tx) => seedBinding(tx, renderer, { queueId: other.id, groupChatId: otherGroup.id }));
  commanderChatId = (await db.chat.create({ data: { channel: "telegram", platformChatId: COMMANDER, kind: "private" } })).id;
  await db.$transaction((tx) => seedOfficer(tx, { telegramUserId: COMMANDER, role: "commander", scopeKind: "province", scopeCode: "01", displayName: "Hùng", privateChatId: commanderChatId }));

  // Ages: minutes around the unclaimed limits, days around the receipt notice (over Tết), weeks
  // around the 20-day, 2-month and 4-month decision deadlines, and anything in between.
  const exact = [10 * 60_000, 10 * 60_000 - 1, 60 * 60_000, 60 * 60_000 - 1, 60 * 60_000 + 1];
  const specs: TipRowSpec[] = [];
  for (let i = 0; i < 700; i++) {
    const q = queues[i % queues.length]!;
    const r = rnd();
    const age =
      i < exact.length * 4
        ? exact[Math.floor(i / 4)]!
        : r < 0.15
          ? rnd() * 3 * HOUR
          : r < 0.4
            ? rnd() * 8 * DAY
            : r < 0.6
              ? 12 * DAY + rnd() * 10 * DAY
              : r < 0.75
                ? 50 * DAY + rnd() * 15 * DAY
                : r < 0.85
                  ? 110 * DAY + rnd() * 20 * DAY
                  : rnd() * 200 * DAY;
    const receivedAt = new Date(T0.getTime() - Math.floor(age));
    const status = i < exact.length * 4 ? (["new", "new", "claimed", "closed"] as const)[i % 4]! : (["new", "claimed", "claimed", "closed"] as const)[Math.floor(rnd() * 4)]!;
    const x = rnd();
    const extension: TipExtension = x < 0.55 ? "none" : x < 0.8 ? "two_months" : "procuracy";
    const noticeSent = status !== "new" && rnd() < 0.7;
    specs.push({
      ...q,
      status,
      lifeSafety: i < exact.length * 4 ? i % 2 === 0 : rnd() < 0.2,
      receivedAt,
      claimedAt: status === "new" ? null : new Date(receivedAt.getTime() + HOUR),
      receiptNoticeSentAt: noticeSent ? new Date(receivedAt.getTime() + HOUR) : null,
      closedAt: status === "closed" ? new Date(receivedAt.getTime() + 2 * HOUR) : null,
      outcome: status === "closed" ? "khong_co_so" : null,
      extension,
    });
  }
  await insertTips(db, specs);
  const tips = await db.tip.findMany({ orderBy: { code: "asc" } });
  for (const tip of tips) {
    if (tip.status === "closed") continue;
    await db.$transaction((tx) => postCard(tx, renderer, tip.id, tip.queueId, "main"));
    const card = await db.tipCard.findFirstOrThrow({ where: { tipId: tip.id, kind: "main" } });
    cardChat.set(tip.code, card.chatId);
  }
  // Reminders already sent, at every distance from the 24-hour limit (closed tips too).
  const kinds: Kind[] = ["unclaimed", "receipt_notice_due", "receipt_notice_overdue", "extension_request_due", "decision_due", "decision_overdue"];
  const ago = [24 * HOUR, 24 * HOUR - 1, 24 * HOUR + 1, HOUR, 23 * HOUR + 59 * 60_000, 25 * HOUR, 10 * DAY, 0];
  const logs: Array<{ tipId: string; kind: string; sentAt: Date }> = [];
  for (const tip of tips) {
    if (rnd() < 0.5) continue;
    for (const kind of kinds) if (rnd() < 0.4) logs.push({ tipId: tip.id, kind, sentAt: new Date(T0.getTime() - ago[Math.floor(rnd() * ago.length)]!) });
  }
  await db.reminderLog.createMany({ data: logs });
}, 180_000);

afterAll(async () => {
  await tdb?.drop();
});

describe("the reminder sweep selects in the database exactly the reminders the rule says are due", () => {
  // T0, an hour later, the next day at the same time (exactly 24 h after the first sweep's reminders), nine days on, ~4 months on.
  const instants = [T0, new Date(T0.getTime() + HOUR + 1), new Date(T0.getTime() + DAY), new Date(T0.getTime() + 9 * DAY + 17 * HOUR), new Date(T0.getTime() + 118 * DAY)];
  const seen = new Set<string>();

  for (const [n, now] of instants.entries()) {
    it(`sweep ${n + 1} at ${now.toISOString()}: selection, reminders, escalations and recipients match the rule`, async () => {
      const want = await expected(now);
      for (const w of want) seen.add(w.split(" ")[1]!);
      // The database's selection: exactly the tips with something due.
      const selected = (await db.tip.findMany({ where: dueTipsWhere(now, SETTINGS), select: { code: true } })).map((t) => t.code).sort();
      expect(selected).toEqual([...new Set(want.map((w) => w.split(" ")[0]!))].sort());

      const escalatedBefore = await db.auditEvent.count({ where: { action: "tip.escalated" } });
      const outboxBefore = (await db.outboxMessage.aggregate({ _max: { id: true } }))._max.id ?? 0;
      const logBefore = await lastLogId();
      await sendReminders(db, renderer, SETTINGS, now);
      const sent = await loggedSince(logBefore);
      expect(sent).toEqual(want);

      // Overdue ones escalated, each with its event; every reminder is under its tip's card; Hà Nội's commander told of Hà Nội's overdue tips.
      const overdue = want.filter((w) => w.endsWith("_overdue"));
      expect((await db.auditEvent.count({ where: { action: "tip.escalated" } })) - escalatedBefore).toBe(overdue.length);
      const queued = await db.outboxMessage.findMany({ where: { id: { gt: outboxBefore } } });
      for (const w of want) {
        const code = w.split(" ")[0]!;
        expect(queued.some((m) => m.chatId === cardChat.get(code) && m.payload.includes(code)), `${w}: notice under the card`).toBe(true);
      }
      const hanoi = new Set((await db.tip.findMany({ where: { provinceCode: "01" }, select: { code: true } })).map((t) => t.code));
      const toCommander = new Set(queued.filter((m) => m.chatId === commanderChatId).map((m) => /TM-[A-Z0-9]{6}/.exec(m.payload)![0]));
      expect([...toCommander].sort()).toEqual([...new Set(overdue.map((w) => w.split(" ")[0]!).filter((c) => hanoi.has(c)))].sort());

      // The same instant again (a second tick, or a new leader re-running it): nothing more.
      expect(await sendReminders(db, renderer, SETTINGS, now)).toEqual([]);
      expect(await loggedSince(logBefore)).toEqual(want);
    });
  }

  it("the seeded mix covered every kind of reminder (the oracle is not vacuous)", () => {
    expect([...seen].sort()).toEqual(["decision_due", "decision_overdue", "extension_request_due", "receipt_notice_due", "receipt_notice_overdue", "unclaimed"]);
  });

  it("two sweeps at once (two instances, the leadership passing mid-run) send each reminder once", async () => {
    const now = new Date(T0.getTime() + 3 * DAY + 5 * HOUR);
    const want = await expected(now);
    expect(want.length).toBeGreaterThan(20);
    // On PostgreSQL a second client, as another instance would have; SQLite has one instance per file.
    const logBefore = await lastLogId();
    const second = PROVIDER === "postgresql" ? await openDb(tdb.url) : db;
    try {
      await Promise.all([sendReminders(db, renderer, SETTINGS, now), sendReminders(second, renderer, SETTINGS, now)]);
    } finally {
      if (second !== db) await second.$disconnect();
    }
    expect(await loggedSince(logBefore)).toEqual(want);
  });
});
