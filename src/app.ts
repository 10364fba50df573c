import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { Cron } from "croner";
import type { Config } from "./config.ts";
import type { Db, Tx } from "./db/client.ts";
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
import { runMonthlyReports, type MonthlyRun } from "./core/reports/monthlyRun.ts";
import { MONTHLY_CHART_SOURCE, monthlyChartFiles } from "./core/reports/monthlyContent.ts";
import { fileLoaders } from "./core/files.ts";
import type { Actor } from "./core/events/recordEvent.ts";
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
import { Cluster, LEADER, senderRole } from "./cluster/cluster.ts";
import { TOPICS, type Bus } from "./cluster/bus.ts";
import { WebRelay } from "./cluster/webRelay.ts";
import type { OutboxRef } from "./outbox/outbound.ts";

export { TELEGRAM_WEBHOOK_PATH } from "./channels/telegram/channel.ts";
export { ZALO_WEBHOOK_PATH } from "./channels/zalo/channel.ts";
export { webhookSecret } from "./channels/secret.ts";

/** Outbox rows announced per bus message (each under 8 kB). */
const WAKE_BATCH = 80;

/** An outbox row as announced on the bus: [id, chatId, channel, priority, method]. */
function decodeRef(raw: unknown): OutboxRef[] {
  if (!Array.isArray(raw)) return [];
  const [id, chatId, channel, priority, method] = raw as unknown[];
  if (typeof id !== "number" || typeof chatId !== "string" || typeof channel !== "string" || typeof priority !== "number") return [];
  return [{ id, chatId, channel, priority, ...(typeof method === "string" ? { method } : {}) }];
}

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
  /** Tests only: how Zalo's file fetcher resolves and reaches hosts (see ChannelContext.zaloMediaSeams). */
  zaloMediaSeams?: ChannelContext["zaloMediaSeams"];
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
  /** This instance among those sharing the database: leases (leader, each platform's sender, chats being processed). */
  readonly cluster: Cluster;
  /**
   * Messages between instances (in-process on SQLite, LISTEN/NOTIFY on PostgreSQL). Topics in
   * src/cluster/bus.ts; e.g. `app.bus.subscribe(TOPICS.tipsChanged, …)` for a live view of tips.
   */
  readonly bus: Bus;
  /** Tips and questions that no bound group can show (metric, log, /healthz). */
  readonly readers: ReaderWatch;
  /** Every channel's renderer, by name. */
  private readonly renderers: Record<string, ReplyRenderer> = {};
  private readonly pollers: Poller[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly cronJobs: Cron[] = [];
  /** Outbox rows for channels another instance sends, announced on the next turn (see `elsewhere`). */
  private wakeBuffer: OutboxRef[] = [];
  private stopped = false;
  /** One instance per SQLite file (see src/db/instanceLock.ts); none on PostgreSQL. */
  private instanceLock?: InstanceLock;
  /**
   * Settles once the legal search index started by `start()` is built (or failed, logged): src/main.ts
   * collects the garbage of building it then, so it is not left in the idle process.
   */
  knowledgeBuilt: Promise<void> = Promise.resolve();
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
      // Files the senders load by reference: the monthly reports' charts (drawn from the stored figures).
      files: fileLoaders({ [MONTHLY_CHART_SOURCE]: monthlyChartFiles(db, this.t) }),
      // Another platform's file under a card (a Zalo photo) is fetched by the service and uploaded, never named to Telegram.
      openMedia: (ref) => this.channels.openMedia(ref),
      zaloMediaSeams: opts.zaloMediaSeams,
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

    // Several instances on PostgreSQL: leases and the bus (src/cluster/); on SQLite one instance holds every role.
    this.cluster = new Cluster({ db, databaseUrl: config.databaseUrl, log, ...config.cluster });
    this.bus = this.cluster.bus;
    const shared = this.cluster.shared;

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
      // Several instances: one elected sender per platform (lease sender:<channel>), so its limits hold in total.
      ...(shared ? { cluster: { sends: (channel: string) => this.cluster.has(senderRole(channel)), elsewhere: (refs: OutboxRef[]) => this.elsewhere(refs) } } : {}),
    });
    this.worker = new InboxWorker({
      db,
      concurrency: config.inbox.concurrency,
      maxAttempts: config.inbox.maxAttempts,
      metrics: this.metrics,
      log,
      redact,
      // The arrival rate the flood pacing watches: the updates stored over the last second (the worker counts them).
      flood: { rate: config.inbox.floodRate, share: config.inbox.floodShare },
      process: storedUpdateProcessor({ db, route: (tx, row) => this.channels.process(tx, row, log), notify: (refs) => this.sender.notify(refs) }),
      ...(this.cluster.chats ? { claims: this.cluster.chats } : {}),
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

    // The roles: the leader runs the schedulers (see `schedule`), each platform's sender drains its outbox.
    const senders = this.channels.all.filter((c) => c.delivery).map((c) => c.name);
    this.cluster.want(LEADER, ...senders.map(senderRole));
    this.cluster.onRole((role, held) => {
      this.metrics.clusterRoles.set({ role }, held ? 1 : 0);
      const channel = role.startsWith("sender:") ? role.slice("sender:".length) : undefined;
      if (!shared || !channel) return;
      if (held) this.sender.takeOver(channel).catch((err: unknown) => log.error({ err, channel }, "taking over the outbox failed"));
      else this.sender.handOver(channel);
    });
    if (shared) {
      this.bus.subscribe(TOPICS.outboxWake, (m) => {
        if (m.origin === this.bus.origin) return;
        const refs = (m.body as { refs?: unknown })?.refs;
        if (Array.isArray(refs)) this.sender.receive(refs.flatMap(decodeRef));
      });
      // Wake-ups may have been missed while the bus was down: read what this instance sends again.
      this.bus.subscribe(TOPICS.reconnected, () => {
        for (const channel of senders) if (this.cluster.has(senderRole(channel))) void this.sender.takeOver(channel).catch(() => {});
      });
      // A web chat page may be connected to any instance: messages reach it over the bus.
      this.web.sender.relay = new WebRelay({ bus: this.bus, hub: this.web.hub, load: (id) => this.web.messageEvent(id), log });
    }

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
    registerConsole(this.http, { db, t: this.t, sealer, config, officerRenderer: officers, renderers: this.renderers, notify: (refs) => this.sender.notify(refs), media: (ref) => this.channels.openMedia(ref), knowledge: this.knowledge });
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
    // The legal search's index is built now, outside any transaction, rather than inside the first
    // legal question's (on SQLite that would hold the one connection while it builds).
    this.knowledgeBuilt = this.knowledge.fresh(this.opts.db as unknown as Tx).then(
      () => {},
      (err: unknown) => log.error({ err }, "building the legal search index failed"),
    );
    // Several instances: a dead instance's updates are looked for every heartbeat.
    await this.worker.start(this.cluster.shared ? config.cluster.heartbeatMs : undefined);
    await this.sender.start();
    for (const c of this.channels.all) await c.start?.();
    // Leases (PostgreSQL): the roles this instance can take now; the heartbeat keeps them and takes over a dead instance's.
    await this.cluster.start();
    this.schedule("housekeeping", 60_000, () => this.runHousekeeping());
    // The console's statistics rollups (leader only, like every scheduler): a pass now and whenever
    // this instance becomes the leader (the first build right after a migration), then every
    // STATS_ROLLUP_SECONDS.
    this.schedule("stats-rollups", config.statsRollupSeconds * 1000, () => this.refreshStatsRollups(), { atLeadership: true });
    this.readers.check().catch((err: unknown) => log.error({ err }, "checking for unbound queues failed"));
    // Twice a second: the outbox window (30) is refilled before the 30/s limiter drains it.
    this.schedule("campaigns", 500, () => this.campaigns.tick());
    // Personal data (Law 91/2025): the retention rules, once a day (RETENTION_SCHEDULE).
    if (config.retention.schedule) this.schedule("retention", config.retention.schedule, () => this.runRetention());
    // Each unit's monthly report, on the 1st of the month (MONTHLY_REPORT_SCHEDULE).
    if (config.monthlyReport.schedule) this.schedule("monthly-report", config.monthlyReport.schedule, () => this.runMonthlyReport());
  }

  /**
   * Runs `job` every `every` milliseconds, or on a 5-field cron pattern (Asia/Ho_Chi_Minh) — only
   * while this instance is the leader, so with several instances on one database each run happens
   * once (the leader's lease passes to another instance within CLUSTER_LEASE_SECONDS when it
   * dies; jobs keep their state in the database and resume there). A run does not overlap the
   * previous one; failures are logged. Call after `start()` (e.g. a monthly report job).
   * `atLeadership`: also run once at once and whenever this instance becomes the leader (a job
   * that must catch up as soon as someone is in charge, e.g. the statistics rollups' first build).
   */
  schedule(name: string, every: number | string, job: () => Promise<unknown>, opts: { atLeadership?: boolean } = {}): void {
    const { log } = this.opts;
    let running = false;
    const run = async () => {
      if (running || this.stopped || !this.cluster.has(LEADER)) return;
      running = true;
      try {
        this.metrics.scheduledRuns.inc({ job: name });
        await job();
      } catch (err) {
        log.error({ err, job: name }, `${name} failed`);
      } finally {
        running = false;
      }
    };
    if (typeof every === "number") {
      const timer = setInterval(() => void run(), every);
      timer.unref();
      this.timers.push(timer);
    } else {
      this.cronJobs.push(new Cron(every, { timezone: VN_TIME_ZONE, protect: true, unref: true }, run));
    }
    if (opts.atLeadership) {
      this.cluster.onRole((role, held) => {
        if (role === LEADER && held) void run();
      });
      void run();
    }
  }

  /** Outbox rows of channels another instance sends: announced on the bus (in batches, ids only) so their sender takes them. */
  private elsewhere(refs: OutboxRef[]): void {
    if (refs.length === 0) return;
    const first = this.wakeBuffer.length === 0;
    this.wakeBuffer.push(...refs);
    if (!first) return;
    setImmediate(() => {
      const all = this.wakeBuffer.splice(0);
      for (let i = 0; i < all.length; i += WAKE_BATCH) {
        const refs = all.slice(i, i + WAKE_BATCH).map((r) => [r.id, r.chatId, r.channel, r.priority, r.method ?? null]);
        this.bus.publish(TOPICS.outboxWake, { refs }).catch((err: unknown) => this.opts.log.warn({ err }, "could not wake the sender (it finds the rows at its next sweep)"));
      }
    });
  }

  /** Applies the retention rules now (the daily job; also `npm run admin -- retention:run`), logging the counts per rule. */
  async runRetention(now = new Date()): Promise<RetentionReport> {
    const report = await applyRetention(this.opts.db, this.opts.config.retention.periods, now);
    this.opts.log.info({ retention: report.counts }, "retention rules applied");
    return report;
  }

  /**
   * Makes and posts the monthly reports now (the job on the 1st; also `npm run admin -- report:monthly`):
   * `month` defaults to the month before `now` (Vietnam time). Units already reported on are left
   * alone, so running it again posts nothing twice.
   */
  async runMonthlyReport(month?: string, now = new Date(), actor: Actor = { kind: "system" }): Promise<MonthlyRun> {
    const run = await runMonthlyReports(this.opts.db, { officerRenderer: this.channels.officers?.renderer, consoleUrl: this.opts.config.console.url }, { actor, month, now });
    this.sender.notify(run.refs);
    this.opts.log.info({ month: run.month, units: run.units, created: run.created, posted: run.posted, unchanged: run.unchanged }, "monthly reports made");
    return run;
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
   * transaction each. At most one pass at a time (a call during a pass returns at once); on the
   * leader only (it stops between chunks when this instance is not, or no longer, the leader).
   */
  async refreshStatsRollups(now = new Date()): Promise<void> {
    if (this.statsPass || this.stopped) return;
    // A pass stops between chunks when this instance stops or is no longer the leader (another instance's pass takes over).
    const pass = refreshStatsRollups(this.opts.db, now, { stop: () => this.stopped || !this.cluster.has(LEADER) });
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
      // The engine runs on the leader only: another instance has no campaign work of its own.
      campaigns: this.cluster.has(LEADER) ? await this.campaigns.workDue(now) : [],
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
    for (const job of this.cronJobs) job.stop();
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
    // Leases given up: the other instances take this one's roles and chats at their next heartbeat.
    await this.cluster.stop();
    await this.opts.db.$disconnect();
    (this.instanceLock ?? this.opts.instanceLock)?.release();
  }
}
