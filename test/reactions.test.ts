import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { REACTIONS } from "../src/core/events/react.ts";
import { answerQuestion } from "../src/core/qa/commands/answerQuestion.ts";
import { handOffQuestion } from "../src/core/qa/commands/handOffQuestion.ts";
import { addInformation } from "../src/core/tips/commands/addInformation.ts";
import { relayToTipster } from "../src/core/tips/commands/ask.ts";
import { claimTip } from "../src/core/tips/commands/claim.ts";
import { classifyTip } from "../src/core/tips/commands/classify.ts";
import { closeTip } from "../src/core/tips/commands/close.ts";
import type { CommandActor, TipCommandContext } from "../src/core/tips/commands/context.ts";
import { recordExtension } from "../src/core/tips/commands/extend.ts";
import { addNote } from "../src/core/tips/commands/note.ts";
import { openContact } from "../src/core/tips/commands/openContact.ts";
import { setPriority } from "../src/core/tips/commands/priority.ts";
import { releaseTip } from "../src/core/tips/commands/release.ts";
import { reopenTip } from "../src/core/tips/commands/reopen.ts";
import { relayFromTipster } from "../src/core/tips/commands/tipsterAnswer.ts";
import { transferTip } from "../src/core/tips/commands/transfer.ts";
import type { TipDraftData } from "../src/core/tips/draft.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import { submitTip } from "../src/core/tips/submitTip.ts";
import type { Db, Tx } from "../src/db/client.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createTranslator } from "../src/i18n.ts";
import type { OutboxRef } from "../src/outbox/outbound.ts";
import { Sealer } from "../src/security/sealing.ts";
import { tgShownText } from "./fakes/telegramApi.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";
import { bindQueue } from "../src/core/queues/commands/bindQueue.ts";
import { TEST_ADMIN, seedBinding, seedOfficer } from "./helpers/officers.ts";

/*
 * Events drive what follows them: each event that has reactions is recorded through its command,
 * against the database, and must queue exactly the messages written out below (which chat, which
 * kind of call, under or in place of which message, saying what), in the transaction that recorded
 * the event — returned by the command, visible in that transaction before it commits. The same
 * command in a transaction that is rolled back leaves neither the event nor a message nor a change.
 * The tip lives a whole life here (submitted, claimed, … transferred, closed, reopened), so each
 * step's messages depend on what earlier steps left (cards posted, the receipt notice already sent,
 * answers to show under a new card).
 */

const COMMUNE_A = "00004"; // Phường Ba Đình, Hà Nội
const COMMUNE_B = "00070"; // Phường Hoàn Kiếm, Hà Nội
const LEGAL = "730001";

let tdb: TestDatabase;
let db: Db;
const t = createTranslator().t;
const renderer = new TelegramRenderer(t);
const sealer = new Sealer([crypto.randomBytes(32)]);
/** Our chat id → how the test names it. */
const chatLabel = new Map<string, string>();
/** Outbox id of a message of ours → how the test names it (the cards). */
const messageLabel = new Map<number, string>();
/** How the test names the card a group shows. */
const CARD_NAME: Record<string, string> = { "group A": "card A", "group B": "card B", "cyber group": "info card", "HCM group": "HCM card" };

/** Names the cards (tips' and questions') as they appear, to describe what is queued under or in place of them. */
async function nameCards(tx: Tx) {
  for (const card of await tx.tipCard.findMany()) messageLabel.set(card.outboxId, CARD_NAME[chatLabel.get(card.chatId)!] ?? "a card");
  for (const q of await tx.legalQuestion.findMany({ where: { cardOutboxId: { not: null } } })) messageLabel.set(q.cardOutboxId!, "question card");
}
const ids = { tipster: "", asker: "", legalGroup: "", officerA: "", commanderA: "", officerB: "" };
let tipId = "";
let code = "";
let questionId = "";
let unitB = "";
/** A tip no group could show when it was sent. */
let waitingCode = "";
/** The actions exercised here: every action in the reaction table must be. */
const covered = new Set<string>();

class Rollback extends Error {}

async function chat(label: string, platformChatId: string, kind: "group" | "private") {
  const row = await db.chat.create({ data: { channel: "telegram", platformChatId, kind, locale: "vi" } });
  chatLabel.set(row.id, label);
  return row.id;
}

const ctx = (tx: Tx, actor: CommandActor): TipCommandContext => ({ tx, actor, sealer, officerRenderer: renderer, renderers: { telegram: renderer }, now: new Date() });
const officer = (id: string): CommandActor => ({ kind: "officer", officerId: id });

