import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import type { Role } from "../src/core/officers/roles.ts";
import { postCard } from "../src/core/tips/cards.ts";
import { CODE_ALPHABET } from "../src/core/tips/codes.ts";
import { FakeTelegramApi, tgCallback, tgCommand, tgGroupText, tgPrivateText, tgShownText, tgUser, type FakeCall } from "./fakes/telegramApi.ts";
import { seedOfficer } from "./helpers/officers.ts";
import { eventually, FAST_RATES, startTestApp, type TestApp } from "./helpers/app.ts";

/*
 * The officer card's interaction, through the Telegram fake: reopening a closed tip, cancelling a
 * chooser, the reply prompt that names the officer who pressed, /help and the command menus, and
 * the answer to a press that never waits behind the group's messages.
 */

const COMMUNE = "00004"; // Phường Ba Đình, Hà Nội
const GROUP = -4101;
const GROUP_EN = -4102;
const U = { officer: 5201, commander: 5202, outreach: 5203 };

const text = (c: FakeCall) => tgShownText(c.payload);
const buttons = (c: { payload: Record<string, unknown> }) =>
  ((c.payload.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> } | undefined)?.inline_keyboard ?? []).flat();
const messageId = (c: FakeCall) => (c.response!.result as { message_id: number }).message_id;

function randomCode(): string {
  let body = "";
  for (let i = 0; i < 6; i++) body += CODE_ALPHABET[crypto.randomInt(CODE_ALPHABET.length)];
  return `TM-${body}`;
}

async function setup(env: Record<string, string>) {
  const tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  const app = await startTestApp({ telegram: tg, env: { ...FAST_RATES, ...env }, referenceData: true });
  const add = (user: number, role: Role) =>
    app.db.$transaction((tx) => seedOfficer(tx, { telegramUserId: String(user), role, scopeKind: "commune", scopeCode: COMMUNE, displayName: tgUser(user).first_name }));
  await add(U.officer, "officer");
  await add(U.commander, "commander");
  await add(U.outreach, "outreach");
  const group = await app.db.chat.create({ data: { channel: "telegram", platformChatId: String(GROUP), kind: "group" } });
  await app.db.queue.update({ where: { id: `commune:${COMMUNE}` }, data: { groupChatId: group.id } });
  return { tg, app };
}

/** An anonymous tip of the commune with its card posted (and delivered) in the group. */
async function cardedTip(tg: FakeTelegramApi, app: TestApp) {
  const chat = await app.db.chat.create({ data: { channel: "telegram", platformChatId: String(crypto.randomInt(600_000, 699_999)), kind: "private" } });
  const now = new Date();
  const tip = await app.db.tip.create({
    data: {
      code: randomCode(),
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
      replyRefSealed: app.sealer.seal(chat.id, "tip-reply-ref"),
      locale: "vi",
      receivedAt: now,
      receiptNoticeDueAt: new Date(now.getTime() + 3 * 86_400_000),
      decisionDueAt: new Date(now.getTime() + 20 * 86_400_000),
    },
  });
  const refs = await app.db.$transaction((tx) => postCard(tx, new TelegramRenderer(app.app.t), tip.id, tip.queueId, "main"));
  app.app.sender.notify(refs);
  const card = await tg.waitFor(() => tg.delivered(GROUP).find((c) => text(c).includes(tip.code)), 10_000);
  return { tip, cardId: messageId(card) };
}

