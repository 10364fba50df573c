import crypto from "node:crypto";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Update } from "grammy/types";
import type { Config } from "./config.ts";
import type { Db } from "./db/client.ts";
import type { Logger } from "./logger.ts";
import { createTranslator, type Translate } from "./i18n.ts";
import { Metrics } from "./metrics.ts";
import { Keywords } from "./core/resident/keywords.ts";
import { loadIntentReader } from "./core/resident/intents.ts";
import { processInbound } from "./core/processInbound.ts";
import { expireDrafts } from "./core/tips/expireDrafts.ts";
import { sendReminders } from "./core/tips/reminders.ts";
import { stopSubscription } from "./core/subscriptions/commands/stopSubscription.ts";
import { CampaignEngine } from "./core/campaigns/engine.ts";
import { NO_QUIET_HOURS } from "./core/campaigns/schedule.ts";
import { KnowledgeBase } from "./core/qa/knowledge.ts";
import type { PlaceFinder } from "./core/tips/places.ts";
import type { Sealer } from "./security/sealing.ts";
import { InboxIngest } from "./inbox/ingest.ts";
import { InboxWorker, type WorkerActivity } from "./inbox/worker.ts";
import { Poller } from "./inbox/polling.ts";
import { PlatformLimiter } from "./outbox/limiter.ts";
import { OutboxSender, type OutboxChannel } from "./outbox/sender.ts";
import type { OutboxRef } from "./outbox/outbound.ts";
import { registerWebhooks, type WebhookChannel } from "./http/webhooks.ts";
import { registerOps } from "./http/ops.ts";
import { ReaderWatch } from "./core/tips/readerWatch.ts";
import { TelegramBot } from "./channels/telegram/bot.ts";
import { TelegramRenderer } from "./channels/telegram/render.ts";
import { TelegramSender } from "./channels/telegram/sender.ts";
import { isValidTelegramUpdate, telegramIncoming } from "./channels/telegram/inbound.ts";
import { Cron } from "croner";
import { VN_TIME_ZONE } from "./core/vnTime.ts";
import { applyRetention, type RetentionReport } from "./core/privacy/applyRetention.ts";
import { ZaloApiError, ZaloClient } from "./channels/zalo/client.ts";
import { ZaloRenderer } from "./channels/zalo/render.ts";
import { ZaloSender } from "./channels/zalo/sender.ts";
import { zaloEvent, zaloIncoming } from "./channels/zalo/inbound.ts";
import { WebChannel } from "./channels/web/channel.ts";
import { webEvent } from "./channels/web/inbound.ts";
import { sealHistory } from "./channels/web/history.ts";
import { configuredSecrets, secretRedactor } from "./security/redact.ts";
import type { ReplyRenderer } from "./outbox/outbound.ts";

/** What the running service is doing: see `App.activity()`. */
export interface ServiceActivity {
  /** Updates received and not yet committed to the inbox. */
  storing: number;
  inbox: WorkerActivity;
  outbox: WorkerActivity;
  housekeeping: boolean;
  /** Why the campaign engine has work due now (empty: none). */
  campaigns: string[];
}

/** Whether an activity report shows nothing happening and nothing due (see `App.idle()`). */
export function isIdle(a: ServiceActivity): boolean {
  return a.storing === 0 && a.inbox.running + a.inbox.due === 0 && a.outbox.running + a.outbox.due === 0 && !a.housekeeping && a.campaigns.length === 0;
}

export const TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram";
export const ZALO_WEBHOOK_PATH = "/webhooks/zalo";

/**
 * The webhook secret for a platform: the configured one, or one derived from the bot token so a
 * token alone is enough to run safely (the derived value is what we register with setWebhook).
 */
export function webhookSecret(configured: string | undefined, token: string | undefined, platform: string): string | undefined {
  if (configured) return configured;
  if (!token) return undefined;
  return crypto.createHash("sha256").update(`tai-mat:${platform}:${token}`).digest("base64url").slice(0, 48);
}

export interface AppOptions {
  config: Config;
  log: Logger;
  db: Db;
  /** Seals tipsters' contact details and reply references. */
  sealer: Sealer;
  /** Commune routing: shared locations and typed place names. */
  places: PlaceFinder;
  /** Collect Node process metrics as well (off in tests, where many apps share a process). */
  processMetrics?: boolean;
}

