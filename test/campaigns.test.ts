import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addContent } from "../src/core/campaigns/commands/addContent.ts";
import { campaignReport } from "../src/core/campaigns/report.ts";
import { cancelCampaign } from "../src/core/campaigns/commands/cancelCampaign.ts";
import { confirmCampaign } from "../src/core/campaigns/commands/confirmCampaign.ts";
import { createCampaign } from "../src/core/campaigns/commands/createCampaign.ts";
import { pauseCampaign } from "../src/core/campaigns/commands/pauseCampaign.ts";
import { resumeCampaign } from "../src/core/campaigns/commands/resumeCampaign.ts";
import { allowed } from "../src/core/campaigns/commands/authorizeStaff.ts";
import { NO_QUIET_HOURS } from "../src/core/campaigns/schedule.ts";
import { FakeTelegramApi, tgCallback } from "./fakes/telegramApi.ts";
import { FakeZaloApi } from "./fakes/zaloApi.ts";
import { eventually, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";
import { ZaloTipster } from "./helpers/tipster.ts";

let tg: FakeTelegramApi;
let zalo: FakeZaloApi;
let t: TestApp;

beforeAll(async () => {
  // The fake enforces Telegram's real 30 messages a second overall.
  tg = new FakeTelegramApi({ globalPerSecond: 30, privatePerSecond: 1, privateBurst: 3 });
  zalo = new FakeZaloApi({ perChatPerSecond: 100, perChatBurst: 100, globalPerSecond: 1000 });
  await tg.listen();
  await zalo.listen();
  t = await startTestApp({ telegram: tg, zalo, referenceData: true, env: { CAMPAIGN_QUIET_HOURS: "off", ZALO_RATE_GLOBAL_PER_SECOND: "100" } });
});
afterAll(async () => {
  await t.close();
  await tg.close();
  await zalo.close();
});

let nextId = 100_000;
/** Subscribers straight into the database (as if each had opted in). */
async function subscribers(n: number, opts: { topics?: string[]; province?: string | null; commune?: string | null; locale?: string; channel?: "telegram" | "zalo" } = {}) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const platformChatId = opts.channel === "zalo" ? `zc-${nextId++}` : String(nextId++);
    const chat = await t.db.chat.create({ data: { channel: opts.channel ?? "telegram", platformChatId, kind: "private", locale: opts.locale ?? "vi" } });
    await t.db.subscription.create({
      data: {
        chatId: chat.id,
        topics: JSON.stringify(opts.topics ?? ["fraud"]),
        provinceCode: opts.province === undefined ? "01" : opts.province,
        communeCode: opts.commune ?? null,
        consentedAt: new Date(),
      },
    });
    ids.push(platformChatId);
  }
  return ids;
}

async function content(extra: Record<string, unknown> = {}) {
  return allowed(await addContent(t.db, {
    actor: { kind: "admin", name: "test" },
    input: {
      title: "Cảnh báo lừa đảo giả danh công an",
      bodies: { vi: "Công an không bao giờ yêu cầu chuyển tiền qua điện thoại.", en: "The police never ask you to transfer money by phone." },
      source: { law: "Bộ luật Hình sự 2015", article: "Điều 174", effectiveDate: "2018-01-01" },
      topics: ["fraud"],
      ...extra,
    },
  })).content;
}

async function launch(audience: unknown, schedule = "ngay", contentId?: string) {
  const c = contentId ? { id: contentId } : await content();
  const campaign = allowed(await createCampaign(t.db, { contentId: c.id, audience, schedule, actor: { kind: "admin", name: "test" } })).campaign;
  // The service runs with CAMPAIGN_QUIET_HOURS=off; confirm with the same (as the staff group and the CLI do).
  await confirmCampaign(t.db, { campaignId: campaign.id, actor: { kind: "admin", name: "test" }, quiet: NO_QUIET_HOURS });
  return campaign;
}

