import crypto from "node:crypto";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { decodePress, tipButton, tipCancel, tipChoice } from "../src/core/actions/buttons.ts";
import { ACTIONS } from "../src/core/actions/catalog.ts";
import { TIP_ACTIONS, cliName } from "../src/core/actions/table.ts";
import { ACTION_ROLES } from "../src/core/officers/authorize.ts";
import { handleCardPress, type OfficerDeps } from "../src/core/officers/groupTurn.ts";
import { postCard } from "../src/core/tips/cards.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import { runTipAction } from "../src/cli/tipActions.ts";
import type { Db } from "../src/db/client.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createTranslator } from "../src/i18n.ts";
import { Sealer } from "../src/security/sealing.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { seedOfficer } from "./helpers/officers.ts";
import { testPlaces } from "./helpers/app.ts";

/*
 * The action table drives every surface: a card's button and the admin CLI run the same row, so
 * the same command records the same event, and the same refusal for the wrong role.
 */

const run = promisify(execFile);
const COMMUNE = "00004";
const OFFICER = "710001";
const t = createTranslator().t;
const renderer = new TelegramRenderer(t);
let tdb: TestDatabase;
let db: Db;
let sealer: Sealer;
let deps: OfficerDeps;
let group: Awaited<ReturnType<Db["chat"]["create"]>>;
let tipsterChatId: string;
let officerId: string;
let seq = 0;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  await loadReferenceData(db);
  await ensureQueues(db);
  sealer = new Sealer([crypto.randomBytes(32)]);
  deps = { sealer, places: await testPlaces(), t, officerRenderer: renderer, renderers: { telegram: renderer } };
  group = await db.chat.create({ data: { channel: "telegram", platformChatId: "-7101", kind: "group" } });
  await db.queue.update({ where: { id: `commune:${COMMUNE}` }, data: { groupChatId: group.id } });
  tipsterChatId = (await db.chat.create({ data: { channel: "telegram", platformChatId: "987650001", kind: "private" } })).id;
  officerId = (await db.$transaction((tx) => seedOfficer(tx, { telegramUserId: OFFICER, role: "officer", scopeKind: "commune", scopeCode: COMMUNE, displayName: "Lan" }))).id;
}, 120_000);
afterAll(async () => {
  await tdb?.drop();
});

/** A tip of the commune, claimed by the officer (or closed), with its working card in the group. */
async function makeTip(props: { closed?: boolean } = {}) {
  const now = new Date();
  const tip = await db.tip.create({
    data: {
      code: `TM-AAAA${"23456789"[seq++ % 8]}${"ABCDEFGH"[Math.floor(seq / 8) % 8]}`,
      pinHash: "unused",
      category: "theft",
      channel: "telegram",
      queueId: `commune:${COMMUNE}`,
      provinceCode: "01",
      communeCode: COMMUNE,
      placeSource: "typed",
      occurredWhen: "today",
      description: "Trộm xe máy trước cửa nhà số 5.",
      identityMode: "anonymous",
      replyRefSealed: sealer.seal(tipsterChatId, "tip-reply-ref"),
      locale: "vi",
      status: props.closed ? "closed" : "claimed",
      outcome: props.closed ? "khong_co_so" : null,
      closedAt: props.closed ? now : null,
      claimedById: officerId,
      claimedAt: now,
      receivedAt: now,
      receiptNoticeSentAt: now,
      receiptNoticeDueAt: new Date(now.getTime() + 3 * 86_400_000),
      decisionDueAt: new Date(now.getTime() + 20 * 86_400_000),
    },
  });
  await db.$transaction((tx) => postCard(tx, renderer, tip.id, tip.queueId, "main"));
  return tip;
}

const press = (data: string) => db.$transaction((tx) => handleCardPress(tx, deps, { group, telegramUserId: OFFICER, displayName: "Lan", data, messageId: 1 }));
const cli = (action: Parameters<typeof runTipAction>[2]["action"], code: string, arg?: string) =>
  runTipAction(db, { sealer, t, officerRenderer: renderer, renderers: { telegram: renderer } }, { action, code, as: OFFICER, arg });
/** The events recorded on a tip, as surface-independent rows (actor, action, data). */
const events = async (tipId: string) =>
  (await db.auditEvent.findMany({ where: { tipId }, orderBy: { id: "asc" } })).map((e) => {
    const data = JSON.parse(e.data) as Record<string, unknown>;
    delete data.detail;
    return { actor: e.actor, action: e.action, data };
  });