describe("the card's buttons, through the Telegram fake", () => {
  let tg: FakeTelegramApi;
  let app: TestApp;
  beforeAll(async () => {
    ({ tg, app } = await setup({}));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await tg?.close();
  });

  /** Presses a button as `user`; resolves with the answer to that press (answerCallbackQuery). */
  async function press(user: number, data: string, onMessage: number) {
    const update = tgCallback(GROUP, data, onMessage, tgUser(user));
    expect((await tg.pushUpdate(update)).status).toBe(200);
    return tg.waitFor(() => tg.callsTo("answerCallbackQuery").find((c) => c.payload.callback_query_id === update.callback_query!.id), 10_000);
  }
  /** The card's latest text and buttons (its last successful edit, or as sent). */
  function card(cardId: number) {
    const edits = tg.callsTo("editMessageText").filter((c) => c.status === 200 && String(c.payload.chat_id) === String(GROUP) && c.payload.message_id === cardId);
    const latest = edits.at(-1) ?? tg.delivered(GROUP).find((c) => messageId(c) === cardId)!;
    return { text: text(latest), buttons: buttons(latest), edits: edits.length };
  }
  /** Opens a chooser with `data` and returns it once delivered. */
  async function chooser(user: number, data: string, onMessage: number, heading: string) {
    const before = tg.delivered(GROUP).length;
    await press(user, data, onMessage);
    return tg.waitFor(() => tg.delivered(GROUP).slice(before).find((c) => text(c).startsWith(heading)), 10_000);
  }

  it("a closed card offers reopen; an officer is refused (answered, logged, nothing changes); a commander reopens it to the officer who held it", async () => {
    const { tip, cardId } = await cardedTip(tg, app);
    await press(U.officer, `t:claim:${tip.id}`, cardId);
    const outcomes = await chooser(U.officer, `t:close:${tip.id}`, cardId, "Chọn kết quả giải quyết");
    await press(U.officer, buttons(outcomes).find((b) => b.text === "Không có cơ sở, không có dấu hiệu vi phạm")!.callback_data, messageId(outcomes));
    const closed = await eventually(() => (card(cardId).text.includes("ĐÃ KẾT THÚC") ? card(cardId) : undefined), 10_000, "closed card");
    expect(closed.buttons.map((b) => b.text)).toEqual(["🔄 Mở lại"]);
    const reopen = closed.buttons[0]!.callback_data;

    const before = await app.db.tip.findUniqueOrThrow({ where: { id: tip.id } });
    for (const user of [U.officer, U.outreach]) {
      const refused = await press(user, reopen, cardId);
      expect(refused.payload.show_alert).toBe(true);
      expect(text(refused)).toBe(user === U.officer ? "Việc này cần quyền chỉ huy." : "Cán bộ tuyên truyền và cán bộ pháp lý không xử lý tin báo.");
    }
    expect({ ...(await app.db.tip.findUniqueOrThrow({ where: { id: tip.id } })), updatedAt: null }).toEqual({ ...before, updatedAt: null });
    const refusals = await app.db.auditEvent.findMany({ where: { tipId: tip.id, action: "auth.refused" }, orderBy: { id: "asc" } });
    expect(refusals.map((r) => [JSON.parse(r.data).action, JSON.parse(r.data).reason])).toEqual([
      ["reopen", "role"],
      ["reopen", "staff_role"],
    ]);

    const done = await press(U.commander, reopen, cardId);
    expect(text(done)).toBe(`${tgUser(U.commander).first_name} đã mở lại ${tip.code}.`);
    const reopened = await eventually(() => (card(cardId).text.includes("ĐANG XỬ LÝ") ? card(cardId) : undefined), 10_000, "reopened card");
    expect(reopened.text).toContain(tgUser(U.officer).first_name);
    expect(reopened.buttons.map((b) => b.text)).toContain("↩️ Trả lại");
    const after = await app.db.tip.findUniqueOrThrow({ where: { id: tip.id }, include: { audit: { orderBy: { id: "asc" } } } });
    expect([after.status, after.outcome, after.closedAt]).toEqual(["claimed", null, null]);
    const event = after.audit.at(-1)!;
    const commander = await app.db.officer.findUniqueOrThrow({ where: { telegramUserId: String(U.commander) } });
    expect([event.action, event.actor, JSON.parse(event.data).outcome]).toEqual(["tip.reopened", `officer:${commander.id}`, "khong_co_so"]);
    // Reopening an open tip (a stale button) is refused and changes nothing.
    const stale = await press(U.commander, reopen, cardId);
    expect(text(stale)).toBe("Không thể làm việc này khi tin báo đang ở trạng thái hiện tại.");
    expect((await app.db.auditEvent.count({ where: { tipId: tip.id, action: "tip.reopened" } }))).toBe(1);
  });

  it("every chooser has a cancel button that removes the chooser and changes nothing", async () => {
    const { tip, cardId } = await cardedTip(tg, app);
    await press(U.officer, `t:claim:${tip.id}`, cardId);
    await eventually(() => card(cardId).text.includes("ĐANG XỬ LÝ"), 10_000, "claimed card");
    const before = await app.db.tip.findUniqueOrThrow({ where: { id: tip.id } });
    const eventsBefore = await app.db.auditEvent.count({ where: { tipId: tip.id } });
    const cardBefore = card(cardId);

    // The transfer chooser comes after the officer types where to (an answer to the bot's prompt).
    const beforePrompt = tg.delivered(GROUP).length;
    await press(U.officer, `t:transfer:${tip.id}`, cardId);
    const prompt = await tg.waitFor(() => tg.delivered(GROUP).slice(beforePrompt).find((c) => text(c).includes("nhận chuyển tin báo")), 10_000);
    const beforeUnits = tg.delivered(GROUP).length;
    await tg.pushUpdate(tgGroupText(GROUP, U.officer, "Hoàn Kiếm", messageId(prompt)));
    const units = await tg.waitFor(() => tg.delivered(GROUP).slice(beforeUnits).find((c) => text(c).startsWith("Chọn đơn vị nhận chuyển")), 10_000);

    const opened = [
      { who: U.officer, chooser: await chooser(U.officer, `t:priority:${tip.id}`, cardId, "Mức ưu tiên") },
      { who: U.officer, chooser: await chooser(U.officer, `t:classify:${tip.id}`, cardId, "Chọn phân loại") },
      { who: U.officer, chooser: await chooser(U.officer, `t:close:${tip.id}`, cardId, "Chọn kết quả giải quyết") },
      { who: U.commander, chooser: await chooser(U.commander, `t:extend:${tip.id}`, cardId, "Gia hạn thời hạn") },
      { who: U.officer, chooser: units },
    ];
    for (const { who, chooser: c } of opened) {
      const cancel = buttons(c).at(-1)!;
      expect(cancel.text).toBe("✖️ Huỷ");
      const answer = await press(who, cancel.callback_data, messageId(c));
      expect(text(answer)).toBe(`Đã huỷ; ${tip.code} không thay đổi.`);
      const edit = await tg.waitFor(
        () => tg.callsTo("editMessageText").find((e) => e.status === 200 && String(e.payload.chat_id) === String(GROUP) && e.payload.message_id === messageId(c)),
        10_000,
      );
      expect(buttons(edit)).toEqual([]);
      expect(text(edit)).toBe(`✖️ ${tgUser(who).first_name} đã huỷ lựa chọn cho ${tip.code}; tin báo không thay đổi.`);
    }
    const after = await app.db.tip.findUniqueOrThrow({ where: { id: tip.id } });
    expect({ ...after, updatedAt: null }).toEqual({ ...before, updatedAt: null });
    expect(await app.db.auditEvent.count({ where: { tipId: tip.id } })).toBe(eventsBefore);
    // The card itself kept its text and its buttons (it was not touched).
    expect(card(cardId)).toEqual(cardBefore);
  });

  it("the reply prompt names the officer who pressed (a text mention), so Telegram's selective reply field reaches them", async () => {
    const { tip, cardId } = await cardedTip(tg, app);
    await press(U.officer, `t:claim:${tip.id}`, cardId);
    for (const [kind, phrase] of [["ask", "bằng câu hỏi"], ["note", "bằng ghi chú"]] as const) {
      const before = tg.delivered(GROUP).length;
      await press(U.officer, `t:${kind}:${tip.id}`, cardId);
      const prompt = await tg.waitFor(() => tg.delivered(GROUP).slice(before).find((c) => text(c).includes(phrase)), 10_000);
      expect(prompt.payload.reply_markup).toEqual({ force_reply: true, selective: true });
      const entities = prompt.payload.entities as Array<{ type: string; offset: number; length: number; user: { id: number } }>;
      expect(entities).toHaveLength(1);
      const [mention] = entities;
      expect(mention!.type).toBe("text_mention");
      expect(mention!.user.id).toBe(U.officer);
      expect(text(prompt).slice(mention!.offset, mention!.offset + mention!.length)).toBe(tgUser(U.officer).first_name);
      // Telegram accepted it (offsets inside the text) and the stored message carries the mention.
      expect((prompt.response!.result as { entities?: unknown[] }).entities).toEqual(entities);
    }
    // The officer's answer to the prompt still works.
    const prompt = tg.delivered(GROUP).filter((c) => text(c).includes("bằng ghi chú")).at(-1)!;
    await tg.pushUpdate(tgGroupText(GROUP, U.officer, "Đã liên hệ tổ dân phố.", messageId(prompt)));
    await eventually(async () => (await app.db.tipNote.count({ where: { tipId: tip.id } })) === 1, 10_000, "note saved");
  });

  it("/help is answered in groups (the group's language) and in private chats (resident help, the person's language)", async () => {
    const say = async (groupId: number, line: string) => {
      const before = tg.delivered(groupId).length;
      await tg.pushUpdate(tgGroupText(groupId, U.outreach + 1000, line));
      // (A notice of the previous test may still be on its way: the answer is the message starting with ℹ️.)
      return text(await tg.waitFor(() => tg.delivered(groupId).slice(before).find((c) => text(c).startsWith("ℹ️")), 10_000));
    };
    const vi = await say(GROUP, "/help");
    expect(vi).toContain("/queue — tin báo đang mở của nhóm");
    expect(vi).toContain("/tip MÃ — lịch sử một tin báo");
    expect(vi).toContain("/bind MÃ");
    expect(await say(GROUP, "/help@taimat_bot")).toBe(vi);
    await app.db.chat.create({ data: { channel: "telegram", platformChatId: String(GROUP_EN), kind: "group", locale: "en" } });
    const en = await say(GROUP_EN, "/help");
    expect(en).toContain("/queue — the group's open reports");
    // Every command the help names is one the menu registers.
    const menu = tg.commandMenu({ type: "all_group_chats" })!.map((c) => `/${c.command}`);
    for (const named of vi.match(/\/[a-z_]+/g)!) expect(menu).toContain(named);

    const resident = 612_345;
    const said = async (update: Parameters<FakeTelegramApi["pushUpdate"]>[0]) => {
      const before = tg.delivered(resident).length;
      await tg.pushUpdate(update);
      return tg.waitFor(() => tg.delivered(resident)[before], 10_000);
    };
    const greeting = await said(tgPrivateText(resident, "xin chào"));
    await said(tgCallback(resident, buttons(greeting).find((b) => b.text.includes("English"))!.callback_data, messageId(greeting)));
    expect(text(await said(tgCommand(resident, "help")))).toContain(app.app.t("en", "common:help.text"));
  });

  it("registers the command menus at start for private chats and groups, in Vietnamese (default), English and Khmer", async () => {
    const scopes = { private: { type: "all_private_chats" }, group: { type: "all_group_chats" } };
    const calls = tg.callsTo("setMyCommands");
    expect(calls.every((c) => c.status === 200)).toBe(true);
    expect(calls.map((c) => `${(c.payload.scope as { type: string }).type}/${String(c.payload.language_code ?? "")}`).sort()).toEqual(
      ["all_group_chats/", "all_group_chats/en", "all_group_chats/km", "all_private_chats/", "all_private_chats/en", "all_private_chats/km"],
    );
    const privateVi = tg.commandMenu(scopes.private)!;
    expect(privateVi.map((c) => c.command)).toEqual(["start", "menu", "help", "language", "emergency"]);
    expect(privateVi.find((c) => c.command === "help")!.description).toBe("Hướng dẫn sử dụng");
    expect(tg.commandMenu(scopes.private, "en")!.find((c) => c.command === "help")!.description).toBe("How to use the bot");
    expect(tg.commandMenu(scopes.private, "km")!.find((c) => c.command === "help")!.description).toMatch(/[\u1780-\u17FF]/);
    const groupVi = tg.commandMenu(scopes.group)!;
    expect(groupVi.map((c) => c.command)).toEqual(["help", "queue", "mine", "overdue", "tip", "stats", "bind", "content", "campaigns", "campaign"]);
    expect(groupVi.find((c) => c.command === "queue")!.description).toBe("Tin báo đang mở của nhóm");
    expect(tg.commandMenu(scopes.group, "en")!.find((c) => c.command === "queue")!.description).toBe("The group's open reports");
    // A user whose Telegram speaks another language sees the Vietnamese list.
    expect(tg.commandMenuFor("group", "fr")).toEqual(groupVi);
    expect(tg.commandMenuFor("private", "km")).toEqual(tg.commandMenu(scopes.private, "km"));
  });
});

