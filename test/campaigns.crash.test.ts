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

/** Start-up of the compiled service on a loaded machine can take half a minute: a generous wait, not a speed check. */
const START_MS = 120_000;

describe("a campaign survives a crash", () => {
  // Unpaid: 150 subscribers at 30 a second. Paid: 3,000 at the paid pace (1,000 a second), with up to
  // 256 messages in flight — the window a crash may repeat.
  for (const { paid, total, killAfter } of [
    { paid: false, total: 150, killAfter: 50 },
    { paid: true, total: 3_000, killAfter: 500 },
  ])
  it(`SIGKILL mid-campaign (${paid ? "paid" : "unpaid"}) and restart: every subscriber reached, duplicates only within the in-flight window`, async () => {
    const fake = new FakeTelegramApi({ globalPerSecond: 30, privatePerSecond: 1, privateBurst: 3, paidPerSecond: 1_000 });
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
    let svc = await startService({ env, timeoutMs: START_MS });
    const db: Db = await openDb(database.url);
    cleanups.push(() => db.$disconnect());

    const chats = Array.from({ length: total }, (_, i) => String(300_000 + i));
    await db.chat.createMany({ data: chats.map((platformChatId) => ({ channel: "telegram", platformChatId, kind: "private", locale: "vi" })) });
    const rows = await db.chat.findMany({ where: { platformChatId: { in: chats } }, select: { id: true } });
    await db.subscription.createMany({ data: rows.map((c) => ({ chatId: c.id, topics: '["fraud"]', provinceCode: "01", consentedAt: new Date() })) });
    const content = allowed(await addContent(db, {
      actor: { kind: "admin", name: "test" },
      input: { title: "Cảnh báo", bodies: { vi: "Không cung cấp mã OTP cho bất kỳ ai." }, source: { law: "Luật An ninh mạng 2018" }, topics: ["fraud"] },
    })).content;
    const campaign = allowed(await createCampaign(db, { contentId: content.id, audience: {}, schedule: "ngay", paidBroadcast: paid, actor: { kind: "admin", name: "test" } })).campaign;
    await confirmCampaign(db, { campaignId: campaign.id, actor: { kind: "admin", name: "test" }, quiet: NO_QUIET_HOURS });

    const campaignMessages = () => fake.delivered().filter((c) => String(c.payload.text).includes("mã OTP"));
    await eventually(() => campaignMessages().length >= killAfter, 60_000, `${killAfter} messages sent`);
    await killService(svc, "SIGKILL");
    const deliveredAtKill = campaignMessages().length;
    const recordedAtKill = await db.outboxMessage.count({ where: { status: "sent", payload: { contains: "OTP" } } });
    // Messages the platform accepted that we had not recorded yet: the only ones that may go twice.
    const inFlightWindow = deliveredAtKill - recordedAtKill;

    svc = await startService({ env, timeoutMs: START_MS });
    await eventually(async () => (await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).status === "done", 120_000, "campaign done");
    await killService(svc, "SIGTERM");

    const perChat = new Map<string, number>();
    for (const c of campaignMessages()) perChat.set(String(c.payload.chat_id), (perChat.get(String(c.payload.chat_id)) ?? 0) + 1);
    const missing = chats.filter((id) => !perChat.has(id));
    const duplicates = [...perChat.values()].reduce((n, k) => n + k - 1, 0);
    console.log(`[campaign crash${paid ? ", paid" : ""}] ${total} subscribers; ${deliveredAtKill} delivered before SIGKILL, ${recordedAtKill} recorded; in-flight window ${inFlightWindow}; duplicates after restart ${duplicates}`);
    expect(missing).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(inFlightWindow);
    // The window is bounded by the sender's delivery slots: 16 a channel, 256 for paid bulk messages.
    expect(inFlightWindow).toBeLessThanOrEqual(paid ? 256 : 16);
    if (paid) expect(campaignMessages().every((c) => c.payload.allow_paid_broadcast === true)).toBe(true);
    const report = await campaignReport(db, campaign.id);
    expect(report).toMatchObject({ targeted: total, sent: total, failed: 0, pending: 0 });
  }, 300_000);
});
