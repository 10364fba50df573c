import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../src/core/officers/roles.ts";
import { tgCallback, tgGroupText, tgUser, type FakeCall, type FakeTelegramApi, tgShownText } from "./fakes/telegramApi.ts";
import type { FakeZaloApi } from "./fakes/zaloApi.ts";
import { bindGroup, seedOfficer } from "./helpers/officers.ts";
import { eventually, startWithFakes, type TestApp } from "./helpers/app.ts";
import { startZaloCdn, type ZaloCdn } from "./helpers/zaloCdn.ts";
import { dumpDatabase, type DumpedRow, type DumpedTable } from "./helpers/dump.ts";
import { TelegramTipster, ZaloTipster } from "./helpers/tipster.ts";
import { jpegWithMetadata, openWebSession } from "./helpers/webChat.ts";

/**
 * "Nothing links a platform identity to a tip for a database reader": every journey of a tipster
 * (anonymous, confidential, named; Telegram, Zalo, web) with a claim and its receipt notice, a
 * pending officer's question, the tipster's answer relayed (words and a photo), a look-up with code
 * and PIN followed by information added to the tip, the contact opened by a commander, and the
 * closure notice. At each pause the WHOLE database (every table,
 * every column, listed from the catalogue) is searched for a link between the tipster — platform
 * id, username, name, phone, our chat id — and the tip — id, code, the words of the tip, the
 * question, the answer: in one row, or through one row referring to another (or two rows referring
 * to the same one).
 */

const GROUP = -1_009_001;
const OFFICER = 7_700_001;
const COMMANDER = 7_700_002;

let env: Awaited<ReturnType<typeof startWithFakes>>;
let cdn: ZaloCdn;
let t: TestApp;
let tg: FakeTelegramApi;
let zalo: FakeZaloApi;

async function addOfficer(userId: number, role: Role, displayName: string) {
  await t.db.$transaction((tx) => seedOfficer(tx, { telegramUserId: String(userId), role, scopeKind: "commune", scopeCode: "00004", displayName }));
}

beforeAll(async () => {
  for (const id of TELEGRAM_TIPSTERS) expect([tgUser(OFFICER).first_name, tgUser(COMMANDER).first_name]).not.toContain(tgUser(id).first_name);
  // Zalo's file servers (a Zalo photo under the card is fetched by the service and uploaded to Telegram).
  cdn = await startZaloCdn();
  env = await startWithFakes({ zaloMediaSeams: cdn.seams });
  ({ t, tg, zalo } = env);
  await bindGroup(t.db, "commune:00004", GROUP);
  await addOfficer(OFFICER, "officer", "Cán bộ Kiểm Tra");
  await addOfficer(COMMANDER, "commander", "Chỉ huy Kiểm Tra");
  const commanderChat = await t.db.chat.create({ data: { channel: "telegram", platformChatId: String(COMMANDER), kind: "private" } });
  await t.db.officer.update({ where: { telegramUserId: String(COMMANDER) }, data: { privateChatId: commanderChat.id } });
});
afterAll(async () => {
  await env?.close();
  await cdn?.close();
});

// ---- The tipster, on each channel ----------------------------------------------------------------

interface Tipster {
  /** What identifies the person on their platform (ids, usernames, names, the web session). */
  identity: string[];
  /** The chat's platform id as we store it. */
  platformChatId: string;
  channel: "telegram" | "zalo" | "web";
  start(): Promise<string>;
  /** Picks an offered choice: by id where buttons carry ids (Telegram, web), by label on Zalo. */
  choose(id: string, label: string): Promise<string>;
  say(text: string): Promise<string>;
  /** Sends a photo with the tip (Telegram file id, Zalo URL, web upload). */
  photo(): Promise<string>;
  /** Every text the bot sent this person. */
  texts(): string[];
  close(): Promise<void>;
}

