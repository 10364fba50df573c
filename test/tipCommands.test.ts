import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import type { Role } from "../src/core/officers/roles.ts";
import { revokeAsAdmin, seedOfficer } from "./helpers/officers.ts";
import { addInformation } from "../src/core/tips/commands/addInformation.ts";
import { relayToTipster } from "../src/core/tips/commands/ask.ts";
import { claimTip } from "../src/core/tips/commands/claim.ts";
import { classifyTip } from "../src/core/tips/commands/classify.ts";
import { closeTip } from "../src/core/tips/commands/close.ts";
import { TipStateError, type CommandActor, type TipCommandContext } from "../src/core/tips/commands/context.ts";
import { recordExtension } from "../src/core/tips/commands/extend.ts";
import { addNote } from "../src/core/tips/commands/note.ts";
import { openContact } from "../src/core/tips/commands/openContact.ts";
import { setPriority } from "../src/core/tips/commands/priority.ts";
import { releaseTip } from "../src/core/tips/commands/release.ts";
import { reopenTip } from "../src/core/tips/commands/reopen.ts";
import { relayFromTipster } from "../src/core/tips/commands/tipsterAnswer.ts";
import { transferTip } from "../src/core/tips/commands/transfer.ts";
import { CODE_ALPHABET } from "../src/core/tips/codes.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import { TIP_MOVES, type TipMove } from "../src/core/tips/tipStates.ts";
import type { Db, Tx } from "../src/db/client.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createTranslator } from "../src/i18n.ts";
import { Sealer } from "../src/security/sealing.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

/*
 * Every tip command, called directly against the database (no chat surface in between), for every
 * move of the transition table × every kind of actor × scope × the tip's starting state. The
 * expected outcome of each cell is written out from the product's rules, independently of
 * src/core/tips/commands/context.ts and src/core/officers/authorize.ts:
 *  - only officers, commanders and administrators work on tips (outreach, legal staff, revoked and
 *    unregistered people never); within their scope (a commune officer their commune, a province
 *    officer their province);
 *  - opening a contact, extending a deadline and reopening are for commanders and administrators;
 *  - releasing or closing a tip someone else holds, or closing one nobody holds, needs a commander;
 *  - an administrator at the CLI acts as a commander everywhere, but cannot hold a tip, sign a note,
 *    ask the tipster or receive a contact (those need a person in a group); the system makes none of
 *    these moves;
 *  - the tipster answers and adds information while the tip is open;
 *  - an allowed command records exactly one event (its own); a refusal of rights exactly one
 *    `auth.refused`; a refusal by the tip's state none; a refusal changes nothing.
 */

const COMMUNE_A = "00004"; // Phường Ba Đình, Hà Nội (01) — the tips' commune
const COMMUNE_B = "00070"; // Phường Hoàn Kiếm, Hà Nội
const STATES = ["new", "claimed by self", "claimed by another", "closed"] as const;
type StartState = (typeof STATES)[number];

/** The product's rule for which states each move starts from (checked against TIP_MOVES below). */
const OPEN = ["new", "claimed"];
const FROM: Record<TipMove, readonly string[]> = {
  claim: ["new"],
  release: ["claimed"],
  close: OPEN,
  reopen: ["closed"],
  transfer: OPEN,
  ask: OPEN,
  note: [...OPEN, "closed"],
  priority: OPEN,
  classify: OPEN,
  extend: OPEN,
  open_contact: [...OPEN, "closed"],
  tipster_answer: OPEN,
  tipster_information: OPEN,
};
const COMMANDER_ONLY = new Set<TipMove>(["open_contact", "extend", "reopen"]);
const HOLDER_OR_COMMANDER = new Set<TipMove>(["release", "close"]);
const PERSONAL = new Set<TipMove>(["claim", "ask", "note", "open_contact"]);
const TIPSTER_MOVES = new Set<TipMove>(["tipster_answer", "tipster_information"]);

type Who =
  | { label: string; kind: "officer"; role: Role | "revoked"; inside: boolean; officerId: string }
  | { label: string; kind: "unregistered"; telegramUserId: string }
  | { label: string; kind: "admin_cli" }
  | { label: string; kind: "system" }
  | { label: string; kind: "tipster" };