/** Waits until the run's messages already in the outbox have all left (a 429 waited out and resent) and the service is idle. */
async function drained(campaignId: string) {
  const run = await t.db.campaignRun.findFirstOrThrow({ where: { campaignId }, orderBy: { id: "desc" } });
  await eventually(async () => (await t.db.delivery.count({ where: { runId: run.id, status: "queued" } })) === 0, 20_000, "the outbox window drained");
  await waitIdle(t);
}

const done = (id: string, timeout = 30_000) =>
  eventually(async () => (await t.db.campaign.findUniqueOrThrow({ where: { id } })).status === "done", timeout, `campaign ${id} done`);

describe("campaign audiences", () => {
  it("reach exactly the subscribers of the chosen provinces, communes, topics and language", async () => {
    const hanoiFraud = await subscribers(3, { topics: ["fraud", "traffic"], province: "01" });
    const hanoiDrugs = await subscribers(2, { topics: ["drugs"], province: "01" });
    const caoBangFraud = await subscribers(2, { topics: ["fraud"], province: "04" });
    const hanoiFraudEn = await subscribers(1, { topics: ["fraud"], province: "01", locale: "en" });
    const hoanKiem = await subscribers(2, { topics: ["fire"], province: "01", commune: "00070" });

    const c1 = await launch({ provinces: ["01"], topics: ["fraud"], language: "vi" });
    await done(c1.id);
    const got = new Set(tg.delivered().filter((c) => String(c.payload.text).includes("Công an không bao giờ yêu cầu")).map((c) => String(c.payload.chat_id)));
    expect([...got].sort()).toEqual([...hanoiFraud].sort());
    for (const id of [...hanoiDrugs, ...caoBangFraud, ...hanoiFraudEn, ...hoanKiem]) expect(got.has(id)).toBe(false);

    tg.reset();
    const c2 = await launch({ communes: ["00070"] });
    await done(c2.id);
    expect(tg.delivered().map((c) => String(c.payload.chat_id)).sort()).toEqual([...hoanKiem].sort());

    tg.reset();
    const c3 = await launch({ language: "en" });
    await done(c3.id);
    const english = tg.delivered().filter((c) => String(c.payload.chat_id) === hanoiFraudEn[0]);
    expect(String(english[0]!.payload.text)).toContain("The police never ask you to transfer money by phone.");
    expect(String(english[0]!.payload.text)).toContain("Type “stop” to stop receiving these messages.");
  });
});

describe("materialising a large audience", () => {
  it("copies it in batches: every matching subscriber exactly once, the count right, nobody else", async () => {
    await t.db.subscription.updateMany({ data: { active: false } });
    const engine = t.app.campaigns as unknown as { opts: { materializeBatch?: number } };
    engine.opts.materializeBatch = 4; // 23 matching subscribers: five full batches, then three
    try {
      const fraud = await subscribers(23, { topics: ["fraud"], province: "04" });
      const others = await subscribers(6, { topics: ["drugs"], province: "04" });
      tg.reset();
      const c = await launch({ provinces: ["04"], topics: ["fraud"] });
      await done(c.id);
      const reached = tg.delivered().filter((m) => String(m.payload.text).includes("Công an không bao giờ yêu cầu")).map((m) => String(m.payload.chat_id));
      expect(reached.sort()).toEqual([...fraud].sort());
      for (const id of others) expect(reached).not.toContain(id);
      const run = await t.db.campaignRun.findFirstOrThrow({ where: { campaignId: c.id } });
      expect(run.targeted).toBe(23);
      expect(await t.db.delivery.count({ where: { runId: run.id } })).toBe(23);
    } finally {
      engine.opts.materializeBatch = undefined;
    }
  });
});