function telegramTipster(id: number): Tipster {
  const p = new TelegramTipster(tg, id);
  return {
    identity: [String(id), p.user.username!, p.user.first_name],
    platformChatId: String(id),
    channel: "telegram",
    start: async () => (await p.command("/start"), (await p.press("data:lang:vi")).text),
    choose: async (choiceId) => (await p.press(`data:${choiceId}`)).text,
    say: async (text) => (await p.say(text)).text,
    photo: async () => (await p.photo(`AgACAgPHOTO${crypto.randomBytes(8).toString("hex")}`)).text,
    texts: () => p.messages().map((m) => m.text),
    close: async () => {},
  };
}

function zaloTipster(userId: string, displayName: string): Tipster {
  const p = new ZaloTipster(zalo, userId, displayName);
  return {
    identity: [userId, displayName],
    platformChatId: userId,
    channel: "zalo",
    start: async () => (await p.say("xin chào"), (await p.choose("Tiếng Việt")).text),
    choose: async (_id, label) => (await p.choose(label)).text,
    say: async (text) => (await p.say(text)).text,
    photo: async () => (await p.photo(`https://photo-stal-1.zdn.vn/${crypto.randomBytes(8).toString("hex")}.jpg`)).text,
    texts: () => p.messages().map((m) => m.text),
    close: async () => {},
  };
}

async function webTipster(): Promise<Tipster> {
  const { sid, chatKey, stream, send: sendRaw } = await openWebSession(t.url);
  const send = async (body: Record<string, unknown> | Buffer) => (await sendRaw(body)).text ?? "";
  return {
    identity: [chatKey, sid],
    platformChatId: chatKey,
    channel: "web",
    start: async () => (await send({ type: "start" }), send({ type: "choice", choiceId: "lang:vi" })),
    choose: (choiceId) => send({ type: "choice", choiceId }),
    say: (text) => send({ type: "text", text }),
    photo: async () => send(await jpegWithMetadata(32, 24)),
    texts: () => stream.messages().map((m) => m.text ?? ""),
    close: () => stream.close(),
  };
}

// ---- The officers, in their Telegram group -------------------------------------------------------

const text = (c: FakeCall) => tgShownText(c.payload);
const buttons = (c: FakeCall) =>
  ((c.payload.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> })?.inline_keyboard ?? []).flat();
const messageId = (c: FakeCall) => (c.response!.result as { message_id: number }).message_id;

function card(code: string) {
  const sent = tg.delivered(GROUP).find((c) => text(c).includes(code) && /TIN BÁO/.test(text(c)));
  if (!sent) return undefined;
  const id = messageId(sent);
  const edits = tg.callsTo("editMessageText").filter((c) => c.status === 200 && String(c.payload.chat_id) === String(GROUP) && c.payload.message_id === id);
  return { id, buttons: buttons(edits.at(-1) ?? sent) };
}

async function press(userId: number, code: string, label: string, onMessage?: number) {
  const c = await eventually(() => card(code), 10_000, `card of ${code}`);
  const data = c.buttons.find((b) => b.text.includes(label))?.callback_data;
  if (!data) throw new Error(`no button "${label}" on the card of ${code}: ${c.buttons.map((b) => b.text).join(" | ")}`);
  await pressData(userId, data, onMessage ?? c.id);
}

async function pressData(userId: number, data: string, onMessage: number) {
  const before = tg.callsTo("answerCallbackQuery").length;
  expect((await tg.pushUpdate(tgCallback(GROUP, data, onMessage, tgUser(userId)))).status).toBe(200);
  await tg.waitFor(() => tg.callsTo("answerCallbackQuery")[before], 10_000);
}

/** Answers the bot's prompt in the group (a reply to its message) whose text contains `needle`. */
async function answerPrompt(userId: number, needle: string, answer: string) {
  const prompt = await eventually(() => tg.delivered(GROUP).filter((c) => text(c).includes(needle)).at(-1), 10_000, `prompt "${needle}"`);
  expect((await tg.pushUpdate(tgGroupText(GROUP, userId, answer, messageId(prompt)))).status).toBe(200);
}

