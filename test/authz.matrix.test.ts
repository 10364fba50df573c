import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { handleCardPress, handleGroupMessage, type OfficerDeps } from "../src/core/officers/groupTurn.ts";
import type { Role } from "../src/core/officers/roles.ts";
import { postCard } from "../src/core/tips/cards.ts";
import { CODE_ALPHABET } from "../src/core/tips/codes.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import type { Db } from "../src/db/client.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createTranslator } from "../src/i18n.ts";
import { Sealer } from "../src/security/sealing.ts";
import { FakeTelegramApi, tgCallback, tgGroupText, tgUser, type FakeCall, tgShownText } from "./fakes/telegramApi.ts";
import { revokeAsAdmin, seedOfficer } from "./helpers/officers.ts";
import { eventually, FAST_RATES, startTestApp, testPlaces, type TestApp } from "./helpers/app.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

/*
 * The authorisation matrix. The expected outcome of every cell is written out here, from the
 * product's rules, independently of src/core/officers/authorize.ts:
 *  - only officers, commanders and administrators work on tips (outreach and legal staff never);
 *  - opening a confidential contact, extending a deadline and reopening a closed tip are for commanders
 *    and administrators; cancelling a chooser counts as the chooser's own action;
 *  - within scope: a commune officer their commune, a province officer their province, national everything;
 *  - a press counts only in the group holding the tip's working card; group commands answer only with
 *    what both the group and the asker's scope cover;
 *  - every refusal changes nothing and leaves one `auth.refused` audit row.
 */

const COMMUNE_A = "00004"; // Phường Ba Đình, Hà Nội (01)
const COMMUNE_B = "00070"; // Phường Hoàn Kiếm, Hà Nội
const ROLES = ["officer", "commander", "admin", "outreach", "legal", "revoked"] as const;
const SCOPES = {
  "own commune": { scopeKind: "commune", scopeCode: COMMUNE_A },
  "other commune": { scopeKind: "commune", scopeCode: COMMUNE_B },
  "own province": { scopeKind: "province", scopeCode: "01" },
  "other province": { scopeKind: "province", scopeCode: "79" },
  national: { scopeKind: "national", scopeCode: "VN" },
} as const;
type ScopeName = keyof typeof SCOPES;
type GroupName = "bound" | "unbound";

interface Actor {
  label: string;
  telegramUserId: string;
  role?: (typeof ROLES)[number];
  scope?: ScopeName;
  officerId?: string;
}

const WORKS_ON_TIPS = new Set(["officer", "commander", "admin"]);
const COMMANDER_ONLY = new Set(["open_contact", "extend", "reopen"]);
const COVERS_COMMUNE_A = new Set<ScopeName>(["own commune", "own province", "national"]);

/** The product's rule for a press on a tip of commune A: "allowed" or the refusal reason. */
function expectedPress(actor: Actor, group: GroupName, action: string): string {
  if (!actor.role) return "not_officer";
  if (actor.role === "revoked") return "revoked";
  if (!WORKS_ON_TIPS.has(actor.role)) return "staff_role";
  if (group === "unbound") return "wrong_group";
  if (!COVERS_COMMUNE_A.has(actor.scope!)) return "scope";
  if (COMMANDER_ONLY.has(action) && actor.role === "officer") return "role";
  return "allowed";
}

/** The product's rule for a group command about commune A's queue. */
function expectedCommand(actor: Actor, group: GroupName, command: string): string {
  if (!actor.role) return "not_officer";
  if (actor.role === "revoked") return "revoked";
  if (!WORKS_ON_TIPS.has(actor.role)) return "staff_role";
  if (group === "unbound") return command === "tip" ? "wrong_group" : "not_bound";
  if (!COVERS_COMMUNE_A.has(actor.scope!)) return "scope";
  return "allowed";
}