/**
 * The running service: HTTP (webhooks, health, metrics), the inbox worker, the outbox sender and the
 * configured channels. `start()` resumes any work left by a previous run; `stop()` shuts down gracefully.
 */
export class App {
  readonly http: FastifyInstance;
  readonly metrics: Metrics;
  readonly ingest: InboxIngest;
  readonly worker: InboxWorker;
  readonly sender: OutboxSender;
  readonly telegram?: TelegramBot;
  readonly zaloClient?: ZaloClient;
  /** The web chat served at `/`: always on, no token needed. */
  readonly web: WebChannel;
  readonly t: Translate;
  private readonly limiters: PlatformLimiter[] = [];
  private readonly pollers: Poller[] = [];
  private readonly renderers: Record<string, ReplyRenderer> = {};
  private housekeeping?: NodeJS.Timeout;
  private campaignTimer?: NodeJS.Timeout;
  private retentionJob?: Cron;
  /** Legal awareness campaigns: fan-out and delivery at the platforms' pace. */
  readonly campaigns: CampaignEngine;
  /** The legal knowledge base and its search index. */
  readonly knowledge: KnowledgeBase;
  /** Tips and questions that no bound group can show (metric, log, /healthz). */
  readonly readers: ReaderWatch;
  private stopped = false;
  /** Housekeeping passes running now (see `activity()`). */
  private housekeepingRunning = 0;

