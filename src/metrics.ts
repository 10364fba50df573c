import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** The service's Prometheus metrics, in a registry of their own (one per running app). */
export class Metrics {
  readonly registry = new Registry();
  readonly updatesReceived = new Counter({
    name: "taimat_updates_received_total",
    help: "Platform updates accepted and stored in the inbox",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly updatesDeduplicated = new Counter({
    name: "taimat_updates_deduplicated_total",
    help: "Repeated deliveries of an update already stored (answered 200, no second effect)",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly updatesRejected = new Counter({
    name: "taimat_updates_rejected_total",
    help: "Inbound updates refused before storing, by reason (bad secret, malformed, too large; schema: not_an_update, too_deep, missing_field, wrong_type, too_long, out_of_range, invalid_value; web chat errors)",
    labelNames: ["channel", "reason"],
    registers: [this.registry],
  });
  readonly updatesFailed = new Counter({
    name: "taimat_updates_failed_total",
    help: "Failed attempts to process a stored update (retried with backoff)",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly updatesPutOff = new Counter({
    name: "taimat_updates_put_off_total",
    help: "Updates processed again shortly because they could not be understood yet (e.g. an answer to a prompt Telegram had not confirmed)",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly updatesParked = new Counter({
    name: "taimat_updates_parked_total",
    help: "Updates that failed every attempt and were parked for an administrator",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly updatesProcessed = new Counter({
    name: "taimat_updates_processed_total",
    help: "Updates processed successfully",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly inboxFloodWaits = new Counter({
    name: "taimat_inbox_flood_waits_total",
    help: "Times the inbox worker held back during a webhook flood so acknowledgements keep their pace",
    registers: [this.registry],
  });
  readonly tipsWithoutGroup = new Gauge({
    name: "taimat_tips_without_group",
    help: "Open tips that no bound officers' group can show (commune, province duty and national fall-back all unbound)",
    registers: [this.registry],
  });
  readonly waitingWithoutGroup = new Gauge({
    name: "taimat_waiting_without_group",
    help: "Items waiting for a bound group: tips, info-only copies, legal questions",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly inboxPending = new Gauge({
    name: "taimat_inbox_pending",
    help: "Stored updates not yet processed",
    registers: [this.registry],
  });
  readonly heapFast = new Gauge({
    name: "taimat_heap_fast",
    help: "1 while V8's heap runs fast for a busy inbox, 0 while lean (src/heapMode.ts)",
    registers: [this.registry],
  });
  readonly inboxLag = new Gauge({
    name: "taimat_inbox_lag_seconds",
    help: "Age of the oldest stored update not yet processed",
    registers: [this.registry],
  });
  readonly messagesSent = new Counter({
    name: "taimat_messages_sent_total",
    help: "Outbound platform calls by outcome (sent, rate_limited, blocked, rejected, transient, failed)",
    labelNames: ["channel", "outcome"],
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: "taimat_rate_limited_total",
    help: "429 answers from a platform",
    labelNames: ["channel"],
    registers: [this.registry],
  });
  readonly outboxPending = new Gauge({
    name: "taimat_outbox_pending",
    help: "Outbound messages recorded and not yet delivered",
    registers: [this.registry],
  });
  readonly webUploadBytes = new Gauge({
    name: "taimat_web_upload_bytes",
    help: "Bytes of web chat photos stored (WEB_UPLOAD_STORAGE_BYTES is the quota)",
    registers: [this.registry],
  });
  readonly webUploadsDeleted = new Counter({
    name: "taimat_web_uploads_deleted_total",
    help: "Web chat photos deleted: quota (oldest unreferenced first, to make room), expired (stale, unreferenced)",
    labelNames: ["reason"],
    registers: [this.registry],
  });
  readonly webStreamsOpen = new Gauge({
    name: "taimat_web_streams_open",
    help: "Web chat event streams open now",
    registers: [this.registry],
  });

  readonly codeGuessAlerts = new Counter({
    name: "taimat_code_guess_alerts_total",
    help: "Alerts about wrong invitation / bind codes (kind: account = one account reached its limit, burst = many across accounts)",
    labelNames: ["kind"],
    registers: [this.registry],
  });

  readonly clusterRoles = new Gauge({
    name: "taimat_cluster_roles",
    help: "Roles this instance holds now (1) among the instances sharing the database: leader, sender:<channel>",
    labelNames: ["role"],
    registers: [this.registry],
  });
  readonly scheduledRuns = new Counter({
    name: "taimat_scheduled_runs_total",
    help: "Scheduled jobs run by this instance (only the leader runs them), by job",
    labelNames: ["job"],
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "taimat_" });
  }
}
