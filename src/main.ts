import { collectStartupGarbage, HEAP_MODES, setHeapFast } from "./runtime.ts"; // V8 settings: must run before the other modules load
import { App } from "./app.ts";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { openDb, providerOf } from "./db/client.ts";
import { acquireInstanceLock, InstanceLockError, type InstanceLock } from "./db/instanceLock.ts";
import { migrate } from "./db/migrate.ts";
import { withStartupLock } from "./cluster/startupLock.ts";
import { loadReferenceData } from "./db/referenceData.ts";
import { createLogger, type Logger } from "./logger.ts";
import { configuredSecrets, secretRedactor } from "./security/redact.ts";
import { ensureQueues } from "./core/tips/queues.ts";
import { loadKnowledge } from "./core/qa/knowledge.ts";
import { loadPlaces, loadSealer } from "./services.ts";
import { HeapMode, watchInboxLoad } from "./heapMode.ts";
import { sealLegacyPinHashes } from "./core/tips/codes.ts";

/** Says which channels run and which variables would enable the others. */
function describeChannels(config: Config, log: Logger): void {
  const tg = config.telegram;
  if (tg.token) {
    const how = config.publicUrl ? `webhook ${config.publicUrl}/webhooks/telegram` : tg.polling ? "long polling (development)" : "webhook at /webhooks/telegram (set PUBLIC_URL to register it at start, TELEGRAM_POLLING=true for development, or register by hand — see README)";
    log.info(`telegram: enabled, ${how}`);
  } else {
    log.info("telegram: disabled — set TELEGRAM_BOT_TOKEN (and TELEGRAM_WEBHOOK_SECRET, PUBLIC_URL) to enable");
  }
  if (config.zalo.token) {
    const how = config.publicUrl ? `webhook ${config.publicUrl}/webhooks/zalo` : config.zalo.polling ? "long polling (development)" : "webhook at /webhooks/zalo (set PUBLIC_URL to register it at start, ZALO_POLLING=true for development, or register by hand — see README)";
    log.info(`zalo: enabled, ${how}`);
  } else {
    log.info("zalo: disabled — set ZALO_BOT_TOKEN (and ZALO_WEBHOOK_SECRET, PUBLIC_URL) to enable");
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, configuredSecrets(config));

  // SQLite: one instance per database file, claimed before anything touches it (migrations included).
  let instanceLock: InstanceLock | undefined;
  try {
    instanceLock = acquireInstanceLock(config.databaseUrl);
  } catch (err) {
    if (err instanceof InstanceLockError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const applied = await migrate(config.databaseUrl, (msg) => log.warn(msg));
  log.info({ provider: providerOf(config.databaseUrl), applied }, `database ready (${applied.length} migration(s) applied)`);
  const db = await openDb(config.databaseUrl);
  // Several instances starting together (PostgreSQL): one at a time loads what they share.
  const { ref, queues, knowledge } = await withStartupLock(config.databaseUrl, async () => ({
    ref: await loadReferenceData(db),
    queues: await ensureQueues(db),
    knowledge: await loadKnowledge(db),
  }));
  log.info(ref, ref.skipped ? "reference data up to date" : "reference data loaded");
  log.info(knowledge, knowledge.skipped ? "legal knowledge base up to date" : "legal knowledge base loaded");
  if (queues.created) log.info(queues, "tip queues created");
  // Loaded on first use (a shared location, a typed place), not at start: see src/routing/onDemand.ts.
  const places = await loadPlaces((what, ms) => log.info({ ms: Math.round(ms) }, `commune routing: ${what} loaded`));
  const { sealer, generated } = loadSealer(config);
  if (generated) {
    log.warn(`no ENCRYPTION_KEYS set: generated a key in ${config.encryption.keyFile}; keep it safe (losing it makes sealed contacts unreadable) or set ENCRYPTION_KEYS`);
  }
  // PIN hashes stored bare by earlier versions are sealed like every other secret (src/core/tips/codes.ts).
  const pinsSealed = await sealLegacyPinHashes(db, sealer);
  if (pinsSealed) log.info({ pinsSealed }, "PIN hashes stored by an earlier version sealed");

  await collectStartupGarbage();
  const app = new App({ config, log, db, sealer, places, processMetrics: true, instanceLock });
  await app.start();
  // The legal search index is built once started (see App.start); its building's garbage collected once it is.
  void app.knowledgeBuilt.then(() => collectStartupGarbage());
  // Lean while idle, fast while the inbox is busy (src/heapMode.ts); not watched with an operator's own V8_FLAGS.
  if (HEAP_MODES) watchInboxLoad(new HeapMode({ apply: setHeapFast, log, onSwitch: (fast) => app.metrics.heapFast.set(fast ? 1 : 0) }), () => ({ pending: app.worker.pendingCount, processed: app.worker.processedTotal }));
  const url = await app.listen();
  log.info(`Tai Mắt listening on ${url} (health: ${url}/healthz, metrics: ${url}/metrics)`);
  log.info(`web chat: open ${config.publicUrl ?? url}/ in a browser (always on, no token needed)`);
  describeChannels(config, log);
  await app.registerWebhooks();
  await app.startPolling();

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, "shutting down: finishing work in flight");
    const force = setTimeout(() => {
      log.error("shutdown took too long; exiting");
      process.exit(1);
    }, 25_000);
    force.unref();
    app.stop().then(
      () => {
        log.info("stopped cleanly");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err: unknown) => {
  // Before (or without) the logger: still never print a token or a database password.
  const env = process.env;
  const redact = secretRedactor([env.TELEGRAM_BOT_TOKEN, env.TELEGRAM_WEBHOOK_SECRET, env.ZALO_BOT_TOKEN, env.ZALO_WEBHOOK_SECRET, env.DATABASE_URL?.includes("@") ? env.DATABASE_URL : undefined]);
  console.error(redact(String((err as Error)?.stack ?? err)));
  process.exit(1);
});