/** What a command run came to: "allowed", "auth:<reason>" or "state:<reason>". */
function expected(who: Who, move: TipMove, state: StartState): string {
  if (TIPSTER_MOVES.has(move) !== (who.kind === "tipster")) throw new Error("tipster moves are the tipster's alone");
  let commander = false;
  switch (who.kind) {
    case "unregistered":
      return "auth:not_officer";
    case "system":
      return "auth:role";
    case "admin_cli":
      if (PERSONAL.has(move)) return "auth:role";
      commander = true;
      break;
    case "officer":
      if (who.role === "revoked") return "auth:revoked";
      if (who.role === "outreach" || who.role === "legal") return "auth:staff_role";
      if (!who.inside) return "auth:scope";
      if (COMMANDER_ONLY.has(move) && who.role === "officer") return "auth:role";
      commander = who.role !== "officer";
      break;
    case "tipster":
      break;
  }
  const status = state === "new" ? "new" : state === "closed" ? "closed" : "claimed";
  if (!FROM[move].includes(status)) return move === "claim" && status === "claimed" ? "state:claimed_by_other" : "state:state";
  if (HOLDER_OR_COMMANDER.has(move) && !commander) {
    if (state === "claimed by another") return "state:claimed_by_other";
    if (state === "new") return "state:state";
  }
  return "allowed";
}

/** The state an allowed move leaves the tip in (a reopened tip goes back to whoever held it: here a colleague). */
const AFTER: Partial<Record<TipMove, string>> = { claim: "claimed", release: "new", close: "closed", reopen: "claimed", transfer: "new" };
/** The event each allowed move records. */
const EVENT: Record<TipMove, string> = {
  claim: "tip.claimed",
  release: "tip.released",
  close: "tip.closed",
  reopen: "tip.reopened",
  transfer: "tip.transferred",
  ask: "tip.question_sent",
  note: "tip.note_added",
  priority: "tip.priority_set",
  classify: "tip.classified",
  extend: "tip.extended",
  open_contact: "tip.contact_opened",
  tipster_answer: "tip.answer_received",
  tipster_information: "tip.information_added",
};

let tdb: TestDatabase;
let db: Db;
let sealer: Sealer;
const t = createTranslator().t;
const renderer = new TelegramRenderer(t);
let tipsterChatId: string;
let colleagueId: string;
const actors: Who[] = [];
let seq = 0;

/** How each move is asked for, as a command call (a move missing here fails to compile). */
const RUN: Record<TipMove, (ctx: TipCommandContext, tipId: string) => Promise<unknown>> = {
  claim: (ctx, tipId) => claimTip(ctx, { tipId }),
  release: (ctx, tipId) => releaseTip(ctx, { tipId }),
  close: (ctx, tipId) => closeTip(ctx, { tipId, outcome: "khong_khoi_to" }),
  reopen: (ctx, tipId) => reopenTip(ctx, { tipId }),
  transfer: (ctx, tipId) => transferTip(ctx, { tipId, toQueueId: `commune:${COMMUNE_B}` }),
  ask: (ctx, tipId) => relayToTipster(ctx, { tipId, text: "Anh/chị nhìn thấy biển số xe không?" }),
  note: (ctx, tipId) => addNote(ctx, { tipId, text: "Đã gọi tổ dân phố xác minh." }),
  priority: (ctx, tipId) => setPriority(ctx, { tipId, value: "high" }),
  classify: (ctx, tipId) => classifyTip(ctx, { tipId, classification: "tin_bao" }),
  extend: (ctx, tipId) => recordExtension(ctx, { tipId, extension: "two_months" }),
  open_contact: (ctx, tipId) => openContact(ctx, { tipId, reason: "Cần xác minh nhân chứng trực tiếp" }),
  tipster_answer: async (ctx, tipId) => refusedUnlessRelayed(await relayFromTipster(ctx.tx, renderer, { tipId, item: { text: "Biển số 29A-123.45" } })),
  tipster_information: async (ctx, tipId) => refusedUnlessRelayed(await addInformation(ctx.tx, renderer, { tipId, item: { text: "Kẻ trộm mặc áo xanh." } })),
};
function refusedUnlessRelayed(result: { kind: string }) {
  if (result.kind !== "relayed") throw new TipStateError("state");
  return result;
}

function actorOf(who: Who): CommandActor {
  switch (who.kind) {
    case "officer":
      return { kind: "officer", officerId: who.officerId };
    case "unregistered":
      // Someone unknown can only reach a command from a chat: by their platform id.
      return { kind: "telegram_user", telegramUserId: who.telegramUserId, card: "main" };
    case "admin_cli":
      return { kind: "admin", name: "cli" };
    default:
      return { kind: "system" };
  }
}

function nextCode(): string {
  let n = ++seq;
  let body = "";
  for (let i = 0; i < 6; i++, n = Math.floor(n / CODE_ALPHABET.length)) body = CODE_ALPHABET[n % CODE_ALPHABET.length] + body;
  return `TM-${body}`;
}