let tdb: TestDatabase;
let db: Db;
let deps: OfficerDeps;
let sealer: Sealer;
const t = createTranslator().t;
const renderer = new TelegramRenderer(t);
const groups = {} as Record<GroupName, Awaited<ReturnType<Db["chat"]["create"]>>>;
let tipsterChatId: string;
let colleagueId: string;
const actors: Actor[] = [];
let seq = 0;
/** A fresh, well-formed tip code (TM- and six characters of the code alphabet). */
function nextCode(): string {
  let n = ++seq;
  let body = "";
  for (let i = 0; i < 6; i++, n = Math.floor(n / CODE_ALPHABET.length)) body = CODE_ALPHABET[n % CODE_ALPHABET.length] + body;
  return `TM-${body}`;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  await loadReferenceData(db);
  await ensureQueues(db);
  sealer = new Sealer([crypto.randomBytes(32)]);
  deps = { sealer, places: await testPlaces(), t, officerRenderer: renderer, renderers: { telegram: renderer } };
  groups.bound = await db.chat.create({ data: { channel: "telegram", platformChatId: "-7001", kind: "group" } });
  groups.unbound = await db.chat.create({ data: { channel: "telegram", platformChatId: "-7002", kind: "group" } });
  await db.queue.update({ where: { id: `commune:${COMMUNE_A}` }, data: { groupChatId: groups.bound.id } });
  tipsterChatId = (await db.chat.create({ data: { channel: "telegram", platformChatId: "987654321", kind: "private" } })).id;
  const colleague = await db.$transaction((tx) =>
    seedOfficer(tx, { telegramUserId: "700999", role: "officer", scopeKind: "commune", scopeCode: COMMUNE_A }),
  );
  colleagueId = colleague.id;
  let n = 700_000;
  for (const role of ROLES) {
    for (const [scope, s] of Object.entries(SCOPES) as Array<[ScopeName, (typeof SCOPES)[ScopeName]]>) {
      const telegramUserId = String(++n);
      const officer = await db.$transaction(async (tx) => {
        const o = await seedOfficer(tx, { telegramUserId, role: (role === "revoked" ? "commander" : role) as Role, ...s, displayName: `${role} ${scope}` });
        if (role === "revoked") await revokeAsAdmin(tx, { telegramUserId });
        return o;
      });
      actors.push({ label: `${role}/${scope}`, telegramUserId, role, scope, officerId: officer.id });
    }
  }
  actors.push({ label: "unregistered", telegramUserId: String(++n) });
}, 120_000);
afterAll(async () => {
  await tdb?.drop();
});

/** The fields of a tip of commune A (or of `queueId`). */
function tipFields(props: { claimedById?: string | null; confidential?: boolean; priority?: string; lifeSafety?: boolean; queueId?: string; communeCode?: string | null; closed?: boolean } = {}) {
  const now = new Date();
  return {
    code: nextCode(),
    pinHash: "unused",
    category: "theft",
    channel: "telegram",
    queueId: props.queueId ?? `commune:${COMMUNE_A}`,
    provinceCode: "01",
    communeCode: props.communeCode === undefined ? COMMUNE_A : props.communeCode,
    placeSource: "typed",
    occurredWhen: "today",
    description: "Trộm xe máy trước cửa nhà số 5.",
    identityMode: props.confidential ? "confidential" : "anonymous",
    contactSealed: props.confidential ? sealer.seal(JSON.stringify({ name: "Lê Thị Mai", phone: "0912345678" }), "tip-contact") : null,
    replyRefSealed: sealer.seal(tipsterChatId, "tip-reply-ref"),
    locale: "vi",
    status: props.closed ? "closed" : props.claimedById ? "claimed" : "new",
    outcome: props.closed ? "khong_co_so" : null,
    closedAt: props.closed ? now : null,
    claimedById: props.claimedById ?? null,
    claimedAt: props.claimedById ? now : null,
    priority: props.priority ?? "normal",
    lifeSafety: props.lifeSafety ?? false,
    receivedAt: now,
    receiptNoticeDueAt: new Date(now.getTime() + 3 * 86_400_000),
    decisionDueAt: new Date(now.getTime() + 20 * 86_400_000),
  };
}

/** A tip of commune A with its working card in the bound group. */
async function makeTip(props: Parameters<typeof tipFields>[0] = {}) {
  const tip = await db.tip.create({ data: tipFields(props) });
  await db.$transaction((tx) => postCard(tx, renderer, tip.id, tip.queueId, "main"));
  return tip;
}

type Tip = Awaited<ReturnType<typeof makeTip>>;
const snapshot = async (id: string) => {
  const { updatedAt: _u, ...rest } = await db.tip.findUniqueOrThrow({ where: { id } });
  return rest;
};
const outboxTexts = async (refs: Array<{ id: number }>) =>
  (await db.outboxMessage.findMany({ where: { id: { in: refs.map((r) => r.id) } }, orderBy: { id: "asc" } })).map((m) => m.payload);

interface PressCase {
  /** What the button carries before the tip id. */
  data: string;
  action: string;
  setup: (actor: Actor) => Parameters<typeof makeTip>[0];
  /** The visible effect when allowed. */
  done: (tip: Tip, actor: Actor, payloads: string[]) => Promise<boolean>;
}