/** "<chat> <call>[ of|under <message>][ (sensitive)]" for a queued row, and what it shows. */
function describeRow(row: { chatId: string; method: string; payload: string; sensitive: boolean }): { what: string; shows: string } {
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  const edited = (payload.message_id as { $outbox?: number } | undefined)?.$outbox;
  const under = (payload.reply_to_message_id as { $outbox?: number } | undefined)?.$outbox;
  const name = (id: number) => messageLabel.get(id) ?? `message #${id}`;
  let what = `${chatLabel.get(row.chatId) ?? row.chatId} ${row.method}`;
  if (edited !== undefined) what += ` of ${name(edited)}`;
  if (under !== undefined) what += ` under ${name(under)}`;
  if ((payload.reply_markup as { force_reply?: boolean } | undefined)?.force_reply) what += " asking for an answer";
  if (row.sensitive) what += " (sensitive)";
  return { what, shows: tgShownText(payload) };
}

const marks = async () => ({
  events: await db.auditEvent.count(),
  lastEvent: (await db.auditEvent.aggregate({ _max: { id: true } }))._max.id ?? 0,
  outbox: await db.outboxMessage.count(),
  lastOutbox: (await db.outboxMessage.aggregate({ _max: { id: true } }))._max.id ?? 0,
  tips: JSON.stringify(await db.tip.findMany({ orderBy: { id: "asc" } })),
  cards: JSON.stringify(await db.tipCard.findMany({ orderBy: { id: "asc" } })),
  questions: JSON.stringify(await db.legalQuestion.findMany({ orderBy: { id: "asc" } })),
  chats: JSON.stringify(await db.chat.findMany({ orderBy: { id: "asc" } })),
});

/** The rows a command's result names (commands answer in a few shapes). */
function refsOf(result: unknown): OutboxRef[] {
  if (Array.isArray(result)) return result as OutboxRef[];
  const r = result as { refs?: OutboxRef[]; cards?: OutboxRef[] };
  return r.refs ?? r.cards ?? [];
}

/**
 * Runs a command twice: rolled back (nothing may remain), then committed. Returns the rows it
 * queued, after checking they are exactly `want` (each "what", and a text each must show), that
 * they were queued in the event's own transaction, and that the command returned them.
 */
async function step(action: string, run: (tx: Tx) => Promise<unknown>, want: Array<[what: string, shows: string | string[]]>) {
  covered.add(action);
  const before = await marks();
  await expect(
    db.$transaction(async (tx) => {
      await run(tx);
      throw new Rollback();
    }),
  ).rejects.toBeInstanceOf(Rollback);
  expect(await marks()).toEqual(before);

  const { result, events, rows } = await db.$transaction(async (tx) => {
    const result = await run(tx);
    // Inside the transaction, before it commits: the event and its messages are there together.
    const events = await tx.auditEvent.findMany({ where: { id: { gt: before.lastEvent } }, orderBy: { id: "asc" } });
    const rows = await tx.outboxMessage.findMany({ where: { id: { gt: before.lastOutbox } }, orderBy: { id: "asc" } });
    await nameCards(tx);
    return { result, events, rows };
  });
  expect(events.map((e) => e.action)).toEqual([action]);
  expect(refsOf(result).map((r) => r.id)).toEqual(rows.map((r) => r.id));
  const got = rows.map(describeRow);
  expect(got.map((g) => g.what)).toEqual(want.map(([what]) => what));
  want.forEach(([what, shows], i) => {
    for (const part of [shows].flat()) expect(got[i]!.shows, what).toContain(part);
  });
  // Committed: still exactly those.
  expect(await db.outboxMessage.count()).toBe(before.outbox + rows.length);
  return { result, rows };
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  await loadReferenceData(db);
  await ensureQueues(db);
  const groupA = await chat("group A", "-7001", "group");
  const groupB = await chat("group B", "-7002", "group");
  const cyberGroup = await chat("cyber group", "-7003", "group");
  ids.legalGroup = await chat("legal group", "-7004", "group");
  ids.tipster = await chat("tipster", "930001", "private");
  ids.asker = await chat("asker", "930002", "private");
  const commanderChat = await chat("commander's chat", "720002", "private");
  await db.$transaction(async (tx) => {
    await seedBinding(tx, renderer, { queueId: `commune:${COMMUNE_A}`, groupChatId: groupA });
    await seedBinding(tx, renderer, { queueId: `commune:${COMMUNE_B}`, groupChatId: groupB });
    await seedBinding(tx, renderer, { queueId: "cyber:01", groupChatId: cyberGroup });
    await seedBinding(tx, renderer, { queueId: "legal:VN", groupChatId: ids.legalGroup });
    ids.officerA = (await seedOfficer(tx, { telegramUserId: "720001", role: "officer", scopeKind: "commune", scopeCode: COMMUNE_A, displayName: "Cán bộ Lan" })).id;
    ids.commanderA = (await seedOfficer(tx, { telegramUserId: "720002", role: "commander", scopeKind: "commune", scopeCode: COMMUNE_A, displayName: "Chỉ huy Minh", privateChatId: commanderChat })).id;
    ids.officerB = (await seedOfficer(tx, { telegramUserId: "720003", role: "officer", scopeKind: "commune", scopeCode: COMMUNE_B, displayName: "Cán bộ Tú" })).id;
    await seedOfficer(tx, { telegramUserId: LEGAL, role: "legal", scopeKind: "national", scopeCode: "VN", displayName: "Luật sư Hà" });
  });
  unitB = (await db.queue.findUniqueOrThrow({ where: { id: `commune:${COMMUNE_B}` } })).name;
}, 120_000);
afterAll(async () => {
  await tdb?.drop();
});

