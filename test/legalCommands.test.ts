import crypto from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { answerQuestion } from "../src/core/qa/commands/answerQuestion.ts";
import { handOffQuestion } from "../src/core/qa/commands/handOffQuestion.ts";
import { importKnowledgeEntries } from "../src/core/qa/commands/importKnowledgeEntries.ts";
import { saveAnswerToKnowledge } from "../src/core/qa/commands/saveAnswerToKnowledge.ts";
import { saveKnowledgeEntry } from "../src/core/qa/commands/saveKnowledgeEntry.ts";
import { retireKnowledgeEntry } from "../src/core/qa/commands/retireKnowledgeEntry.ts";
import { KnowledgeBase } from "../src/core/qa/knowledge.ts";
import type { CommandActor } from "../src/core/officers/staffAuth.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import type { Db } from "../src/db/client.ts";
import { createTranslator } from "../src/i18n.ts";
import { Sealer } from "../src/security/sealing.ts";
import { createTestDatabase, PROVIDER, type TestDatabase } from "./helpers/db.ts";
import { TEST_ADMIN, revokeAsAdmin, seedBinding, seedOfficer } from "./helpers/officers.ts";

const t = createTranslator().t;
const renderer = new TelegramRenderer(t);
const sealer = new Sealer([crypto.randomBytes(32)]);
const deps = { sealer, officerRenderer: renderer, renderers: { telegram: renderer } };
const tg = (telegramUserId: string): CommandActor => ({ kind: "telegram-user", telegramUserId });
const LEGAL = "9101";
const REVOKED_LEGAL = "9102";
const COMMANDER = "9103";
const OUTREACH = "9104";
const STRANGER = "9199";

let tdb: TestDatabase;
let db: Db;
let legalGroup: string;
let otherGroup: string;
let askerChat: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  await ensureQueues(db);
  legalGroup = (await db.chat.create({ data: { channel: "telegram", platformChatId: "-9100", kind: "group" } })).id;
  otherGroup = (await db.chat.create({ data: { channel: "telegram", platformChatId: "-9200", kind: "group" } })).id;
  askerChat = (await db.chat.create({ data: { channel: "telegram", platformChatId: "9300", kind: "private" } })).id;
  await db.$transaction(async (tx) => {
    await seedBinding(tx, renderer, { queueId: "legal:VN", groupChatId: legalGroup });
    await seedOfficer(tx, { telegramUserId: LEGAL, role: "legal", scopeKind: "province", scopeCode: "01", displayName: "Luật sư Hà" });
    await seedOfficer(tx, { telegramUserId: REVOKED_LEGAL, role: "legal", scopeKind: "national", scopeCode: "VN" });
    await revokeAsAdmin(tx, { telegramUserId: REVOKED_LEGAL });
    await seedOfficer(tx, { telegramUserId: COMMANDER, role: "commander", scopeKind: "national", scopeCode: "VN" });
    await seedOfficer(tx, { telegramUserId: OUTREACH, role: "outreach", scopeKind: "national", scopeCode: "VN" });
  });
});
afterAll(async () => {
  await tdb?.drop();
});

let mark = 0;
beforeEach(async () => {
  mark = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))?.id ?? 0;
});
/** The events recorded since the test began, as "action" or "auth.refused:what:why". */
async function events(): Promise<string[]> {
  const rows = await db.auditEvent.findMany({ where: { id: { gt: mark } }, orderBy: { id: "asc" } });
  return rows.map((r) => (r.action === "auth.refused" ? `auth.refused:${JSON.parse(r.data).action}:${JSON.parse(r.data).reason}` : `${r.action}@${r.actor}`));
}

async function newQuestion(text = "Hàng xóm xây lấn sang đất nhà tôi thì làm sao?"): Promise<string> {
  const refs = await db.$transaction((tx) => handOffQuestion(tx, deps, { chatId: askerChat, text, locale: "vi" }));
  expect(refs?.length).toBeGreaterThan(0); // the card, in the legal group
  const q = await db.legalQuestion.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
  mark = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))!.id;
  return q.id;
}