const claimedBy = (a: Actor) => ({ claimedById: a.officerId ?? colleagueId });
const promptOf = (kind: string) => async (tip: Tip, actor: Actor) =>
  (await db.officerPrompt.count({ where: { tipId: tip.id, kind, officerId: actor.officerId! } })) === 1;
const chooser = (prefix: string) => async (tip: Tip, _a: Actor, payloads: string[]) => payloads.some((p) => p.includes(`"t:${prefix}:`) && p.includes(tip.id));
const after = async (tip: Tip) => db.tip.findUniqueOrThrow({ where: { id: tip.id } });

const PRESS_CASES: PressCase[] = [
  { data: "t:claim", action: "claim", setup: () => ({}), done: async (tip, a) => (await after(tip)).claimedById === a.officerId },
  { data: "t:release", action: "release", setup: claimedBy, done: async (tip) => (await after(tip)).status === "new" },
  { data: "t:ask", action: "ask", setup: claimedBy, done: promptOf("ask") },
  { data: "t:note", action: "note", setup: claimedBy, done: promptOf("note") },
  { data: "t:transfer", action: "transfer", setup: claimedBy, done: promptOf("transfer") },
  { data: "t:open_contact", action: "open_contact", setup: (a) => ({ ...claimedBy(a), confidential: true }), done: promptOf("open_contact") },
  { data: "t:priority", action: "priority", setup: claimedBy, done: chooser("prio") },
  { data: "t:prio:normal", action: "priority", setup: (a) => ({ ...claimedBy(a), priority: "high" }), done: async (tip) => (await after(tip)).priority === "normal" },
  { data: "t:prio:high", action: "priority", setup: claimedBy, done: async (tip) => (await after(tip)).priority === "high" },
  { data: "t:prio:life_on", action: "priority", setup: claimedBy, done: async (tip) => (await after(tip)).lifeSafety },
  { data: "t:prio:life_off", action: "priority", setup: (a) => ({ ...claimedBy(a), lifeSafety: true }), done: async (tip) => !(await after(tip)).lifeSafety },
  { data: "t:classify", action: "classify", setup: claimedBy, done: chooser("cls") },
  ...["to_giac", "tin_bao", "administrative", "not_police", "false_report"].map(
    (c): PressCase => ({ data: `t:cls:${c}`, action: "classify", setup: claimedBy, done: async (tip) => (await after(tip)).classification === c }),
  ),
  { data: "t:cls:duplicate", action: "classify", setup: claimedBy, done: promptOf("duplicate") },
  { data: "t:close", action: "close", setup: claimedBy, done: chooser("out") },
  ...["khoi_to", "khong_khoi_to", "tam_dinh_chi", "chuyen_co_quan_khac", "xu_ly_hanh_chinh", "khong_co_so"].map(
    (o): PressCase => ({ data: `t:out:${o}`, action: "close", setup: claimedBy, done: async (tip) => (await after(tip)).outcome === o }),
  ),
  { data: "t:extend", action: "extend", setup: claimedBy, done: chooser("ext") },
  { data: "t:ext:two_months", action: "extend", setup: claimedBy, done: async (tip) => (await after(tip)).extension === "two_months" },
  { data: "t:ext:procuracy", action: "extend", setup: claimedBy, done: async (tip) => (await after(tip)).extension === "procuracy" },
  { data: `t:xfer:commune:${COMMUNE_B}`, action: "transfer", setup: claimedBy, done: async (tip) => (await after(tip)).queueId === `commune:${COMMUNE_B}` },
  {
    data: "t:reopen",
    action: "reopen",
    setup: (a) => ({ ...claimedBy(a), closed: true }),
    done: async (tip, a) => {
      const now = await after(tip);
      return now.status === "claimed" && now.claimedById === a.officerId && now.outcome === null && now.closedAt === null;
    },
  },
  // Cancelling a chooser: its buttons go, and nothing about the tip changes (no event recorded).
  ...Object.entries({ prio: "priority", cls: "classify", out: "close", ext: "extend", xfer: "transfer" }).map(
    ([chooser, action]): PressCase => ({
      data: `t:cancel:${chooser}`,
      action,
      setup: claimedBy,
      done: async (tip, _a, payloads) =>
        payloads.length === 1 &&
        payloads[0]!.includes('"inline_keyboard":[]') &&
        payloads[0]!.includes(tip.code) &&
        (await db.auditEvent.count({ where: { tipId: tip.id } })) === 0 &&
        (await after(tip)).status === "claimed",
    }),
  ),
];