const draft = (category: string, communeCode: string | undefined, provinceCode: string): TipDraftData => ({
  step: "confirm" as TipDraftData["step"],
  trail: [],
  category: category as TipDraftData["category"],
  place: { source: "typed", provinceCode, communeCode, text: "Trước cửa nhà số 5" },
  when: "today",
  description: ["Có người gọi điện giả danh ngân hàng, đòi chuyển tiền."],
  attachments: [],
  identity: "confidential",
  contactNameSealed: sealer.seal("Lê Thị Mai", "draft-contact-name"),
  contactPhoneSealed: sealer.seal("0912345678", "draft-contact-phone"),
});

describe("a tip's events queue what follows them, in their transaction", () => {
  it("tip.submitted: the card in the unit's group, an information-only card in the cyber unit's", async () => {
    const { result, rows } = await step(
      "tip.submitted",
      (tx) => submitTip(tx, { chatId: ids.tipster, channel: "telegram", locale: "vi", draft: draft("online_fraud", COMMUNE_A, "01"), sealer, officerRenderer: renderer }),
      [
        ["group A sendMessage", "🆕 TIN BÁO"],
        ["cyber group sendMessage", "BẢN SAO ĐỂ BIẾT"],
      ],
    );
    ({ id: tipId, code } = result as { id: string; code: string });
    expect(rows.map((r) => tgShownText(JSON.parse(r.payload) as Record<string, unknown>)).every((s) => s.includes(code))).toBe(true);
  });

  it("tip.submitted where no group shows the unit: nothing to post (the tip waits for a reader)", async () => {
    const { result } = await step("tip.submitted", (tx) => submitTip(tx, { chatId: ids.asker, channel: "telegram", locale: "vi", draft: draft("theft", undefined, "79"), sealer, officerRenderer: renderer }), []);
    waitingCode = (result as { code: string }).code;
  });

  it("tip.claimed, the first time: the cards show who holds it; the tipster gets the receipt notice", async () => {
    await step("tip.claimed", (tx) => claimTip(ctx(tx, officer(ids.officerA)), { tipId }), [
      ["group A editMessageText of card A", `TIN BÁO ${code} · ĐANG XỬ LÝ: Cán bộ Lan`],
      ["cyber group editMessageText of info card", `TIN BÁO ${code}`],
      ["tipster sendMessage", `đã tiếp nhận tin báo ${code}`],
    ]);
  });

  it("tip.priority_set and tip.classified: the cards shown again", async () => {
    await step("tip.priority_set", (tx) => setPriority(ctx(tx, officer(ids.officerA)), { tipId, value: "high" }), [
      ["group A editMessageText of card A", code],
      ["cyber group editMessageText of info card", code],
    ]);
    await step("tip.classified", (tx) => classifyTip(ctx(tx, officer(ids.officerA)), { tipId, classification: "to_giac" }), [
      ["group A editMessageText of card A", code],
      ["cyber group editMessageText of info card", code],
    ]);
  });

  it("tip.extended: the cards shown again, and who extended it to when, under the working card", async () => {
    await step("tip.extended", (tx) => recordExtension(ctx(tx, officer(ids.commanderA)), { tipId, extension: "two_months" }), [
      ["group A editMessageText of card A", code],
      ["cyber group editMessageText of info card", code],
      ["group A sendMessage under card A", `Chỉ huy Minh đã ghi nhận gia hạn cho ${code}`],
    ]);
  });

  it("tip.note_added: the note under the working card only", async () => {
    await step("tip.note_added", (tx) => addNote(ctx(tx, officer(ids.officerA)), { tipId, text: "  Đã gọi tổ dân phố xác minh. " }), [
      ["group A sendMessage under card A", [`Ghi chú của Cán bộ Lan cho ${code}:`, "Đã gọi tổ dân phố xác minh."]],
    ]);
  });

  it("tip.question_sent: the tipster is asked, signed with the unit, and their chat waits for the answer", async () => {
    await step("tip.question_sent", (tx) => relayToTipster(ctx(tx, officer(ids.officerA)), { tipId, text: "Số điện thoại đã gọi là gì?" }), [
      ["tipster sendMessage", `hỏi về tin báo ${code} của bạn:\n\n«Số điện thoại đã gọi là gì?»`],
    ]);
    const flow = JSON.parse((await db.chat.findUniqueOrThrow({ where: { id: ids.tipster } })).flow ?? "{}") as { name?: string; tipRef?: string };
    expect(flow.name).toBe("answer");
    expect(sealer.open(flow.tipRef!, "chat-answer-tip")).toBe(tipId);
  });

  it("tip.answer_received: words and files under the working card, not the information-only one", async () => {
    await step("tip.answer_received", (tx) => relayFromTipster(tx, renderer, { tipId, item: { text: " Số 0888 123 456 " } }), [
      ["group A sendMessage under card A", [`Người báo tin ${code} trả lời:`, "Số 0888 123 456"]],
    ]);
    await step("tip.answer_received", (tx) => relayFromTipster(tx, renderer, { tipId, item: { media: { kind: "photo", ref: "photo-file-1", caption: "Ảnh màn hình cuộc gọi" } } }), [
      ["group A sendPhoto under card A", "Ảnh màn hình cuộc gọi"],
    ]);
  });

  it("tip.information_added: under every card of the tip", async () => {
    await step("tip.information_added", (tx) => addInformation(tx, renderer, { tipId, item: { text: "Kẻ gian xưng là nhân viên ngân hàng V." } }), [
      ["group A sendMessage under card A", [`Người báo tin ${code} bổ sung thông tin:`, "Kẻ gian xưng là nhân viên ngân hàng V."]],
      ["cyber group sendMessage under info card", "Kẻ gian xưng là nhân viên ngân hàng V."],
    ]);
  });

  it("tip.contact_opened: the contact only in the commander's own chat (scrubbed once sent), the opening under the card", async () => {
    await step("tip.contact_opened", (tx) => openContact(ctx(tx, officer(ids.commanderA)), { tipId, reason: "Cần xác minh trực tiếp" }), [
      ["commander's chat sendMessage (sensitive)", "Lê Thị Mai — 0912345678"],
      ["group A sendMessage under card A", `Chỉ huy Minh đã mở thông tin liên hệ của người báo tin ${code}. Lý do: Cần xác minh trực tiếp`],
    ]);
  });

  it("tip.released: the cards show it back in the queue", async () => {
    await step("tip.released", (tx) => releaseTip(ctx(tx, officer(ids.officerA)), { tipId }), [
      ["group A editMessageText of card A", `TIN BÁO ${code} · MỚI`],
      ["cyber group editMessageText of info card", code],
    ]);
  });

  it("tip.transferred: the old card told and retired, the new unit's card with everything sent since, the tipster told", async () => {
    await step("tip.transferred", (tx) => transferTip(ctx(tx, officer(ids.commanderA)), { tipId, toQueueId: `commune:${COMMUNE_B}` }), [
      ["group A sendMessage under card A", `Chỉ huy Minh đã chuyển ${code} đến ${unitB}`],
      ["group A editMessageText of card A", code],
      ["cyber group editMessageText of info card", code],
      ["group B sendMessage", `🆕 TIN BÁO ${code}`],
      ["group B sendPhoto under card B", "Ảnh màn hình cuộc gọi"],
      ["group B sendMessage under card B", [`Người báo tin ${code} trả lời:`, "Số 0888 123 456"]],
      ["group B sendMessage under card B", [`Người báo tin ${code} bổ sung thông tin:`, "Kẻ gian xưng là nhân viên ngân hàng V."]],
      ["tipster sendMessage", `đã được chuyển đến ${unitB}`],
    ]);
    const cards = await db.tipCard.findMany({ where: { tipId }, orderBy: { id: "asc" } });
    expect(cards.map((c) => `${chatLabel.get(c.chatId)} ${c.kind} ${c.active ? "active" : "retired"}`)).toEqual([
      "group A main retired",
      "cyber group info active",
      "group B main active",
    ]);
  });

  it("tip.claimed again: the cards only (the receipt notice went with the first claim)", async () => {
    await step("tip.claimed", (tx) => claimTip(ctx(tx, officer(ids.officerB)), { tipId }), [
      // Cards in the order they were posted: the information-only card came with the tip.
      ["cyber group editMessageText of info card", code],
      ["group B editMessageText of card B", `TIN BÁO ${code} · ĐANG XỬ LÝ: Cán bộ Tú`],
    ]);
  });

  it("tip.closed: the cards show the outcome; the tipster learns it in plain words", async () => {
    await step("tip.closed", (tx) => closeTip(ctx(tx, officer(ids.officerB)), { tipId, outcome: "khong_khoi_to" }), [
      ["cyber group editMessageText of info card", code],
      ["group B editMessageText of card B", `TIN BÁO ${code} · ĐÃ KẾT THÚC`],
      ["tipster sendMessage", `Tin báo ${code} của bạn đã được giải quyết. Kết quả: ${t("vi", "officer:tipster.outcome.khong_khoi_to")}`],
    ]);
  });

  it("tip.reopened (by an administrator at the CLI): the cards shown again, the tipster not told", async () => {
    await step("tip.reopened", (tx) => reopenTip(ctx(tx, { kind: "admin", name: "cli" }), { tipId }), [
      // Cards in the order they were posted: the information-only card came with the tip.
      ["cyber group editMessageText of info card", code],
      ["group B editMessageText of card B", `TIN BÁO ${code} · ĐANG XỬ LÝ: Cán bộ Tú`],
    ]);
  });
});

