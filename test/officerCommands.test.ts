import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createOneTimeCode } from "../src/core/officers/commands/createOneTimeCode.ts";
import { recordPrivateChat } from "../src/core/officers/commands/recordPrivateChat.ts";
import { redeemInvite } from "../src/core/officers/commands/redeemInvite.ts";
import { registerOfficer } from "../src/core/officers/commands/registerOfficer.ts";
import { revokeOfficer } from "../src/core/officers/commands/revokeOfficer.ts";
import { setOfficerName } from "../src/core/officers/commands/setOfficerName.ts";
import type { CommandActor } from "../src/core/officers/staffAuth.ts";
import { bindGroupWithCode } from "../src/core/queues/commands/bindGroupWithCode.ts";
import { bindQueue } from "../src/core/queues/commands/bindQueue.ts";
import { unbindQueue } from "../src/core/queues/commands/unbindQueue.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import type { Db } from "../src/db/client.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createTranslator } from "../src/i18n.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { TEST_ADMIN, makeCode, seedOfficer } from "./helpers/officers.ts";

const renderer = new TelegramRenderer(createTranslator().t);
const codeDeps = { officerRenderer: renderer };
const tg = (telegramUserId: string): CommandActor => ({ kind: "telegram-user", telegramUserId });
const NATIONAL_ADMIN = "5101";
const HANOI_ADMIN = "5102"; // province 01
const COMMANDER = "5103";
const OUTREACH = "5104";
const TARGET = "5105";

let tdb: TestDatabase;
let db: Db;
let group: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  await loadReferenceData(db);
  await ensureQueues(db);
  group = (await db.chat.create({ data: { channel: "telegram", platformChatId: "-5100", kind: "group" } })).id;
  await db.$transaction(async (tx) => {
    await seedOfficer(tx, { telegramUserId: NATIONAL_ADMIN, role: "admin", scopeKind: "national", scopeCode: "VN" });
    await seedOfficer(tx, { telegramUserId: HANOI_ADMIN, role: "admin", scopeKind: "province", scopeCode: "01" });
    await seedOfficer(tx, { telegramUserId: COMMANDER, role: "commander", scopeKind: "national", scopeCode: "VN" });
    await seedOfficer(tx, { telegramUserId: OUTREACH, role: "outreach", scopeKind: "national", scopeCode: "VN" });
    await seedOfficer(tx, { telegramUserId: TARGET, role: "officer", scopeKind: "commune", scopeCode: "00004" });
  });
});
afterAll(async () => {
  await tdb?.drop();
});

let mark = 0;
const resetMark = async () => {
  mark = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))?.id ?? 0;
};
beforeEach(resetMark);
/** The events recorded since the mark, as "action@actor" or "auth.refused:what:why". */
async function events(): Promise<string[]> {
  const rows = await db.auditEvent.findMany({ where: { id: { gt: mark } }, orderBy: { id: "asc" } });
  return rows.map((r) => (r.action === "auth.refused" ? `auth.refused:${JSON.parse(r.data).action}:${JSON.parse(r.data).reason}` : `${r.action}@${r.actor}`));
}
const officerKey = async (telegramUserId: string) => `officer:${(await db.officer.findUniqueOrThrow({ where: { telegramUserId } })).id}`;
const run = <T>(fn: (tx: Parameters<Parameters<Db["$transaction"]>[0]>[0]) => Promise<T>) => db.$transaction(fn);

