import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { handOffQuestion } from "../src/core/qa/commands/handOffQuestion.ts";
import { exportEntries, KnowledgeBase } from "../src/core/qa/knowledge.ts";
import { LegalSearch } from "../src/core/qa/legalSearch.ts";
import type { Role } from "../src/core/officers/roles.ts";
import { createTranslator } from "../src/i18n.ts";
import { formOfEntry } from "../src/console/legalPages.ts";
import { FakeTelegramApi, tgPrivateText, tgShownText } from "./fakes/telegramApi.ts";
import { FAST_RATES, eventually, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { ConsoleClient, csrfIn, logIn, seedConsolePerson } from "./helpers/console.ts";
import { seedBinding } from "./helpers/officers.ts";
import { TelegramTipster } from "./helpers/tipster.ts";

/*
 * The legal staff's console against the real service, database and Telegram fake: the questions
 * waiting (every legal officer sees them all, never the asker), answering (relayed to the asker on
 * their channel by the same command as a reply in the legal group), saving into the knowledge base
 * (the bot then answers from it), the editor (served at once, by this instance and any other),
 * import's dry run and confirmation, the test box (the real search's result), CSRF and refusals.
 */

const t8 = createTranslator().t;
const LEGAL_GROUP = -2401;
const PEOPLE: Record<string, { id: number; role: Role; scopeKind: string; scopeCode: string }> = {
  legal: { id: 6401, role: "legal", scopeKind: "national", scopeCode: "VN" },
  legalCommune: { id: 6402, role: "legal", scopeKind: "commune", scopeCode: "00004" },
  admin: { id: 6403, role: "admin", scopeKind: "province", scopeCode: "01" },
  officer: { id: 6404, role: "officer", scopeKind: "commune", scopeCode: "00070" },
  commander: { id: 6405, role: "commander", scopeKind: "national", scopeCode: "VN" },
  outreach: { id: 6406, role: "outreach", scopeKind: "national", scopeCode: "VN" },
};
/** Questions the shipped knowledge base cannot answer directly. */
const UNKNOWN = {
  swiftlets: "Nuôi chim yến trong nhà phố có cần xin giấy phép không?",
  bees: "Nuôi ong lấy mật trong khu dân cư có bị cấm không?",
  flowers: "Trồng hoa hướng dương trên sân thượng có cần xin phép không?",
};

let tg: FakeTelegramApi;
let t: TestApp;
const ids = new Map<string, string>();
const sessions = new Map<string, ConsoleClient>();
let nextResident = 7401;
let mark = 0;

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  t = await startTestApp({ telegram: tg, env: FAST_RATES, referenceData: true });
  await t.db.$transaction(async (tx) => {
    const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(LEGAL_GROUP), kind: "group" } });
    await seedBinding(tx, new TelegramRenderer(t8), { queueId: "legal:VN", groupChatId: chat.id });
  });
  // The bot's knowledge base is built, and its search warmed, before the first resident's question
  // (the conversation helpers wait 10 s for an answer; building takes seconds on a loaded machine).
  (await t.app.knowledge.fresh(t.db)).search("ma tuý", 3);
  for (const [name, p] of Object.entries(PEOPLE)) {
    ids.set(name, (await seedConsolePerson(t.db, { telegramUserId: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode, displayName: name === "legal" ? "Luật sư Hà" : undefined })).id);
    sessions.set(name, await logIn(t.url, tg, p.id));
  }
}, 90_000);
afterAll(async () => {
  await t?.close();
  await tg?.close();
});
beforeEach(async () => {
  mark = (await t.db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))?.id ?? 0;
});

/** The events since the test began, as "action@actor" or "auth.refused:what:why@actor". */
async function events(): Promise<string[]> {
  const rows = await t.db.auditEvent.findMany({ where: { id: { gt: mark } }, orderBy: { id: "asc" } });
  return rows.map((r) => (r.action === "auth.refused" ? `auth.refused:${JSON.parse(r.data).action}:${JSON.parse(r.data).reason}@${r.actor}` : `${r.action}@${r.actor}`));
}
const actor = (name: string) => `officer:${ids.get(name)}`;
/** Starts counting events from now. */
async function markNow(): Promise<void> {
  mark = (await t.db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))?.id ?? 0;
}