/** Nothing left to process or to send. */
async function idle() {
  await eventually(
    async () => (await t.db.inboxUpdate.count({ where: { status: "pending" } })) === 0 && (await t.db.outboxMessage.count({ where: { status: "pending" } })) === 0,
    20_000,
    "the service idle",
  );
}

// ---- The check -------------------------------------------------------------------------------------

/**
 * Columns that may hold a reference to a person or their chat because they hold it sealed
 * (AES-256-GCM, key outside the database). Each value found there must really be sealed.
 */
const SEALED_COLUMNS: Record<string, string[]> = {
  Tip: ["replyRefSealed", "contactSealed"],
  LegalQuestion: ["replyRefSealed"],
  Upload: ["chatId"],
};
const SEALED = /^v1\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]*$/;

interface Tokens {
  identity: string[];
  tip: string[];
}

const found = (row: DumpedRow, tokens: string[]) => {
  const sealed = SEALED_COLUMNS[row.table] ?? [];
  const hits = new Set<string>();
  for (const [column, value] of Object.entries(row.cells)) {
    if (value === null || sealed.includes(column)) continue;
    for (const token of tokens) if (value.includes(token)) hits.add(token);
  }
  return [...hits];
};

/**
 * The table word an integer reference column points to: `outboxId`, `cardOutboxId` → outbox;
 * `sourceUpdateId` → update. `platform…Id` columns hold a platform's own ids (a Telegram message id
 * counts per chat), not a key of ours.
 */
const intTarget = (column: string) => (column.startsWith("platform") ? undefined : /([A-Z]?[a-z]+)Id$/.exec(column)?.[1]?.toLowerCase());

/** Every link between the tipster and the tip a reader of the database could follow. */
function links(tables: DumpedTable[], tokens: Tokens): string[] {
  const problems: string[] = [];
  const rows = tables.flatMap((tb) => tb.rows);
  const names = new Map<DumpedRow, { who: string[]; what: string[] }>();
  for (const row of rows) names.set(row, { who: found(row, tokens.identity), what: found(row, tokens.tip) });
  const label = (r: DumpedRow) => `${r.table}#${r.pk}`;

  // 1. One row naming both.
  for (const row of rows) {
    const n = names.get(row)!;
    if (n.who.length && n.what.length) problems.push(`${label(row)} names the tipster (${n.who.join(", ")}) and the tip (${n.what.join(", ")})`);
  }

  // 2. One row referring to another (a column holding another row's key), or two rows referring to
  //    the same one: one side names the tipster, the other the tip.
  const byKey = new Map<string, DumpedRow[]>(); // "Table#pk" → row, for single-column keys
  const stringKeys = new Map<string, DumpedRow[]>(); // pk value → rows (cuid-like string keys)
  for (const tb of tables) {
    if (tb.primaryKey.length !== 1) continue;
    for (const r of tb.rows) {
      byKey.set(`${tb.name}#${r.pk}`, [r]);
      if (r.pk.length >= 8 && !/^\d+$/.test(r.pk)) stringKeys.set(r.pk, [...(stringKeys.get(r.pk) ?? []), r]);
    }
  }
  const referrers = new Map<DumpedRow, DumpedRow[]>();
  for (const tb of tables) {
    for (const r of tb.rows) {
      for (const [column, value] of Object.entries(r.cells)) {
        if (value === null || tb.primaryKey.includes(column)) continue;
        let targets: DumpedRow[] = [];
        if (/^\d+$/.test(value)) {
          const word = intTarget(column);
          if (!word) continue;
          targets = tables.filter((x) => x.primaryKey.length === 1 && x.name.toLowerCase().includes(word)).flatMap((x) => byKey.get(`${x.name}#${value}`) ?? []);
        } else if (value.length >= 8) {
          targets = stringKeys.get(value) ?? [];
        }
        for (const target of targets) {
          if (target === r) continue;
          referrers.set(target, [...(referrers.get(target) ?? []), r]);
          const a = names.get(r)!;
          const b = names.get(target)!;
          if ((a.who.length && b.what.length) || (a.what.length && b.who.length)) {
            problems.push(`${label(r)}.${column} → ${label(target)} joins the tipster (${[...a.who, ...b.who].join(", ")}) to the tip (${[...a.what, ...b.what].join(", ")})`);
          }
        }
      }
    }
  }
  for (const [target, from] of referrers) {
    const who = from.filter((r) => names.get(r)!.who.length);
    const what = from.filter((r) => names.get(r)!.what.length);
    for (const a of who) for (const b of what) if (a !== b) problems.push(`${label(a)} and ${label(b)} both refer to ${label(target)}: the tipster joined to the tip`);
  }

  // 3. Sealed columns hold only sealed values.
  for (const row of rows) {
    for (const column of SEALED_COLUMNS[row.table] ?? []) {
      const value = row.cells[column];
      if (value !== null && value !== undefined && !SEALED.test(value)) problems.push(`${label(row)}.${column} is allow-listed as sealed but holds "${value.slice(0, 40)}"`);
    }
  }
  return [...new Set(problems)];
}

