import crypto from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { addContent } from "../src/core/campaigns/commands/addContent.ts";
import { allowed } from "../src/core/campaigns/commands/authorizeStaff.ts";
import { confirmCampaign } from "../src/core/campaigns/commands/confirmCampaign.ts";
import { createCampaign } from "../src/core/campaigns/commands/createCampaign.ts";
import { campaignReport } from "../src/core/campaigns/report.ts";
import { NO_QUIET_HOURS } from "../src/core/campaigns/schedule.ts";
import { openDb, type Db } from "../src/db/client.ts";
import { TELEGRAM_WEBHOOK_PATH } from "../src/app.ts";
import { FakeTelegramApi, tgCommand } from "./fakes/telegramApi.ts";
import { eventually } from "./helpers/app.ts";
import { killAllServices, killService, startService, type ServiceProcess } from "./helpers/child.ts";
import { createTestDatabaseUrl, PROVIDER } from "./helpers/db.ts";

// Several instances on one PostgreSQL database (src/cluster/): three real service processes share
// the database and the Telegram fake; 5,000 updates from 500 chats are spread over their webhooks
// (an update whose instance is down is redelivered to another, as Telegram retries); the instance
// holding Telegram's sender lease is SIGKILLed mid-stream, and the leader mid-campaign.

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  await killAllServices();
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

const CHATS = 500;
const PER_CHAT = 10;
const SUBSCRIBERS = 600;
/** The platform's overall pace for this test (fake and service alike): 30/s would make 5,000 replies take three minutes. */
const GLOBAL_PER_SECOND = 150;
const SECRET = "cluster-secret_1";

/** Each command's reply, told apart by its first words (one sendMessage each, whatever the chat's state). */
const COMMANDS: Array<[string, string]> = [
  ["/start", "Xin chào"],
  ["/help", "Tai Mắt là kênh"],
  ["/menu", "Bạn muốn làm gì"],
  ["/emergency", "🚨 Nếu có"],
];

function kindOf(text: string): string {
  return COMMANDS.find(([, prefix]) => text.startsWith(prefix))?.[0] ?? `?${text.slice(0, 20)}`;
}