/**
 * A resident's question, answered by the bot: like `TelegramTipster.say` but waiting up to a minute,
 * since the first question after a change rebuilds the bot's search index (seconds on a loaded machine).
 */
async function ask(p: TelegramTipster, text: string) {
  const before = tg.delivered(p.chatId).length;
  expect((await tg.pushUpdate(tgPrivateText(p.chatId, text))).status).toBe(200);
  await eventually(() => tg.delivered(p.chatId).length > before, 60_000, "the bot's answer");
  return p.messages().at(-1)!;
}

/** A new resident on Telegram, in Vietnamese, in the legal Q&A. */
async function resident(): Promise<TelegramTipster> {
  const p = new TelegramTipster(tg, nextResident++);
  await p.command("/start");
  await p.press("data:lang:vi");
  await p.press("data:menu:ask");
  return p;
}
/** A resident asks a question the bot cannot answer and sends it to the legal staff; returns the resident and the question's id. */
async function handedOff(question: string): Promise<{ asker: TelegramTipster; id: string }> {
  const asker = await resident();
  const offer = await ask(asker, question);
  expect(offer.text).toContain("chưa tìm được câu trả lời phù hợp");
  await asker.press("Gửi cho cán bộ pháp lý");
  const q = await t.db.legalQuestion.findFirstOrThrow({ where: { text: question, status: "open" }, orderBy: { createdAt: "desc" } });
  await markNow();
  return { asker, id: q.id };
}
const label = (id: string) => `Q-${id.slice(-6).toUpperCase()}`;

describe("the questions waiting", () => {
  it("lists open questions oldest first with what the bot suggests, to every legal officer and admin whatever their unit; never the asker", async () => {
    const first = await handedOff(UNKNOWN.swiftlets);
    const second = await handedOff(UNKNOWN.bees);
    // The first waited longer.
    await t.db.legalQuestion.update({ where: { id: first.id }, data: { createdAt: new Date(Date.now() - 3 * 3600_000) } });
    const asker = await t.db.chat.findFirstOrThrow({ where: { platformChatId: String(first.asker.chatId) } });
    for (const who of ["legal", "legalCommune", "admin"]) {
      const page = await sessions.get(who)!.get("/console/legal");
      expect(page.status).toBe(200);
      const a = page.text.indexOf(`data-question="${label(first.id)}"`);
      const b = page.text.indexOf(`data-question="${label(second.id)}"`);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(a);
      expect(page.text).toContain("Nuôi chim yến trong nhà phố");
      expect(page.text).toMatch(/đã chờ 18\d phút/);
      // What the bot suggested: not sure, entries offered to pick from (or only a legal officer).
      const article = page.text.slice(a, b);
      expect(article).toMatch(/data-decision="(choose|staff)"/);
      // Never who asked: no platform id, chat id or sealed reference anywhere in the page.
      for (const secret of [String(first.asker.chatId), String(second.asker.chatId), asker.id, (await t.db.legalQuestion.findUniqueOrThrow({ where: { id: first.id } })).replyRefSealed]) {
        expect(page.text).not.toContain(secret);
      }
    }
    // Both stay open for the next tests.
    expect(await t.db.legalQuestion.count({ where: { id: { in: [first.id, second.id] }, status: "open" } })).toBe(2);
  });
});