async function expectNoLink(tokens: Tokens, when: string) {
  await idle();
  const tables = await dumpDatabase(t.db, t.databaseUrl);
  // The dump really is the whole database: the tables the journeys write to are all there, with rows.
  const names = tables.map((x) => x.name);
  for (const table of ["Chat", "Tip", "OutboxMessage", "InboxUpdate", "AuditEvent", "TipCard", "RelayMessage"]) expect(names, when).toContain(table);
  expect(links(tables, tokens), `links ${when}`).toEqual([]);
  // A processed update naming the chat would be a link by its time (next to the tip's receipt): once
  // processed, an update keeps only its deduplication key.
  const processed = tables.find((x) => x.name === "InboxUpdate")!.rows.filter((r) => r.cells.status === "done");
  expect(processed.length, when).toBeGreaterThan(0);
  for (const row of processed) expect(found(row, tokens.identity), `InboxUpdate#${row.pk} ${when}`).toEqual([]);
}

// ---- The journeys --------------------------------------------------------------------------------

const MODES = ["anonymous", "confidential", "named"] as const;
// The fake names Telegram users by id (6 names in turn): these differ from both officers' names, so
// an officer's name in a group message is not mistaken for the tipster's.
const TELEGRAM_TIPSTERS = [918_200_004, 918_200_005, 918_200_003];
const CHANNELS = ["telegram", "zalo", "web"] as const;

