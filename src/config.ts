import { Cron } from "croner";
import net from "node:net";
import os from "node:os";
import { z } from "zod";
import { parseKey } from "./security/sealing.ts";
import { RETENTION_RULES, periodMs, type RetentionPeriods } from "./core/privacy/retentionRules.ts";
import { VN_TIME_ZONE } from "./core/vnTime.ts";

/** Telegram's public Bot API server. */
export const DEFAULT_TELEGRAM_API_ROOT = "https://api.telegram.org";
/** Zalo Bot Platform API server (zalo-bot-api.md §1). */
export const DEFAULT_ZALO_API_BASE = "https://bot-api.zaloplatforms.com";

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const positiveNumber = (fallback: number) => z.coerce.number().positive().default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", ""])
    .default(fallback ? "true" : "false")
    .transform((v) => v === "true" || v === "1" || v === "yes");

// Telegram allows 1–256 characters from A-Z a-z 0-9 _ - as a webhook secret.
const telegramSecret = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,256}$/, "must be 1–256 characters of A-Z a-z 0-9 _ -")
  .optional();
// Zalo requires 8–256 characters.
const zaloSecret = z.string().min(8, "must be at least 8 characters").max(256).optional();

/** A media host entry: a DNS name (never an address: its last label starts with a letter), optionally `*.` for every name under it. */
const MEDIA_HOST = /^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Every environment variable the service reads. README and .env.example document each one. */
export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: z
    .string()
    .default("file:./data/taimat.db")
    .refine((v) => v.startsWith("file:") || /^postgres(ql)?:\/\//.test(v), "must start with file: or postgresql://"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),

  TELEGRAM_BOT_TOKEN: optionalText,
  TELEGRAM_WEBHOOK_SECRET: optionalText.pipe(telegramSecret),
  TELEGRAM_API_ROOT: z.url().default(DEFAULT_TELEGRAM_API_ROOT),
  TELEGRAM_POLLING: bool(false),

  ZALO_BOT_TOKEN: optionalText,
  ZALO_WEBHOOK_SECRET: optionalText.pipe(zaloSecret),
  ZALO_API_BASE: z.url().default(DEFAULT_ZALO_API_BASE),
  ZALO_POLLING: bool(false),
  /** Hosts a Zalo file address named by an inbound message may be fetched from (`*.zdn.vn`: any name under zdn.vn). */
  ZALO_MEDIA_HOSTS: z
    .string()
    .trim()
    .default("*.zdn.vn")
    .transform((v) => v.split(",").map((h) => h.trim().toLowerCase()).filter(Boolean))
    .refine((hosts) => hosts.length > 0 && hosts.every((h) => MEDIA_HOST.test(h)), "must be comma-separated host names, each optionally starting with *. (no addresses, ports or schemes)"),
  /** Largest platform file the service downloads (Telegram bots may download up to 20 MB). */
  MEDIA_MAX_BYTES: positiveInt(20 * 1024 * 1024),
  /** Time limit of one platform file download, from the first request to the last byte. */
  MEDIA_FETCH_TIMEOUT_SECONDS: z.coerce.number().positive().max(600).default(30),

  TELEGRAM_RATE_GLOBAL_PER_SECOND: positiveNumber(30),
  TELEGRAM_RATE_PRIVATE_PER_SECOND: positiveNumber(1),
  TELEGRAM_RATE_PRIVATE_BURST: positiveInt(3),
  TELEGRAM_RATE_GROUP_PER_MINUTE: positiveNumber(20),
  /** Paid campaigns' messages (allow_paid_broadcast): Telegram allows up to 1,000 a second, each one billed in Stars. */
  TELEGRAM_PAID_BROADCAST_PER_SECOND: z.coerce.number().positive().max(1000).default(1000),
  ZALO_RATE_GLOBAL_PER_SECOND: positiveNumber(10),
  ZALO_RATE_CHAT_PER_SECOND: positiveNumber(1),
  ZALO_RATE_CHAT_BURST: positiveInt(2),

  ENCRYPTION_KEYS: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9+/=,\s]+$/, "must be comma-separated 32-byte keys (64 hex characters or base64)")
      .optional(),
  ),
  ENCRYPTION_KEY_FILE: z.string().default("./data/keys/encryption.key"),

  CAMPAIGN_QUIET_HOURS: z
    .string()
    .regex(/^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, 'must be "HH:mm-HH:mm" (Asia/Ho_Chi_Minh) or "off"')
    .default("21:00-07:00"),

  REMINDER_UNCLAIMED_MINUTES: positiveNumber(60),
  REMINDER_UNCLAIMED_LIFE_SAFETY_MINUTES: positiveNumber(10),
  REMINDER_REPEAT_HOURS: positiveNumber(24),

  INBOX_CONCURRENCY: z.coerce.number().int().positive().optional(),
  INBOX_MAX_ATTEMPTS: positiveInt(5),
  INBOX_FLOOD_RATE: positiveNumber(1_000),
  INBOX_FLOOD_SHARE: z.coerce.number().gt(0).max(1).default(0.1),
  /** Read (and checked) by src/runtime.ts before anything else loads; listed here with the rest. */
  V8_FLAGS: z.string().optional(),
  OUTBOX_MAX_ATTEMPTS: positiveInt(6),
  /** Several instances on PostgreSQL (src/cluster/): this instance's name in leases and logs (default host-pid). */
  CLUSTER_INSTANCE_ID: optionalText.pipe(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be 1–64 characters of A-Z a-z 0-9 _ . : -").optional()),
  /** How long a lease (leader, a platform's sender, a chat being processed) lasts unless renewed: a dead instance's work is taken over after at most this plus a heartbeat. */
  CLUSTER_LEASE_SECONDS: z.coerce.number().min(2).max(300).default(15),
  /** How often an instance renews its leases and tries to take free ones; at most a third of CLUSTER_LEASE_SECONDS. */
  CLUSTER_HEARTBEAT_SECONDS: z.coerce.number().min(0.2).max(100).default(5),
  WEBHOOK_BODY_LIMIT_BYTES: positiveInt(1_048_576),

  WEB_UPLOAD_LIMIT_BYTES: positiveInt(5 * 1024 * 1024),
  WEB_UPLOADS_PER_HOUR: positiveInt(20),

  // Personal data (Law 91/2025): retention periods, see core/privacy/retentionRules.ts.
  RETENTION_DRAFTS_HOURS: positiveNumber(24),
  RETENTION_INBOX_DAYS: positiveNumber(7),
  RETENTION_INBOX_PARKED_DAYS: positiveNumber(30),
  RETENTION_UPLOADS_HOURS: positiveNumber(48),
  RETENTION_CLOSED_TIP_CONTACT_DAYS: positiveNumber(180),
  RETENTION_ENDED_SUBSCRIPTIONS_DAYS: positiveNumber(180),
  RETENTION_AUDIT_DAYS: positiveNumber(730),
  RETENTION_LEGAL_QUESTIONS_DAYS: positiveNumber(90),
  RETENTION_OUTBOX_DAYS: positiveNumber(30),
  RETENTION_ONE_TIME_CODES_DAYS: positiveNumber(30),
  /** When the retention job runs: a 5-field cron pattern in Asia/Ho_Chi_Minh, or "off". */
  RETENTION_SCHEDULE: z
    .string()
    .trim()
    .regex(/^(off|\S+ \S+ \S+ \S+ \S+)$/, 'must be a 5-field cron pattern (Asia/Ho_Chi_Minh) or "off"')
    .default("30 3 * * *"),
  /** When the monthly reports are made and posted to the units' groups: a 5-field cron pattern in Asia/Ho_Chi_Minh, or "off". */
  MONTHLY_REPORT_SCHEDULE: z
    .string()
    .trim()
    .regex(/^(off|\S+ \S+ \S+ \S+ \S+)$/, 'must be a 5-field cron pattern (Asia/Ho_Chi_Minh) or "off"')
    .default("0 7 1 * *"),
  CODE_GUESS_PER_ACCOUNT: positiveInt(5),
  CODE_GUESS_GLOBAL: positiveInt(50),
  CODE_GUESS_ALERT_AT: positiveInt(20),
  CODE_GUESS_WINDOW_MINUTES: positiveInt(15),
  /** Minutes without a request after which a web console session ends. */
  CONSOLE_IDLE_MINUTES: positiveInt(30),
  /** Base URL of the console's login links sent by the bot (an intranet address is fine); default PUBLIC_URL. */
  CONSOLE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** Seconds between refreshes of the console's statistics rollups (src/core/console/statsRollup.ts). */
  STATS_ROLLUP_SECONDS: positiveInt(60),
  TRUST_PROXY: optionalText.pipe(
    z
      .string()
      .refine((v) => v.split(",").every((p) => isProxyAddress(p.trim())), "must be comma-separated IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal)")
      .optional(),
  ),
  METRICS_TOKEN: optionalText.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  WEB_SESSION_MESSAGES_PER_SECOND: positiveNumber(2),
  WEB_SESSION_MESSAGE_BURST: positiveInt(20),
  WEB_ADDRESS_MESSAGES_PER_SECOND: positiveNumber(5),
  WEB_ADDRESS_MESSAGE_BURST: positiveInt(60),
  WEB_GLOBAL_MESSAGES_PER_SECOND: positiveNumber(20),
  WEB_GLOBAL_MESSAGE_BURST: positiveInt(100),
  WEB_ADDRESS_UPLOADS_PER_HOUR: positiveInt(60),
  WEB_ADDRESS_UPLOAD_BYTES_PER_HOUR: positiveInt(100 * 1024 * 1024),
  WEB_GLOBAL_UPLOADS_PER_HOUR: positiveInt(1_000),
  WEB_GLOBAL_UPLOAD_BYTES_PER_HOUR: positiveInt(1024 * 1024 * 1024),
  WEB_UPLOAD_STORAGE_BYTES: positiveInt(2 * 1024 * 1024 * 1024),
  WEB_STREAMS_PER_ADDRESS: positiveInt(20),
  WEB_STREAMS_TOTAL: positiveInt(2_000),
  WEB_IMAGE_MAX_PIXELS: positiveInt(40_000_000),
  WEB_IMAGE_DECODE_CONCURRENCY: z.coerce.number().int().min(1).max(4).default(1),
});