describe("handOffQuestion", () => {
  it("stores the question with only a sealed reference to the asker, posts its card, records one event by 'resident'", async () => {
    const refs = await db.$transaction((tx) => handOffQuestion(tx, deps, { chatId: askerChat, text: "  Tôi bị lừa đảo qua mạng?  ", locale: "vi" }));
    const q = await db.legalQuestion.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
    expect(q.text).toBe("Tôi bị lừa đảo qua mạng?");
    expect(q.replyRefSealed).not.toContain(askerChat);
    expect(q.cardOutboxId).toBe(refs![0]!.id);
    expect(await events()).toEqual(["question.handed_off@resident"]);
  });
  it("an empty question changes nothing and records nothing", async () => {
    const before = await db.legalQuestion.count();
    expect(await db.$transaction((tx) => handOffQuestion(tx, deps, { chatId: askerChat, text: "   ", locale: "vi" }))).toBeNull();
    expect(await db.legalQuestion.count()).toBe(before);
    expect(await events()).toEqual([]);
  });
});

describe("answerQuestion", () => {
  it("legal staff answering in the group holding the card: answered, relayed to the asker, one event", async () => {
    const id = await newQuestion();
    const result = await db.$transaction((tx) => answerQuestion(tx, deps, { actor: tg(LEGAL), questionId: id, answer: " Bạn có thể khởi kiện. ", groupChatId: legalGroup }));
    expect(result.ok).toBe(true);
    const q = await db.legalQuestion.findUniqueOrThrow({ where: { id } });
    expect(q).toMatchObject({ status: "answered", answer: "Bạn có thể khởi kiện." });
    const legal = await db.officer.findUniqueOrThrow({ where: { telegramUserId: LEGAL } });
    expect(await events()).toEqual([`question.answered@officer:${legal.id}`]);
    const toAsker = await db.outboxMessage.findMany({ where: { chatId: askerChat, id: { in: result.ok ? result.refs.map((r) => r.id) : [] } } });
    expect(toAsker.map((m) => m.payload).join()).toContain("Bạn có thể khởi kiện.");
  });

  it("an administrator from the CLI may answer (no group)", async () => {
    const id = await newQuestion();
    const result = await db.$transaction((tx) => answerQuestion(tx, deps, { actor: TEST_ADMIN, questionId: id, answer: "Trả lời từ quản trị." }));
    expect(result.ok).toBe(true);
    expect(await events()).toEqual(["question.answered@admin:test"]);
  });

  const refused: Array<[string, () => CommandActor, () => string, string]> = [
    ["a commander (officers do not answer legal questions)", () => tg(COMMANDER), () => legalGroup, "role"],
    ["outreach staff", () => tg(OUTREACH), () => legalGroup, "role"],
    ["someone not registered", () => tg(STRANGER), () => legalGroup, "not_officer"],
    ["revoked legal staff", () => tg(REVOKED_LEGAL), () => legalGroup, "revoked"],
    ["legal staff in a group that does not hold the card (out of scope)", () => tg(LEGAL), () => otherGroup, "scope"],
  ];
  for (const [who, actor, group, reason] of refused) {
    it(`refused to ${who}: nothing changes, one refusal event (${reason})`, async () => {
      const id = await newQuestion();
      const result = await db.$transaction((tx) => answerQuestion(tx, deps, { actor: actor(), questionId: id, answer: "Câu trả lời giả", groupChatId: group() }));
      expect(result).toEqual({ ok: false, reason });
      expect(await db.legalQuestion.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "open", answer: null });
      expect(await events()).toEqual([`auth.refused:question.answer:${reason}`]);
      expect(await db.outboxMessage.count({ where: { chatId: askerChat, createdAt: { gte: new Date(Date.now() - 60_000) }, payload: { contains: "Câu trả lời giả" } } })).toBe(0);
    });
  }

  it("a second answer is refused (already), the first stands; an empty answer changes nothing and records nothing", async () => {
    const id = await newQuestion();
    await db.$transaction((tx) => answerQuestion(tx, deps, { actor: tg(LEGAL), questionId: id, answer: "Lần một", groupChatId: legalGroup }));
    mark = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))!.id;
    expect(await db.$transaction((tx) => answerQuestion(tx, deps, { actor: tg(LEGAL), questionId: id, answer: "Lần hai", groupChatId: legalGroup }))).toEqual({ ok: false, reason: "already" });
    expect((await db.legalQuestion.findUniqueOrThrow({ where: { id } })).answer).toBe("Lần một");
    expect(await events()).toEqual(["auth.refused:question.answer:already"]);
    const other = await newQuestion();
    expect(await db.$transaction((tx) => answerQuestion(tx, deps, { actor: tg(LEGAL), questionId: other, answer: "  ", groupChatId: legalGroup }))).toEqual({ ok: false, reason: "empty" });
    expect(await events()).toEqual([]);
  });
});

