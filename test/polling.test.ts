import { describe, expect, it } from "vitest";
import { FakeTelegramApi, tgCommand, tgPrivateText } from "./fakes/telegramApi.ts";
import { FakeZaloApi, zaloText } from "./fakes/zaloApi.ts";
import { eventually, startTestApp } from "./helpers/app.ts";

describe("development long polling (no public URL)", () => {
  it("Telegram: removes the webhook, polls, stores through the inbox and answers", async () => {
    const fake = new FakeTelegramApi();
    await fake.listen();
    await fetch(`${fake.apiRoot}/bot${fake.token}/setWebhook`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: "https://old.example/hook" }) });
    const t = await startTestApp({ telegram: fake, polling: true });
    try {
      expect(fake.webhook.url).toBeFalsy();
      const start = tgCommand(1301, "/start");
      fake.queueUpdate(start);
      fake.queueUpdate(tgPrivateText(1301, "113"));
      const msgs = await eventually(() => (fake.delivered("1301").length >= 2 ? fake.delivered("1301") : undefined), 10_000);
      expect(String(msgs[0]!.payload.text)).toContain("Xin chào");
      expect(String(msgs[1]!.payload.text)).toContain("113 — Công an");
      expect(await t.db.inboxUpdate.count({ where: { channel: "telegram" } })).toBe(2);
    } finally {
      await t.close();
      await fake.close();
    }
  });

  it("Zalo: polls one update at a time, treating an empty poll (408) as normal", async () => {
    const fake = new FakeZaloApi({ defaultPollTimeoutSeconds: 0.2 });
    await fake.listen();
    const t = await startTestApp({ zalo: fake, polling: true });
    try {
      fake.queueEvent(zaloText("u-1302", "hi"));
      const [msg] = await eventually(() => (fake.delivered("u-1302").length >= 1 ? fake.delivered("u-1302") : undefined), 10_000);
      expect(String(msg!.payload.text)).toContain("1. Tiếng Việt");
    } finally {
      await t.close();
      await fake.close();
    }
  });
});