  constructor(private readonly opts: AppOptions) {
    const { config, log, db } = opts;
    this.metrics = new Metrics({ defaultMetrics: opts.processMetrics });
    this.t = createTranslator().t;
    const keywords = new Keywords(this.t);
    // Officers work in Telegram groups: the Telegram renderer draws their cards.
    const officerRenderer = config.telegram.token ? (this.renderers.telegram = new TelegramRenderer(this.t)) : undefined;
    this.knowledge = new KnowledgeBase();
    const resident = { keywords, intents: loadIntentReader(this.t), places: opts.places, sealer: opts.sealer, officerRenderer, knowledge: this.knowledge, retention: config.retention.periods };
    const outboxChannels: Record<string, OutboxChannel> = {};

    const tg = config.telegram;
    if (tg.token) {
      this.telegram = new TelegramBot({
        token: tg.token,
        apiRoot: tg.apiRoot,
        deps: { ...resident, renderer: officerRenderer! },
        officer: {
          sealer: opts.sealer,
          places: opts.places,
          t: this.t,
          officerRenderer: officerRenderer!,
          renderers: this.renderers,
          knowledge: this.knowledge,
          quiet: config.campaigns.quietHours ?? NO_QUIET_HOURS,
          codeGuess: config.codeGuess,
          onCodeAlert: (alert) => {
            this.metrics.codeGuessAlerts.inc({ kind: alert.kind });
            log.warn(alert, alert.reachedAdmins ? "wrong one-time codes: administrators alerted" : "wrong one-time codes: no administrator reachable in private");
          },
        },
        log,
      });
      const limiter = new PlatformLimiter(tg.limits);
      this.limiters.push(limiter);
      const loadUpload = async (id: string) => {
        const upload = await db.upload.findUnique({ where: { id }, select: { bytes: true, mime: true } });
        return upload ? { bytes: upload.bytes, mime: upload.mime } : null;
      };
      outboxChannels.telegram = { sender: new TelegramSender(this.telegram.bot.api, loadUpload), limiter };
    }
    const zaloDeps = { ...resident, renderer: (this.renderers.zalo = new ZaloRenderer(this.t)) };
    if (config.zalo.token) {
      this.zaloClient = new ZaloClient(config.zalo.token, config.zalo.apiBase);
      const limiter = new PlatformLimiter(config.zalo.limits);
      this.limiters.push(limiter);
      outboxChannels.zalo = { sender: new ZaloSender(this.zaloClient), limiter };
    }
    this.web = new WebChannel({
      db,
      t: this.t,
      sealer: opts.sealer,
      metrics: this.metrics,
      log,
      uploadLimitBytes: config.web.uploadLimitBytes,
      uploadsPerHour: config.web.uploadsPerHour,
      secureCookies: config.publicUrl?.startsWith("https:") === true,
      limits: config.web,
    });
    const webDeps = { ...resident, renderer: (this.renderers.web = this.web.renderer) };
    this.limiters.push(this.web.limiter);
    outboxChannels.web = { sender: this.web.sender, limiter: this.web.limiter, keepDelivered: (payload) => sealHistory(opts.sealer, payload) };
    // Every error stored (outbox, inbox) goes through the same redactor as the log lines.
    const redact = secretRedactor([
      ...configuredSecrets(config),
      webhookSecret(tg.webhookSecret, tg.token, "telegram"),
      webhookSecret(config.zalo.webhookSecret, config.zalo.token, "zalo"),
    ]);

    this.sender = new OutboxSender({
      db,
      channels: outboxChannels,
      maxAttempts: config.outbox.maxAttempts,
      metrics: this.metrics,
      log,
      redact,
      // A person who blocked the bot has opted out of campaigns (recorded like a stop word).
      onBlocked: async (tx, chatId) => void (await stopSubscription(tx, { actor: { kind: "system" }, chatId, reason: "blocked" })),
    });
    this.campaigns = new CampaignEngine({
      db,
      renderers: this.renderers,
      notify: (refs) => this.sender.notify(refs),
      log,
      quiet: config.campaigns.quietHours ?? NO_QUIET_HOURS,
      staffRenderer: officerRenderer,
    });
    this.worker = new InboxWorker({
      db,
      concurrency: config.inbox.concurrency,
      maxAttempts: config.inbox.maxAttempts,
      metrics: this.metrics,
      log,
      redact,
      flood: { arrivalRate: () => this.ingest.arrivalRate(), rate: config.inbox.floodRate, share: config.inbox.floodShare },
      process: async (inboxId) => {
        const row = await db.inboxUpdate.findUnique({ where: { id: inboxId } });
        if (!row || row.status !== "pending") return;
        const body = JSON.parse(row.payload) as unknown;
        let refs: OutboxRef[] = [];
        await db.$transaction(
          async (tx) => {
            if (row.channel === "telegram") {
              if (!this.telegram) throw new Error("telegram update stored but TELEGRAM_BOT_TOKEN is not set");
              // Stored updates were checked at ingest; a row stored by an older version may not fit.
              if (isValidTelegramUpdate(body)) refs = await this.telegram.process(tx, row.id, body as Update);
              else log.warn({ channel: "telegram", inboxId: row.id }, "stored update does not fit the update schema; marked done unhandled");
            } else if (row.channel === "zalo") {
              const event = zaloEvent(body);
              if (event) refs = await processInbound(tx, zaloDeps, { event, sourceUpdateId: row.id });
            } else if (row.channel === "web") {
              const event = webEvent(body);
              if (event) refs = await processInbound(tx, webDeps, { event, sourceUpdateId: row.id });
            } else {
              throw new Error(`no processor for channel ${row.channel}`);
            }
            const marked = await tx.inboxUpdate.updateMany({
              where: { id: row.id, status: "pending" },
              // The raw update can identify a tipster; dedupe only needs the key, so the body goes, and
              // so does the chat key: a processed row naming the chat, timed next to a tip's receipt,
              // would link the two.
              data: { status: "done", processedAt: new Date(), attempts: { increment: 1 }, payload: "", chatKey: "" },
            });
            if (marked.count !== 1) throw new Error(`inbox update ${row.id} was processed concurrently`);
          },
          { timeout: 30_000, maxWait: 30_000 },
        );
        this.sender.notify(refs);
      },
    });
    this.ingest = new InboxIngest(db, this.metrics, (rows) => this.worker.add(rows));

    this.http = Fastify({
      loggerInstance: log as unknown as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      return503OnClosing: true,
      forceCloseConnections: "idle",
      bodyLimit: config.webhookBodyLimit,
      // X-Forwarded-For / -Proto are believed only from the configured proxies (req.ip, req.protocol).
      ...(config.trustProxy.length ? { trustProxy: config.trustProxy } : {}),
    });
    const webhookChannels: WebhookChannel[] = [
      {
        name: "telegram",
        path: TELEGRAM_WEBHOOK_PATH,
        secretHeader: "x-telegram-bot-api-secret-token",
        secret: webhookSecret(tg.webhookSecret, tg.token, "telegram"),
        toIncoming: telegramIncoming,
      },
      {
        name: "zalo",
        path: ZALO_WEBHOOK_PATH,
        secretHeader: "x-bot-api-secret-token",
        secret: webhookSecret(config.zalo.webhookSecret, config.zalo.token, "zalo"),
        toIncoming: zaloIncoming,
      },
    ];
    this.webhookChannels = webhookChannels;
    void registerWebhooks(this.http, { channels: webhookChannels, ingest: this.ingest, metrics: this.metrics, bodyLimit: config.webhookBodyLimit });
    this.readers = new ReaderWatch(db, this.metrics, log);
    registerOps(this.http, { db, metrics: this.metrics, readers: this.readers, metricsToken: config.metricsToken });
    this.web.register(this.http, { ingest: this.ingest, onStored: (rows) => this.worker.add(rows) });
  }