describe("broadcast at Telegram's pace", () => {
  it("reaches every subscriber with no loss to 429s, records every outcome, and tells each how to stop", async () => {
    await t.db.subscription.updateMany({ data: { active: false } });
    tg.reset();
    const ids = await subscribers(90, { topics: ["traffic"], province: "79" });
    const campaign = await launch({ provinces: ["79"] });
    await done(campaign.id, 60_000);
    const delivered = tg.delivered().filter((c) => ids.includes(String(c.payload.chat_id)));
    expect(new Set(delivered.map((c) => String(c.payload.chat_id))).size).toBe(90);
    expect(delivered.every((c) => String(c.payload.text).includes("Gõ «dừng» để ngừng nhận tin."))).toBe(true);
    expect(delivered.every((c) => String(c.payload.text).includes("Nguồn: Điều 174, Bộ luật Hình sự 2015 (2018-01-01)"))).toBe(true);
    const report = await campaignReport(t.db, campaign.id);
    expect(report).toMatchObject({ targeted: 90, sent: 90, failed: 0, blocked: 0, pending: 0 });
    // Whatever 429s happened were waited out and resent, never lost.
    const limited = tg.calls.filter((c) => c.status === 429).length;
    expect(report.sent).toBe(90);
    console.log(`[campaign] 90 subscribers at 30/s: ${limited} answers were 429 (all resent)`);
  });

  it("a blocked subscriber is recorded as blocked and opted out; the rest are reached", async () => {
    await t.db.subscription.updateMany({ data: { active: false } });
    const ids = await subscribers(5, { topics: ["eid"], province: "48" });
    tg.block(ids[2]!);
    const campaign = await launch({ provinces: ["48"] });
    await done(campaign.id);
    const report = await campaignReport(t.db, campaign.id);
    expect(report).toMatchObject({ targeted: 5, sent: 4, blocked: 1 });
    const chat = await t.db.chat.findFirstOrThrow({ where: { platformChatId: ids[2]! } });
    expect(await t.db.subscription.findUniqueOrThrow({ where: { chatId: chat.id } })).toMatchObject({ active: false, stoppedReason: "blocked" });
  });
});

describe("pause, resume, cancel", () => {
  it("pause stops queuing within seconds; resume continues without loss or repeats; cancel drops the rest", async () => {
    await t.db.subscription.updateMany({ data: { active: false } });
    tg.reset();
    const ids = await subscribers(60, { topics: ["fire"], province: "92" });
    const campaign = await launch({ provinces: ["92"] });
    await eventually(() => tg.delivered().length >= 10, 20_000, "sending started");
    await pauseCampaign(t.db, { campaignId: campaign.id, actor: { kind: "admin", name: "test" } });
    await drained(campaign.id); // what was already queued has left; a paused campaign has nothing due
    const atPause = tg.delivered().length;
    await t.app.campaigns.tick(); // one more engine step while paused queues nothing
    await waitIdle(t);
    expect(tg.delivered().length).toBe(atPause);
    expect(atPause).toBeLessThan(60);
    await resumeCampaign(t.db, { campaignId: campaign.id, actor: { kind: "admin", name: "test" } });
    await done(campaign.id, 60_000);
    const perChat = new Map<string, number>();
    for (const c of tg.delivered()) perChat.set(String(c.payload.chat_id), (perChat.get(String(c.payload.chat_id)) ?? 0) + 1);
    expect(ids.every((id) => perChat.get(id) === 1)).toBe(true);

    tg.reset();
    const more = await subscribers(60, { topics: ["family"], province: "96" });
    const second = await launch({ provinces: ["96"] });
    await eventually(() => tg.delivered().length >= 5, 20_000);
    await cancelCampaign(t.db, { campaignId: second.id, actor: { kind: "admin", name: "test" } });
    await drained(second.id); // outcomes of what had left recorded; nothing more queued
    const report = await campaignReport(t.db, second.id);
    expect(report.campaign.status).toBe("cancelled");
    expect(report.skipped).toBeGreaterThan(0);
    expect(tg.delivered().filter((c) => more.includes(String(c.payload.chat_id))).length).toBe(report.sent);
  });
});