describe("saveAnswerToKnowledge", () => {
  async function answered(): Promise<string> {
    const id = await newQuestion(`Câu hỏi ${crypto.randomUUID()} về quyền thừa kế đất đai?`);
    await db.$transaction((tx) => answerQuestion(tx, deps, { actor: tg(LEGAL), questionId: id, answer: "Theo Bộ luật Dân sự 2015…", groupChatId: legalGroup }));
    mark = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))!.id;
    return id;
  }
  const save = (actor: CommandActor, questionId: string, groupChatId: string | null = legalGroup) =>
    db.$transaction((tx) => saveAnswerToKnowledge(tx, { actor, questionId, sourceText: "Cán bộ pháp lý", groupChatId }));

  it("legal staff save an answered question: an entry by them, one event; saving again changes nothing", async () => {
    const id = await answered();
    const result = await save(tg(LEGAL), id);
    if (!result.ok) throw new Error(result.reason);
    expect(result.knowledgeChanged).toBe(true);
    const legal = await db.officer.findUniqueOrThrow({ where: { telegramUserId: LEGAL } });
    expect(await db.knowledgeEntry.findUniqueOrThrow({ where: { id: result.entryId } })).toMatchObject({ createdBy: `officer:${legal.id}`, active: true });
    expect(await events()).toEqual([`knowledge.saved_answer@officer:${legal.id}`]);
    expect(await save(tg(LEGAL), id)).toEqual({ ok: true, entryId: result.entryId, knowledgeChanged: false });
    expect(await events()).toEqual([`knowledge.saved_answer@officer:${legal.id}`]);
  });

  for (const [who, actor, group, reason] of [
    ["a commander", tg(COMMANDER), "legal", "role"],
    ["outreach staff", tg(OUTREACH), "legal", "role"],
    ["legal staff pressing a forged button in another group", tg(LEGAL), "other", "scope"],
  ] as const) {
    it(`refused to ${who}: no entry, one refusal event (${reason})`, async () => {
      const id = await answered();
      const entries = await db.knowledgeEntry.count();
      expect(await save(actor, id, group === "legal" ? legalGroup : otherGroup)).toEqual({ ok: false, reason });
      expect(await db.knowledgeEntry.count()).toBe(entries);
      expect((await db.legalQuestion.findUniqueOrThrow({ where: { id } })).entryId).toBeNull();
      expect(await events()).toEqual([`auth.refused:question.save:${reason}`]);
    });
  }

  it("a question not answered yet is refused (not_answered), one refusal event", async () => {
    const id = await newQuestion();
    expect(await save(tg(LEGAL), id)).toEqual({ ok: false, reason: "not_answered" });
    expect(await events()).toEqual(["auth.refused:question.save:not_answered"]);
  });
});

