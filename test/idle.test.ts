import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addContent } from "../src/core/campaigns/commands/addContent.ts";
import { confirmCampaign } from "../src/core/campaigns/commands/confirmCampaign.ts";
import { createCampaign } from "../src/core/campaigns/commands/createCampaign.ts";
import { allowed } from "../src/core/campaigns/commands/authorizeStaff.ts";
import { NO_QUIET_HOURS } from "../src/core/campaigns/schedule.ts";
import { FakeTelegramApi, tgCommand } from "./fakes/telegramApi.ts";
import { eventually, FAST_RATES, startTestApp, waitIdle, type TestApp } from "./helpers/app.ts";

// What the suite's waits rely on: App.idle() is false while the service has work in hand or due, and
// true once it has none, work scheduled for later excepted.

let tg: FakeTelegramApi;
let t: TestApp;

beforeAll(async () => {
  tg = new FakeTelegramApi({ privatePerSecond: 100, privateBurst: 100, globalPerSecond: 1000, groupPerMinute: 5000 });
  await tg.listen();
  t = await startTestApp({ telegram: tg, env: { ...FAST_RATES, CAMPAIGN_QUIET_HOURS: "off" }, referenceData: true });
});
afterAll(async () => {
  await t.close();
  await tg.close();
});

describe("the service knows when it is idle", () => {
  it("an update held in the inbox is work due; once it is answered the service is idle", async () => {
    await waitIdle(t);
    t.app.worker.pause();
    try {
      expect((await tg.pushUpdate(tgCommand(7001, "/start"))).status).toBe(200);
      const held = await t.app.activity();
      expect(held.inbox).toMatchObject({ running: 0, due: 1 });
      expect(await t.app.idle()).toBe(false);
    } finally {
      t.app.worker.resume();
    }
    await waitIdle(t);
    // Idle means answered: no waiting for the reply after it.
    expect(tg.delivered("7001")).toHaveLength(1);
  });

  it("a message put off by the platform's rate limit is later work, not busy; it leaves when its time comes", async () => {
    await waitIdle(t);
    tg.failNext("sendMessage", 1, { status: 429, description: "Too Many Requests: retry after 5", parameters: { retry_after: 5 } });
    expect((await tg.pushUpdate(tgCommand(7002, "/start"))).status).toBe(200);
    await eventually(() => t.app.sender.activity().later === 1, 10_000, "the reply put off");
    await waitIdle(t);
    expect(tg.delivered("7002")).toHaveLength(0);
    const row = await t.db.outboxMessage.findFirstOrThrow({ where: { chat: { platformChatId: "7002" } } });
    expect(row).toMatchObject({ status: "pending", rateLimitedCount: 1 });
    await eventually(() => tg.delivered("7002").length === 1, 15_000, "the reply after the wait");
  });

  it("a campaign due counts as work: once idle, its message has been delivered", async () => {
    const chat = await t.db.chat.create({ data: { channel: "telegram", platformChatId: "7003", kind: "private", locale: "vi" } });
    await t.db.subscription.create({ data: { chatId: chat.id, topics: JSON.stringify(["fraud"]), provinceCode: "01", consentedAt: new Date() } });
    const content = allowed(await addContent(t.db, {
      actor: { kind: "admin", name: "test" },
      input: {
        title: "Cảnh báo",
        bodies: { vi: "Công an không bao giờ yêu cầu chuyển tiền qua điện thoại." },
        source: { law: "Bộ luật Hình sự 2015", article: "Điều 174" },
        topics: ["fraud"],
      },
    })).content;
    const campaign = allowed(await createCampaign(t.db, { contentId: content.id, audience: { provinces: ["01"] }, schedule: "ngay", actor: { kind: "admin", name: "test" } })).campaign;
    await confirmCampaign(t.db, { campaignId: campaign.id, actor: { kind: "admin", name: "test" }, quiet: NO_QUIET_HOURS });
    expect(await t.app.idle()).toBe(false);
    await waitIdle(t);
    expect(tg.delivered("7003")).toHaveLength(1);
    expect((await t.db.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).status).toBe("done");
    expect(await t.app.campaigns.workDue()).toEqual([]);
  });
});
