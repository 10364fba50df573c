import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LegalSearch } from "../src/core/qa/legalSearch.ts";
import { readKnowledgeFiles } from "../src/core/qa/knowledge.ts";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createTranslator } from "../src/i18n.ts";
import { FakeTelegramApi, tgCallback, tgGroupText, tgUser, type FakeCall } from "./fakes/telegramApi.ts";
import { seedBinding, seedOfficer } from "./helpers/officers.ts";
import { eventually, startTestApp, type TestApp } from "./helpers/app.ts";
import { TelegramTipster } from "./helpers/tipster.ts";
import { companionQuestions, independentQuestions, score } from "./helpers/qaSets.ts";

describe("the starter knowledge base", () => {
  const { entries } = readKnowledgeFiles();

  it("has at least 60 entries, each with Vietnamese and English answers and a legal source", () => {
    expect(entries.length).toBeGreaterThanOrEqual(60);
    for (const e of entries) {
      expect(e.answer.vi.length, e.id).toBeGreaterThan(40);
      expect(e.answer.en?.length ?? 0, e.id).toBeGreaterThan(40);
      expect(e.source.law.length, e.id).toBeGreaterThan(3);
      expect(e.questions.vi.length, e.id).toBeGreaterThanOrEqual(2);
      expect(/[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]/i.test(e.answer.vi), `${e.id} diacritics`).toBe(true);
    }
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
  });

  it("covers at least 200 questions residents ask, each answered in Vietnamese, English and Khmer", () => {
    expect(entries.length).toBeGreaterThanOrEqual(200);
    for (const e of entries) {
      expect(e.answer.km, e.id).toBeTruthy();
      expect(e.questions.km?.length, e.id).toBeGreaterThan(0);
    }
  });

  it("finds the right answer for questions written apart from the entries (tuning half: top-1 ≥ 89 %, top-3 ≥ 96 %, confident but wrong ≤ 2 %)", () => {
    const search = new LegalSearch(entries.map((e) => ({ id: e.id, questions: e.questions, answers: e.answer })));
    const { tuning } = independentQuestions(new Set(entries.map((e) => e.id)));
    expect(tuning.length).toBeGreaterThanOrEqual(800);
    const s = score(tuning, (q) => search.search(q, 3));
    console.log(`[qa independent, tuning half] top-1 ${((100 * s.top1) / s.answerable).toFixed(1)} %, top-3 ${((100 * s.top3) / s.answerable).toFixed(1)} %, confident but wrong ${((100 * s.confidentWrong) / s.questions).toFixed(1)} %`);
    expect(s.top1 / s.answerable).toBeGreaterThanOrEqual(0.89);
    expect(s.top3 / s.answerable).toBeGreaterThanOrEqual(0.96);
    expect(s.confidentWrong / s.questions).toBeLessThanOrEqual(0.02);
  });

  it("still finds the first entries' companion questions (top-1 ≥ 80 %, top-3 ≥ 90 %; written for 64 entries, so some now have a closer one)", () => {
    const search = new LegalSearch(entries.map((e) => ({ id: e.id, questions: e.questions, answers: e.answer })));
    const cases = companionQuestions();
    expect(cases.length).toBeGreaterThanOrEqual(150);
    const s = score(cases, (q) => search.search(q, 3));
    console.log(`[qa companion] ${cases.length} questions: top-1 ${((100 * s.top1) / s.answerable).toFixed(1)} %, top-3 ${((100 * s.top3) / s.answerable).toFixed(1)} %`);
    expect(s.top1 / s.answerable).toBeGreaterThanOrEqual(0.8);
    expect(s.top3 / s.answerable).toBeGreaterThanOrEqual(0.9);
  });

  it("is not confident about nonsense", () => {
    const search = new LegalSearch(entries.map((e) => ({ id: e.id, questions: e.questions, answers: e.answer })));
    for (const q of ["asdf qwer zxcv", "hôm nay trời đẹp quá", "12345"]) expect(search.search(q).confident, q).toBe(false);
  });
});

