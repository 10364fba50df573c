import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { createTranslator } from "../src/i18n.ts";
import type { Role } from "../src/core/officers/roles.ts";
import { FakeTelegramApi, tgCallback, tgShownText } from "./fakes/telegramApi.ts";
import { FAST_RATES, eventually, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { revokeAsAdmin, seedBinding } from "./helpers/officers.ts";
import { ConsoleClient, csrfIn, logIn, seedConsolePerson } from "./helpers/console.ts";

/*
 * The outreach staff's console against the real database, the campaign engine and the Telegram
 * fake: the content library (create, edit, validation with translated errors, nothing saved on bad
 * input, preview as residents see it), the composer (recipient count = the audience the engine
 * materialises; "send a preview to me" reaches only that person's private chat; confirm runs
 * createCampaign + confirmCampaign with their events, as the staff group's flow does), campaign
 * actions through the same commands, the live progress and the report, scope (a province's staff
 * reach only their province), CSRF, and refusals audited.
 */

const STAFF_GROUP = -2301;
const t8 = createTranslator().t;

const PEOPLE = {
  national: { id: 6301, role: "outreach" as Role, scopeKind: "national", scopeCode: "VN", displayName: "Lê Thị Tuyên" },
  hanoi: { id: 6302, role: "outreach" as Role, scopeKind: "province", scopeCode: "01", displayName: "Phạm Văn Hà" },
  commune: { id: 6303, role: "outreach" as Role, scopeKind: "commune", scopeCode: "00070", displayName: "Đỗ Thu" },
  admin: { id: 6304, role: "admin" as Role, scopeKind: "national", scopeCode: "VN", displayName: "Quản trị" },
  officer: { id: 6305, role: "officer" as Role, scopeKind: "commune", scopeCode: "00070" },
  legal: { id: 6306, role: "legal" as Role, scopeKind: "national", scopeCode: "VN" },
};

/** Subscribers seeded straight into the database: [telegram id, province, commune, topics, language, active, reachable]. */
const SUBSCRIBERS: Array<[number, string, string | null, string[], string, boolean, boolean]> = [
  [810001, "01", null, ["fraud"], "vi", true, true],
  [810002, "01", null, ["fraud", "traffic"], "vi", true, true],
  [810003, "01", null, ["fraud"], "vi", true, true],
  [810004, "01", "00070", ["drugs"], "en", true, true],
  [810005, "01", "00070", ["drugs", "fraud"], "en", true, true],
  [810006, "79", null, ["fraud"], "vi", true, true],
  [810007, "79", null, ["fire"], "km", true, true],
  [810008, "01", null, ["fraud"], "vi", false, true], // stopped
  [810009, "01", null, ["fraud"], "vi", true, false], // blocked the bot
];

let tg: FakeTelegramApi;
let t: TestApp;
const ids = new Map<string, string>();
const clients = new Map<string, ConsoleClient>();

const events = (where: Record<string, unknown>) => t.db.auditEvent.findMany({ where, orderBy: { id: "asc" } });
const dataOf = (e: { data: string }) => JSON.parse(e.data) as Record<string, unknown>;
const client = (name: keyof typeof PEOPLE) => clients.get(name)!;
const actor = (name: keyof typeof PEOPLE) => `officer:${ids.get(name)}`;

/** A valid content form (Vietnamese and English, a quiz whose right answer is option 2). */
const CONTENT_FORM = (marker: string): Record<string, string> => ({
  title: `Cảnh giác lừa đảo qua điện thoại ${marker}`,
  body_vi: `Công an không bao giờ yêu cầu chuyển tiền qua điện thoại. ${marker}`,
  body_en: `The police never ask you to transfer money by phone. ${marker}`,
  law: "Bộ luật Hình sự 2015",
  article: "Điều 174",
  effective: "2018-01-01",
  "t:fraud": "on",
  q0_vi: "Công an có yêu cầu chuyển tiền qua điện thoại không?",
  q0_en: "Do the police ask for money transfers by phone?",
  q0_o0_vi: "Có",
  q0_o0_en: "Yes",
  q0_o1_vi: "Không bao giờ",
  q0_o1_en: "Never",
  q0_answer: "1",
});

async function createContent(c: ConsoleClient, marker: string): Promise<string> {
  const page = await c.get("/console/outreach/content/new");
  const res = await c.post("/console/outreach/content", { csrf: csrfIn(page.text), intent: "save", ...CONTENT_FORM(marker) });
  expect(res.status, res.text.slice(0, 500)).toBe(303);
  return /\/console\/outreach\/content\/([A-Za-z0-9_-]+)\?done=created/.exec(res.location!)![1]!;
}

const checkQuery = (fields: Record<string, string>) => `/console/api/outreach/check?${new URLSearchParams(fields)}`;
async function countFor(c: ConsoleClient, fields: Record<string, string>) {
  const res = await c.get(checkQuery(fields));
  expect(res.status).toBe(200);
  return JSON.parse(res.text) as { count: number | null; inScope: boolean; scheduleOk: boolean | null; html: string };
}

async function compose(c: ConsoleClient, fields: Record<string, string>) {
  const page = await c.get("/console/outreach/compose");
  return c.post("/console/outreach/compose", { csrf: csrfIn(page.text), ...fields });
}
const campaignIdOf = (location: string | null) => /\/console\/outreach\/campaigns\/([A-Za-z0-9_-]+)\?/.exec(location ?? "")?.[1];

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  t = await startTestApp({ telegram: tg, env: { ...FAST_RATES, CAMPAIGN_QUIET_HOURS: "off" }, referenceData: true });
  await t.db.$transaction(async (tx) => {
    const chat = await tx.chat.create({ data: { channel: "telegram", platformChatId: String(STAFF_GROUP), kind: "group" } });
    await seedBinding(tx, new TelegramRenderer(t8), { queueId: "outreach:VN", groupChatId: chat.id });
  });
  for (const [name, p] of Object.entries(PEOPLE)) {
    ids.set(name, (await seedConsolePerson(t.db, { telegramUserId: p.id, role: p.role, scopeKind: p.scopeKind, scopeCode: p.scopeCode, displayName: (p as { displayName?: string }).displayName })).id);
  }
  for (const [id, province, commune, topics, locale, active, reachable] of SUBSCRIBERS) {
    const chat = await t.db.chat.create({ data: { channel: "telegram", platformChatId: String(id), kind: "private", locale, unreachableAt: reachable ? null : new Date() } });
    await t.db.subscription.create({ data: { chatId: chat.id, topics: JSON.stringify(topics), provinceCode: province, communeCode: commune, active, consentedAt: new Date(), stoppedReason: active ? null : "stop_word", stoppedAt: active ? null : new Date(Date.now() - 86_400_000) } });
  }
  await waitIdle(t);
  for (const name of Object.keys(PEOPLE)) clients.set(name, await logIn(t.url, tg, PEOPLE[name as keyof typeof PEOPLE].id));
}, 90_000);
afterAll(async () => {
  await t?.close();
  await tg?.close();
});