describe("card presses: every action × every role × every scope × bound / unbound group", () => {
  it.each(PRESS_CASES.map((c) => [c.data, c] as const))("%s", async (_name, c) => {
    const table: string[] = [];
    const wanted: string[] = [];
    // Refused presses change nothing: they share one tip per action (claimed by a colleague).
    const shared = await makeTip(c.setup({ label: "colleague", telegramUserId: "700999", officerId: colleagueId }));
    for (const actor of actors) {
      for (const group of ["bound", "unbound"] as const) {
        const expected = expectedPress(actor, group, c.action);
        wanted.push(`${actor.label} in ${group} group: ${expected}`);
        const tip = expected === "allowed" ? await makeTip(c.setup(actor)) : shared;
        const before = await snapshot(tip.id);
        const refusalsBefore = await db.auditEvent.count({ where: { tipId: tip.id, action: "auth.refused" } });
        const promptsBefore = await db.officerPrompt.count({ where: { tipId: tip.id } });
        const result = await db.$transaction((tx) =>
          handleCardPress(tx, deps, { group: groups[group], telegramUserId: actor.telegramUserId, displayName: actor.label, data: `${c.data}:${tip.id}`, messageId: 1 }),
        );
        const refusals = await db.auditEvent.findMany({ where: { tipId: tip.id, action: "auth.refused" }, orderBy: { id: "asc" } });
        if (refusals.length === refusalsBefore) {
          const ok = !result.alert && (await c.done(tip, actor, await outboxTexts(result.refs)));
          table.push(`${actor.label} in ${group} group: ${ok ? "allowed" : `not refused, no effect (${result.answer ?? "no answer"})`}`);
          continue;
        }
        const row = refusals.at(-1)!;
        const reason = JSON.parse(row.data).reason as string;
        const unchanged = JSON.stringify(await snapshot(tip.id)) === JSON.stringify(before);
        const clean =
          refusals.length === refusalsBefore + 1 &&
          unchanged &&
          (await db.officerPrompt.count({ where: { tipId: tip.id } })) === promptsBefore &&
          result.refs.length === 0 &&
          result.alert === true &&
          result.answer === t("vi", `officer:refuse.${reason}`) &&
          JSON.parse(row.data).action === c.action &&
          row.actor === (actor.officerId ? `officer:${actor.officerId}` : `telegram-user:${actor.telegramUserId}`) &&
          row.via === groups[group].id;
        table.push(`${actor.label} in ${group} group: ${clean ? reason : `${reason} but not cleanly (unchanged=${unchanged})`}`);
      }
    }
    expect(table).toEqual(wanted);
    // Sanity of the matrix itself: every row kind is exercised.
    expect(new Set(wanted.map((w) => w.split(": ")[1]))).toEqual(
      new Set(["allowed", "not_officer", "revoked", "staff_role", "wrong_group", "scope", ...(COMMANDER_ONLY.has(c.action) ? ["role"] : [])]),
    );
  }, 120_000);
});