describe("saveAnswerToKnowledge as a phrasing of an existing entry (the console)", () => {
  const base = (id: string) => ({ id, questions: { vi: ["Mất giấy tờ xe thì làm lại ở đâu?"] }, answer: { vi: "Đến công an nơi đăng ký xe." }, source: { law: "Thông tư 79/2024/TT-BCA" }, lastReviewed: "2026-01-01" });
  it("adds the question in its language to the entry (once), links it, one event; an unknown or retired entry is refused with no event", async () => {
    await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: TEST_ADMIN, input: [base("kb-phr-a"), base("kb-phr-b")] }));
    await db.knowledgeEntry.update({ where: { id: "kb-phr-b" }, data: { active: false } });
    const id = await newQuestion("Làm mất cà vẹt xe máy thì xin cấp lại thế nào?");
    await db.$transaction((tx) => answerQuestion(tx, deps, { actor: TEST_ADMIN, questionId: id, answer: "Đến công an nơi đăng ký." }));
    mark = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))!.id;
    const into = (entryId: string) => db.$transaction((tx) => saveAnswerToKnowledge(tx, { actor: { kind: "officer", officerId: legalId }, questionId: id, sourceText: "x", intoEntryId: entryId }));
    const legalId = (await db.officer.findUniqueOrThrow({ where: { telegramUserId: LEGAL } })).id;
    expect(await into("kb-phr-missing")).toEqual({ ok: false, reason: "no_entry" });
    expect(await into("kb-phr-b")).toEqual({ ok: false, reason: "no_entry" });
    expect(await events()).toEqual([]);
    expect(await into("kb-phr-a")).toEqual({ ok: true, entryId: "kb-phr-a", knowledgeChanged: true });
    expect(JSON.parse((await db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-phr-a" } })).questions)).toEqual({ vi: ["Mất giấy tờ xe thì làm lại ở đâu?", "Làm mất cà vẹt xe máy thì xin cấp lại thế nào?"] });
    expect((await db.legalQuestion.findUniqueOrThrow({ where: { id } })).entryId).toBe("kb-phr-a");
    expect(await events()).toEqual([`knowledge.saved_answer@officer:${legalId}`]);
    // Saved already: the same entry, nothing more.
    expect(await into("kb-phr-a")).toEqual({ ok: true, entryId: "kb-phr-a", knowledgeChanged: false });
    expect(await events()).toEqual([`knowledge.saved_answer@officer:${legalId}`]);
  });
});