describe.each(CHANNELS)("no link from a tipster to their tip in the database: %s", (channel) => {
  it.each(MODES)("%s tip: receipt notice, pending question, relayed answer, look-up, contact opened, closure", async (mode) => {
    const n = CHANNELS.indexOf(channel) * 3 + MODES.indexOf(mode);
    const p =
      channel === "telegram"
        ? telegramTipster(TELEGRAM_TIPSTERS[n]!)
        : channel === "zalo"
          ? zaloTipster(`zalo-link-${n}`, `Lương Thị Zalo${n}`)
          : await webTipster();
    const marker = `LNK${n}X`;
    const description = `Xe máy bị lấy trộm trước chợ, ghi chú ${marker}DESC.`;
    const question = `Bạn có thấy biển số xe không? ${marker}ASK`;
    const answer = `Biển số 29-B1 ${marker}ANS`;
    const addition = `Xe màu đỏ ${marker}ADD`;
    const contactName = `Đặng Thu ${marker}NAME`;
    const phone = `0903111${String(200 + n)}`;
    try {
      await p.start();
      await p.choose("menu:report", "Báo tin tội phạm");
      await p.choose("cat:theft", "Trộm cắp");
      await p.choose("danger:no", "Không");
      expect(await p.say("Phường Ba Đình, Hà Nội")).toContain("Nơi xảy ra");
      const afterWhen = await p.choose("when:today", "Hôm nay");
      if (afterWhen.includes("bỏ qua")) await p.say("bỏ qua");
      await p.say(description);
      expect(await p.photo()).toContain("Đã nhận");
      await p.say("xong");
      const label = { anonymous: "Ẩn danh", confidential: "Bảo mật", named: "Công khai tên" }[mode];
      await p.choose(`id:${mode}`, label);
      if (mode !== "anonymous") {
        await p.say(contactName);
        await p.say(phone.replace(/^(\d{4})(\d{3})(\d{3})$/, "$1 $2 $3"));
      }
      const receipt = await p.choose("review:send", "Gửi tin báo");
      const code = /Mã tin báo: (TM-[A-Z0-9]{6})/.exec(receipt)![1]!;
      const pin = /Mã PIN: (\d{6})/.exec(receipt)![1]!;
      const tip = await t.db.tip.findUniqueOrThrow({ where: { code } });
      const chat = await t.db.chat.findUniqueOrThrow({ where: { channel_platformChatId: { channel, platformChatId: p.platformChatId } } });
      const tokens: Tokens = {
        identity: [...p.identity, chat.id, ...(mode === "anonymous" ? [] : [contactName, phone])],
        tip: [tip.id, code, `${marker}DESC`, `${marker}ASK`, `${marker}ANS`, `${marker}ADD`],
      };
      await expectNoLink(tokens, "after the receipt");

      // Claimed: the tipster gets the legal receipt notice.
      await press(OFFICER, code, "Nhận xử lý");
      await eventually(() => p.texts().some((x) => x.includes(`đã tiếp nhận tin báo ${code}`)), 10_000, "receipt notice");

      // An officer's question, waiting for the tipster's answer.
      await press(OFFICER, code, "Hỏi");
      await answerPrompt(OFFICER, `trả lời tin nhắn này bằng câu hỏi gửi người báo tin ${code}`, question);
      await eventually(() => p.texts().some((x) => x.includes(`${marker}ASK`)), 10_000, "question delivered");
      await expectNoLink(tokens, "while a question waits for the answer");
      expect(await p.say(answer)).toContain("Đã chuyển câu trả lời");
      await eventually(() => tg.delivered(GROUP).some((c) => text(c).includes(`${marker}ANS`)), 10_000, "answer under the card");
      // A second message of the answer, a photo, goes under the card too; then the tipster is done.
      expect(await p.photo()).toContain("Đã chuyển ảnh");
      expect(await p.say("xong")).toContain("Cảm ơn bạn đã trả lời");

      // Checking the tip with code and PIN, from the same chat.
      await p.choose("menu:lookup", "Tra cứu tin báo");
      expect(await p.say(code)).toContain("mã PIN");
      await expectNoLink(tokens, "while a look-up waits for the PIN");
      expect(await p.say(pin)).toContain(`Tin báo ${code}`);
      // Information added to the tip after the look-up.
      expect(await p.choose("addinfo:start", "Bổ sung thông tin")).toContain("thông tin bổ sung");
      await expectNoLink(tokens, "while information is being added");
      expect(await p.say(addition)).toContain("Đã chuyển thông tin bổ sung");
      await eventually(() => tg.delivered(GROUP).some((c) => text(c).includes(`${marker}ADD`)), 10_000, "addition under the card");
      expect(await p.say("xong")).toContain("Cảm ơn bạn đã bổ sung");

      // A commander opens a confidential tipster's contact (sent to the commander's private chat).
      if (mode === "confidential") {
        await press(COMMANDER, code, "Mở liên hệ");
        await answerPrompt(COMMANDER, `lý do mở thông tin liên hệ của người báo tin ${code}`, "Cần gọi xác minh gấp");
        await eventually(() => tg.delivered(COMMANDER).some((c) => text(c).includes(`Thông tin liên hệ ${code}`) && text(c).includes(contactName)), 10_000, "contact to the commander");
        // The commander's copy links the person to the tip too: it must not stay in the outbox.
        tokens.identity.push(contactName, phone);
      }

      // Closed: the tipster is told the outcome.
      await press(OFFICER, code, "Kết thúc");
      const chooser = await eventually(() => tg.delivered(GROUP).find((c) => text(c).includes(`Chọn kết quả giải quyết ${code}`)), 10_000, "outcome chooser");
      await pressData(OFFICER, buttons(chooser).find((b) => b.text === "Không khởi tố vụ án")!.callback_data, messageId(chooser));
      await eventually(() => p.texts().some((x) => x.includes("đã được giải quyết")), 10_000, "closure notice");
      await expectNoLink(tokens, "after the closure");

      // The journey left what a reader would look for: messages to the chat, processed updates, audit rows.
      expect(await t.db.outboxMessage.count({ where: { chatId: chat.id } })).toBeGreaterThan(10);
      expect(await t.db.auditEvent.count({ where: { tipId: tip.id } })).toBeGreaterThanOrEqual(4);
      expect(await t.db.tipAttachment.count({ where: { tipId: tip.id } })).toBe(2); // the tip's photo and the answer's
      expect(await t.db.relayMessage.count({ where: { tipId: tip.id, direction: { in: ["from_tipster", "addition"] } } })).toBe(2);
    } finally {
      await p.close();
    }
  });
});

