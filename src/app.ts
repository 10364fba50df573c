import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { Cron } from "croner";
import type { Config } from "./config.ts";
import type { Db } from "./db/client.ts";
import { acquireInstanceLock, type InstanceLock } from "./db/instanceLock.ts";
import type { Logger } from "./logger.ts";
import { createTranslator, type Translate } from "./i18n.ts";
import { Metrics } from "./metrics.ts";
import { Keywords } from "./core/resident/keywords.ts";
import { loadIntentReader } from "./core/resident/intents.ts";
import { expireDrafts } from "./core/tips/expireDrafts.ts";
import { sendReminders } from "./core/tips/reminders.ts";
import { stopSubscription } from "./core/subscriptions/commands/stopSubscription.ts";
import { CampaignEngine } from "./core/campaigns/engine.ts";
import { NO_QUIET_HOURS } from "./core/campaigns/schedule.ts";
import { KnowledgeBase } from "./core/qa/knowledge.ts";
import type { PlaceFinder } from "./core/tips/places.ts";
import { ReaderWatch } from "./core/tips/readerWatch.ts";
import { VN_TIME_ZONE } from "./core/vnTime.ts";
import { applyRetention, type RetentionReport } from "./core/privacy/applyRetention.ts";
import type { Sealer } from "./security/sealing.ts";
import { configuredSecrets, secretRedactor } from "./security/redact.ts";
import { InboxIngest } from "./inbox/ingest.ts";
import { InboxWorker, type WorkerActivity } from "./inbox/worker.ts";
import { storedUpdateProcessor } from "./inbox/process.ts";
import { Poller } from "./inbox/polling.ts";
import { OutboxSender } from "./outbox/sender.ts";
import type { ReplyRenderer } from "./outbox/outbound.ts";
import { registerWebhooks } from "./http/webhooks.ts";
import { registerOps } from "./http/ops.ts";
import { registerConsole } from "./console/routes.ts";
import { refreshStatsRollups } from "./core/console/statsRollup.ts";
import { ChannelRegistry, type ChannelContext } from "./channels/contract.ts";
import { telegramChannel } from "./channels/telegram/channel.ts";
import { zaloChannel } from "./channels/zalo/channel.ts";
import { webChannel } from "./channels/web/index.ts";
import type { WebChannel } from "./channels/web/channel.ts";

export { TELEGRAM_WEBHOOK_PATH } from "./channels/telegram/channel.ts";
export { ZALO_WEBHOOK_PATH } from "./channels/zalo/channel.ts";
export { webhookSecret } from "./channels/secret.ts";

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
  /**
   * The SQLite instance lock, when the caller took it before touching the database (src/main.ts,
   * before migrating); `start()` takes it otherwise. Released by `stop()`.
   */
  instanceLock?: InstanceLock;
}

/**
 * The running service: HTTP (webhooks, the web chat, health, metrics), the inbox worker, the outbox
 * sender, the channels and the timers. The constructor is the table of what runs; `start()` resumes
 * any work left by a previous run; `stop()` shuts down gracefully.
 */