describe("registerOfficer", () => {
  it("an administrator from the CLI registers an officer: one event", async () => {
    const r = await run((tx) => registerOfficer(tx, { actor: TEST_ADMIN, telegramUserId: "5201", role: "officer", scopeKind: "commune", scopeCode: "00004", displayName: "Thiếu úy Lan" }));
    expect(r.ok).toBe(true);
    expect(await db.officer.findUniqueOrThrow({ where: { telegramUserId: "5201" } })).toMatchObject({ role: "officer", scopeCode: "00004", displayName: "Thiếu úy Lan" });
    expect(await events()).toEqual(["officer.registered@admin:test"]);
  });
  it("a province administrator registers within their province (a commune of it), not outside it", async () => {
    expect((await run((tx) => registerOfficer(tx, { actor: tg(HANOI_ADMIN), telegramUserId: "5202", role: "officer", scopeKind: "commune", scopeCode: "00004" }))).ok).toBe(true);
    expect(await events()).toEqual([`officer.registered@${await officerKey(HANOI_ADMIN)}`]);
    await resetMark();
    const out = await run((tx) => registerOfficer(tx, { actor: tg(HANOI_ADMIN), telegramUserId: "5203", role: "officer", scopeKind: "province", scopeCode: "79" }));
    expect(out).toEqual({ ok: false, reason: "scope" });
    expect(await db.officer.findUnique({ where: { telegramUserId: "5203" } })).toBeNull();
    expect(await events()).toEqual(["auth.refused:officer.register:scope"]);
  });
  for (const [who, id] of [["a commander", COMMANDER], ["outreach staff", OUTREACH]] as const) {
    it(`refused to ${who}: nothing registered, one refusal event`, async () => {
      expect(await run((tx) => registerOfficer(tx, { actor: tg(id), telegramUserId: "5204", role: "admin", scopeKind: "national", scopeCode: "VN" }))).toEqual({ ok: false, reason: "role" });
      expect(await db.officer.findUnique({ where: { telegramUserId: "5204" } })).toBeNull();
      expect(await events()).toEqual(["auth.refused:officer.register:role"]);
    });
  }
  it("input that does not fit changes nothing and records nothing", async () => {
    for (const bad of [
      { telegramUserId: "abc", role: "officer", scopeKind: "commune", scopeCode: "00004" },
      { telegramUserId: "5205", role: "chief", scopeKind: "commune", scopeCode: "00004" },
      { telegramUserId: "5205", role: "officer", scopeKind: "commune", scopeCode: "4" },
    ]) {
      expect(await run((tx) => registerOfficer(tx, { ...(bad as Omit<Parameters<typeof registerOfficer>[1], "actor">), actor: TEST_ADMIN }))).toEqual({ ok: false, reason: "invalid" });
    }
    expect(await events()).toEqual([]);
  });
});

describe("revokeOfficer and setOfficerName", () => {
  it("an administrator revokes and renames: one event each", async () => {
    await run((tx) => registerOfficer(tx, { actor: TEST_ADMIN, telegramUserId: "5301", role: "officer", scopeKind: "commune", scopeCode: "00004" }));
    await resetMark();
    expect((await run((tx) => setOfficerName(tx, { actor: tg(NATIONAL_ADMIN), telegramUserId: "5301", name: " Trung úy Minh " }))).ok).toBe(true);
    expect((await run((tx) => revokeOfficer(tx, { actor: TEST_ADMIN, telegramUserId: "5301" }))).ok).toBe(true);
    expect(await db.officer.findUniqueOrThrow({ where: { telegramUserId: "5301" } })).toMatchObject({ displayName: "Trung úy Minh", revokedAt: expect.any(Date) });
    expect(await events()).toEqual([`officer.renamed@${await officerKey(NATIONAL_ADMIN)}`, "officer.revoked@admin:test"]);
  });
  it("refused to a commander (role) and for an unknown user (not_found): nothing changes, one refusal each", async () => {
    expect(await run((tx) => revokeOfficer(tx, { actor: tg(COMMANDER), telegramUserId: TARGET }))).toEqual({ ok: false, reason: "role" });
    expect(await run((tx) => setOfficerName(tx, { actor: tg(COMMANDER), telegramUserId: TARGET, name: "X" }))).toEqual({ ok: false, reason: "role" });
    expect(await run((tx) => revokeOfficer(tx, { actor: TEST_ADMIN, telegramUserId: "5999" }))).toEqual({ ok: false, reason: "not_found" });
    expect((await db.officer.findUniqueOrThrow({ where: { telegramUserId: TARGET } })).revokedAt).toBeNull();
    expect(await events()).toEqual(["auth.refused:officer.revoke:role", "auth.refused:officer.rename:role", "auth.refused:officer.revoke:not_found"]);
  });
  it("a name too long or empty changes nothing and records nothing", async () => {
    expect(await run((tx) => setOfficerName(tx, { actor: TEST_ADMIN, telegramUserId: TARGET, name: "x".repeat(65) }))).toEqual({ ok: false, reason: "invalid" });
    expect(await run((tx) => setOfficerName(tx, { actor: TEST_ADMIN, telegramUserId: TARGET, name: "  " }))).toEqual({ ok: false, reason: "invalid" });
    expect(await events()).toEqual([]);
  });
});