  private readonly webhookChannels: WebhookChannel[];

  /** Resumes stored work (pending updates and messages) and prepares the channels. */
  async start(): Promise<void> {
    await this.http.ready();
    await this.worker.start();
    await this.sender.start();
    await this.web.storage.refresh();
    await this.telegram?.init();
    await this.telegram?.registerCommandMenus(this.t);
    this.housekeeping = setInterval(() => {
      this.runHousekeeping().catch((err: unknown) => this.opts.log.error({ err }, "housekeeping failed"));
    }, 60_000);
    this.housekeeping.unref();
    this.readers.check().catch((err: unknown) => this.opts.log.error({ err }, "checking for unbound queues failed"));
    // Twice a second: the outbox window (30) is refilled before the 30/s limiter drains it.
    this.campaignTimer = setInterval(() => {
      this.campaigns.tick().catch((err: unknown) => this.opts.log.error({ err }, "campaign engine step failed"));
    }, 500);
    this.campaignTimer.unref();
    // Personal data (Law 91/2025): the retention rules, once a day (RETENTION_SCHEDULE).
    const schedule = this.opts.config.retention.schedule;
    if (schedule) {
      this.retentionJob = new Cron(schedule, { timezone: VN_TIME_ZONE, protect: true, unref: true }, async () => {
        await this.runRetention().catch((err: unknown) => this.opts.log.error({ err }, "retention job failed"));
      });
    }
  }

  /** Applies the retention rules now (the daily job; also `npm run admin -- retention:run`), logging the counts per rule. */
  async runRetention(now = new Date()): Promise<RetentionReport> {
    const report = await applyRetention(this.opts.db, this.opts.config.retention.periods, now);
    this.opts.log.info({ retention: report.counts }, "retention rules applied");
    return report;
  }

  /** Periodic jobs (every minute): reminders and escalations about open tips; drops tip drafts untouched for 24 hours (telling the person), then stale web uploads. */
  async runHousekeeping(now = new Date()): Promise<void> {
    this.housekeepingRunning++;
    try {
      this.sender.notify(await expireDrafts(this.opts.db, this.renderers, now, this.opts.config.retention.periods.drafts));
      const officers = this.renderers.telegram;
      if (officers) this.sender.notify(await sendReminders(this.opts.db, officers, this.opts.config.reminders, now));
      await this.web.housekeeping(now);
      await this.readers.check();
    } finally {
      this.housekeepingRunning--;
    }
  }

  /**
   * What the service is doing now: updates being stored, the inbox worker's and the outbox sender's
   * work (running, due, scheduled for later), a housekeeping pass, and why the campaign engine has
   * work due. See `idle()`.
   */
  async activity(now = new Date()): Promise<ServiceActivity> {
    return {
      storing: this.ingest.storing,
      inbox: this.worker.activity(),
      outbox: this.sender.activity(),
      housekeeping: this.housekeepingRunning > 0,
      campaigns: await this.campaigns.workDue(now),
    };
  }

  /**
   * True when nothing is happening and nothing is due: no update being stored, none being processed
   * or due in the inbox (updates held by `worker.pause()` are due), no message in flight or due in
   * the outbox, no housekeeping pass running, and no campaign work due. Work scheduled for later —
   * a retry's backoff, a platform's rate-limit wait, a campaign not yet due, a paused campaign —
   * does not count: until its time comes, nothing more leaves the service unless something arrives.
   */
  async idle(now = new Date()): Promise<boolean> {
    return isIdle(await this.activity(now));
  }

