import { afterAll, describe, expect, it } from "vitest";
import { addContent } from "../src/core/campaigns/commands/addContent.ts";
import { campaignReport } from "../src/core/campaigns/report.ts";
import { confirmCampaign } from "../src/core/campaigns/commands/confirmCampaign.ts";
import { createCampaign } from "../src/core/campaigns/commands/createCampaign.ts";
import { allowed } from "../src/core/campaigns/commands/authorizeStaff.ts";
import { NO_QUIET_HOURS } from "../src/core/campaigns/schedule.ts";
import { openDb, type Db } from "../src/db/client.ts";
import { FakeTelegramApi } from "./fakes/telegramApi.ts";
import { eventually } from "./helpers/app.ts";
import { killAllServices, killService, startService } from "./helpers/child.ts";
import { createTestDatabaseUrl } from "./helpers/db.ts";

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await killAllServices();
  while (cleanups.length) await cleanups.pop()!();
});

describe("a campaign survives a crash", () => {
  it("SIGKILL mid-campaign and restart: every subscriber reached, duplicates only within the in-flight window", async () => {
    const fake = new FakeTelegramApi({ globalPerSecond: 30, privatePerSecond: 1, privateBurst: 3 });
    await fake.listen();
    cleanups.push(() => fake.close());
    const database = await createTestDatabaseUrl();
    cleanups.push(() => database.remove());
    const env = {
      DATABASE_URL: database.url,
      LOG_LEVEL: "warn",
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_WEBHOOK_SECRET: "crash-secret",
      TELEGRAM_API_ROOT: fake.apiRoot!,
      CAMPAIGN_QUIET_HOURS: "off",
    };
    let svc = await startService({ env });
    const db: Db = await openDb(database.url);
    cleanups.push(() => db.$disconnect());

    const total = 150;
    const chats: string[] = [];
    for (let i = 0; i < total; i++) {
      const chat = await db.chat.create({ data: { channel: "telegram", platformChatId: String(300_000 + i), kind: "private", locale: "vi" } });
      await db.subscription.create({ data: { chatId: chat.id, topics: '["fraud"]', provinceCode: "01", consentedAt: new Date() } });
      chats.push(chat.platformChatId);
    }
    const content = allowed(await addContent(db, {
      actor: { kind: "admin", name: "test" },
      input: { title: "Cảnh báo", bodies: { vi: "Không cung cấp mã OTP cho bất kỳ ai." }, source: { law: "Luật An ninh mạng 2018" }, topics: ["fraud"] },
    })).content;
    const campaign = allowed(await createCampaign(db, { contentId: content.id, audience: {}, schedule: "ngay", actor: { kind: "admin", name: "test" } })).campaign;
    await confirmCampaign(db, { campaignId: campaign.id, actor: { kind: "admin", name: "test" }, quiet: NO_QUIET_HOURS });

    const campaignMessages = () => fake.delivered().filter((c) => String(c.payload.text).includes("mã OTP"));
    await eventually(() => campaignMessages().length >= 50, 30_000, "50 messages sent");
    await killService(svc, "SIGKILL");
    const deliveredAtKill = campaignMessages().length;
    const recordedAtKill = await db.outboxMessage.count({ where: { status: "sent", payload: { contains: "OTP" } } });
    // Messages the platform accepted that we had not recorded yet: the only ones that may go twice.
    const inFlightWindow = deliveredAtKill - recordedAtKill;

    svc = await startService({ env });
    await eventually(async () => (await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).status === "done", 60_000, "campaign done");
    await killService(svc, "SIGTERM");

    const perChat = new Map<string, number>();
    for (const c of campaignMessages()) perChat.set(String(c.payload.chat_id), (perChat.get(String(c.payload.chat_id)) ?? 0) + 1);
    const missing = chats.filter((id) => !perChat.has(id));
    const duplicates = [...perChat.values()].reduce((n, k) => n + k - 1, 0);
    console.log(`[campaign crash] ${total} subscribers; ${deliveredAtKill} delivered before SIGKILL, ${recordedAtKill} recorded; in-flight window ${inFlightWindow}; duplicates after restart ${duplicates}`);
    expect(missing).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(inFlightWindow);
    const report = await campaignReport(db, campaign.id);
    expect(report).toMatchObject({ targeted: total, sent: total, failed: 0, pending: 0 });
  });
});