describe("group commands: every command × every role × every scope × bound / unbound group", () => {
  let tip: Tip;
  beforeAll(async () => {
    // Only this tip is open (the presses above left many): lists stay short and show it.
    await db.tip.updateMany({ data: { status: "closed", claimedById: null } });
    tip = await makeTip();
  });
  const COMMANDS = ["queue", "mine", "overdue", "tip", "stats"] as const;

  it.each(COMMANDS)("/%s", async (command) => {
    const table: string[] = [];
    const wanted: string[] = [];
    for (const actor of actors) {
      // /mine lists the asker's own tips: give every officer a tip they hold.
      if (command === "mine" && actor.officerId) {
        await db.tip.update({ where: { id: tip.id }, data: { status: "claimed", claimedById: actor.officerId } });
      }
      // /overdue: the tip is overdue.
      if (command === "overdue") await db.tip.update({ where: { id: tip.id }, data: { decisionDueAt: new Date(Date.now() - 86_400_000) } });
      for (const group of ["bound", "unbound"] as const) {
        const expected = expectedCommand(actor, group, command);
        wanted.push(`${actor.label} in ${group} group: ${expected}`);
        const before = await db.auditEvent.count({ where: { action: "auth.refused" } });
        const refs = await db.$transaction((tx) =>
          handleGroupMessage(tx, deps, {
            group: groups[group],
            telegramUserId: actor.telegramUserId,
            displayName: actor.label,
            text: command === "tip" ? `/tip ${tip.code}` : `/${command}`,
          }),
        );
        const texts = (await outboxTexts(refs)).map((p) => String(JSON.parse(p).text ?? ""));
        const refusals = await db.auditEvent.findMany({ where: { action: "auth.refused", id: { gt: 0 } }, orderBy: { id: "asc" }, skip: before });
        if (refusals.length === 0) {
          const shows = texts.length === 1 && (command === "stats" ? texts[0]!.startsWith("📊 Thống kê Công an phường Ba Đình") : texts[0]!.includes(tip.code));
          table.push(`${actor.label} in ${group} group: ${shows ? "allowed" : `answered without the tip: ${texts.join(" | ")}`}`);
          continue;
        }
        const row = refusals[0]!;
        const reason = JSON.parse(row.data).reason as string;
        // /tip refusals about a tip that exists are recorded on it; the others are not about one tip.
        const tipId = command === "tip" && ["wrong_group", "scope"].includes(reason) ? tip.id : null;
        const clean =
          refusals.length === 1 &&
          row.tipId === tipId &&
          JSON.parse(row.data).action === `command.${command}` &&
          row.via === groups[group].id &&
          texts.length === 1 &&
          !texts[0]!.includes(tip.code);
        table.push(`${actor.label} in ${group} group: ${clean ? reason : `${reason} but not cleanly: ${texts.join(" | ")}`}`);
      }
    }
    expect(table).toEqual(wanted);
  }, 120_000);

  it("a commune officer in the province duty group sees only their commune's tips; a province officer sees the province's", async () => {
    const duty = await db.chat.create({ data: { channel: "telegram", platformChatId: "-7003", kind: "group" } });
    await db.queue.update({ where: { id: "province:01" }, data: { groupChatId: duty.id } });
    try {
      // Commune B has no group of its own: its tips show in the duty group.
      const b = await db.tip.create({ data: tipFields({ queueId: `commune:${COMMUNE_B}`, communeCode: COMMUNE_B }) });
      const dutyTip = await db.tip.create({ data: tipFields({ queueId: "province:01", communeCode: null }) });
      const ask = async (label: string) => {
        const actor = actors.find((a) => a.label === label)!;
        const refs = await db.$transaction((tx) => handleGroupMessage(tx, deps, { group: duty, telegramUserId: actor.telegramUserId, displayName: label, text: "/queue" }));
        return String(JSON.parse((await outboxTexts(refs))[0]!).text);
      };
      const communeB = await ask("officer/other commune");
      expect(communeB).toContain(b.code);
      expect(communeB).not.toContain(dutyTip.code);
      const province = await ask("officer/own province");
      expect(province).toContain(b.code);
      expect(province).toContain(dutyTip.code);
      // Commune A is bound to its own group: its officer sees nothing of the duty group (refused).
      expect(await ask("officer/own commune")).toBe(t("vi", "officer:refuse.group_scope"));
    } finally {
      await db.queue.update({ where: { id: "province:01" }, data: { groupChatId: null } });
    }
  });
});