/** An address or CIDR range fastify's trustProxy understands, or one of proxy-addr's named ranges. */
function isProxyAddress(p: string): boolean {
  if (["loopback", "linklocal", "uniquelocal"].includes(p)) return true;
  const [addr, bits, ...rest] = p.split("/");
  if (rest.length || !addr) return false;
  const family = net.isIP(addr);
  if (!family) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

export type Env = z.infer<typeof envSchema>;

/** Outbound pace for one platform; see outbox/limiter.ts. */
export interface RateLimits {
  globalPerSecond: number;
  /** Private (one-to-one) chats. */
  chatPerSecond: number;
  chatBurst: number;
  /** Groups; Telegram only (Zalo bots are 1:1). */
  groupPerMinute: number;
  /** Paid bulk messages (a paid campaign's), paced on their own; none: the platform has no paid pace and they go at `globalPerSecond`. */
  paidPerSecond?: number;
}

/** Validated service configuration. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: Env["LOG_LEVEL"];
  publicUrl?: string;
  telegram: {
    token?: string;
    webhookSecret?: string;
    apiRoot: string;
    polling: boolean;
    limits: RateLimits;
  };
  zalo: {
    token?: string;
    webhookSecret?: string;
    apiBase: string;
    polling: boolean;
    limits: RateLimits;
  };
  /** Keys sealing contact details and reply references; see security/sealing.ts. */
  encryption: { keys?: string; keyFile: string };
  /** Campaign messages are not sent in these hours (Asia/Ho_Chi_Minh); null when switched off. */
  campaigns: { quietHours: { start: string; end: string } | null };
  /** When officers' groups are reminded about open tips; see core/tips/reminders.ts. */
  reminders: { unclaimedMinutes: number; unclaimedLifeSafetyMinutes: number; repeatHours: number };
  inbox: { concurrency: number; maxAttempts: number; floodRate: number; floodShare: number };
  outbox: { maxAttempts: number };
  webhookBodyLimit: number;
  /** Personal data: how long each kind of record is kept, and when the daily job runs (null: never). */
  retention: { periods: RetentionPeriods; schedule: string | null };
  /** Wrong invitation and bind codes tolerated per account and overall, and the alert threshold; see core/officers/codeAttempts.ts. */
  codeGuess: { perAccount: number; global: number; alertAt: number; windowMinutes: number };
  /** The web chat (always on): photo upload limits and flood limits. */
  web: { uploadLimitBytes: number; uploadsPerHour: number } & WebFloodLimits;
  /** Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (fastify trustProxy); empty: none. */
  trustProxy: string[];
  /** Bearer token that opens /metrics to non-loopback clients; unset: loopback only. */
  metricsToken?: string;
  /** The web console: idle timeout, and the base URL of the login links (unset: the bot sends the code only). */
  console: { idleMinutes: number; url?: string };
  /** When the monthly reports run (cron, Asia/Ho_Chi_Minh); null: never (by hand only). */
  monthlyReport: { schedule: string | null };
  /** Several instances on PostgreSQL: this instance's name, lease duration and heartbeat (ms); see src/cluster/. */
  cluster: { instanceId: string; leaseMs: number; heartbeatMs: number };
  /** Seconds between refreshes of the console's statistics rollups (the page's "figures as of"). */
  statsRollupSeconds: number;
  /** Downloads of the platforms' files (the console's media): Zalo's allowed hosts, the size cap and the time limit (ms). */
  media: { zaloHosts: string[]; maxBytes: number; timeoutMs: number };
}