async function scheduledRuns(svc: ServiceProcess, job: string): Promise<number> {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`taimat_scheduled_runs_total{job="${job}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe.runIf(PROVIDER === "postgresql")("several instances on one PostgreSQL", () => {
  it("3 instances, 5,000 updates from 500 chats, the sender killed mid-stream and the leader mid-campaign: nothing lost, nothing doubled, order and limits kept", async () => {
    // Per chat 20/s (Telegram: about 1/s): at 1/s the 5,000 replies would take minutes; the overall
    // pace is the limit that several senders would break.
    const fake = new FakeTelegramApi({ globalPerSecond: GLOBAL_PER_SECOND, privatePerSecond: 20, privateBurst: 20 });
    await fake.listen();
    cleanups.push(() => fake.close());
    const database = await createTestDatabaseUrl();
    cleanups.push(() => database.remove());
    const db: Db = await openDb(database.url);
    cleanups.push(() => db.$disconnect());
    const env = {
      DATABASE_URL: database.url,
      LOG_LEVEL: "warn",
      PUBLIC_URL: "",
      ENCRYPTION_KEYS: crypto.randomBytes(32).toString("base64"),
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: fake.apiRoot!,
      TELEGRAM_RATE_GLOBAL_PER_SECOND: String(GLOBAL_PER_SECOND),
      TELEGRAM_RATE_PRIVATE_PER_SECOND: "20",
      TELEGRAM_RATE_PRIVATE_BURST: "20",
      CAMPAIGN_QUIET_HOURS: "off",
    };
    const started = Date.now();
    // One after the other: the first takes every role (leader, sender:telegram…), the others wait.
    const instances: ServiceProcess[] = [];
    for (const id of ["a", "b", "c"]) instances.push(await startService({ env: { ...env, CLUSTER_INSTANCE_ID: id }, timeoutMs: 60_000 }));
    const byId = new Map(instances.map((svc, i) => [["a", "b", "c"][i]!, svc]));
    const live = () => instances.filter((svc) => !svc.exit);
    const holderOf = async (role: string) => {
      const lease = await db.lease.findUnique({ where: { name: role } });
      return lease ? byId.get(lease.holder.split("|")[0]!) : undefined;
    };

    // A campaign to 600 subscribers (other chats than the 500 writing in), confirmed once the stream's
    // replies are out (replies outrank campaigns: alongside them it would wait anyway).
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const chat = await db.chat.create({ data: { channel: "telegram", platformChatId: String(700_000 + i), kind: "private", locale: "vi" } });
      await db.subscription.create({ data: { chatId: chat.id, topics: '["fraud"]', provinceCode: "01", consentedAt: new Date() } });
    }
    const actor = { kind: "admin" as const, name: "test" };
    const content = allowed(
      await addContent(db, { actor, input: { title: "Cảnh báo", bodies: { vi: "Không cung cấp mã OTP cho bất kỳ ai." }, source: { law: "Luật An ninh mạng 2018" }, topics: ["fraud"] } }),
    ).content;
    const campaign = allowed(await createCampaign(db, { contentId: content.id, audience: {}, schedule: "ngay", actor })).campaign;
    const campaignCalls = () => fake.delivered().filter((c) => String(c.payload.text).includes("mã OTP"));

    // The stream: 10 commands per chat, each sent once the previous one was acknowledged (the order
    // the chat wrote in), update k of chat c to instance (c + k) mod 3; 60 chats writing at once.
    const expected = new Map<string, string[]>();
    const updates: Array<Array<{ update: object; updateId: number; seq: number }>> = [];
    for (let c = 0; c < CHATS; c++) {
      const chat = String(500_000 + c);
      const mine: (typeof updates)[number] = [];
      for (let k = 0; k < PER_CHAT; k++) {
        // A chat's first message is always answered with the welcome: it starts with /start.
        const [command] = k === 0 ? COMMANDS[0]! : COMMANDS[crypto.randomInt(COMMANDS.length)]!;
        const update = tgCommand(Number(chat), command);
        expected.set(chat, [...(expected.get(chat) ?? []), command]);
        mine.push({ update, updateId: (update as { update_id: number }).update_id, seq: c + k });
      }
      updates.push(mine);
    }
    const acked = new Set<number>();
    let next = 0;
    let redelivered = 0;
    const send = async () => {
      for (;;) {
        const c = next++;
        if (c >= updates.length) return;
        for (const u of updates[c]!) {
        for (let attempt = 0; ; attempt++) {
          const targets = live();
          const svc = targets[(u.seq + attempt) % targets.length]!;
          const res = await fake.pushUpdate(u.update, { url: `${svc.url}${TELEGRAM_WEBHOOK_PATH}`, secret: SECRET }).catch(() => undefined);
          if (res?.status === 200) {
            acked.add(u.updateId);
            break;
          }
          redelivered++;
          expect(attempt, "an update could not be delivered to any instance").toBeLessThan(20);
          await new Promise((r) => setTimeout(r, 50)); // Telegram's retry: its own pause
        }
        }
      }
    };
    const stream = Promise.all(Array.from({ length: 60 }, () => send()));

    // Mid-stream: SIGKILL the instance sending Telegram's messages (it is also the leader).
    await eventually(() => acked.size >= 1_500, 120_000, "1,500 updates acknowledged");
    const firstVictim = (await holderOf("sender:telegram"))!;
    expect(firstVictim).toBeDefined();
    const runsBeforeFirst = await Promise.all(live().map((svc) => scheduledRuns(svc, "campaigns")));
    firstVictim.child.kill("SIGKILL");
    await firstVictim.exited;
    const repliesAtFirstKill = fake.delivered().filter((c) => Number(c.payload.chat_id) < 700_000).length;
    const recordedAtFirstKill = await db.outboxMessage.count({ where: { status: "sent", chat: { platformChatId: { lt: "700000" } } } });
    const campaignAtFirstKill = campaignCalls().length;
    const campaignRecordedAtFirstKill = await db.outboxMessage.count({ where: { status: "sent", payload: { contains: "OTP" } } });

    // The stream ends; every update processed, every reply sent by the instances left.
    await stream;
    await eventually(async () => (await db.inboxUpdate.count({ where: { status: "pending" } })) === 0, 600_000, "every stored update processed");
    await eventually(async () => (await db.outboxMessage.count({ where: { status: "pending" } })) === 0, 600_000, "every reply sent");

    // Mid-campaign: SIGKILL whichever instance leads now (it took over from the first victim).
    await eventually(async () => (await holderOf("leader")) !== undefined && (await holderOf("leader")) !== firstVictim, 60_000, "a new leader");
    await confirmCampaign(db, { campaignId: campaign.id, actor, quiet: NO_QUIET_HOURS });
    await eventually(() => campaignCalls().length >= 150, 120_000, "the campaign under way");
    const secondVictim = (await holderOf("leader"))!;
    const runsBeforeSecond = await Promise.all(live().map((svc) => scheduledRuns(svc, "campaigns")));
    secondVictim.child.kill("SIGKILL");
    await secondVictim.exited;
    // Counted once it is dead: what it handed to the platform before dying, recorded or not.
    const campaignAtSecondKill = campaignCalls().length;
    const campaignRecordedAtSecondKill = await db.outboxMessage.count({ where: { status: "sent", payload: { contains: "OTP" } } });
    const repliesAtSecondKill = fake.delivered().filter((c) => Number(c.payload.chat_id) < 700_000).length;
    const recordedAtSecondKill = await db.outboxMessage.count({ where: { status: "sent", chat: { platformChatId: { lt: "700000" } } } });
    expect(campaignAtSecondKill, "the second kill came mid-campaign").toBeLessThan(SUBSCRIBERS);

    const survivor = live()[0]!;
    expect(live()).toHaveLength(1);
    await eventually(async () => (await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).status === "done", 180_000, "the campaign done");
    await eventually(async () => (await db.outboxMessage.count({ where: { status: "pending" } })) === 0, 180_000, "every message sent");
    const runsAtEnd = await scheduledRuns(survivor, "campaigns");
    const elapsedS = (Date.now() - started) / 1000;

    // Soft assertions: every figure is checked and printed, whatever fails first.
    // 0 acknowledged updates lost, none left unprocessed or parked.
    const stored = await db.inboxUpdate.findMany({ where: { channel: "telegram" }, select: { updateKey: true, status: true } });
    const storedKeys = new Set(stored.map((r) => r.updateKey));
    expect.soft([...acked].filter((id) => !storedKeys.has(String(id))), "acknowledged updates missing from the database").toEqual([]);
    expect.soft(acked.size).toBe(CHATS * PER_CHAT);
    expect.soft(stored.filter((r) => r.status !== "done"), "updates not processed").toEqual([]);

    // 0 double effects: each chat's replies recorded exactly once per update.
    const perChatRows = await db.outboxMessage.groupBy({ by: ["chatId"], where: { chat: { platformChatId: { lt: "700000" } } }, _count: { _all: true } });
    expect.soft(perChatRows).toHaveLength(CHATS);
    expect.soft(perChatRows.filter((r) => r._count._all !== PER_CHAT), "chats with a reply count other than one per update").toEqual([]);

    // Every chat's replies in order (a reply the dead sender had in flight may be repeated: seen once here).
    const seen = new Map<string, string[]>();
    for (const call of fake.delivered()) {
      const chat = String(call.payload.chat_id);
      if (Number(chat) >= 700_000 || call.method !== "sendMessage") continue;
      const kinds = seen.get(chat) ?? [];
      seen.set(chat, [...kinds, kindOf(String(call.payload.text))]);
    }
    let replyDuplicates = 0;
    const outOfOrder: string[] = [];
    for (const [chat, want] of expected) {
      const got = seen.get(chat) ?? [];
      replyDuplicates += got.length - want.length;
      if (!isInOrderWithRepeats(got, want)) outOfOrder.push(`${chat}: sent ${want.join(" ")}, answered ${got.join(" ")}`);
    }
    expect.soft(outOfOrder, "chats answered out of order").toEqual([]);
    const replyWindow = repliesAtFirstKill - recordedAtFirstKill + (repliesAtSecondKill - recordedAtSecondKill);
    expect.soft(replyDuplicates, "replies sent twice beyond what the killed senders had in flight").toBeLessThanOrEqual(Math.max(0, replyWindow));

    // The platform's limits held in total: never a 429, never more than its pace.
    const limited = fake.calls.filter((c) => c.status === 429);
    expect.soft(limited, "429s from the platform").toEqual([]);
    const sends = fake.delivered().map((c) => c.at).sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, j = 0; i < sends.length; i++) {
      while (sends[i]! - sends[j]! >= 1000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    expect.soft(peak, "messages in any one second").toBeLessThanOrEqual(GLOBAL_PER_SECOND * 2); // the fake's bucket holds one second's worth

    // The campaign: everyone reached, duplicates only what the killed instances had in flight.
    const perSubscriber = new Map<string, number>();
    for (const c of campaignCalls()) perSubscriber.set(String(c.payload.chat_id), (perSubscriber.get(String(c.payload.chat_id)) ?? 0) + 1);
    expect.soft(perSubscriber.size).toBe(SUBSCRIBERS);
    const campaignDuplicates = [...perSubscriber.values()].reduce((n, k) => n + k - 1, 0);
    const campaignWindow = campaignAtFirstKill - campaignRecordedAtFirstKill + (campaignAtSecondKill - campaignRecordedAtSecondKill);
    expect.soft(campaignDuplicates).toBeLessThanOrEqual(Math.max(0, campaignWindow));
    expect.soft(await campaignReport(db, campaign.id)).toMatchObject({ targeted: SUBSCRIBERS, sent: SUBSCRIBERS, failed: 0, pending: 0 });

    // The scheduler ran once across instances: the campaign engine's step (every 0.5 s) ran on the
    // leader alone — the runs counted by all instances add up to one instance's, not three.
    // Each process counted once: the first victim at its kill, the second at its kill, the survivor at the end.
    const steps =
      runsBeforeFirst[instances.filter((svc) => svc !== firstVictim).length === 2 ? instances.indexOf(firstVictim) : 0]! +
      runsBeforeSecond[instances.filter((svc) => svc !== firstVictim).indexOf(secondVictim)]! +
      runsAtEnd;
    const possible = elapsedS / 0.5;
    expect.soft(steps, `campaign engine steps counted by every instance in ${elapsedS.toFixed(0)} s`).toBeLessThanOrEqual(possible * 1.1 + 10);
    expect.soft(await db.lease.count({ where: { name: "leader" } })).toBe(1);

    console.log(
      `[cluster] 3 instances, ${acked.size} updates from ${CHATS} chats acknowledged (${redelivered} redelivered after a kill) in ${elapsedS.toFixed(1)} s; ` +
        `lost 0; reply rows per chat ${PER_CHAT}; platform duplicates ${replyDuplicates} (in-flight window ${replyWindow}); ` +
        `campaign ${SUBSCRIBERS} reached, duplicates ${campaignDuplicates} (window ${campaignWindow}); peak ${peak}/s of ${GLOBAL_PER_SECOND}/s, 429s 0; ` +
        `campaign engine steps ${steps} in ${elapsedS.toFixed(0)} s (one instance: ≤ ${Math.floor(possible)})`,
    );
    await killService(survivor, "SIGTERM");
  }, 900_000);
});

/** `got` is `want` with some items repeated right after themselves (a message resent after a crash). */
function isInOrderWithRepeats(got: string[], want: string[]): boolean {
  let i = 0;
  for (const kind of got) {
    if (i < want.length && kind === want[i]) i++;
    else if (i > 0 && kind === want[i - 1]) continue;
    else return false;
  }
  return i === want.length;
}