describe("other refusal paths are audited too", () => {
  it("an answer to a prompt by someone other than the officer who pressed is refused and logged", async () => {
    const owner = actors.find((a) => a.label === "officer/own commune")!;
    const tip = await makeTip({ claimedById: owner.officerId });
    const press = await db.$transaction((tx) =>
      handleCardPress(tx, deps, { group: groups.bound, telegramUserId: owner.telegramUserId, displayName: "x", data: `t:note:${tip.id}`, messageId: 1 }),
    );
    await db.outboxMessage.update({ where: { id: press.refs[0]!.id }, data: { platformMessageId: "4242", status: "sent" } });
    for (const label of ["commander/own commune", "legal/national", "unregistered"]) {
      const other = actors.find((a) => a.label === label)!;
      const refs = await db.$transaction((tx) =>
        handleGroupMessage(tx, deps, { group: groups.bound, telegramUserId: other.telegramUserId, displayName: label, text: "ghi chú giả", replyToMessageId: 4242 }),
      );
      expect(String(JSON.parse((await outboxTexts(refs))[0]!).text)).toBe(t("vi", "officer:refuse.not_prompted"));
    }
    expect(await db.tipNote.count({ where: { tipId: tip.id } })).toBe(0);
    const refusals = await db.auditEvent.findMany({ where: { tipId: tip.id, action: "auth.refused" } });
    expect(refusals.map((r) => JSON.parse(r.data).reason)).toEqual(["not_prompted", "not_prompted", "not_prompted"]);
    // A press naming a tip that does not exist is refused and logged too (no tip to attach it to).
    const forged = await db.$transaction((tx) =>
      handleCardPress(tx, deps, { group: groups.bound, telegramUserId: "700888", displayName: "x", data: "t:claim:cnotatipatall0000000000", messageId: 1 }),
    );
    expect(forged).toMatchObject({ refs: [], alert: true, answer: t("vi", "officer:refuse.not_found") });
    const logged = await db.auditEvent.findFirstOrThrow({ where: { action: "auth.refused", actor: "telegram-user:700888" } });
    expect([logged.tipId, JSON.parse(logged.data).reason, JSON.parse(logged.data).action]).toEqual([null, "not_found", "claim"]);
    // The officer who pressed still can.
    await db.$transaction((tx) =>
      handleGroupMessage(tx, deps, { group: groups.bound, telegramUserId: owner.telegramUserId, displayName: "x", text: "ghi chú thật", replyToMessageId: 4242 }),
    );
    expect(await db.tipNote.count({ where: { tipId: tip.id } })).toBe(1);
  });

  it("legal staff's actions (answer, save to the knowledge base) are refused to officers and outreach staff, and logged", async () => {
    const legalGroup = await db.chat.create({ data: { channel: "telegram", platformChatId: "-7004", kind: "group" } });
    const question = await db.legalQuestion.create({ data: { text: "Hỏi về luật?", locale: "vi", replyRefSealed: sealer.seal(tipsterChatId, "tip-reply-ref") } });
    const card = await db.outboxMessage.create({
      data: { channel: "telegram", chatId: legalGroup.id, method: "sendMessage", payload: "{}", status: "sent", platformMessageId: "5151" },
    });
    await db.legalQuestion.update({ where: { id: question.id }, data: { cardOutboxId: card.id } });
    for (const label of ["commander/national", "outreach/national", "unregistered"]) {
      const who = actors.find((a) => a.label === label)!;
      const refs = await db.$transaction((tx) =>
        handleGroupMessage(tx, deps, { group: legalGroup, telegramUserId: who.telegramUserId, displayName: label, text: "Câu trả lời giả", replyToMessageId: 5151 }),
      );
      expect(String(JSON.parse((await outboxTexts(refs))[0]!).text)).toBe(t("vi", "qa:staff.not_staff"));
      const press = await db.$transaction((tx) =>
        handleCardPress(tx, deps, { group: legalGroup, telegramUserId: who.telegramUserId, displayName: label, data: `kb:save:${question.id}`, messageId: 1 }),
      );
      expect(press.answer).toBe(t("vi", "qa:staff.not_staff"));
    }
    expect((await db.legalQuestion.findUniqueOrThrow({ where: { id: question.id } })).status).toBe("open");
    const refusals = await db.auditEvent.findMany({ where: { action: "auth.refused", via: legalGroup.id }, orderBy: { id: "asc" } });
    expect(refusals.map((r) => `${JSON.parse(r.data).action}:${JSON.parse(r.data).reason}`)).toEqual([
      "question.answer:role",
      "question.save:role",
      "question.answer:role",
      "question.save:role",
      "question.answer:not_officer",
      "question.save:not_officer",
    ]);
    // Legal staff answer.
    const legal = actors.find((a) => a.label === "legal/national")!;
    await db.$transaction((tx) =>
      handleGroupMessage(tx, deps, { group: legalGroup, telegramUserId: legal.telegramUserId, displayName: "legal", text: "Câu trả lời thật", replyToMessageId: 5151 }),
    );
    expect((await db.legalQuestion.findUniqueOrThrow({ where: { id: question.id } })).answer).toBe("Câu trả lời thật");
  });

  it("outreach staff's campaign commands and buttons are refused to officers, commanders and legal staff, and logged", async () => {
    const staffGroup = await db.chat.create({ data: { channel: "telegram", platformChatId: "-7005", kind: "group" } });
    const content = await db.content.create({ data: { title: "Cảnh giác lừa đảo", bodies: JSON.stringify({ vi: "Nội dung" }), source: "Luật", topics: "[]", createdBy: "test" } });
    const campaign = await db.campaign.create({ data: { contentId: content.id, audience: "{}", schedule: JSON.stringify({ kind: "now" }), status: "draft", createdBy: "test" } });
    for (const label of ["commander/national", "legal/national", "admin/national"]) {
      const who = actors.find((a) => a.label === label)!;
      const refs = await db.$transaction((tx) => handleGroupMessage(tx, deps, { group: staffGroup, telegramUserId: who.telegramUserId, displayName: label, text: "/content" }));
      const press = await db.$transaction((tx) =>
        handleCardPress(tx, deps, { group: staffGroup, telegramUserId: who.telegramUserId, displayName: label, data: `c:confirm:${campaign.id}`, messageId: 1 }),
      );
      const text = String(JSON.parse((await outboxTexts(refs))[0]!).text);
      if (label === "admin/national") {
        expect(text).not.toBe(t("vi", "campaign:staff.not_staff"));
        expect(press.alert).not.toBe(true);
      } else {
        expect(text).toBe(t("vi", "campaign:staff.not_staff"));
        expect(press.answer).toBe(t("vi", "campaign:staff.not_staff"));
      }
    }
    const refusals = await db.auditEvent.findMany({ where: { action: "auth.refused", via: staffGroup.id }, orderBy: { id: "asc" } });
    expect(refusals.map((r) => `${JSON.parse(r.data).action}:${JSON.parse(r.data).reason}`)).toEqual([
      "campaign.content:role",
      "campaign.confirm:role",
      "campaign.content:role",
      "campaign.confirm:role",
    ]);
    expect(JSON.parse(refusals[1]!.data).campaignId).toBe(campaign.id);
  });
});