describe("residents during a campaign", () => {
  it("a stop word mid-campaign stops the rest; quiz answers are counted, once each, not linked to anyone", async () => {
    await t.db.subscription.updateMany({ data: { active: false } });
    const z = new ZaloTipster(zalo, "zu-camp-1");
    await z.say("hi");
    await z.choose("Tiếng Việt");
    await z.choose("Nhận tin pháp luật");
    await z.choose("Phòng cháy");
    await z.choose("Xong");
    await z.choose("Toàn quốc");
    await z.choose("Đồng ý");
    const withQuiz = await content({
      topics: ["fire"],
      quiz: [{ question: { vi: "Số điện thoại cứu hỏa là gì?", en: "What is the fire service number?" }, options: [{ vi: "113" }, { vi: "114" }, { vi: "115" }] }],
    });
    const campaign = await launch({ topics: ["fire"] }, "ngay", withQuiz.id);
    const message = await eventually(() => z.messages().find((m) => m.text.includes("Số điện thoại cứu hỏa là gì?")), 20_000, "quiz message");
    expect(message.options).toEqual(["113", "114", "115"]);
    const thanks = await z.say("2");
    expect(thanks.text).toContain("Cảm ơn bạn đã trả lời");
    await z.say("2");
    await done(campaign.id);
    const report = await campaignReport(t.db, campaign.id);
    expect(report.quiz).toEqual([{ question: 0, option: 1, count: 1 }]);
    expect(JSON.stringify(await t.db.quizAnswer.findMany())).not.toContain("zu-camp-1");

    // Stop: later campaigns skip this person.
    await z.say("dừng");
    const after = await launch({ topics: ["fire"] }, "ngay", withQuiz.id);
    await done(after.id);
    expect((await campaignReport(t.db, after.id)).targeted).toBe(0);
  });

  it("a resident's own conversation is answered while a broadcast is under way, ahead of the campaign messages still waiting", async () => {
    await t.db.subscription.updateMany({ data: { active: false } });
    tg.reset();
    const audience = await subscribers(90, { topics: ["drugs"], province: "33" });
    const campaign = await launch({ provinces: ["33"] });
    await eventually(() => tg.delivered().length >= 5, 20_000);
    await tg.pushUpdate(tgCallback(777001, "menu:emergency", 1));
    await tg.waitFor(() => tg.delivered(777001).length >= 1, 10_000);
    // Not timed: the answer did not wait for the broadcast (90 messages at 30 a second) to finish.
    const campaignLeft = audience.length - tg.delivered().filter((c) => audience.includes(String(c.payload.chat_id))).length;
    expect(campaignLeft, "campaign messages still to go when the resident was answered").toBeGreaterThan(0);
    await done(campaign.id, 60_000);
  });
});

describe("several campaigns at once", () => {
  it("share the platform's budget fairly: both progress together, neither waits for the other to finish", async () => {
    await t.db.subscription.updateMany({ data: { active: false } });
    tg.reset();
    const a = await subscribers(45, { topics: ["fraud"], province: "22" });
    const b = await subscribers(45, { topics: ["fraud"], province: "24" });
    const first = await launch({ provinces: ["22"] });
    const second = await launch({ provinces: ["24"] });
    await eventually(() => tg.delivered().length >= 40, 30_000, "40 sent");
    const early = tg.delivered().slice(0, 40).map((c) => String(c.payload.chat_id));
    const fromA = early.filter((id) => a.includes(id)).length;
    const fromB = early.filter((id) => b.includes(id)).length;
    console.log(`[campaign fairness] first 40 messages: ${fromA} from campaign A, ${fromB} from campaign B`);
    expect(Math.min(fromA, fromB)).toBeGreaterThanOrEqual(12);
    await done(first.id, 60_000);
    await done(second.id, 60_000);
  });
});