export class App {
  readonly http: FastifyInstance;
  readonly metrics: Metrics;
  readonly t: Translate;
  /** Every channel, by name: Telegram, Zalo and the web chat (see src/channels/contract.ts). */
  readonly channels: ChannelRegistry;
  /** The web chat served at `/`: always on, no token needed. */
  readonly web: WebChannel;
  readonly ingest: InboxIngest;
  readonly worker: InboxWorker;
  readonly sender: OutboxSender;
  /** Legal awareness campaigns: fan-out and delivery at the platforms' pace. */
  readonly campaigns: CampaignEngine;
  /** The legal knowledge base and its search index. */
  readonly knowledge: KnowledgeBase;
  /** Tips and questions that no bound group can show (metric, log, /healthz). */
  readonly readers: ReaderWatch;
  /** Every channel's renderer, by name. */
  private readonly renderers: Record<string, ReplyRenderer> = {};
  private readonly pollers: Poller[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private retentionJob?: Cron;
  private stopped = false;
  /** One instance per SQLite file (see src/db/instanceLock.ts); none on PostgreSQL. */
  private instanceLock?: InstanceLock;
  /** Housekeeping passes running now (see `activity()`). */
  private housekeepingRunning = 0;
  /** The statistics rollups' refresh pass running now, if any (awaited by `stop()`). */
  private statsPass?: Promise<unknown>;

  constructor(private readonly opts: AppOptions) {
    const { config, log, db, sealer, places } = opts;
    this.metrics = new Metrics({ defaultMetrics: opts.processMetrics });
    this.t = createTranslator().t;
    this.knowledge = new KnowledgeBase();
    const resident = { keywords: new Keywords(this.t), intents: loadIntentReader(this.t), places, sealer, knowledge: this.knowledge, retention: config.retention.periods };
    const officers = () => this.channels.officers?.renderer;
    const ctx: ChannelContext = {
      config,
      db,
      log,
      sealer,
      places,
      t: this.t,
      metrics: this.metrics,
      knowledge: this.knowledge,
      renderers: this.renderers,
      // Officers work in the officers' channel (Telegram): its renderer draws their cards, whichever channel the tipster uses.
      inboundDeps: (renderer) => ({ ...resident, renderer, get officerRenderer() { return officers(); } }),
    };

    // Channels.
    const web = webChannel(ctx);
    this.channels = new ChannelRegistry([telegramChannel(ctx), zaloChannel(ctx), web]);
    this.web = web.chat;
    Object.assign(this.renderers, this.channels.renderers());
    // Every error stored (outbox, inbox) goes through the same redactor as the log lines.
    const redact = secretRedactor([...configuredSecrets(config), ...this.channels.all.map((c) => c.webhook?.secret)]);

    // Workers: the outbox (one sender, each channel's delivery), the inbox (each update through its channel), campaigns.
    this.sender = new OutboxSender({
      db,
      channels: this.channels.delivery(),
      maxAttempts: config.outbox.maxAttempts,
      metrics: this.metrics,
      log,
      redact,
      // A person who blocked the bot has opted out of campaigns (recorded like a stop word).
      onBlocked: async (tx, chatId) => void (await stopSubscription(tx, { actor: { kind: "system" }, chatId, reason: "blocked" })),
    });
    this.worker = new InboxWorker({
      db,
      concurrency: config.inbox.concurrency,
      maxAttempts: config.inbox.maxAttempts,
      metrics: this.metrics,
      log,
      redact,
      flood: { arrivalRate: () => this.ingest.arrivalRate(), rate: config.inbox.floodRate, share: config.inbox.floodShare },
      process: storedUpdateProcessor({ db, route: (tx, row) => this.channels.process(tx, row, log), notify: (refs) => this.sender.notify(refs) }),
    });
    this.ingest = new InboxIngest(db, this.metrics, (rows) => this.worker.add(rows));
    this.campaigns = new CampaignEngine({
      db,
      renderers: this.renderers,
      notify: (refs) => this.sender.notify(refs),
      log,
      quiet: config.campaigns.quietHours ?? NO_QUIET_HOURS,
      staffRenderer: officers(),
    });
    this.readers = new ReaderWatch(db, this.metrics, log);

    // HTTP: each platform's webhook, each channel's own routes, health and metrics.
    this.http = Fastify({
      loggerInstance: log as unknown as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      return503OnClosing: true,
      forceCloseConnections: "idle",
      bodyLimit: config.webhookBodyLimit,
      // X-Forwarded-For / -Proto are believed only from the configured proxies (req.ip, req.protocol).
      ...(config.trustProxy.length ? { trustProxy: config.trustProxy } : {}),
    });
    const webhooks = this.channels.all.flatMap((c) => (c.webhook && c.receive ? [{ name: c.name, ...c.webhook, toIncoming: c.receive }] : []));
    void registerWebhooks(this.http, { channels: webhooks, ingest: this.ingest, metrics: this.metrics, bodyLimit: config.webhookBodyLimit });
    for (const c of this.channels.all) c.routes?.(this.http, this.ingest);
    registerOps(this.http, { db, metrics: this.metrics, readers: this.readers, metricsToken: config.metricsToken });
    // The web console (/console): officers and staff, logged in by a one-time link from the bot.
    registerConsole(this.http, { db, t: this.t, sealer, config, officerRenderer: officers, renderers: this.renderers, notify: (refs) => this.sender.notify(refs), media: (ref) => this.channels.openMedia(ref) });
  }

  /**
   * Resumes stored work (pending updates and messages), prepares the channels and starts the timers.
   * On SQLite, first claims the database file for this instance: throws `InstanceLockError` (having
   * done nothing) when another instance runs on it.
   */
  async start(): Promise<void> {
    const { config, log } = this.opts;
    this.instanceLock ??= this.opts.instanceLock ?? acquireInstanceLock(config.databaseUrl);
    await this.http.ready();
    await this.worker.start();
    await this.sender.start();
    for (const c of this.channels.all) await c.start?.();
    const every = (ms: number, what: string, job: () => Promise<unknown>) => {
      const timer = setInterval(() => void job().catch((err: unknown) => log.error({ err }, `${what} failed`)), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(60_000, "housekeeping", () => this.runHousekeeping());
    // The console's statistics rollups: the first build right after a migration, then every minute.
    every(config.statsRollupSeconds * 1000, "statistics rollups", () => this.refreshStatsRollups());
    this.refreshStatsRollups().catch((err: unknown) => log.error({ err }, "statistics rollups failed"));
    this.readers.check().catch((err: unknown) => log.error({ err }, "checking for unbound queues failed"));
    // Twice a second: the outbox window (30) is refilled before the 30/s limiter drains it.
    every(500, "campaign engine step", () => this.campaigns.tick());
    // Personal data (Law 91/2025): the retention rules, once a day (RETENTION_SCHEDULE).
    if (config.retention.schedule) {
      this.retentionJob = new Cron(config.retention.schedule, { timezone: VN_TIME_ZONE, protect: true, unref: true }, async () => {
        await this.runRetention().catch((err: unknown) => log.error({ err }, "retention job failed"));
      });
    }
  }

  /** Applies the retention rules now (the daily job; also `npm run admin -- retention:run`), logging the counts per rule. */
  async runRetention(now = new Date()): Promise<RetentionReport> {
    const report = await applyRetention(this.opts.db, this.opts.config.retention.periods, now);
    this.opts.log.info({ retention: report.counts }, "retention rules applied");
    return report;
  }

  /** Periodic jobs (every minute): reminders and escalations about open tips; drops tip drafts untouched for 24 hours (telling the person), then each channel's own (stale web uploads). */
  async runHousekeeping(now = new Date()): Promise<void> {
    this.housekeepingRunning++;
    try {
      this.sender.notify(await expireDrafts(this.opts.db, this.renderers, now, this.opts.config.retention.periods.drafts));
      const officers = this.channels.officers?.renderer;
      if (officers) this.sender.notify(await sendReminders(this.opts.db, officers, this.opts.config.reminders, now));
      for (const c of this.channels.all) await c.housekeeping?.(now);
      await this.readers.check();
    } finally {
      this.housekeepingRunning--;
    }
  }

  /**
   * Brings the console's statistics rollups up to date (src/core/console/statsRollup.ts): the
   * months × provinces whose tips changed or whose open tips became at risk or missed, one short
   * transaction each. At most one pass at a time (a call during a pass returns at once).
   */
  async refreshStatsRollups(now = new Date()): Promise<void> {
    if (this.statsPass || this.stopped) return;
    const pass = refreshStatsRollups(this.opts.db, now, { stop: () => this.stopped });
    this.statsPass = pass;
    try {
      const report = await pass;
      if (report.becameReady) this.opts.log.info({ chunks: report.chunks }, "statistics rollups built");
    } finally {
      this.statsPass = undefined;
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
  secretFor(channel: string): string | undefined {
    return this.channels.get(channel)?.webhook?.secret;
  }

  /**
   * Registers our webhook URL with each configured platform (needs PUBLIC_URL). Failures are
   * logged, not fatal: the service keeps running and can be registered by hand.
   */
  async registerWebhooks(): Promise<void> {
    const { config, log } = this.opts;
    if (!config.publicUrl) return;
    for (const { name, webhook } of this.channels.all) {
      if (!webhook?.register) continue;
      const url = `${config.publicUrl}${webhook.path}`;
      try {
        await webhook.register(url);
        log.info({ url }, `${name} webhook registered`);
      } catch (err) {
        log.error({ err }, `${name} setWebhook failed; register by hand (see README)`);
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
    for (const c of this.channels.all) {
      if (!c.poller || !c.receive) continue;
      const poller = new Poller(c.name, await c.poller.open(), c.receive, this.ingest, log, this.metrics);
      poller.start();
      this.pollers.push(poller);
    }
  }

  /** Stops accepting requests, finishes work in flight, and closes the database. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.retentionJob?.stop();
    await this.statsPass?.catch(() => undefined);
    await Promise.allSettled(this.pollers.map((p) => p.stop()));
    await this.http.close();
    await this.worker.stop();
    // Stop the sender (no new deliveries) before the limiters: calls still waiting for a slot are
    // dropped and their rows stay pending for the next start, instead of being sent one by one at
    // the platform's pace (with many chats queued, that outlasts any shutdown grace period).
    const senderStopped = this.sender.stop();
    await Promise.allSettled(this.channels.all.map((c) => c.delivery?.limiter.stop()));
    await senderStopped;
    await this.opts.db.$disconnect();
    (this.instanceLock ?? this.opts.instanceLock)?.release();
  }
}