  /** Starts listening; returns the base URL. */
  async listen(port = this.opts.config.port, host = this.opts.config.host): Promise<string> {
    await this.http.listen({ port, host });
    const addr = this.http.server.address();
    const actualPort = typeof addr === "object" && addr ? addr.port : port;
    return `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${actualPort}`;
  }

  /** The secret a platform must send with its webhook calls. */
  secretFor(channel: "telegram" | "zalo"): string | undefined {
    return this.webhookChannels.find((c) => c.name === channel)?.secret;
  }

  /**
   * Registers our webhook URL with each configured platform (needs PUBLIC_URL). Failures are
   * logged, not fatal: the service keeps running and can be registered by hand.
   */
  async registerWebhooks(): Promise<void> {
    const { config, log } = this.opts;
    if (!config.publicUrl) return;
    if (this.telegram) {
      try {
        await this.telegram.bot.api.setWebhook(`${config.publicUrl}${TELEGRAM_WEBHOOK_PATH}`, {
          secret_token: this.secretFor("telegram"),
          allowed_updates: ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"],
        });
        log.info({ url: `${config.publicUrl}${TELEGRAM_WEBHOOK_PATH}` }, "telegram webhook registered");
      } catch (err) {
        log.error({ err }, "telegram setWebhook failed; register by hand (see README)");
      }
    }
    if (this.zaloClient) {
      try {
        await this.zaloClient.call("setWebhook", { url: `${config.publicUrl}${ZALO_WEBHOOK_PATH}`, secret_token: this.secretFor("zalo") });
        log.info({ url: `${config.publicUrl}${ZALO_WEBHOOK_PATH}` }, "zalo webhook registered");
      } catch (err) {
        log.error({ err }, "zalo setWebhook failed; register by hand (see README)");
      }
    }
  }

  /**
   * Development without a public URL: long-polls the platforms whose *_POLLING flag is set, removing
   * any webhook first (the two modes exclude each other). Updates go through the same inbox.
   */
  async startPolling(): Promise<void> {
    const { config, log } = this.opts;
    if (config.publicUrl) return;
    if (this.telegram && config.telegram.polling) {
      const api = this.telegram.bot.api;
      await api.deleteWebhook();
      let offset = 0;
      const poller = new Poller(
        "telegram",
        async (signal) => {
          const updates = await api.getUpdates({ offset, timeout: 25, allowed_updates: ["message", "edited_message", "callback_query", "my_chat_member"] }, signal as Parameters<typeof api.getUpdates>[1]);
          // The next call's offset confirms these to Telegram, only after they are stored (or refused).
          const ids = updates.map((u) => u.update_id).filter((id) => Number.isSafeInteger(id));
          if (ids.length) offset = Math.max(...ids) + 1;
          return updates as unknown[];
        },
        telegramIncoming,
        this.ingest,
        log,
        this.metrics,
      );
      poller.start();
      this.pollers.push(poller);
    }
    if (this.zaloClient && config.zalo.polling) {
      const client = this.zaloClient;
      await client.call("deleteWebhook").catch((err: unknown) => log.warn({ err }, "zalo deleteWebhook failed"));
      const poller = new Poller(
        "zalo",
        async (signal) => {
          try {
            const update = await client.call("getUpdates", { timeout: "25" }, { timeoutMs: 35_000, signal });
            return update ? [update as unknown] : [];
          } catch (err) {
            if (err instanceof ZaloApiError && err.errorCode === 408) return []; // an empty long poll
            throw err;
          }
        },
        zaloIncoming,
        this.ingest,
        log,
        this.metrics,
      );
      poller.start();
      this.pollers.push(poller);
    }
  }

  /** Stops accepting requests, finishes work in flight, and closes the database. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.housekeeping) clearInterval(this.housekeeping);
    if (this.campaignTimer) clearInterval(this.campaignTimer);
    this.retentionJob?.stop();
    await Promise.allSettled(this.pollers.map((p) => p.stop()));
    await this.http.close();
    await this.worker.stop();
    // Stop the sender (no new deliveries) before the limiters: calls still waiting for a slot are
    // dropped and their rows stay pending for the next start, instead of being sent one by one at
    // the platform's pace (with many chats queued, that outlasts any shutdown grace period).
    const senderStopped = this.sender.stop();
    await Promise.allSettled(this.limiters.map((l) => l.stop()));
    await senderStopped;
    await this.opts.db.$disconnect();
  }
}