describe("answering from the console", () => {
  it("relays the answer to the asker on their channel (anonymously), records question.answered, tells the legal group; a second answer is refused", async () => {
    const { asker, id } = await handedOff(UNKNOWN.flowers);
    const c = sessions.get("legal")!;
    const csrf = csrfIn((await c.get("/console/legal")).text);
    // An empty answer changes nothing and records nothing.
    expect((await c.post(`/console/legal/questions/${id}/answer`, { csrf, answer: "   ", save: "none" })).location).toBe(`/console/legal?refused=empty&id=${label(id)}`);
    expect((await t.db.legalQuestion.findUniqueOrThrow({ where: { id } })).status).toBe("open");
    expect(await events()).toEqual([]);

    const answer = "Trồng hoa trên sân thượng nhà mình không cần xin phép, miễn không lấn ra không gian chung.";
    const done = await c.post(`/console/legal/questions/${id}/answer`, { csrf, answer, save: "none" });
    expect(done.location).toBe(`/console/legal?done=answered&id=${label(id)}`);
    const relayed = await eventually(() => asker.messages().find((m) => m.text.includes("Cán bộ pháp lý trả lời")), 10_000, "the answer relayed to the asker");
    expect(relayed.text).toContain(answer);
    expect(relayed.text).toContain(UNKNOWN.flowers);
    expect(relayed.text).not.toContain("Luật sư Hà");
    expect(await t.db.legalQuestion.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "answered", answer, answeredBy: ids.get("legal") });
    expect(await events()).toEqual([`question.answered@${actor("legal")}`]);
    // The legal group's card is not left looking unanswered.
    await eventually(() => tg.delivered(LEGAL_GROUP).some((m) => tgShownText(m.payload).includes("Luật sư Hà đã trả lời câu hỏi") && tgShownText(m.payload).includes(answer)), 10_000, "the group told");
    const page = await c.get(`/console/legal?done=answered&id=${label(id)}`);
    expect(page.text).toContain(`Đã gửi câu trả lời cho ${label(id)} tới người hỏi.`);
    expect(page.text).not.toContain(`data-question="${label(id)}"`);
    expect(page.text).toContain(`data-answered="${label(id)}"`);

    mark = (await t.db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))!.id;
    const again = await sessions.get("admin")!.post(`/console/legal/questions/${id}/answer`, { csrf: csrfIn((await sessions.get("admin")!.get("/console/legal")).text), answer: "Trả lời lần hai", save: "none" });
    expect(again.location).toBe(`/console/legal?refused=already&id=${label(id)}`);
    expect((await t.db.legalQuestion.findUniqueOrThrow({ where: { id } })).answer).toBe(answer);
    expect(await events()).toEqual([`auth.refused:question.answer:already@${actor("admin")}`]);
    await waitIdle(t);
    expect(asker.messages().filter((m) => m.text.includes("Cán bộ pháp lý trả lời"))).toHaveLength(1);
  });

  it("answer and save as a new entry: the next resident asking gets the staff's answer from the bot", async () => {
    const question = "Đặt bể cá cảnh lớn trên ban công chung cư có cần xin phép ban quản lý không?";
    const asker = await resident();
    expect((await ask(asker, question)).text).toContain("chưa tìm được câu trả lời phù hợp");
    await asker.press("Gửi cho cán bộ pháp lý");
    const id = (await t.db.legalQuestion.findFirstOrThrow({ where: { text: question } })).id;
    await markNow();
    const c = sessions.get("legalCommune")!;
    const answer = "Ban công chung cư thuộc phần sở hữu riêng nhưng phải tuân theo nội quy nhà chung cư; bể cá nặng cần hỏi ban quản lý trước.";
    const done = await c.post(`/console/legal/questions/${id}/answer`, { csrf: csrfIn((await c.get("/console/legal")).text), answer, save: "new", entryId: "" });
    const entryId = (await t.db.legalQuestion.findUniqueOrThrow({ where: { id } })).entryId!;
    expect(entryId).toMatch(/^kb-u-[0-9a-f]{8}$/);
    expect(done.location).toBe(`/console/legal/kb/${entryId}?done=answered_saved_new`);
    expect(await events()).toEqual([`question.answered@${actor("legalCommune")}`, `knowledge.saved_answer@${actor("legalCommune")}`]);
    const editor = await c.get(done.location!);
    expect(editor.status).toBe(200);
    expect(editor.text).toContain("hãy bổ sung nguồn pháp lý và bản dịch");

    const next = await resident();
    const reply = await ask(next, question);
    expect(reply.text).toContain(answer);
    expect(reply.text).toContain("📖 Nguồn:");
  });

  it("save an answered question as one more phrasing of an existing entry: the bot answers it from that entry", async () => {
    const question = "Nuôi ong lấy mật ở sân sau nhà trong khu dân cư có cần xin giấy phép không?";
    const asker = await resident();
    expect((await ask(asker, question)).text).toContain("chưa tìm được câu trả lời phù hợp");
    await asker.press("Gửi cho cán bộ pháp lý");
    const id = (await t.db.legalQuestion.findFirstOrThrow({ where: { text: question } })).id;
    const c = sessions.get("legal")!;
    const csrf = csrfIn((await c.get("/console/legal")).text);
    await c.post(`/console/legal/questions/${id}/answer`, { csrf, answer: "Xem quy định của địa phương về chăn nuôi trong khu dân cư.", save: "none" });
    // Unknown entry: nothing saved.
    expect((await c.post(`/console/legal/questions/${id}/save`, { csrf, save: "phrasing", entryId: "kb-nope" })).location).toBe("/console/legal?refused=no_entry");
    expect((await t.db.legalQuestion.findUniqueOrThrow({ where: { id } })).entryId).toBeNull();
    const saved = await c.post(`/console/legal/questions/${id}/save`, { csrf, save: "phrasing", entryId: "kb-231" });
    expect(saved.location).toBe("/console/legal?done=saved_phrasing&id=kb-231");
    const entry = await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-231" } });
    expect(JSON.parse(entry.questions).vi).toContain(question);
    expect((await events()).slice(-1)).toEqual([`knowledge.saved_answer@${actor("legal")}`]);
    const shipped = (JSON.parse(entry.answers) as { vi: string }).vi;
    const next = await resident();
    expect((await ask(next, question)).text).toContain(shipped.slice(0, 60));
  });
});