describe("the check itself", () => {
  it("finds a link left in a row, through a reference, and through a shared reference", async () => {
    const tip = await t.db.tip.findFirstOrThrow();
    const chat = await t.db.chat.create({ data: { channel: "telegram", platformChatId: "918299999", kind: "private" } });
    const tokens: Tokens = { identity: ["918299999", chat.id], tip: [tip.id, tip.code] };
    const base = await dumpDatabase(t.db, t.databaseUrl);
    expect(links(base, tokens)).toEqual([]);
    // In one row: a message to the chat that names the code.
    const row = await t.db.outboxMessage.create({ data: { channel: "telegram", chatId: chat.id, method: "sendMessage", payload: JSON.stringify({ text: `tin báo ${tip.code}` }), status: "sent" } });
    expect((await dumpDatabase(t.db, t.databaseUrl).then((d) => links(d, tokens))).join("\n")).toContain(`OutboxMessage#${row.id} names the tipster`);
    await t.db.outboxMessage.update({ where: { id: row.id }, data: { payload: "{}" } });
    // Through a reference: a card row (names the tip) pointing at the message to the chat.
    const cardRow = await t.db.tipCard.create({ data: { tipId: tip.id, queueId: tip.queueId, chatId: "g", kind: "info", outboxId: row.id, active: false } });
    expect((await dumpDatabase(t.db, t.databaseUrl).then((d) => links(d, tokens))).join("\n")).toContain(`TipCard#${cardRow.id}.outboxId → OutboxMessage#${row.id}`);
    await t.db.tipCard.delete({ where: { id: cardRow.id } });
    // Through a shared reference: both rows produced by the same inbox update.
    const update = await t.db.inboxUpdate.create({ data: { channel: "telegram", updateKey: "link-check", chatKey: "", seq: 1n, payload: "", status: "done" } });
    await t.db.outboxMessage.update({ where: { id: row.id }, data: { sourceUpdateId: update.id } });
    const other = await t.db.outboxMessage.create({ data: { channel: "telegram", chatId: (await t.db.chat.findFirstOrThrow({ where: { platformChatId: String(GROUP) } })).id, method: "sendMessage", payload: JSON.stringify({ text: tip.code }), status: "sent", sourceUpdateId: update.id } });
    expect((await dumpDatabase(t.db, t.databaseUrl).then((d) => links(d, tokens))).join("\n")).toContain(`both refer to InboxUpdate#${update.id}`);
    await t.db.outboxMessage.deleteMany({ where: { id: { in: [row.id, other.id] } } });
    await t.db.inboxUpdate.delete({ where: { id: update.id } });
    await t.db.chat.delete({ where: { id: chat.id } });
  });
});