describe("the action table", () => {
  it("encodes every tip action's buttons and decodes them back to the same action; unknown data names none", () => {
    for (const action of TIP_ACTIONS) {
      expect(decodePress(tipButton(action.id, "tip1"))).toMatchObject({ kind: "tip", action: action.id, stage: "open", tipId: "tip1" });
      if (!action.choice) continue;
      expect(decodePress(tipChoice(action.id, "commune:00004", "tip1"))).toMatchObject({ action: action.id, stage: "choose", arg: "commune:00004", tipId: "tip1" });
      expect(decodePress(tipCancel(action.id, "tip1"))).toMatchObject({ action: action.id, stage: "cancel", tipId: "tip1" });
    }
    expect(tipButton("tip.close", "x")).toBe("t:close:x");
    expect(tipChoice("tip.close", "khoi_to", "x")).toBe("t:out:khoi_to:x");
    expect(decodePress("t:nosuch:x")).toBeNull();
    expect(decodePress("t:cancel:nosuch:x")).toBeNull();
    expect(decodePress("t:claim")).toBeNull();
    // The authorisation's role table is the action table's.
    for (const action of TIP_ACTIONS) expect(ACTION_ROLES[action.move]).toEqual(ACTIONS[action.id].roles);
  });

  it("a Telegram button and the CLI close a tip with the same command: the same event, the same change", async () => {
    const byButton = await makeTip();
    const byCli = await makeTip();
    const pressed = await press(tipChoice("tip.close", "khong_khoi_to", byButton.id));
    expect(pressed.alert).toBeUndefined();
    expect(pressed.answer).toContain(byButton.code);
    const done = await cli("tip.close", byCli.code, "khong_khoi_to");
    expect(done).toMatchObject({ ok: true });
    const [a, b] = [await db.tip.findUniqueOrThrow({ where: { id: byButton.id } }), await db.tip.findUniqueOrThrow({ where: { id: byCli.id } })];
    expect([a.status, a.outcome, b.status, b.outcome]).toEqual(["closed", "khong_khoi_to", "closed", "khong_khoi_to"]);
    expect((await events(byCli.id)).map(({ actor, action, data }) => ({ actor, action, data }))).toEqual(await events(byButton.id));
    expect((await events(byCli.id)).at(-1)).toEqual({ actor: `officer:${officerId}`, action: "tip.closed", data: { outcome: "khong_khoi_to" } });
    // The tipster is told on both routes.
    const tipsterMessages = await db.outboxMessage.count({ where: { chatId: tipsterChatId } });
    expect(tipsterMessages).toBe(2);
  });

  it("the wrong role is refused the same way on both surfaces: one auth.refused, nothing changed", async () => {
    const byButton = await makeTip({ closed: true });
    const byCli = await makeTip({ closed: true });
    const pressed = await press(tipButton("tip.reopen", byButton.id));
    expect(pressed).toMatchObject({ alert: true, answer: t("vi", "officer:refuse.role") });
    expect(await cli("tip.reopen", byCli.code)).toEqual({ ok: false, reason: "role" });
    const [a, b] = [await db.tip.findUniqueOrThrow({ where: { id: byButton.id } }), await db.tip.findUniqueOrThrow({ where: { id: byCli.id } })];
    expect([a.status, b.status]).toEqual(["closed", "closed"]);
    const refusal = { actor: `officer:${officerId}`, action: "auth.refused", data: { action: "reopen", reason: "role" } };
    expect(await events(byButton.id)).toEqual([refusal]);
    expect(await events(byCli.id)).toEqual([refusal]);
  });

  it("bad input at the CLI is refused before anything is looked at, and changes nothing", async () => {
    const tip = await makeTip();
    expect(await cli("tip.close", tip.code, "not_an_outcome")).toEqual({ ok: false, reason: "bad_input" });
    expect(await cli("tip.close", "TM-ZZZZZZ", "khoi_to")).toEqual({ ok: false, reason: "not_found" });
    expect(await events(tip.id)).toEqual([]);
    expect((await db.tip.findUniqueOrThrow({ where: { id: tip.id } })).status).toBe("claimed");
  });

  it("npm run admin: tip:<verb> commands generated from the table run as an officer, refusals exit 3", async () => {
    const env = { ...process.env, DATABASE_URL: tdb.url, LOG_LEVEL: "silent" };
    const admin = (...args: string[]) => run(process.execPath, ["--import", "tsx", "src/cli/admin.ts", ...args], { env, cwd: process.cwd() });
    const help = (await admin("help")).stdout;
    for (const action of TIP_ACTIONS) expect(help).toContain(`${cliName(action)} --code`);
    const open = await makeTip();
    const noted = await admin("tip:note", "--code", open.code, "--text", "Đã xác minh hiện trường", "--as", OFFICER);
    expect(noted.stdout).toContain(open.code);
    expect((await events(open.id)).at(-1)).toEqual({ actor: `officer:${officerId}`, action: "tip.note_added", data: { length: "Đã xác minh hiện trường".length } });
    const closed = await makeTip({ closed: true });
    await expect(admin("tip:reopen", "--code", closed.code, "--as", OFFICER)).rejects.toMatchObject({ code: 3 });
    expect(await events(closed.id)).toEqual([{ actor: `officer:${officerId}`, action: "auth.refused", data: { action: "reopen", reason: "role" } }]);
    // As the CLI's administrator, the reopen is allowed.
    await admin("tip:reopen", "--code", closed.code);
    expect((await db.tip.findUniqueOrThrow({ where: { id: closed.id } })).status).toBe("claimed");
    expect((await events(closed.id)).at(-1)).toMatchObject({ actor: "admin:cli", action: "tip.reopened" });
    await expect(admin("tip:close", "--code", open.code, "--outcome", "nope")).rejects.toMatchObject({ code: 2 });
  }, 60_000);
});