/** A confidential tip of commune A in the given starting state. */
async function makeTip(who: Who, state: StartState) {
  const now = new Date();
  const holder = state === "claimed by self" ? (who as { officerId: string }).officerId : state === "new" ? null : colleagueId;
  return db.tip.create({
    data: {
      code: nextCode(),
      pinHash: "unused",
      category: "theft",
      channel: "telegram",
      queueId: `commune:${COMMUNE_A}`,
      provinceCode: "01",
      communeCode: COMMUNE_A,
      placeSource: "typed",
      occurredWhen: "today",
      description: "Trộm xe máy trước cửa nhà số 5.",
      identityMode: "confidential",
      contactSealed: sealer.seal(JSON.stringify({ name: "Lê Thị Mai", phone: "0912345678" }), "tip-contact"),
      replyRefSealed: sealer.seal(tipsterChatId, "tip-reply-ref"),
      locale: "vi",
      status: state === "new" ? "new" : state === "closed" ? "closed" : "claimed",
      outcome: state === "closed" ? "khong_co_so" : null,
      closedAt: state === "closed" ? now : null,
      claimedById: holder,
      claimedAt: holder ? now : null,
      receivedAt: now,
      receiptNoticeDueAt: new Date(now.getTime() + 3 * 86_400_000),
      decisionDueAt: new Date(now.getTime() + 20 * 86_400_000),
    },
  });
}

const snapshot = async (id: string) => {
  const { updatedAt: _u, ...rest } = await db.tip.findUniqueOrThrow({ where: { id } });
  return JSON.stringify(rest);
};

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  await loadReferenceData(db);
  await ensureQueues(db);
  sealer = new Sealer([crypto.randomBytes(32)]);
  tipsterChatId = (await db.chat.create({ data: { channel: "telegram", platformChatId: "987650001", kind: "private" } })).id;
  colleagueId = (
    await db.$transaction((tx) => seedOfficer(tx, { telegramUserId: "710999", role: "officer", scopeKind: "commune", scopeCode: COMMUNE_A }))
  ).id;
  const scopes = {
    "own commune": { inside: true, scopeKind: "commune", scopeCode: COMMUNE_A },
    "own province": { inside: true, scopeKind: "province", scopeCode: "01" },
    "other commune": { inside: false, scopeKind: "commune", scopeCode: COMMUNE_B },
    "other province": { inside: false, scopeKind: "province", scopeCode: "79" },
  };
  let n = 710_000;
  for (const role of ["officer", "commander", "admin", "outreach", "legal", "revoked"] as const) {
    for (const [scopeName, scope] of Object.entries(scopes)) {
      const telegramUserId = String(++n);
      // Every officer has a private chat with the bot (where an opened contact would go).
      const privateChatId = (await db.chat.create({ data: { channel: "telegram", platformChatId: telegramUserId, kind: "private" } })).id;
      const officer = await db.$transaction(async (tx: Tx) => {
        const o = await seedOfficer(tx, { telegramUserId, role: role === "revoked" ? "commander" : role, scopeKind: scope.scopeKind, scopeCode: scope.scopeCode, privateChatId, displayName: `${role} ${scopeName}` });
        if (role === "revoked") await revokeAsAdmin(tx, { telegramUserId });
        return o;
      });
      actors.push({ label: `${role}/${scopeName}`, kind: "officer", role, inside: scope.inside, officerId: officer.id });
    }
  }
  actors.push({ label: "unregistered", kind: "unregistered", telegramUserId: String(++n) });
  actors.push({ label: "admin at the CLI", kind: "admin_cli" });
  actors.push({ label: "system", kind: "system" });
}, 120_000);
afterAll(async () => {
  await tdb?.drop();
});

describe("the transition table", () => {
  it("names exactly the moves the product has, from the states the product allows", () => {
    expect(Object.keys(TIP_MOVES).sort()).toEqual(Object.keys(FROM).sort());
    for (const move of Object.keys(TIP_MOVES) as TipMove[]) expect([move, [...TIP_MOVES[move].from].sort()]).toEqual([move, [...FROM[move]].sort()]);
  });
});

