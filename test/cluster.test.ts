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
/** The platform's overall pace for this test (fake and service alike): at Telegram's 30/s the 5,000 replies alone would take three minutes. */
const GLOBAL_PER_SECOND = 300;
const SECRET = "cluster-secret_1";
/** Polling interval of the waits on the database (every instance is busy enough). */
const POLL_MS = 200;

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

/** Phases passed so far, with their durations (printed at the end, and by a wait that times out). */
const phases: string[] = [];

/** Waits for `check` (a database condition), polling every POLL_MS. */
async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (after: ${phases.join(", ")})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A SIGKILL: when it was sent, when the process was seen dead. */
interface Kill {
  at: number;
  deadAt: number;
}

describe.runIf(PROVIDER === "postgresql")("several instances on one PostgreSQL", () => {
  it("3 instances, 5,000 updates from 500 chats, the sender killed mid-stream and the leader mid-campaign: nothing lost, nothing doubled, order and limits kept", async () => {
    const started = Date.now();
    let phaseAt = started;
    const phase = (name: string) => {
      const now = Date.now();
      phases.push(`${name} ${((now - phaseAt) / 1000).toFixed(1)} s`);
      phaseAt = now;
    };
    // Per chat 20/s (Telegram: about 1/s): at 1/s the replies would take minutes; the overall
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
      // A heartbeat a second: a killed instance's roles and chats are taken over within about a second
      // (its leases are expired at once by a neighbour on the same machine; the lease itself stays 15 s).
      CLUSTER_HEARTBEAT_SECONDS: "1",
    };
    const ids = ["a", "b", "c"];
    // The first loads the reference data into the new database; the other two start together once it is up.
    const start = (id: string) => startService({ env: { ...env, CLUSTER_INSTANCE_ID: id }, timeoutMs: 120_000 });
    const first = await start(ids[0]!);
    const instances: ServiceProcess[] = [first, ...(await Promise.all(ids.slice(1).map(start)))];
    const byId = new Map(instances.map((svc, i) => [ids[i]!, svc]));
    const live = () => instances.filter((svc) => !svc.exit);
    const holderOf = async (role: string) => {
      const lease = await db.lease.findUnique({ where: { name: role } });
      return lease ? byId.get(lease.holder.split("|")[0]!) : undefined;
    };
    const liveHolderOf = async (role: string) => {
      const svc = await holderOf(role);
      return svc && !svc.exit ? svc : undefined;
    };
    phase("3 instances started");

    // A campaign to 600 subscribers (other chats than the 500 writing in), confirmed once the stream's
    // replies are out (replies outrank campaigns: alongside them it would wait anyway).
    await db.chat.createMany({ data: Array.from({ length: SUBSCRIBERS }, (_, i) => ({ channel: "telegram", platformChatId: String(700_000 + i), kind: "private", locale: "vi" })) });
    const subscriberChats = await db.chat.findMany({ where: { platformChatId: { gte: "700000" } }, select: { id: true } });
    await db.subscription.createMany({ data: subscriberChats.map((c) => ({ chatId: c.id, topics: '["fraud"]', provinceCode: "01", consentedAt: new Date() })) });
    const actor = { kind: "admin" as const, name: "test" };
    const content = allowed(
      await addContent(db, { actor, input: { title: "Cảnh báo", bodies: { vi: "Không cung cấp mã OTP cho bất kỳ ai." }, source: { law: "Luật An ninh mạng 2018" }, topics: ["fraud"] } }),
    ).content;
    const campaign = allowed(await createCampaign(db, { contentId: content.id, audience: {}, schedule: "ngay", actor })).campaign;
    const campaignCalls = () => fake.delivered().filter((c) => String(c.payload.text).includes("mã OTP"));
    const isReply = (chatId: unknown) => Number(chatId) < 700_000;
    phase("campaign prepared");

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

    // Mid-stream: SIGKILL the instance sending Telegram's messages.
    await until(() => acked.size >= 1_500, 120_000, "1,500 updates acknowledged");
    const firstVictim = (await liveHolderOf("sender:telegram"))!;
    expect(firstVictim).toBeDefined();
    const runsBeforeFirst = await scheduledRuns(firstVictim, "campaigns");
    const kills: Kill[] = [];
    const kill = async (svc: ServiceProcess) => {
      const at = Date.now();
      svc.child.kill("SIGKILL");
      await svc.exited;
      kills.push({ at, deadAt: Date.now() });
    };
    await kill(firstVictim);
    phase("1,500 acknowledged, sender killed");
    // Counted once it is dead: what it handed to the platform before dying, recorded or not.
    const repliesAtFirstKill = fake.delivered().filter((c) => isReply(c.payload.chat_id)).length;
    const recordedAtFirstKill = await db.outboxMessage.count({ where: { status: "sent", chat: { platformChatId: { lt: "700000" } } } });
    await until(async () => (await liveHolderOf("sender:telegram")) !== undefined, 30_000, "a new sender");
    const firstTakeOverS = (Date.now() - kills[0]!.at) / 1000;

    // The stream ends; every update processed, every reply sent by the instances left.
    await stream;
    phase("stream acknowledged");
    await until(async () => (await db.inboxUpdate.count({ where: { status: "pending" } })) === 0, 300_000, "every stored update processed");
    phase("every update processed");
    await until(async () => (await db.outboxMessage.count({ where: { status: "pending" } })) === 0, 300_000, "every reply sent");
    phase("every reply sent");

    // Mid-campaign: SIGKILL whichever instance leads now (it took over from the first victim).
    await until(async () => (await liveHolderOf("leader")) !== undefined, 30_000, "a live leader");
    await confirmCampaign(db, { campaignId: campaign.id, actor, quiet: NO_QUIET_HOURS });
    await until(() => campaignCalls().length >= 150, 120_000, "the campaign under way");
    const secondVictim = (await liveHolderOf("leader"))!;
    const runsBeforeSecond = await scheduledRuns(secondVictim, "campaigns");
    const campaignBeforeSecondKill = campaignCalls().length;
    await kill(secondVictim);
    phase("campaign under way, leader killed");
    const campaignAtSecondKill = campaignCalls().length;
    const campaignRecordedAtSecondKill = await db.outboxMessage.count({ where: { status: "sent", payload: { contains: "OTP" } } });
    const repliesAtSecondKill = fake.delivered().filter((c) => isReply(c.payload.chat_id)).length;
    const recordedAtSecondKill = await db.outboxMessage.count({ where: { status: "sent", chat: { platformChatId: { lt: "700000" } } } });
    expect(campaignBeforeSecondKill, "the second kill came mid-campaign").toBeLessThan(SUBSCRIBERS);
    await until(async () => (await liveHolderOf("leader")) !== undefined, 30_000, "a new leader");
    const secondTakeOverS = (Date.now() - kills[1]!.at) / 1000;

    const survivor = live()[0]!;
    expect(live()).toHaveLength(1);
    await until(async () => (await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).status === "done", 180_000, "the campaign done");
    await until(async () => (await db.outboxMessage.count({ where: { status: "pending" } })) === 0, 180_000, "every message sent");
    phase("campaign done");
    const runsAtEnd = await scheduledRuns(survivor, "campaigns");
    const elapsedS = (Date.now() - started) / 1000;

    // Soft assertions: every figure is checked and printed, whatever fails first.
    // 0 acknowledged updates lost, none left unprocessed or parked.
    const stored = await db.inboxUpdate.findMany({ where: { channel: "telegram" }, select: { updateKey: true, status: true } });
    const storedKeys = new Set(stored.map((r) => r.updateKey));
    expect.soft([...acked].filter((id) => !storedKeys.has(String(id))), "acknowledged updates missing from the database").toEqual([]);
    expect.soft(acked.size).toBe(CHATS * PER_CHAT);
    expect.soft(stored.filter((r) => r.status !== "done"), "updates not processed").toEqual([]);

    // 0 double effects: each chat's replies recorded exactly once per update, each one sent.
    const replyRows = await db.outboxMessage.findMany({
      where: { chat: { platformChatId: { lt: "700000" } } },
      select: { id: true, status: true, platformMessageId: true, chat: { select: { platformChatId: true } } },
      orderBy: { id: "asc" },
    });
    const rowsOf = new Map<string, typeof replyRows>();
    for (const row of replyRows) rowsOf.set(row.chat.platformChatId, [...(rowsOf.get(row.chat.platformChatId) ?? []), row]);
    expect.soft(rowsOf.size).toBe(CHATS);
    expect.soft([...rowsOf].filter(([, rows]) => rows.length !== PER_CHAT).map(([chat, rows]) => `${chat}: ${rows.length}`), "chats with a reply count other than one per update").toEqual([]);
    expect.soft(replyRows.filter((r) => r.status !== "sent" || !r.platformMessageId).length, "replies not sent").toBe(0);

    // Every chat's replies in order. Each reply row records the message id the platform gave it, so
    // every delivery the platform saw is either a row's recorded delivery or one whose answer was
    // never recorded: a first delivery under way when its sender was killed, resent by the next
    // sender. The definition: the recorded deliveries come in the rows' order (the order the bot
    // wrote them, which must be the order of the chat's commands), and a delivery not recorded is
    // the first delivery of the very row that comes next, made before a kill — so the chat sees its
    // replies' first deliveries in order, a reply repeated only right after itself, nothing lost.
    const deliveriesOf = new Map<string, Array<{ messageId: string; text: string; at: number }>>();
    for (const call of fake.delivered()) {
      if (!isReply(call.payload.chat_id) || call.method !== "sendMessage") continue;
      const chat = String(call.payload.chat_id);
      const messageId = String((call.response?.result as { message_id?: number } | undefined)?.message_id);
      deliveriesOf.set(chat, [...(deliveriesOf.get(chat) ?? []), { messageId, text: String(call.payload.text), at: call.at }]);
    }
    const outOfOrder: string[] = [];
    let replyRepeats = 0;
    for (const [chat, want] of expected) {
      const rows = rowsOf.get(chat) ?? [];
      const deliveries = deliveriesOf.get(chat) ?? [];
      const byMessage = new Map(deliveries.map((d) => [d.messageId, d]));
      const rowAt = new Map(rows.map((r, i) => [r.platformMessageId ?? "", i]));
      const problems: string[] = [];
      let due = 0;
      for (const d of deliveries) {
        const i = rowAt.get(d.messageId);
        if (i === due) {
          due++;
          continue;
        }
        if (i !== undefined) {
          problems.push(`reply ${i + 1} delivered when reply ${due + 1} was due`);
          break;
        }
        replyRepeats++;
        const nextText = rows[due]?.platformMessageId ? byMessage.get(rows[due]!.platformMessageId!)?.text : undefined;
        if (d.text !== nextText) problems.push(`a delivery never recorded (${kindOf(d.text)}) is not the next reply's (${nextText === undefined ? "none" : kindOf(nextText)})`);
        if (!kills.some((k) => d.at <= k.deadAt && d.at >= k.at - 30_000)) problems.push(`reply ${due + 1} delivered twice, the first time not under way at a kill`);
      }
      if (problems.length === 0 && due !== rows.length) problems.push(`${rows.length - due} replies never delivered`);
      const answered = rows.map((r) => kindOf(byMessage.get(r.platformMessageId ?? "")?.text ?? "?"));
      if (answered.join(" ") !== want.join(" ")) problems.push(`replies recorded for ${answered.join(" ")}`);
      if (problems.length) outOfOrder.push(`${chat}: sent ${want.join(" ")}; delivered ${deliveries.map((d) => kindOf(d.text)).join(" ")}; ${problems.join("; ")}`);
    }
    expect.soft(outOfOrder, "chats answered out of order").toEqual([]);
    const replyWindow = repliesAtFirstKill - recordedAtFirstKill + (repliesAtSecondKill - recordedAtSecondKill);
    expect.soft(replyRepeats, "replies sent twice beyond what the killed senders had in flight").toBeLessThanOrEqual(Math.max(0, replyWindow));

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

    // A crashed instance's work is taken over within 30 s.
    expect.soft(firstTakeOverS, "seconds until a new sender").toBeLessThanOrEqual(30);
    expect.soft(secondTakeOverS, "seconds until a new leader").toBeLessThanOrEqual(30);

    // The campaign: everyone reached, duplicates only what the killed instances had in flight.
    const perSubscriber = new Map<string, number>();
    for (const c of campaignCalls()) perSubscriber.set(String(c.payload.chat_id), (perSubscriber.get(String(c.payload.chat_id)) ?? 0) + 1);
    expect.soft(perSubscriber.size).toBe(SUBSCRIBERS);
    const campaignDuplicates = [...perSubscriber.values()].reduce((n, k) => n + k - 1, 0);
    const campaignWindow = campaignAtSecondKill - campaignRecordedAtSecondKill;
    expect.soft(campaignDuplicates, "campaign messages sent twice beyond the killed leader's in-flight window").toBeLessThanOrEqual(Math.max(0, campaignWindow));
    expect.soft(await campaignReport(db, campaign.id)).toMatchObject({ targeted: SUBSCRIBERS, sent: SUBSCRIBERS, failed: 0, pending: 0 });

    // The scheduler ran once across instances: the campaign engine's step (every 0.5 s) ran on the
    // leader alone — the runs counted by all instances add up to one instance's, not three. Each
    // leader counted once: the first victim and the second at their kills, the survivor at the end.
    const steps = runsBeforeFirst + runsBeforeSecond + runsAtEnd;
    const possible = elapsedS / 0.5;
    expect.soft(steps, `campaign engine steps counted by every instance in ${elapsedS.toFixed(0)} s`).toBeLessThanOrEqual(possible * 1.1 + 10);
    expect.soft(await db.lease.count({ where: { name: "leader" } })).toBe(1);

    console.log(
      `[cluster] 3 instances, ${acked.size} updates from ${CHATS} chats acknowledged (${redelivered} redelivered after a kill) in ${elapsedS.toFixed(1)} s; ` +
        `lost 0; reply rows per chat ${PER_CHAT}; replies repeated ${replyRepeats} (in flight at the kills: ${replyWindow}); chats out of order ${outOfOrder.length}; ` +
        `campaign ${perSubscriber.size}/${SUBSCRIBERS} reached, duplicates ${campaignDuplicates} (in flight: ${campaignWindow}); peak ${peak}/s of ${GLOBAL_PER_SECOND}/s, 429s ${limited.length}; ` +
        `take-over ${firstTakeOverS.toFixed(1)} s (sender) and ${secondTakeOverS.toFixed(1)} s (leader); campaign engine steps ${steps} in ${elapsedS.toFixed(0)} s (one instance: ≤ ${Math.floor(possible)}); ` +
        `phases: ${phases.join(", ")}`,
    );
    await killService(survivor, "SIGTERM");
  }, 1_200_000);
});