/** Flood limits of the web chat (see channels/web/channel.ts); every one configurable. */
export interface WebFloodLimits {
  /** Messages: token buckets (per second, burst) per session, per client address, and for everyone. */
  messages: { session: Rate; address: Rate; global: Rate };
  /** Photos an hour and bytes an hour, per client address and for everyone (per session: uploadsPerHour). */
  uploads: { addressPerHour: number; addressBytesPerHour: number; globalPerHour: number; globalBytesPerHour: number };
  /** Total bytes of stored photos; beyond it the oldest unreferenced ones are deleted first. */
  uploadStorageBytes: number;
  /** Open event streams per client address and in total. */
  streams: { perAddress: number; total: number };
  /** Largest photo decoded (pixels), and how many are decoded at once. */
  images: { maxPixels: number; decodeConcurrency: number };
}

/** A token bucket: `perSecond` regained, `burst` at once. */
export interface Rate {
  perSecond: number;
  burst: number;
}

/** Raised when an environment variable is invalid; names the variable. */
export class ConfigError extends Error {}

/** Reads and validates the environment; throws ConfigError naming each bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  if (e.ENCRYPTION_KEYS) {
    try {
      e.ENCRYPTION_KEYS.split(",").forEach(parseKey);
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  ENCRYPTION_KEYS: ${(err as Error).message}`);
    }
  }
  if (e.RETENTION_SCHEDULE !== "off") {
    try {
      new Cron(e.RETENTION_SCHEDULE, { timezone: VN_TIME_ZONE, mode: "5-part" }); // no callback: only parsed
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  RETENTION_SCHEDULE: ${(err as Error).message}`);
    }
  }
  if (e.MONTHLY_REPORT_SCHEDULE !== "off") {
    try {
      new Cron(e.MONTHLY_REPORT_SCHEDULE, { timezone: VN_TIME_ZONE, mode: "5-part" }); // no callback: only parsed
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  MONTHLY_REPORT_SCHEDULE: ${(err as Error).message}`);
    }
  }
  if (e.CLUSTER_HEARTBEAT_SECONDS * 3 > e.CLUSTER_LEASE_SECONDS) {
    throw new ConfigError(`invalid configuration:\n  CLUSTER_HEARTBEAT_SECONDS: must be at most a third of CLUSTER_LEASE_SECONDS (${e.CLUSTER_LEASE_SECONDS})`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ""),
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
      apiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ""),
      polling: e.TELEGRAM_POLLING,
      limits: {
        globalPerSecond: e.TELEGRAM_RATE_GLOBAL_PER_SECOND,
        chatPerSecond: e.TELEGRAM_RATE_PRIVATE_PER_SECOND,
        chatBurst: e.TELEGRAM_RATE_PRIVATE_BURST,
        groupPerMinute: e.TELEGRAM_RATE_GROUP_PER_MINUTE,
        paidPerSecond: e.TELEGRAM_PAID_BROADCAST_PER_SECOND,
      },
    },
    zalo: {
      token: e.ZALO_BOT_TOKEN,
      webhookSecret: e.ZALO_WEBHOOK_SECRET,
      apiBase: e.ZALO_API_BASE.replace(/\/+$/, ""),
      polling: e.ZALO_POLLING,
      limits: {
        globalPerSecond: e.ZALO_RATE_GLOBAL_PER_SECOND,
        chatPerSecond: e.ZALO_RATE_CHAT_PER_SECOND,
        chatBurst: e.ZALO_RATE_CHAT_BURST,
        groupPerMinute: 20,
      },
    },
    encryption: { keys: e.ENCRYPTION_KEYS, keyFile: e.ENCRYPTION_KEY_FILE },
    campaigns: {
      quietHours: e.CAMPAIGN_QUIET_HOURS === "off" ? null : { start: e.CAMPAIGN_QUIET_HOURS.slice(0, 5), end: e.CAMPAIGN_QUIET_HOURS.slice(6) },
    },
    reminders: {
      unclaimedMinutes: e.REMINDER_UNCLAIMED_MINUTES,
      unclaimedLifeSafetyMinutes: e.REMINDER_UNCLAIMED_LIFE_SAFETY_MINUTES,
      repeatHours: e.REMINDER_REPEAT_HOURS,
    },
    // SQLite has one connection: the updates of up to 16 chats are processed one after the other
    // and committed together (group commit, see inbox/process.ts).
    inbox: { concurrency: e.INBOX_CONCURRENCY ?? (e.DATABASE_URL.startsWith("file:") ? 16 : 32), maxAttempts: e.INBOX_MAX_ATTEMPTS, floodRate: e.INBOX_FLOOD_RATE, floodShare: e.INBOX_FLOOD_SHARE },
    outbox: { maxAttempts: e.OUTBOX_MAX_ATTEMPTS },
    webhookBodyLimit: e.WEBHOOK_BODY_LIMIT_BYTES,
    retention: {
      periods: Object.fromEntries(RETENTION_RULES.map((r) => [r.name, periodMs(r, e[r.env as keyof Env] as number)])) as RetentionPeriods,
      schedule: e.RETENTION_SCHEDULE === "off" ? null : e.RETENTION_SCHEDULE,
    },
    codeGuess: { perAccount: e.CODE_GUESS_PER_ACCOUNT, global: e.CODE_GUESS_GLOBAL, alertAt: e.CODE_GUESS_ALERT_AT, windowMinutes: e.CODE_GUESS_WINDOW_MINUTES },
    web: {
      uploadLimitBytes: e.WEB_UPLOAD_LIMIT_BYTES,
      uploadsPerHour: e.WEB_UPLOADS_PER_HOUR,
      messages: {
        session: { perSecond: e.WEB_SESSION_MESSAGES_PER_SECOND, burst: e.WEB_SESSION_MESSAGE_BURST },
        address: { perSecond: e.WEB_ADDRESS_MESSAGES_PER_SECOND, burst: e.WEB_ADDRESS_MESSAGE_BURST },
        global: { perSecond: e.WEB_GLOBAL_MESSAGES_PER_SECOND, burst: e.WEB_GLOBAL_MESSAGE_BURST },
      },
      uploads: {
        addressPerHour: e.WEB_ADDRESS_UPLOADS_PER_HOUR,
        addressBytesPerHour: e.WEB_ADDRESS_UPLOAD_BYTES_PER_HOUR,
        globalPerHour: e.WEB_GLOBAL_UPLOADS_PER_HOUR,
        globalBytesPerHour: e.WEB_GLOBAL_UPLOAD_BYTES_PER_HOUR,
      },
      uploadStorageBytes: e.WEB_UPLOAD_STORAGE_BYTES,
      streams: { perAddress: e.WEB_STREAMS_PER_ADDRESS, total: e.WEB_STREAMS_TOTAL },
      images: { maxPixels: e.WEB_IMAGE_MAX_PIXELS, decodeConcurrency: e.WEB_IMAGE_DECODE_CONCURRENCY },
    },
    trustProxy: e.TRUST_PROXY ? e.TRUST_PROXY.split(",").map((p) => p.trim()) : [],
    metricsToken: e.METRICS_TOKEN,
    console: { idleMinutes: e.CONSOLE_IDLE_MINUTES, url: (e.CONSOLE_URL ?? e.PUBLIC_URL)?.replace(/\/+$/, "") },
    monthlyReport: { schedule: e.MONTHLY_REPORT_SCHEDULE === "off" ? null : e.MONTHLY_REPORT_SCHEDULE },
    cluster: { instanceId: e.CLUSTER_INSTANCE_ID ?? `${os.hostname()}-${process.pid}`, leaseMs: e.CLUSTER_LEASE_SECONDS * 1000, heartbeatMs: e.CLUSTER_HEARTBEAT_SECONDS * 1000 },
    statsRollupSeconds: e.STATS_ROLLUP_SECONDS,
    media: { zaloHosts: e.ZALO_MEDIA_HOSTS, maxBytes: e.MEDIA_MAX_BYTES, timeoutMs: e.MEDIA_FETCH_TIMEOUT_SECONDS * 1000 },
  };
}