describe("the knowledge base editor", () => {
  it("an edit is served by the bot at once — on this instance and on another (the stored entries' stamp)", async () => {
    const other = new KnowledgeBase();
    await other.fresh(t.db); // another instance, built before the edit
    const c = sessions.get("legal")!;
    const page = await c.get("/console/legal/kb/kb-001");
    expect(page.status).toBe(200);
    const stored = (await exportEntries(t.db)).find((e) => e.id === "kb-001")!;
    const before = await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-001" } });
    const form = { ...formOfEntry(stored, before.updatedAt), csrf: csrfIn(page.text) };
    const newAnswer = "Câu trả lời đã được cán bộ pháp lý sửa: hãy gọi 113 hoặc đến công an xã gần nhất để tố giác.";

    // Bad input: a translated answer, nothing changed, no event.
    const bad = await c.post("/console/legal/kb/kb-001", { ...form, answer_vi: "  ", law: "x" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Bắt buộc có câu trả lời tiếng Việt.");
    expect(bad.text).toContain("Ghi tên luật hoặc nghị định (ít nhất 3 ký tự).");
    expect((await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-001" } })).updatedAt).toEqual(before.updatedAt);
    expect(await events()).toEqual([]);

    const done = await c.post("/console/legal/kb/kb-001", { ...form, answer_vi: newAnswer, changed_km: "ការផ្លាស់ប្ដូរ", changed_vi: "Thay đổi từ 1/7/2025." });
    expect(done.location).toBe("/console/legal/kb/kb-001?done=edited");
    const row = await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-001" } });
    expect(JSON.parse(row.answers).vi).toBe(newAnswer);
    expect(JSON.parse(row.changed!)).toEqual({ vi: "Thay đổi từ 1/7/2025.", km: "ការផ្លាស់ប្ដូរ" });
    expect(row.createdBy).toBe(actor("legal"));
    const edited = await t.db.auditEvent.findMany({ where: { id: { gt: mark }, action: "knowledge.entry_edited" } });
    expect(edited.map((e) => [e.actor, JSON.parse(e.data)])).toEqual([[actor("legal"), { entryId: "kb-001", fields: ["answers", "changed"] }]]);

    // The bot answers with the new text right away.
    const p = await resident();
    const reply = await ask(p, stored.questions.vi[0]!);
    expect(reply.text).toContain(newAnswer);
    // Another instance sees it on its next question.
    expect(other.get("kb-001")!.answers.vi).not.toBe(newAnswer);
    expect((await other.fresh(t.db)).get("kb-001")!.answers.vi).toBe(newAnswer);

    // An edit made on the version before (a colleague saved in between) is refused: nothing overwritten.
    const stale = await c.post("/console/legal/kb/kb-001", { ...form, answer_vi: "Bản cũ ghi đè" });
    expect(stale.status).toBe(409);
    expect(stale.text).toContain("Người khác đã lưu mục này");
    expect(JSON.parse((await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-001" } })).answers).vi).toBe(newAnswer);
  });

  it("add an entry (served at once), find it in the list, retire it (no longer served), bring it back", async () => {
    const c = sessions.get("admin")!;
    const blank = await c.get("/console/legal/kb/new");
    expect(blank.status).toBe(200);
    const question = "Thả đèn trời vào dịp lễ có bị phạt không?";
    const form = {
      csrf: csrfIn(blank.text),
      id: "kb-test-lanterns",
      questions_vi: `${question}\nThả đèn trời có vi phạm pháp luật không?`,
      questions_en: "Is releasing sky lanterns illegal?",
      questions_km: "",
      answer_vi: "Thả đèn trời có thể gây cháy; hành vi này có thể bị xử phạt theo quy định về phòng cháy, chữa cháy.",
      answer_en: "Sky lanterns can start fires; releasing them may be fined under the fire safety rules.",
      answer_km: "",
      law: "Nghị định 106/2025/NĐ-CP",
      article: "Điều 8",
      effectiveDate: "2025-07-01",
      changed_vi: "",
      changed_en: "",
      changed_km: "",
      topics: "fire, public_disorder",
      reportable: "",
      lastReviewed: "2026-01-15",
      updatedAt: "",
    };
    // The id is taken: refused, translated.
    const taken = await c.post("/console/legal/kb/new", { ...form, id: "kb-001" });
    expect(taken.status).toBe(400);
    expect(taken.text).toContain("Đã có một mục mang mã này.");
    const added = await c.post("/console/legal/kb/new", form);
    expect(added.location).toBe("/console/legal/kb/kb-test-lanterns?done=added");
    expect(await events()).toEqual([`knowledge.entry_added@${actor("admin")}`]);
    const list = await c.get(`/console/legal/kb?q=${encodeURIComponent("ĐÈN TROI")}`);
    expect(list.text).toContain('data-entry="kb-test-lanterns"');
    expect((await c.get("/console/legal/kb?q=kb-test-lanterns")).text).toContain("Tìm thấy 1 mục.");
    const p = await resident();
    expect((await ask(p, question)).text).toContain("Thả đèn trời có thể gây cháy");

    const csrf = csrfIn((await c.get("/console/legal/kb/kb-test-lanterns")).text);
    expect((await c.post("/console/legal/kb/kb-test-lanterns/retire", { csrf })).location).toBe("/console/legal/kb/kb-test-lanterns?done=retired");
    expect((await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-test-lanterns" } })).active).toBe(false);
    expect((await ask(p, question)).text).not.toContain("Thả đèn trời có thể gây cháy");
    expect((await c.get("/console/legal/kb?status=retired")).text).toContain('data-entry="kb-test-lanterns"');
    expect((await c.post("/console/legal/kb/kb-test-lanterns/restore", { csrf })).location).toBe("/console/legal/kb/kb-test-lanterns?done=restored");
    expect((await ask(p, question)).text).toContain("Thả đèn trời có thể gây cháy");
    expect((await events()).filter((e) => e.startsWith("knowledge."))).toEqual([
      `knowledge.entry_added@${actor("admin")}`,
      `knowledge.entry_retired@${actor("admin")}`,
      `knowledge.entry_restored@${actor("admin")}`,
    ]);
  });
});

describe("import and export", () => {
  it("export gives the file format; the dry run shows what would change and changes nothing; confirming imports (served at once)", async () => {
    const c = sessions.get("legal")!;
    const exported = await c.get("/console/legal/export");
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-disposition")).toMatch(/^attachment; filename="kb-export-\d{4}-\d{2}-\d{2}\.json"$/);
    const entries = JSON.parse(exported.text) as Array<{ id: string; answer: { vi: string }; questions: { vi: string[] } }>;
    expect(entries).toEqual(JSON.parse(JSON.stringify(await exportEntries(t.db))));
    expect(entries.length).toBeGreaterThan(200);

    const kb002 = entries.find((e) => e.id === "kb-002")!;
    kb002.answer.vi = "Câu trả lời nhập từ tệp cho kb-002.";
    const fresh = { ...structuredClone(kb002), id: "kb-import-new", questions: { vi: ["Thả rông chó ngoài đường có bị phạt không khi đang có dịch dại?"] }, answer: { vi: "Thả rông chó nơi công cộng có thể bị phạt; hãy rọ mõm và xích chó." } };
    const file = JSON.stringify([...entries.filter((e) => e.id !== "kb-002").slice(0, 5), kb002, fresh]);
    const page = await c.get("/console/legal/import");
    const csrf = csrfIn(page.text);
    // A whole knowledge base fits in one import (the export, about 1.8 MB of JSON, posted URL-encoded).
    const whole = await c.post("/console/legal/import", { csrf, step: "preview", json: exported.text });
    expect(whole.status).toBe(200);
    expect(whole.text).toContain(`0 mục mới, 0 mục thay đổi, ${entries.length} mục giữ nguyên.`);
    expect(whole.text).toContain("Tệp này không thay đổi gì.");
    const before = JSON.stringify(await exportEntries(t.db));
    const stampBefore = await t.db.knowledgeEntry.aggregate({ _max: { updatedAt: true } });

    const preview = await c.post("/console/legal/import", { csrf, step: "preview", json: file });
    expect(preview.status, /role="alert"(.*?)<\/div>/s.exec(preview.text)?.[1]).toBe(200);
    expect(preview.text).toContain("1 mục mới, 1 mục thay đổi, 5 mục giữ nguyên.");
    expect(preview.text).toMatch(/data-entry="kb-002" data-change="changed"><td>[^]*?câu trả lời/);
    expect(preview.text).toContain('data-entry="kb-import-new" data-change="new"');
    // The dry run wrote nothing, recorded nothing.
    expect(JSON.stringify(await exportEntries(t.db))).toBe(before);
    expect(await t.db.knowledgeEntry.aggregate({ _max: { updatedAt: true } })).toEqual(stampBefore);
    expect(await events()).toEqual([]);

    const stamp = /name="stamp" value="([^"]+)"/.exec(preview.text)![1]!;
    // The knowledge base changed since the preview: shown again, nothing imported.
    const changedSince = await c.post("/console/legal/import", { csrf, step: "confirm", stamp: "0:0", json: file });
    expect(changedSince.status).toBe(409);
    expect(changedSince.text).toContain("Kho kiến thức đã thay đổi từ lúc xem trước");
    expect(JSON.stringify(await exportEntries(t.db))).toBe(before);

    const confirmed = await c.post("/console/legal/import", { csrf, step: "confirm", stamp, json: file });
    expect(confirmed.location).toBe("/console/legal/kb?done=imported&n=7");
    expect(JSON.parse((await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-002" } })).answers).vi).toBe("Câu trả lời nhập từ tệp cho kb-002.");
    expect(await events()).toEqual([`knowledge.imported@${actor("legal")}`]);
    const p = await resident();
    expect((await ask(p, fresh.questions.vi[0]!)).text).toContain("Thả rông chó nơi công cộng có thể bị phạt");
  });

  it("a bad import is refused with a translated reason and changes nothing", async () => {
    const c = sessions.get("legal")!;
    const csrf = csrfIn((await c.get("/console/legal/import")).text);
    const before = JSON.stringify(await exportEntries(t.db));
    const notJson = await c.post("/console/legal/import", { csrf, step: "preview", json: "{ nope" });
    expect(notJson.status).toBe(400);
    expect(notJson.text).toContain("Đây không phải JSON hợp lệ.");
    const bad = [{ id: "kb-bad", topics: [], questions: { vi: ["Câu hỏi hợp lệ?"] }, answer: { en: "no Vietnamese" }, source: { law: "Luật X" }, reportable: false, lastReviewed: "2026-01-01" }];
    const refused = await c.post("/console/legal/import?lang=en", { csrf, step: "confirm", stamp: "x", json: JSON.stringify(bad) });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("Entry 1 (kb-bad): the field “answer.vi” is missing or not valid.");
    const dup = await c.post("/console/legal/import?lang=vi", { csrf, step: "preview", json: JSON.stringify([JSON.parse(before)[0], JSON.parse(before)[0]]) });
    expect(dup.status).toBe(400);
    expect(dup.text).toContain(`Mã ${JSON.parse(before)[0].id} xuất hiện nhiều lần.`);
    const notList = await c.post("/console/legal/import?lang=km", { csrf, step: "preview", json: "{}" });
    expect(notList.text).toContain("ឯកសារត្រូវតែជាអារេ JSON នៃធាតុ។");
    expect(JSON.stringify(await exportEntries(t.db))).toBe(before);
    expect(await t.db.knowledgeEntry.count({ where: { id: "kb-bad" } })).toBe(0);
    expect(await events()).toEqual([]);
  });
});

describe("the test box", () => {
  const QUESTIONS = ["Hàng xóm bán ma túy thì tố giác thế nào?", "bi lua chuyen khoan qua mang phai lam gi", "How do I report a neighbour who sells drugs?", "តើត្រូវរាយការណ៍យ៉ាងដូចម្ដេច បើអ្នកជិតខាងលក់គ្រឿងញៀន?", UNKNOWN.swiftlets, "xyzzy plugh", "!!!"];

  it("shows the real search's result: the chosen entry, its confidence, direct or the best three, the alternatives with scores", async () => {
    const c = sessions.get("legalCommune")!;
    const rows = await t.db.knowledgeEntry.findMany({ where: { active: true } });
    const search = new LegalSearch(rows.map((r) => ({ id: r.id, questions: JSON.parse(r.questions), answers: JSON.parse(r.answers) })));
    const bot = await t.app.knowledge.fresh(t.db);
    for (const q of QUESTIONS) {
      const page = await c.get(`/console/legal/test?q=${encodeURIComponent(q)}`);
      expect(page.status).toBe(200);
      const expected = search.search(q, 3);
      expect(bot.search(q, 3)).toEqual(expected); // what the bot itself would use
      const shown = [...page.text.matchAll(/<tr data-entry="([^"]+)" data-score="([^"]*)" data-coverage="([^"]*)">/g)].map((m) => ({ id: m[1], score: Number(m[2]), coverage: Number(m[3]) }));
      expect(shown).toEqual(expected.hits);
      const decision = /<p class="bot" data-decision="(\w+)">/.exec(page.text)![1];
      if (expected.confident) {
        expect(decision).toBe("direct");
        expect(page.text).toContain(`data-chosen="${expected.hits[0]!.id}"`);
      } else {
        expect(decision).toBe(expected.hits.some((h) => h.coverage >= 0.3) ? "choose" : "staff");
        expect(page.text).not.toContain("data-chosen=");
      }
    }
    const direct = await c.get(`/console/legal/test?q=${encodeURIComponent(QUESTIONS[0]!)}`);
    expect(direct.text).toContain("Bot trả lời thẳng bằng mục này.");
    const none = await c.get(`/console/legal/test?q=${encodeURIComponent("!!!")}`);
    expect(none.text).toContain("Không tìm thấy mục nào có từ chung với câu hỏi này.");
  });
});

describe("who may", () => {
  const ROUTES = ["/console/legal", "/console/legal/kb", "/console/legal/kb/kb-003", "/console/legal/kb/new", "/console/legal/import", "/console/legal/export", "/console/legal/test?q=ma%20tuy"];

  it("officers, commanders and outreach staff get 403 on every page and action, audited; nothing changes", async () => {
    const { id } = await t.db.$transaction(async (tx) => {
      const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: "7499", kind: "private" } });
      await handOffQuestion(tx, { sealer: t.sealer }, { chatId: chat.id, text: "Câu hỏi cho phép thử quyền?", locale: "vi" });
      return tx.legalQuestion.findFirstOrThrow({ where: { text: "Câu hỏi cho phép thử quyền?" } });
    });
    mark = (await t.db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))!.id;
    const kb003 = await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-003" } });
    for (const who of ["officer", "commander", "outreach"]) {
      const c = sessions.get(who)!;
      for (const path of ROUTES) {
        const res = await c.get(path);
        expect(res.status, `${who} ${path}`).toBe(403);
        expect(res.text).not.toContain("Câu hỏi cho phép thử quyền?");
      }
      const csrf = csrfIn((await c.get("/console/home")).text);
      const posts: Array<[string, Record<string, string>]> = [
        [`/console/legal/questions/${id}/answer`, { answer: "x", save: "new" }],
        [`/console/legal/questions/${id}/save`, { save: "new" }],
        ["/console/legal/kb/kb-003", { ...formOfEntry((await exportEntries(t.db)).find((e) => e.id === "kb-003")!), answer_vi: "Đổi" }],
        ["/console/legal/kb/kb-003/retire", {}],
        ["/console/legal/kb/new", { id: "kb-x-new", questions_vi: "Câu hỏi mới?", answer_vi: "Trả lời", law: "Luật Y", lastReviewed: "2026-01-01" }],
        ["/console/legal/import", { step: "confirm", json: "[]" }],
      ];
      for (const [path, form] of posts) expect((await c.post(path, { csrf, ...form })).status, `${who} POST ${path}`).toBe(403);
      const refused = (await events()).filter((e) => e.endsWith(`@${actor(who)}`));
      expect(refused).toEqual(Array(ROUTES.length + posts.length).fill(`auth.refused:console.legal:${who === "outreach" ? "staff_role" : "role"}@${actor(who)}`));
    }
    expect((await t.db.legalQuestion.findUniqueOrThrow({ where: { id } })).status).toBe("open");
    expect(await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-003" } })).toEqual(kb003);
    expect(await t.db.knowledgeEntry.count({ where: { id: "kb-x-new" } })).toBe(0);
  });

  it("every form needs its CSRF token: without it nothing changes and nothing is recorded", async () => {
    const c = sessions.get("legal")!;
    const q = await t.db.legalQuestion.findFirstOrThrow({ where: { text: "Câu hỏi cho phép thử quyền?" } });
    const kb003 = await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-003" } });
    const stored = (await exportEntries(t.db)).find((e) => e.id === "kb-003")!;
    const posts: Array<[string, Record<string, string>]> = [
      [`/console/legal/questions/${q.id}/answer`, { answer: "x", save: "new" }],
      [`/console/legal/questions/${q.id}/save`, { save: "new" }],
      ["/console/legal/kb/kb-003", { ...formOfEntry(stored, kb003.updatedAt), answer_vi: "Đổi" }],
      ["/console/legal/kb/kb-003/retire", {}],
      ["/console/legal/kb/new", { ...formOfEntry({ ...stored, id: "kb-x-csrf" }) }],
      ["/console/legal/import", { step: "confirm", json: JSON.stringify([{ ...stored, id: "kb-x-csrf" }]) }],
    ];
    for (const [path, form] of posts) {
      expect((await c.post(path, { ...form, csrf: "forged" })).status, path).toBe(403);
      expect((await c.post(path, form)).status, path).toBe(403);
      // Posted from another site: refused before anything.
      expect((await c.post(path, { ...form, csrf: csrfIn((await c.get("/console/legal")).text) }, { origin: "https://evil.example" })).status, path).toBe(403);
    }
    expect((await t.db.legalQuestion.findUniqueOrThrow({ where: { id: q.id } })).status).toBe("open");
    expect(await t.db.knowledgeEntry.findUniqueOrThrow({ where: { id: "kb-003" } })).toEqual(kb003);
    expect(await t.db.knowledgeEntry.count({ where: { id: "kb-x-csrf" } })).toBe(0);
    expect(await events()).toEqual([]);
  });

  it("no session: pages send to the login page; actions change nothing", async () => {
    const c = new ConsoleClient(t.url);
    for (const path of ROUTES) expect((await c.get(path)).location, path).toBe("/console/login");
    const q = await t.db.legalQuestion.findFirstOrThrow({ where: { text: "Câu hỏi cho phép thử quyền?" } });
    expect((await c.post(`/console/legal/questions/${q.id}/answer`, { csrf: "x", answer: "x" })).location).toBe("/console/login");
    expect((await t.db.legalQuestion.findUniqueOrThrow({ where: { id: q.id } })).status).toBe("open");
  });
});