describe("every tip command × actor × scope × starting state, against the database", () => {
  it.each((Object.keys(TIP_MOVES) as TipMove[]).map((m) => [m] as const))("%s", async (move) => {
    const who: Who[] = TIPSTER_MOVES.has(move) ? [{ label: "tipster", kind: "tipster" }] : actors;
    const table: string[] = [];
    const wanted: string[] = [];
    for (const actor of who) {
      for (const state of STATES) {
        // "Claimed by self" means nothing for someone who cannot hold a tip.
        if (state === "claimed by self" && actor.kind !== "officer") continue;
        const want = expected(actor, move, state);
        wanted.push(`${actor.label} on a ${state} tip: ${want}`);
        const tip = await makeTip(actor, state);
        const before = await snapshot(tip.id);
        const ctx = (tx: Tx): TipCommandContext => ({ tx, actor: actorOf(actor), sealer, officerRenderer: renderer, renderers: { telegram: renderer }, now: new Date() });
        // A refusal is thrown after its event is written: the caller lets the transaction commit.
        const outcome = await db.$transaction(async (tx) => {
          try {
            await RUN[move](ctx(tx), tip.id);
            return "allowed";
          } catch (err) {
            if (err instanceof TipStateError) return err.reason;
            throw err;
          }
        });
        const events = await db.auditEvent.findMany({ where: { tipId: tip.id }, orderBy: { id: "asc" } });
        const now = await db.tip.findUniqueOrThrow({ where: { id: tip.id } });
        const problems: string[] = [];
        let got: string;
        if (outcome === "allowed") {
          got = "allowed";
          const expectedActor =
            actor.kind === "officer" ? `officer:${actor.officerId}` : actor.kind === "admin_cli" ? "admin:cli" : actor.kind === "tipster" ? "tipster" : actor.kind;
          if (events.length !== 1 || events[0]!.action !== EVENT[move] || events[0]!.actor !== expectedActor) problems.push(`events ${events.map((e) => `${e.actor} ${e.action}`).join(", ")}`);
          const wantStatus = AFTER[move] ?? tip.status;
          if (now.status !== wantStatus) problems.push(`status ${now.status}, not ${wantStatus}`);
          if (move === "claim" && now.claimedById !== (actor as { officerId: string }).officerId) problems.push("not held by the claimer");
        } else {
          const rights = events.length > 0;
          got = `${rights ? "auth" : "state"}:${outcome}`;
          if ((await snapshot(tip.id)) !== before) problems.push("tip changed");
          if (rights) {
            const data = JSON.parse(events[0]!.data) as { action: string; reason: string };
            if (events.length !== 1 || events[0]!.action !== "auth.refused" || data.reason !== outcome || data.action !== move) problems.push(`events ${events.map((e) => `${e.action} ${e.data}`).join(", ")}`);
          }
          for (const table of ["tipNote", "relayMessage", "tipAttachment"] as const) {
            if ((await (db[table] as unknown as { count(a: unknown): Promise<number> }).count({ where: { tipId: tip.id } })) > 0) problems.push(`${table} written`);
          }
        }
        table.push(`${actor.label} on a ${state} tip: ${got}${problems.length ? ` (${problems.join("; ")})` : ""}`);
      }
    }
    expect(table).toEqual(wanted);
    // The matrix exercises both outcomes of every move.
    expect(wanted.some((w) => w.endsWith(": allowed"))).toBe(true);
    expect(wanted.some((w) => !w.endsWith(": allowed"))).toBe(true);
  }, 300_000);
});

describe("input", () => {
  it("a value no chooser offers is refused with a translated reason before anything is read or written", async () => {
    const commander = actors.find((a) => a.label === "commander/own commune")!;
    const tip = await makeTip(commander, "claimed by self");
    const before = await snapshot(tip.id);
    const bad: Array<(ctx: TipCommandContext) => Promise<unknown>> = [
      (ctx) => closeTip(ctx, { tipId: tip.id, outcome: "guilty" as never }),
      (ctx) => setPriority(ctx, { tipId: tip.id, value: "urgent" as never }),
      (ctx) => classifyTip(ctx, { tipId: tip.id, classification: "spam" as never }),
      (ctx) => recordExtension(ctx, { tipId: tip.id, extension: "forever" as never }),
    ];
    for (const run of bad) {
      const reason = await db.$transaction(async (tx) => {
        try {
          await run({ tx, actor: actorOf(commander), sealer, officerRenderer: renderer, renderers: { telegram: renderer }, now: new Date() });
          return "allowed";
        } catch (err) {
          if (err instanceof TipStateError) return err.reason;
          throw err;
        }
      });
      expect(reason).toBe("bad_input");
    }
    expect(await snapshot(tip.id)).toBe(before);
    expect(await db.auditEvent.count({ where: { tipId: tip.id } })).toBe(0);
    for (const lang of ["vi", "en", "km"]) expect(t(lang, "officer:refuse.bad_input")).not.toContain("bad_input");
  });
});