describe("the content library", () => {
  it("bad input: every problem named in the person's language, nothing saved, no event", async () => {
    const c = client("national");
    const page = await c.get("/console/outreach/content/new");
    expect(page.status).toBe(200);
    const before = await t.db.content.count();
    const bad = { csrf: csrfIn(page.text), intent: "save", title: "ab", body_vi: "  ", law: "", q0_vi: "Câu hỏi?", q0_o0_vi: "Một", q0_answer: "3" };
    const res = await c.post("/console/outreach/content", bad);
    expect(res.status).toBe(400);
    for (const text of ["«Tiêu đề» cần ít nhất 3 ký tự.", "Cần nhập «Nội dung tiếng Việt».", "Cần nhập «Văn bản pháp luật».", "Hãy chọn ít nhất một chủ đề.", "Mỗi câu hỏi cần từ 2 đến 4 phương án.", "«Đáp án đúng» không hợp lệ."]) {
      expect(res.text).toContain(text);
    }
    // The form keeps what was typed, and the fields in error are marked for screen readers.
    expect(res.text).toContain('value="Câu hỏi?"');
    expect(res.text).toMatch(/id="f-title" name="title" required aria-required="true" aria-invalid="true"/);
    const english = await c.post("/console/outreach/content?lang=en", bad);
    expect(english.status).toBe(400);
    expect(english.text).toContain("“Vietnamese text” is required.");
    expect(english.text).toContain("Choose at least one topic.");
    await c.get("/console/outreach/content?lang=vi");
    // A preview of bad input is refused the same way.
    expect((await c.post("/console/outreach/content", { ...bad, intent: "preview" })).status).toBe(400);
    expect(await t.db.content.count()).toBe(before);
    expect(await events({ action: "content.added" })).toHaveLength(0);
  });

  it("preview shows the message as residents receive it in each language (nothing saved); save adds it through addContent, with its event", async () => {
    const c = client("national");
    const page = await c.get("/console/outreach/content/new");
    const before = await t.db.content.count();
    const preview = await c.post("/console/outreach/content", { csrf: csrfIn(page.text), intent: "preview", ...CONTENT_FORM("P1") });
    expect(preview.status).toBe(200);
    const vi = /<article class="phone"[^>]*data-locale="vi">([\s\S]*?)<\/article>/.exec(preview.text)![1]!;
    expect(vi).toContain("Công an không bao giờ yêu cầu chuyển tiền qua điện thoại. P1");
    expect(vi).toContain("Nguồn: Điều 174, Bộ luật Hình sự 2015 (2018-01-01).");
    expect(vi).toContain("Gõ «dừng» để ngừng nhận tin.");
    expect(vi).toContain("Câu hỏi: Công an có yêu cầu chuyển tiền qua điện thoại không?");
    expect(vi).toMatch(/<li lang="vi">Có<\/li><li lang="vi">Không bao giờ<\/li>/);
    const en = /<article class="phone"[^>]*data-locale="en">([\s\S]*?)<\/article>/.exec(preview.text)![1]!;
    expect(en).toContain("The police never ask you to transfer money by phone. P1");
    expect(en).toMatch(/<li lang="en">Yes<\/li><li lang="en">Never<\/li>/);
    // No Khmer text: Khmer readers get the Vietnamese text, and the page says so.
    const km = /<article class="phone"[^>]*data-locale="km">([\s\S]*?)<\/article>/.exec(preview.text)![1]!;
    expect(km).toContain("Chưa có bản dịch");
    expect(km).toContain("Công an không bao giờ yêu cầu chuyển tiền qua điện thoại. P1");
    expect(await t.db.content.count()).toBe(before);

    const id = await createContent(c, "P1");
    const row = await t.db.content.findUniqueOrThrow({ where: { id } });
    expect(JSON.parse(row.bodies)).toEqual({ vi: "Công an không bao giờ yêu cầu chuyển tiền qua điện thoại. P1", en: "The police never ask you to transfer money by phone. P1" });
    expect(JSON.parse(row.source)).toEqual({ law: "Bộ luật Hình sự 2015", article: "Điều 174", effectiveDate: "2018-01-01" });
    expect(JSON.parse(row.topics)).toEqual(["fraud"]);
    expect(JSON.parse(row.quiz)).toEqual([
      { question: { vi: "Công an có yêu cầu chuyển tiền qua điện thoại không?", en: "Do the police ask for money transfers by phone?" }, options: [{ vi: "Có", en: "Yes" }, { vi: "Không bao giờ", en: "Never" }], answer: 1 },
    ]);
    const added = await events({ action: "content.added", actor: actor("national") });
    expect(added.map(dataOf)).toEqual([{ contentId: id, title: "Cảnh giác lừa đảo qua điện thoại P1" }]);
    expect(added[0]!.via).toBe("console");
    const library = await c.get("/console/outreach/content");
    expect(library.text).toContain(`data-content="${id}"`);
  });

  it("edit: bad input changes nothing; a good edit goes through updateContent (content.updated); content a campaign has scheduled is locked", async () => {
    const c = client("hanoi");
    const id = await createContent(c, "E1");
    const page = await c.get(`/console/outreach/content/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('value="Cảnh giác lừa đảo qua điện thoại E1"');
    expect(page.text).toMatch(/name="q0_answer" value="1" checked/);
    const csrf = csrfIn(page.text);
    const before = await t.db.content.findUniqueOrThrow({ where: { id } });
    const bad = await c.post(`/console/outreach/content/${id}`, { csrf, intent: "save", ...CONTENT_FORM("E1"), body_vi: "", body_km: "x".repeat(3501) });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Cần nhập «Nội dung tiếng Việt».");
    expect(bad.text).toContain("«Nội dung tiếng Khmer» dài quá 3500 ký tự.");
    expect(await t.db.content.findUniqueOrThrow({ where: { id } })).toEqual(before);

    const good = await c.post(`/console/outreach/content/${id}`, { csrf, intent: "save", ...CONTENT_FORM("E1"), title: "Cảnh giác lừa đảo (sửa)", body_km: "ប៉ូលិសមិនដែលសុំឲ្យផ្ទេរប្រាក់តាមទូរស័ព្ទទេ។" });
    expect(good.status).toBe(303);
    expect(good.location).toBe(`/console/outreach/content/${id}?done=saved`);
    const after = await t.db.content.findUniqueOrThrow({ where: { id } });
    expect(after.title).toBe("Cảnh giác lừa đảo (sửa)");
    expect(JSON.parse(after.bodies).km).toBe("ប៉ូលិសមិនដែលសុំឲ្យផ្ទេរប្រាក់តាមទូរស័ព្ទទេ។");
    const updated = await events({ action: "content.updated", actor: actor("hanoi") });
    expect(updated.map(dataOf)).toEqual([{ contentId: id, title: "Cảnh giác lừa đảo (sửa)", was: "Cảnh giác lừa đảo qua điện thoại E1" }]);

    // Scheduled by a campaign: what residents receive stays on record.
    const confirmed = await compose(c, { content: id, "p:01": "on", schedule: "31/12/2099 08:00", intent: "confirm" });
    expect(confirmed.status).toBe(303);
    const locked = await c.get(`/console/outreach/content/${id}`);
    expect(locked.text).toContain("không sửa được nữa");
    expect(locked.text).not.toContain('value="save"');
    const refused = await c.post(`/console/outreach/content/${id}`, { csrf, intent: "save", ...CONTENT_FORM("E1"), title: "Đổi sau khi lên lịch" });
    expect(refused.status).toBe(409);
    expect((await t.db.content.findUniqueOrThrow({ where: { id } })).title).toBe("Cảnh giác lừa đảo (sửa)");
    expect(await events({ action: "content.updated" })).toHaveLength(1);
    // A copy starts from it.
    const copy = await c.get(`/console/outreach/content/new?from=${id}`);
    expect(copy.text).toContain('value="Bản sao của Cảnh giác lừa đảo (sửa)"');
    await c.post(`/console/outreach/campaigns/${campaignIdOf(confirmed.location)}/cancel`, { csrf });
  });
});

describe("the composer", () => {
  it("the live recipient count is the audience the engine materialises (active, reachable, matching province, commune, topics, language)", async () => {
    const c = client("national");
    const expected: Array<[Record<string, string>, number]> = [
      [{}, 7],
      [{ "p:01": "on" }, 5],
      [{ "p:01": "on", "t:fraud": "on" }, 4],
      [{ "p:01": "on", "t:fraud": "on", language: "vi" }, 3],
      [{ communes: "00070" }, 2],
      [{ "t:fire": "on", "t:traffic": "on" }, 2],
      [{ "p:79": "on", language: "km" }, 1],
      [{ "p:04": "on" }, 0],
    ];
    for (const [fields, n] of expected) {
      const r = await countFor(c, fields);
      expect(r, JSON.stringify(fields)).toMatchObject({ count: n, inScope: true });
      expect(r.html).toContain(`data-count="${n}"`);
    }
    // Without JavaScript the "count" button answers the same on the page.
    const page = await compose(c, { "p:01": "on", "t:fraud": "on", schedule: "mỗi thứ Hai 08:00", intent: "count" });
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-count="4"');
    expect(page.text).toContain("Đã hiểu thời gian: mỗi thứ Hai lúc 08:00.");
    expect(page.text).toContain("Không đặt giờ yên lặng");
    // The schedule the way the parser read it; a bad one is said in words.
    expect((await countFor(c, { schedule: "hằng ngày 07:30 đến 31/12/2099" })).html).toContain("hằng ngày lúc 07:30, đến 23:59 ngày 31/12/2099");
    expect((await countFor(c, { at: "2099-12-25T08:00" })).html).toContain("một lần, lúc 08:00 ngày 25/12/2099");
    expect((await countFor(c, { schedule: "mỗi giờ" })).html).toContain("chỉ được gửi tối đa một lần mỗi ngày");
    expect((await countFor(c, { communes: "0007x" })).count).toBeNull();
    // A province that does not exist is an error, never "no province" (which would mean everyone).
    expect((await countFor(c, { "p:02": "on" })).count).toBeNull();

    // The engine reaches exactly those counted.
    const content = await createContent(c, "C1");
    for (const [fields, n] of [[{ "p:01": "on", "t:fraud": "on" }, 4], [{ communes: "00070", language: "en" }, 2]] as const) {
      const res = await compose(c, { content, schedule: "ngay", intent: "confirm", ...fields });
      const id = campaignIdOf(res.location)!;
      const run = await eventually(() => t.db.campaignRun.findFirst({ where: { campaignId: id, status: { not: "materializing" } } }), 20_000, "the run materialised");
      expect(run.targeted).toBe(n);
      expect(await t.db.delivery.count({ where: { runId: run.id } })).toBe(n);
    }
    await waitIdle(t);
  });

  it("“send a preview to me” reaches only the staff member's own private chat; no campaign is created", async () => {
    const c = client("national");
    const content = await createContent(c, "PV1");
    const campaigns = await t.db.campaign.count();
    const res = await compose(c, { content, "p:01": "on", intent: "preview" });
    expect(res.status).toBe(200);
    expect(res.text).toContain("Đã gửi bản xem trước vào cuộc trò chuyện riêng của bạn");
    const got = await eventually(() => tg.delivered(PEOPLE.national.id).find((m) => tgShownText(m.payload).includes("điện thoại. PV1")), 10_000, "the preview");
    expect(tgShownText(got.payload)).toContain("Câu hỏi: Công an có yêu cầu chuyển tiền qua điện thoại không?");
    await waitIdle(t);
    const elsewhere = tg.calls.filter((m) => tgShownText(m.payload).includes("PV1") && String(m.payload.chat_id) !== String(PEOPLE.national.id));
    expect(elsewhere).toEqual([]);
    expect(await t.db.campaign.count()).toBe(campaigns);
    expect((await events({ action: "content.previewed", actor: actor("national") })).map(dataOf)).toContainEqual({ contentId: content, locale: "vi" });
    // Its quiz buttons work like the real ones but count nothing (no campaign has the preview's id).
    const buttons = (got.payload.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> }).inline_keyboard.flat();
    const answers = await t.db.quizAnswer.count();
    expect((await tg.pushUpdate(tgCallback(PEOPLE.national.id, buttons[0]!.callback_data, (got.response!.result as { message_id: number }).message_id))).status).toBe(200);
    await eventually(() => tg.delivered(PEOPLE.national.id).some((m) => tgShownText(m.payload).includes("Cảm ơn bạn đã trả lời")), 10_000, "the quiz thanks");
    await waitIdle(t);
    expect(await t.db.quizAnswer.count()).toBe(answers);
    // In the audience's language when one is chosen.
    await compose(c, { content, language: "en", intent: "preview" });
    await eventually(() => tg.delivered(PEOPLE.national.id).find((m) => tgShownText(m.payload).includes("by phone. PV1")), 10_000, "the English preview");
  });

  it("confirm runs createCampaign then confirmCampaign (their events, the staff group told); a draft waits for Confirm; bad input creates nothing", async () => {
    const c = client("hanoi");
    const content = await createContent(c, "CF1");
    const before = await t.db.campaign.count();
    // Bad schedule, no content, bad commune: translated, nothing created.
    const past = await compose(c, { content, "p:01": "on", schedule: "01/01/2020 08:00", intent: "confirm" });
    expect(past.status).toBe(400);
    expect(past.text).toContain("Thời gian này đã qua.");
    expect((await compose(c, { "p:01": "on", schedule: "ngay", intent: "confirm" })).status).toBe(400);
    expect((await compose(c, { content, communes: "abc", schedule: "ngay", intent: "confirm" })).status).toBe(400);
    expect((await compose(c, { content, "p:01": "on", intent: "confirm" })).text).toContain("Cần nhập «Thời gian gửi (gõ bằng lời)».");
    expect(await t.db.campaign.count()).toBe(before);

    const res = await compose(c, { content, "p:01": "on", "t:fraud": "on", schedule: "31/12/2099 08:00", paid: "on", intent: "confirm" });
    expect(res.status).toBe(303);
    const id = campaignIdOf(res.location)!;
    expect(res.location).toBe(`/console/outreach/campaigns/${id}?done=confirmed`);
    const campaign = await t.db.campaign.findUniqueOrThrow({ where: { id } });
    expect(campaign).toMatchObject({ status: "scheduled", paidBroadcast: true, createdBy: actor("hanoi"), contentId: content });
    expect(JSON.parse(campaign.audience)).toEqual({ provinces: ["01"], topics: ["fraud"] });
    expect(JSON.parse(campaign.schedule)).toEqual({ kind: "once", at: "2099-12-31T08:00" });
    const created = await events({ action: "campaign.created", actor: actor("hanoi") });
    expect(created.map(dataOf)).toContainEqual(expect.objectContaining({ campaignId: id, contentId: content, paidBroadcast: true }));
    expect((await events({ action: "campaign.confirmed", actor: actor("hanoi") })).map(dataOf)).toContainEqual(expect.objectContaining({ campaignId: id }));
    await eventually(() => tg.delivered(STAFF_GROUP).some((m) => tgShownText(m.payload).includes(`Phạm Văn Hà đã xác nhận chiến dịch ${id}`)), 10_000, "the staff group told");

    const page = await c.get(res.location!);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Đã xác nhận: chiến dịch đã được lên lịch gửi.");
    expect(page.text).toContain("Thành phố Hà Nội (01)");
    expect(page.text).toContain("một lần, lúc 08:00 ngày 31/12/2099");

    // A draft, then its buttons: confirm, pause, resume, cancel — each the command with its event.
    const draft = await compose(c, { content, "p:01": "on", schedule: "31/12/2099 09:00", intent: "draft" });
    const did = campaignIdOf(draft.location)!;
    expect((await t.db.campaign.findUniqueOrThrow({ where: { id: did } })).status).toBe("draft");
    const csrf = csrfIn((await c.get(`/console/outreach/campaigns/${did}`)).text);
    for (const [verb, status, event] of [["pause", "draft", null], ["confirm", "scheduled", "campaign.confirmed"], ["pause", "paused", "campaign.paused"], ["resume", "scheduled", "campaign.resumed"], ["cancel", "cancelled", "campaign.cancelled"]] as const) {
      const r = await c.post(`/console/outreach/campaigns/${did}/${verb}`, { csrf });
      expect(r.status).toBe(303);
      expect(r.location).toBe(event ? `/console/outreach/campaigns/${did}?done=${verb}` : `/console/outreach/campaigns/${did}?error=state`);
      expect((await t.db.campaign.findUniqueOrThrow({ where: { id: did } })).status).toBe(status);
      if (event) expect((await events({ action: event, actor: actor("hanoi") })).map(dataOf)).toContainEqual(expect.objectContaining({ campaignId: did }));
    }
    await c.post(`/console/outreach/campaigns/${id}/cancel`, { csrf, back: "list" });
    expect((await t.db.campaign.findUniqueOrThrow({ where: { id } })).status).toBe("cancelled");
  });
});

describe("progress and the report", () => {
  it("the list and the campaign page show live figures (JSON endpoints), then the final report with quiz answers", async () => {
    const c = client("admin");
    const content = await createContent(c, "R1");
    const res = await compose(c, { content, "p:79": "on", "t:fraud": "on", schedule: "ngay", intent: "confirm" });
    const id = campaignIdOf(res.location)!;
    // The one subscriber in 79 with fraud gets it and answers the quiz (option 2, the right one).
    const msg = await eventually(() => tg.delivered(810006).find((m) => tgShownText(m.payload).includes("điện thoại. R1")), 20_000, "the campaign message");
    const keyboard = (msg.payload.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> }).inline_keyboard.flat();
    const messageId = (msg.response!.result as { message_id: number }).message_id;
    expect((await tg.pushUpdate(tgCallback(810006, keyboard[1]!.callback_data, messageId))).status).toBe(200);
    await eventually(async () => (await t.db.quizAnswer.count({ where: { campaignId: id } })) === 1, 10_000, "the quiz answer");
    await eventually(async () => (await t.db.campaign.findUniqueOrThrow({ where: { id } })).status === "done", 20_000, "the campaign done");

    const api = JSON.parse((await c.get(`/console/api/outreach/campaigns/${id}`)).text) as { version: string; figures: Record<string, unknown>; html: string };
    expect(api.figures).toMatchObject({ status: "done", targeted: 1, sent: 1, failed: 0, blocked: 0, queued: 0 });
    expect(api.figures.quiz).toEqual([{ question: "Công an có yêu cầu chuyển tiền qua điện thoại không?", answer: 1, options: [{ text: "Có", count: 0 }, { text: "Không bao giờ", count: 1 }] }]);
    expect(api.html).toContain("Báo cáo cuối cùng");
    const page = await c.get(`/console/outreach/campaigns/${id}`);
    // The page starts at the version the endpoint reports, so its script replaces it only on a change.
    expect(page.text).toContain(`data-version="${api.version}"`);
    expect(page.text).toMatch(/<tr data-figure="sent"><th scope="row">Đã gửi<\/th><td class="num">1<\/td><\/tr>/);
    expect(page.text).toMatch(/<tr data-option="0:1"><th scope="row">2\. Không bao giờ <span class="badge right">đáp án đúng<\/span><\/th><td class="num">1<\/td><td class="num">100%<\/td><\/tr>/);
    expect(page.text).toMatch(/<svg class="chart" role="img" aria-label="Biểu đồ tin nhắn: đã gửi 1 trên 1"/);
    const list = JSON.parse((await c.get("/console/api/outreach/campaigns")).text) as { version: string; campaigns: Array<Record<string, unknown>>; html: string };
    expect(list.campaigns).toContainEqual(expect.objectContaining({ id, status: "done", targeted: 1, sent: 1 }));
    expect(list.html).toContain(`data-campaign="${id}" data-status="done"`);
    // Unchanged figures keep the same version (the page's script replaces nothing).
    expect(JSON.parse((await c.get("/console/api/outreach/campaigns")).text).version).toBe(list.version);
  });
});

describe("scope, CSRF and refusals", () => {
  it("a province's staff reach only their province: count, create, see and act are refused outside it (the command's refusal audited)", async () => {
    const c = client("hanoi");
    expect(await countFor(c, { "p:01": "on" })).toMatchObject({ count: 5, inScope: true });
    expect(await countFor(c, { communes: "00070" })).toMatchObject({ count: 2, inScope: true });
    for (const fields of [{}, { "p:79": "on" }, { communes: "26734" }] as Array<Record<string, string>>) expect(await countFor(c, fields), JSON.stringify(fields)).toMatchObject({ count: null, inScope: false });
    // The composer offers only their province; a forged form for another is refused by createCampaign.
    const page = await c.get("/console/outreach/compose");
    expect(page.text).toContain('name="p:01" checked');
    expect(page.text).not.toContain('name="p:79"');
    const content = await createContent(client("national"), "S1");
    const before = await t.db.campaign.count();
    const forged = await compose(c, { content, "p:79": "on", schedule: "ngay", intent: "confirm" });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("Nhóm người nhận nằm ngoài địa bàn bạn phụ trách.");
    expect(await t.db.campaign.count()).toBe(before);
    expect((await events({ action: "auth.refused", actor: actor("hanoi") })).map(dataOf)).toContainEqual(expect.objectContaining({ action: "campaign.create", reason: "scope" }));

    // Someone else's campaign in Hồ Chí Minh City: not listed, its page refused (audited), its actions refused by the command.
    const other = await compose(client("national"), { content, "p:79": "on", schedule: "31/12/2099 08:00", intent: "confirm" });
    const id = campaignIdOf(other.location)!;
    expect((await c.get("/console/outreach/campaigns")).text).not.toContain(id);
    expect(JSON.parse((await c.get("/console/api/outreach/campaigns")).text).html).not.toContain(id);
    expect((await c.get(`/console/outreach/campaigns/${id}`)).status).toBe(403);
    expect((await c.get(`/console/api/outreach/campaigns/${id}`)).status).toBe(403);
    const cancel = await c.post(`/console/outreach/campaigns/${id}/cancel`, { csrf: csrfIn(page.text) });
    expect(cancel.location).toBe(`/console/outreach/campaigns/${id}?error=scope`);
    expect((await t.db.campaign.findUniqueOrThrow({ where: { id } })).status).toBe("scheduled");
    const refusals = (await events({ action: "auth.refused", actor: actor("hanoi") })).map(dataOf);
    expect(refusals).toContainEqual({ action: "campaign.report", reason: "scope", campaignId: id });
    expect(refusals).toContainEqual({ action: "campaign.cancel", reason: "scope", campaignId: id });
    // A commune's staff: no province to pick, their commune only.
    const communal = await client("commune").get("/console/outreach/compose");
    expect(communal.text).not.toContain('name="p:');
    expect(communal.text).toMatch(/name="communes"[^>]*value="00070"/);
    expect(await countFor(client("commune"), { communes: "00070" })).toMatchObject({ count: 2, inScope: true });
    expect(await countFor(client("commune"), { "p:01": "on" })).toMatchObject({ count: null, inScope: false });
    await client("national").post(`/console/outreach/campaigns/${id}/cancel`, { csrf: csrfIn((await client("national").get("/console/outreach/campaigns")).text) });
  });

  it("a form without the session's CSRF token changes nothing", async () => {
    const c = client("national");
    const content = await createContent(c, "X1");
    const counts = async () => [await t.db.content.count(), await t.db.campaign.count(), await t.db.auditEvent.count({ where: { action: { startsWith: "c" } } })];
    const before = await counts();
    const sent = tg.delivered(PEOPLE.national.id).length;
    for (const [path, form] of [
      ["/console/outreach/content", { intent: "save", ...CONTENT_FORM("X2") }],
      [`/console/outreach/content/${content}`, { intent: "save", ...CONTENT_FORM("X3") }],
      ["/console/outreach/compose", { content, intent: "confirm", schedule: "ngay" }],
      ["/console/outreach/compose", { content, intent: "preview" }],
    ] as const) {
      expect((await c.post(path, { csrf: "forged", ...form })).status, path).toBe(403);
    }
    const id = campaignIdOf((await compose(c, { content, schedule: "31/12/2099 08:00", intent: "draft" })).location)!;
    const mid = await counts();
    expect((await c.post(`/console/outreach/campaigns/${id}/confirm`, { csrf: "forged" })).status).toBe(403);
    expect((await c.post(`/console/outreach/campaigns/${id}/confirm`, {}, { origin: "https://evil.example" })).status).toBe(403);
    expect((await t.db.campaign.findUniqueOrThrow({ where: { id } })).status).toBe("draft");
    expect(before[0]).toBe(mid[0]);
    expect(await counts()).toEqual(mid);
    await waitIdle(t);
    expect(tg.delivered(PEOPLE.national.id).length).toBe(sent);
  });

  it("officers and legal staff are refused every outreach page and action (audited as console.outreach); a revoked person's session ends", async () => {
    const content = (await t.db.content.findFirstOrThrow()).id;
    for (const name of ["officer", "legal"] as const) {
      const c = client(name);
      const before = await t.db.campaign.count();
      for (const path of ["/console/outreach/content", "/console/outreach/compose", "/console/outreach/campaigns"]) expect((await c.get(path)).status, path).toBe(403);
      expect((await c.get(checkQuery({}))).status).toBe(403);
      const home = await c.get("/console/home");
      expect(home.text).not.toContain("/console/outreach/");
      expect((await c.post("/console/outreach/compose", { csrf: csrfIn(home.text), content, schedule: "ngay", intent: "confirm" })).status).toBe(403);
      expect(await t.db.campaign.count()).toBe(before);
      const refused = (await events({ action: "auth.refused", actor: actor(name) })).map(dataOf).filter((d) => d.action === "console.outreach");
      expect(refused).toHaveLength(5);
    }
    // Outreach staff see their links.
    expect((await client("national").get("/console/home")).text).toContain('href="/console/outreach/compose"');
    const c = client("commune");
    expect((await c.get("/console/outreach/campaigns")).status).toBe(200);
    await t.db.$transaction((tx) => revokeAsAdmin(tx, { telegramUserId: String(PEOPLE.commune.id) }));
    expect((await c.get("/console/outreach/campaigns")).location).toBe("/console/login");
    expect((await c.get(checkQuery({}))).status).toBe(401);
  });
});