describe("end to end through the Telegram fake", () => {
  const GROUP_A = -3001;
  const GROUP_B = -3002;
  const GROUP_LOOSE = -3003;
  const U = { legal: 9101, outreach: 9102, officerA: 9103, officerB: 9104, commander: 9105 };
  let tg: FakeTelegramApi;
  let app: TestApp;
  const text = (c: FakeCall) => tgShownText(c.payload);

  beforeAll(async () => {
    tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
    await tg.listen();
    app = await startTestApp({ telegram: tg, env: FAST_RATES, referenceData: true });
    const add = (user: number, role: Role, scopeKind: string, scopeCode: string) =>
      app.db.$transaction((tx) => seedOfficer(tx, { telegramUserId: String(user), role, scopeKind, scopeCode, displayName: tgUser(user).first_name }));
    await add(U.legal, "legal", "national", "VN");
    await add(U.outreach, "outreach", "national", "VN");
    await add(U.officerA, "officer", "commune", COMMUNE_A);
    await add(U.officerB, "officer", "commune", COMMUNE_B);
    await add(U.commander, "commander", "commune", COMMUNE_A);
    for (const [platformChatId, queueId] of [[GROUP_A, `commune:${COMMUNE_A}`], [GROUP_B, `commune:${COMMUNE_B}`]] as const) {
      const chat = await app.db.chat.create({ data: { channel: "telegram", platformChatId: String(platformChatId), kind: "group" } });
      await app.db.queue.update({ where: { id: queueId }, data: { groupChatId: chat.id } });
    }
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await tg?.close();
  });

  /** A confidential tip of commune A with its card posted (and delivered) in group A. */
  async function confidentialTip() {
    const chat = await app.db.chat.create({ data: { channel: "telegram", platformChatId: String(880_000 + ++seq), kind: "private" } });
    const now = new Date();
    const tip = await app.db.tip.create({
      data: {
        code: nextCode(),
        pinHash: "unused",
        category: "drugs",
        channel: "telegram",
        queueId: `commune:${COMMUNE_A}`,
        provinceCode: "01",
        communeCode: COMMUNE_A,
        placeSource: "typed",
        occurredWhen: "today",
        description: "Mua bán ma tuý ở quán nước.",
        identityMode: "confidential",
        contactSealed: app.sealer.seal(JSON.stringify({ name: "Phạm Văn Bình", phone: "0987000111" }), "tip-contact"),
        replyRefSealed: app.sealer.seal(chat.id, "tip-reply-ref"),
        locale: "vi",
        receivedAt: now,
        receiptNoticeDueAt: new Date(now.getTime() + 3 * 86_400_000),
        decisionDueAt: new Date(now.getTime() + 20 * 86_400_000),
      },
    });
    const refs = await app.db.$transaction((tx) => postCard(tx, new TelegramRenderer(app.app.t), tip.id, tip.queueId, "main"));
    app.app.sender.notify(refs);
    const card = await eventually(() => tg.delivered(GROUP_A).find((c) => text(c).includes(tip.code)), 10_000, "card");
    return { tip, cardId: (card.response!.result as { message_id: number }).message_id };
  }

  async function press(groupId: number, userId: number, data: string, onMessage: number) {
    const before = tg.callsTo("answerCallbackQuery").length;
    expect((await tg.pushUpdate(tgCallback(groupId, data, onMessage, tgUser(userId)))).status).toBe(200);
    return tg.waitFor(() => tg.callsTo("answerCallbackQuery")[before], 10_000);
  }

  it("legal staff cannot open a confidential contact or extend; outreach staff cannot claim or classify; each refusal is logged", async () => {
    const { tip, cardId } = await confidentialTip();
    const before = await app.db.tip.findUniqueOrThrow({ where: { id: tip.id } });
    const attempts: Array<[number, string]> = [
      [U.legal, `t:open_contact:${tip.id}`],
      [U.legal, `t:ext:two_months:${tip.id}`],
      [U.outreach, `t:claim:${tip.id}`],
      [U.outreach, `t:cls:false_report:${tip.id}`],
      [U.officerA, `t:open_contact:${tip.id}`],
      [U.officerB, `t:claim:${tip.id}`],
    ];
    const answers: string[] = [];
    for (const [user, data] of attempts) {
      const answer = await press(GROUP_A, user, data, cardId);
      expect(answer.payload.show_alert).toBe(true);
      answers.push(String(answer.payload.text));
    }
    expect(answers).toEqual([
      "Cán bộ tuyên truyền và cán bộ pháp lý không xử lý tin báo.",
      "Cán bộ tuyên truyền và cán bộ pháp lý không xử lý tin báo.",
      "Cán bộ tuyên truyền và cán bộ pháp lý không xử lý tin báo.",
      "Cán bộ tuyên truyền và cán bộ pháp lý không xử lý tin báo.",
      "Việc này cần quyền chỉ huy.",
      "Tin báo này không thuộc địa bàn bạn được phân công.",
    ]);
    const afterTip = await app.db.tip.findUniqueOrThrow({ where: { id: tip.id } });
    expect({ ...afterTip, updatedAt: null }).toEqual({ ...before, updatedAt: null });
    expect(await app.db.officerPrompt.count({ where: { tipId: tip.id } })).toBe(0);
    const refusals = await app.db.auditEvent.findMany({ where: { tipId: tip.id, action: "auth.refused" }, orderBy: { id: "asc" } });
    expect(refusals.map((r) => JSON.parse(r.data).reason)).toEqual(["staff_role", "staff_role", "staff_role", "staff_role", "role", "scope"]);
    // No private message carrying the contact went anywhere.
    expect(tg.calls.some((c) => JSON.stringify(c.payload).includes("0987000111"))).toBe(false);
    // The commander may.
    await press(GROUP_A, U.commander, `t:open_contact:${tip.id}`, cardId);
    await eventually(async () => (await app.db.officerPrompt.count({ where: { tipId: tip.id, kind: "open_contact" } })) === 1, 10_000, "commander's prompt");
  });

  it("group commands: commune B's officer gets nothing of A's queue in A's group; /tip in an unbound group shows no history", async () => {
    const { tip } = await confidentialTip();
    const said = async (groupId: number, user: number, line: string) => {
      const before = tg.delivered(groupId).length;
      await tg.pushUpdate(tgGroupText(groupId, user, line));
      return text(await tg.waitFor(() => tg.delivered(groupId)[before], 10_000));
    };
    expect(await said(GROUP_A, U.officerA, "/queue")).toContain(tip.code);
    const refusedQueue = await said(GROUP_A, U.officerB, "/queue");
    expect(refusedQueue).toBe("Hàng đợi của nhóm này không thuộc địa bàn bạn được phân công.");
    expect(await said(GROUP_A, U.officerA, `/tip ${tip.code}`)).toContain(`Lịch sử ${tip.code}`);
    const loose = await said(GROUP_LOOSE, U.officerA, `/tip ${tip.code}`);
    expect(loose).toBe("Mã tin báo không đúng hoặc không tồn tại.");
    expect(await said(GROUP_LOOSE, U.officerA, "/mine")).toContain("chưa được gắn với hàng đợi");
    expect(await said(GROUP_A, U.legal, "/stats")).toBe("Cán bộ tuyên truyền và cán bộ pháp lý không xử lý tin báo.");
    const loggedFor = async (user: number) => {
      const officer = await app.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(user) } });
      return (await app.db.auditEvent.findMany({ where: { action: "auth.refused", actor: `officer:${officer.id}` }, orderBy: { id: "asc" } })).map(
        (r) => `${JSON.parse(r.data).action}:${JSON.parse(r.data).reason}:${r.tipId ?? "-"}`,
      );
    };
    expect((await loggedFor(U.officerB)).at(-1)).toBe("command.queue:scope:-");
    expect((await loggedFor(U.officerA)).slice(-2)).toEqual([`command.tip:wrong_group:${tip.id}`, "command.mine:not_bound:-"]);
    expect((await loggedFor(U.legal)).at(-1)).toBe("command.stats:staff_role:-");
  });
});