describe("saveKnowledgeEntry and retireKnowledgeEntry", () => {
  const entry = (id: string, answer = "Hòa giải tại UBND cấp xã.") => ({
    id,
    topics: ["land"],
    questions: { vi: ["Hàng xóm lấn ranh giới đất thì sao?"], km: ["បើអ្នកជិតខាងរំលោភព្រំដីត្រូវធ្វើដូចម្ដេច?"] },
    answer: { vi: answer, km: "សម្របសម្រួលនៅឃុំ។" },
    source: { law: "Luật Đất đai 2024", article: "Điều 235", effectiveDate: "2024-08-01" },
    changed: { vi: "Luật Đất đai 2024 có hiệu lực từ 1/8/2024." },
    reportable: false,
    lastReviewed: "2026-01-01",
  });
  const write = (actor: CommandActor, mode: "add" | "edit", input: unknown, expectedUpdatedAt?: number) =>
    db.$transaction((tx) => saveKnowledgeEntry(tx, { actor, mode, input, expectedUpdatedAt }));

  it("legal staff add then edit an entry: one event each naming the fields changed; an edit on an old version or a taken id changes nothing", async () => {
    const legal = await db.officer.findUniqueOrThrow({ where: { telegramUserId: LEGAL } });
    expect(await write(tg(LEGAL), "add", entry("kb-ed-a"))).toMatchObject({ ok: true, entryId: "kb-ed-a" });
    expect(await write(tg(LEGAL), "add", entry("kb-ed-a"))).toEqual({ ok: false, reason: "exists" });
    const first = await db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-ed-a" } });
    expect(first).toMatchObject({ createdBy: `officer:${legal.id}`, active: true });
    expect(await write(tg(LEGAL), "edit", entry("kb-ed-a", "Câu trả lời mới."), first.updatedAt.getTime())).toEqual({ ok: true, entryId: "kb-ed-a", fields: ["answers"], knowledgeChanged: true });
    // Unchanged: no write, no event.
    const second = await db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-ed-a" } });
    expect(await write(tg(LEGAL), "edit", entry("kb-ed-a", "Câu trả lời mới."), second.updatedAt.getTime())).toEqual({ ok: true, entryId: "kb-ed-a", fields: [], knowledgeChanged: false });
    // Made on the first version: refused, the second stands.
    expect(await write(tg(LEGAL), "edit", entry("kb-ed-a", "Bản cũ"), first.updatedAt.getTime())).toEqual({ ok: false, reason: "stale" });
    expect(JSON.parse((await db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-ed-a" } })).answers).vi).toBe("Câu trả lời mới.");
    expect(await write(TEST_ADMIN, "edit", entry("kb-ed-missing"))).toEqual({ ok: false, reason: "missing" });
    expect(await events()).toEqual([`knowledge.entry_added@officer:${legal.id}`, `knowledge.entry_edited@officer:${legal.id}`]);
  });

  it("invalid entries change nothing and record nothing", async () => {
    const bad = await write(tg(LEGAL), "add", { ...entry("kb-ed-bad"), answer: { en: "no Vietnamese" } });
    expect(bad).toMatchObject({ ok: false, reason: "invalid" });
    expect(!bad.ok && bad.reason === "invalid" && bad.issues.map((i) => i.path.join("."))).toEqual(["answer.vi"]);
    expect(await db.knowledgeEntry.findUnique({ where: { id: "kb-ed-bad" } })).toBeNull();
    expect(await events()).toEqual([]);
  });

  for (const [who, actor, reason] of [
    ["a commander", () => tg(COMMANDER), "role"],
    ["outreach staff", () => tg(OUTREACH), "role"],
    ["revoked legal staff", () => tg(REVOKED_LEGAL), "revoked"],
    ["someone not registered", () => tg(STRANGER), "not_officer"],
  ] as const) {
    it(`refused to ${who}: nothing written, one refusal event each (${reason})`, async () => {
      await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: TEST_ADMIN, input: [entry("kb-ed-r")] }));
      mark = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))!.id;
      const before = await db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-ed-r" } });
      expect(await write(actor(), "edit", entry("kb-ed-r", "Đổi"))).toEqual({ ok: false, reason });
      expect(await write(actor(), "add", entry("kb-ed-r2"))).toEqual({ ok: false, reason });
      expect(await db.$transaction((tx) => retireKnowledgeEntry(tx, { actor: actor(), entryId: "kb-ed-r", active: false }))).toEqual({ ok: false, reason });
      expect(await db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-ed-r" } })).toEqual(before);
      expect(await db.knowledgeEntry.findUnique({ where: { id: "kb-ed-r2" } })).toBeNull();
      expect(await events()).toEqual([`auth.refused:knowledge.edit:${reason}`, `auth.refused:knowledge.add:${reason}`, `auth.refused:knowledge.retire:${reason}`]);
    });
  }

  it("retire and bring back: the in-memory knowledge base follows; again is a no-op", async () => {
    await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: TEST_ADMIN, input: [entry("kb-ed-ret")] }));
    const kb = new KnowledgeBase();
    expect((await kb.fresh(db)).get("kb-ed-ret")).toBeDefined();
    mark = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))!.id;
    const retire = (active: boolean) => db.$transaction((tx) => retireKnowledgeEntry(tx, { actor: tg(LEGAL), entryId: "kb-ed-ret", active }));
    expect(await retire(false)).toEqual({ ok: true, knowledgeChanged: true });
    expect((await kb.fresh(db)).get("kb-ed-ret")).toBeUndefined();
    expect(await retire(false)).toEqual({ ok: true, knowledgeChanged: false });
    expect(await retire(true)).toEqual({ ok: true, knowledgeChanged: true });
    expect((await kb.fresh(db)).get("kb-ed-ret")).toBeDefined();
    expect(await db.$transaction((tx) => retireKnowledgeEntry(tx, { actor: tg(LEGAL), entryId: "kb-ed-none", active: false }))).toEqual({ ok: false, reason: "missing" });
    const legal = await db.officer.findUniqueOrThrow({ where: { telegramUserId: LEGAL } });
    expect(await events()).toEqual([`knowledge.entry_retired@officer:${legal.id}`, `knowledge.entry_restored@officer:${legal.id}`]);
  });
});