describe("a legal question's events queue what follows them, in their transaction", () => {
  const deps = { sealer, officerRenderer: renderer, renderers: { telegram: renderer } };

  it("question.handed_off: the question's card in the legal group, open for anyone's answer", async () => {
    await step("question.handed_off", (tx) => handOffQuestion(tx, deps, { chatId: ids.asker, text: "Hàng xóm xây lấn sang đất nhà tôi thì làm thế nào?", locale: "vi" }), [
      ["legal group sendMessage asking for an answer", "Hàng xóm xây lấn sang đất nhà tôi thì làm thế nào?"],
    ]);
    questionId = (await db.legalQuestion.findFirstOrThrow()).id;
  });

  it("question.answered: the answer relayed to the asker; the legal group told who answered, with the button to keep it", async () => {
    const { rows } = await step(
      "question.answered",
      (tx) => answerQuestion(tx, deps, { actor: { kind: "telegram-user", telegramUserId: LEGAL }, questionId, answer: "Bạn có thể yêu cầu UBND xã hòa giải.", groupChatId: ids.legalGroup }),
      [
        ["asker sendMessage", "Bạn có thể yêu cầu UBND xã hòa giải."],
        ["legal group sendMessage", "Luật sư Hà đã trả lời câu hỏi"],
      ],
    );
    const markup = (JSON.parse(rows[1]!.payload) as { reply_markup?: { inline_keyboard?: Array<Array<{ callback_data: string }>> } }).reply_markup;
    expect(markup?.inline_keyboard?.flat().map((b) => b.callback_data)).toEqual([`kb:save:${questionId}`]);
  });
});

describe("a queue's events queue what follows them, in their transaction", () => {
  it("queue.bound: the group shows what waited for it (the tip sent before any group could show it)", async () => {
    const hcm = await chat("HCM group", "-7005", "group");
    await step("queue.bound", (tx) => bindQueue(tx, renderer, { actor: TEST_ADMIN, queueId: "province:79", groupChatId: hcm }), [
      ["HCM group sendMessage", `🆕 TIN BÁO ${waitingCode}`],
    ]);
  });
});

describe("the reaction table", () => {
  it("every event with reactions is exercised above", () => {
    expect([...covered].sort()).toEqual(Object.keys(REACTIONS).sort());
  });
});