describe("legal Q&A in the conversation", () => {
  const LEGAL_GROUP = -4001;
  const LEGAL_STAFF = 8201;
  let tg: FakeTelegramApi;
  let t: TestApp;
  const text = (c: FakeCall) => String(c.payload.text ?? "");
  beforeAll(async () => {
    tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
    await tg.listen();
    t = await startTestApp({
      telegram: tg,
      referenceData: true,
      env: { TELEGRAM_RATE_PRIVATE_PER_SECOND: "50", TELEGRAM_RATE_PRIVATE_BURST: "50", TELEGRAM_RATE_GROUP_PER_MINUTE: "3000" },
    });
    const renderer = new TelegramRenderer(createTranslator().t);
    await t.db.$transaction(async (tx) => {
      const group = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(LEGAL_GROUP), kind: "group" } });
      await seedBinding(tx, renderer, { queueId: "legal:VN", groupChatId: group.id });
      await seedOfficer(tx, { telegramUserId: String(LEGAL_STAFF), role: "legal", scopeKind: "national", scopeCode: "VN", displayName: "Luật sư Hà" });
    });
  });
  afterAll(async () => {
    await t.close();
    await tg.close();
  });

  async function ask(p: TelegramTipster, question: string) {
    await p.press("data:menu:ask");
    return p.say(question);
  }

  it("answers a known question with its source and the “general information” notice", async () => {
    const p = new TelegramTipster(tg, 8301);
    await p.command("/start");
    await p.press("data:lang:vi");
    const answer = await ask(p, "bi lua chuyen khoan qua mang phai lam gi");
    expect(answer.text).toContain("📖 Nguồn:");
    expect(answer.text).toContain("không phải tư vấn pháp lý");
    expect(answer.options).toContain("👍 Có ích");
    await p.press("Có ích");
    expect(await t.db.qaFeedback.count({ where: { helpful: true } })).toBe(1);
  });

  it("a question describing a crime is offered “report this”, which starts a tip carrying the text", async () => {
    const p = new TelegramTipster(tg, 8302);
    await p.command("/start");
    await p.press("data:lang:vi");
    const answer = await ask(p, "hàng xóm nhà tôi bán ma tuý thì báo ở đâu");
    expect(answer.options).toContain("🚨 Báo tin này cho công an");
    const category = await p.press("Báo tin này cho công an");
    expect(category.text).toContain("Bạn muốn báo tin về việc gì?");
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: "8302" } });
    const draft = JSON.parse((await t.db.tipDraft.findUniqueOrThrow({ where: { chatId: chat.id } })).data);
    expect(draft.description).toEqual(["hàng xóm nhà tôi bán ma tuý thì báo ở đâu"]);
  });

  it("a question describing a crime is offered “report this” in English and Khmer too", async () => {
    const en = new TelegramTipster(tg, 8311);
    await en.command("/start");
    await en.press("data:lang:en");
    const answer = await ask(en, "I was scammed online, what should I do?");
    expect(answer.options).toContain("🚨 Report this to the police");
    const km = new TelegramTipster(tg, 8312);
    await km.command("/start");
    await km.press("data:lang:km");
    const khmer = await ask(km, "ខ្ញុំត្រូវគេបោកប្រាស់តាមអនឡាញ តើត្រូវធ្វើដូចម្តេច?");
    expect(khmer.options.some((o) => o.startsWith("🚨"))).toBe(true);
  });

  it("an unanswerable question goes to the legal staff; their reply reaches the asker; saved, the next search finds it", async () => {
    const p = new TelegramTipster(tg, 8303);
    await p.command("/start");
    await p.press("data:lang:vi");
    const question = "Nuôi chim yến trong nhà phố có cần xin giấy phép không?";
    const offer = await ask(p, question);
    expect(offer.text).toContain("chưa tìm được câu trả lời phù hợp");
    const sent = await p.press("Gửi cho cán bộ pháp lý");
    expect(sent.text).toContain("Đã gửi câu hỏi của bạn cho cán bộ pháp lý");
    const card = await eventually(() => tg.delivered(LEGAL_GROUP).find((c) => text(c).includes(question)), 10_000, "card");
    expect(JSON.stringify(card.payload)).not.toContain("8303");
    const answer = "Nuôi chim yến phải tuân theo quy định của địa phương; bạn nên hỏi Uỷ ban nhân dân xã, phường nơi ở.";
    await tg.pushUpdate(tgGroupText(LEGAL_GROUP, LEGAL_STAFF, answer, (card.response!.result as { message_id: number }).message_id));
    const relayed = await eventually(() => p.messages().find((m) => m.text.includes("Cán bộ pháp lý trả lời")), 10_000, "answer relayed");
    expect(relayed.text).toContain(answer);
    expect(relayed.text).not.toContain("Luật sư Hà");

    const done = await eventually(() => tg.delivered(LEGAL_GROUP).find((c) => text(c).includes("đã trả lời câu hỏi")), 10_000, "answered in group");
    const save = ((done.payload.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> }).inline_keyboard.flat())[0]!;
    await tg.pushUpdate(tgCallback(LEGAL_GROUP, save.callback_data, (done.response!.result as { message_id: number }).message_id, tgUser(LEGAL_STAFF)));
    await eventually(() => tg.delivered(LEGAL_GROUP).some((c) => text(c).includes("vào kho kiến thức")), 10_000, "saved");

    const q = new TelegramTipster(tg, 8304);
    await q.command("/start");
    await q.press("data:lang:vi");
    const found = await ask(q, "nuôi chim yến trong nhà có cần giấy phép");
    expect(found.text).toContain(answer);
  });
});