describe("importKnowledgeEntries", () => {
  const entry = (id: string) => ({
    id,
    topics: ["land"],
    questions: { vi: ["Tranh chấp ranh giới đất với hàng xóm?"] },
    answer: { vi: "Hòa giải tại UBND cấp xã trước khi khởi kiện." },
    source: { law: "Luật Đất đai 2024", article: "Điều 235" },
    lastReviewed: "2026-01-01",
  });
  it("an administrator imports valid entries (one event); legal staff may too", async () => {
    const r = await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: TEST_ADMIN, input: [entry("kb-test-a"), entry("kb-test-b")] }));
    expect(r).toEqual({ ok: true, count: 2, knowledgeChanged: true });
    expect((await db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-test-a" } })).createdBy).toBe("admin:test");
    expect(await events()).toEqual(["knowledge.imported@admin:test"]);
    expect((await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: tg(LEGAL), input: [entry("kb-test-c")] }))).ok).toBe(true);
  });
  it("refused to an officer (one refusal event, nothing written); invalid entries change nothing and record nothing", async () => {
    expect(await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: tg(COMMANDER), input: [entry("kb-test-x")] }))).toEqual({ ok: false, reason: "role" });
    expect(await db.knowledgeEntry.findUnique({ where: { id: "kb-test-x" } })).toBeNull();
    expect(await events()).toEqual(["auth.refused:knowledge.import:role"]);
    mark = (await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))!.id;
    const bad = await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: TEST_ADMIN, input: [entry("kb-test-y"), { id: "not valid" }] }));
    expect(bad).toMatchObject({ ok: false, reason: "invalid" });
    expect(await db.knowledgeEntry.findUnique({ where: { id: "kb-test-y" } })).toBeNull();
    expect(await events()).toEqual([]);
  });
});

describe("the knowledge base in memory follows what is committed", () => {
  const entry = (id: string) => ({
    id,
    questions: { vi: [`Câu hỏi riêng ${id} về con dấu giả?`] },
    answer: { vi: "Làm giả con dấu là tội phạm." },
    source: { law: "Bộ luật Hình sự 2015" },
    lastReviewed: "2026-01-01",
  });

  it("an entry committed by another transaction (or instance) is found by the next search, without anyone clearing the cache", async () => {
    const kb = new KnowledgeBase();
    await kb.fresh(db);
    await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: TEST_ADMIN, input: [entry("kb-cache-a")] }));
    expect((await kb.fresh(db)).get("kb-cache-a")).toBeDefined();
  });

  it("a change seen inside a transaction that then rolls back is not kept", async () => {
    const kb = new KnowledgeBase();
    await kb.fresh(db);
    await expect(
      db.$transaction(async (tx) => {
        await importKnowledgeEntries(tx, { actor: TEST_ADMIN, input: [entry("kb-cache-b")] });
        // A search later in the same transaction (e.g. the same update) sees the uncommitted entry…
        expect((await kb.fresh(tx)).get("kb-cache-b")).toBeDefined();
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    // …but once rolled back, the next search does not.
    expect((await kb.fresh(db)).get("kb-cache-b")).toBeUndefined();
  });

  it.skipIf(PROVIDER !== "postgresql")("a search while the change is not yet committed does not hide it after the commit (PostgreSQL: concurrent transactions)", async () => {
    const kb = new KnowledgeBase();
    await kb.fresh(db);
    await db.$transaction(async (tx) => {
      await importKnowledgeEntries(tx, { actor: TEST_ADMIN, input: [entry("kb-cache-c")] });
      // Another connection searches before the commit: it cannot see the entry yet.
      expect((await kb.fresh(db)).get("kb-cache-c")).toBeUndefined();
    });
    expect((await kb.fresh(db)).get("kb-cache-c")).toBeDefined();
  });
});