describe("setMyCommands in the fake is validated like Telegram", () => {
  it("rejects bad command names, descriptions, more than 100 commands, unknown scopes and language codes", async () => {
    const tg = new FakeTelegramApi();
    const root = await tg.listen();
    try {
      const call = async (body: Record<string, unknown>) => {
        const res = await fetch(`${root}/bot${tg.token}/setMyCommands`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        return { status: res.status, description: String(((await res.json()) as { description?: string }).description ?? "") };
      };
      const ok = { command: "help", description: "Help" };
      expect((await call({ commands: [ok] })).status).toBe(200);
      expect(await call({ commands: [{ command: "Help", description: "x" }] })).toEqual({ status: 400, description: "Bad Request: BOT_COMMAND_INVALID" });
      expect((await call({ commands: [{ command: "a".repeat(33), description: "x" }] })).description).toBe("Bad Request: BOT_COMMAND_INVALID");
      expect((await call({ commands: [{ command: "help", description: "" }] })).description).toBe("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
      expect((await call({ commands: [{ command: "help", description: "x".repeat(257) }] })).description).toBe("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
      expect((await call({ commands: [{ command: "help", description: "x".repeat(256) }] })).status).toBe(200);
      const many = Array.from({ length: 101 }, (_, i) => ({ command: `c${i}`, description: "x" }));
      expect((await call({ commands: many })).description).toBe("Bad Request: too many commands specified");
      expect((await call({ commands: many.slice(0, 100) })).status).toBe(200);
      expect((await call({ commands: [ok], scope: { type: "everywhere" } })).status).toBe(400);
      expect((await call({ commands: [ok], scope: { type: "chat" } })).status).toBe(400);
      expect((await call({ commands: [ok], language_code: "vie" })).description).toBe("Bad Request: LANG_CODE_INVALID");
      expect(tg.commandMenu({ type: "default" })).toHaveLength(100);
    } finally {
      await tg.close();
    }
  });
});

describe("the answer to a button press never waits behind the group's messages", () => {
  let tg: FakeTelegramApi;
  let app: TestApp;
  beforeAll(async () => {
    // Our own pace for groups: 2 a minute (a burst of 2, then one every ~30 s).
    ({ tg, app } = await setup({ TELEGRAM_RATE_GROUP_PER_MINUTE: "2" }));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await tg?.close();
  });

  it("with the group's lane full, the press is answered at once while the card edit still waits its turn", async () => {
    const { tip, cardId } = await cardedTip(tg, app);
    const group = await app.db.chat.findFirstOrThrow({ where: { platformChatId: String(GROUP) } });
    // Fill the group's lane: three answers to /queue (one leaves, the others wait for the bucket).
    for (let i = 0; i < 3; i++) await tg.pushUpdate(tgGroupText(GROUP, U.officer, "/queue"));
    await eventually(async () => (await app.db.outboxMessage.count({ where: { chatId: group.id, status: "pending" } })) >= 2, 10_000, "group lane busy");

    const update = tgCallback(GROUP, `t:claim:${tip.id}`, cardId, tgUser(U.officer));
    await tg.pushUpdate(update);
    const answer = await tg.waitFor(() => tg.callsTo("answerCallbackQuery").find((c) => c.payload.callback_query_id === update.callback_query!.id), 10_000);
    expect(text(answer)).toBe(`${tgUser(U.officer).first_name} đã nhận xử lý ${tip.code}.`);
    // The claim itself is done; its card edit is still queued behind the group's messages.
    expect((await app.db.tip.findUniqueOrThrow({ where: { id: tip.id } })).status).toBe("claimed");
    expect(tg.callsTo("editMessageText").filter((c) => c.payload.message_id === cardId)).toHaveLength(0);
    const edit = await app.db.outboxMessage.findFirstOrThrow({ where: { chatId: group.id, method: "editMessageText" } });
    expect(edit.status).toBe("pending");
    expect(edit.id).toBeLessThan((await app.db.outboxMessage.findFirstOrThrow({ where: { chatId: group.id, method: "answerCallbackQuery" } })).id);
  });
});