describe("one-time codes and invitations", () => {
  it("an administrator makes an invitation: stored as a hash, one event that never holds the code", async () => {
    const r = await run((tx) => createOneTimeCode(tx, { actor: TEST_ADMIN, purpose: "officer_invite", role: "commander", scopeKind: "commune", scopeCode: "00004" }));
    if (!r.ok) throw new Error(r.reason);
    expect(r.code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(await events()).toEqual(["code.created@admin:test"]);
    const rows = await db.auditEvent.findMany({ where: { id: { gt: mark } } });
    expect(JSON.stringify(rows)).not.toContain(r.code.replace("-", ""));
    expect(JSON.stringify(await db.oneTimeCode.findMany())).not.toContain(r.code.replace("-", ""));
  });
  it("refused to outreach staff (role) and to a province administrator for another province's queue (scope)", async () => {
    expect(await run((tx) => createOneTimeCode(tx, { actor: tg(OUTREACH), purpose: "group_bind", queueId: "commune:00004" }))).toEqual({ ok: false, reason: "role" });
    expect(await run((tx) => createOneTimeCode(tx, { actor: tg(HANOI_ADMIN), purpose: "group_bind", queueId: "province:79" }))).toEqual({ ok: false, reason: "scope" });
    expect(await events()).toEqual(["auth.refused:code.group_bind:role", "auth.refused:code.group_bind:scope"]);
    expect(await run((tx) => createOneTimeCode(tx, { actor: TEST_ADMIN, purpose: "group_bind", queueId: "commune:00004", hours: 10_000 }))).toEqual({ ok: false, reason: "invalid" });
  });
  it("redeeming an invitation registers the person with its role, scope, name and private chat: one event; the used code is refused next time", async () => {
    const code = await makeCode(db, { purpose: "officer_invite", role: "commander", scopeKind: "commune", scopeCode: "00004" });
    const chat = (await db.chat.create({ data: { channel: "telegram", platformChatId: "5401", kind: "private" } })).id;
    await resetMark();
    const r = await run((tx) => redeemInvite(tx, codeDeps, { telegramUserId: "5401", code: code.toLowerCase(), displayName: "Đại úy Tâm", privateChatId: chat }));
    expect(r).toMatchObject({ ok: true, role: "commander", scope: { kind: "commune", code: "00004", name: "Phường Ba Đình" } });
    expect(await db.officer.findUniqueOrThrow({ where: { telegramUserId: "5401" } })).toMatchObject({ role: "commander", scopeCode: "00004", displayName: "Đại úy Tâm", privateChatId: chat });
    expect((await events()).map((e) => e.replace(/@invite:.*/, "@invite"))).toEqual(["officer.registered@invite"]);
    await resetMark();
    expect(await run((tx) => redeemInvite(tx, codeDeps, { telegramUserId: "5402", code }))).toMatchObject({ ok: false, reason: "wrong" });
    expect(await db.officer.findUnique({ where: { telegramUserId: "5402" } })).toBeNull();
    expect(await events()).toEqual(["auth.code_failed@telegram-user:5402"]);
  });
  it("an officer's private chat is recorded once, with one event", async () => {
    const chat = (await db.chat.create({ data: { channel: "telegram", platformChatId: TARGET, kind: "private" } })).id;
    expect(await run((tx) => recordPrivateChat(tx, { telegramUserId: TARGET, chatId: chat }))).toBe(true);
    expect(await run((tx) => recordPrivateChat(tx, { telegramUserId: TARGET, chatId: chat }))).toBe(false);
    expect(await run((tx) => recordPrivateChat(tx, { telegramUserId: "5999", chatId: chat }))).toBe(false);
    expect(await events()).toEqual([`officer.private_chat@${await officerKey(TARGET)}`]);
  });
});

describe("binding queues", () => {
  it("an administrator binds and unbinds a queue: one event each", async () => {
    const bound = await run((tx) => bindQueue(tx, renderer, { actor: TEST_ADMIN, queueId: "commune:00070", groupChatId: group }));
    expect(bound.ok).toBe(true);
    expect((await db.queue.findUniqueOrThrow({ where: { id: "commune:00070" } })).groupChatId).toBe(group);
    expect(await run((tx) => unbindQueue(tx, { actor: tg(NATIONAL_ADMIN), queueId: "commune:00070" }))).toEqual({ ok: true, fromChatId: group });
    expect((await db.queue.findUniqueOrThrow({ where: { id: "commune:00070" } })).groupChatId).toBeNull();
    expect(await events()).toEqual(["queue.bound@admin:test", `queue.unbound@${await officerKey(NATIONAL_ADMIN)}`]);
    await resetMark();
    expect(await run((tx) => unbindQueue(tx, { actor: TEST_ADMIN, queueId: "commune:00070" }))).toEqual({ ok: false, reason: "not_bound" });
    expect(await events()).toEqual(["auth.refused:queue.unbind:not_bound"]);
  });
  for (const [who, id, queueId, reason] of [
    ["outreach staff", OUTREACH, "commune:00004", "role"],
    ["a commander", COMMANDER, "commune:00004", "role"],
    ["a province administrator, for another province's queue", HANOI_ADMIN, "province:79", "scope"],
  ] as const) {
    it(`binding refused to ${who}: the queue stays unbound, one refusal event (${reason})`, async () => {
      expect(await run((tx) => bindQueue(tx, renderer, { actor: tg(id), queueId, groupChatId: group }))).toEqual({ ok: false, reason });
      expect((await db.queue.findUniqueOrThrow({ where: { id: queueId } })).groupChatId).toBeNull();
      expect(await events()).toEqual([`auth.refused:queue.bind:${reason}`]);
    });
  }
  it("an unknown queue or a private chat changes nothing and records nothing", async () => {
    const priv = (await db.chat.create({ data: { channel: "telegram", platformChatId: "5501", kind: "private" } })).id;
    expect(await run((tx) => bindQueue(tx, renderer, { actor: TEST_ADMIN, queueId: "commune:nope", groupChatId: group }))).toEqual({ ok: false, reason: "invalid" });
    expect(await run((tx) => bindQueue(tx, renderer, { actor: TEST_ADMIN, queueId: "commune:00004", groupChatId: priv }))).toEqual({ ok: false, reason: "invalid" });
    expect(await events()).toEqual([]);
  });
  it("/bind CODE: an administrator in the group binds the code's queue (one event); outreach staff are refused before the code is looked at", async () => {
    const code = await makeCode(db, { purpose: "group_bind", queueId: "cyber:01" });
    await resetMark();
    const refused = await run((tx) => bindGroupWithCode(tx, codeDeps, { telegramUserId: OUTREACH, groupChatId: group, code }));
    expect(refused).toMatchObject({ ok: false, reason: "role" });
    expect(await events()).toEqual(["auth.refused:command.bind:role"]);
    await resetMark();
    const bound = await run((tx) => bindGroupWithCode(tx, codeDeps, { telegramUserId: NATIONAL_ADMIN, groupChatId: group, code }));
    expect(bound.ok).toBe(true);
    expect((await db.queue.findUniqueOrThrow({ where: { id: "cyber:01" } })).groupChatId).toBe(group);
    expect(await events()).toEqual([`queue.bound@${await officerKey(NATIONAL_ADMIN)}`]);
  });
});

