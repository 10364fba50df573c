/**
 * The server under test for bench/capacity.ts, in a child process of its own:
 *
 *   node dist/bench/capacity-server.js service   the real service: runs src/main.ts itself
 *   node dist/bench/capacity-server.js bare      a bare grammY bot (the ceiling): the same webhook
 *                                                 route, state in memory, no database, the same
 *                                                 conversation mix answered with the same translations
 *                                                 and the same legal search
 *
 * Both serve, besides the webhook:
 *   POST /__bench/pause, /__bench/resume   hold / release processing (updates are still acknowledged)
 *   GET  /__bench/stats                    processed count, CPU, database statements issued
 *   GET  /__bench/completions              [updateKey, doneAtMs, replies] for every update processed
 *                                           since the last call (doneAtMs: epoch ms when the update's
 *                                           transaction — its replies recorded in the outbox — committed)
 * Configuration from the environment, as for src/main.ts. Sends `{ ready: url }` over IPC.
 */
import fs from "node:fs";
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import { constants as perfConstants, performance, PerformanceObserver } from "node:perf_hooks";
import Fastify, { type FastifyInstance } from "fastify";
import { Bot, InlineKeyboard, type Context } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { App, TELEGRAM_WEBHOOK_PATH } from "../src/app.ts";
import type { Db } from "../src/db/client.ts";
import type { UpdateProcessor } from "../src/inbox/worker.ts";
import { createTranslator } from "../src/i18n.ts";
import { readKnowledgeFiles } from "../src/core/qa/knowledge.ts";
import { LegalSearch, type SearchableEntry } from "../src/core/qa/legalSearch.ts";

export type CapacityMode = "service" | "bare";

/** Cumulative counters served at GET /__bench/stats. */
export interface CapacityStats {
  mode: CapacityMode;
  processed: number;
  failed: number;
  /** process.cpuUsage(), microseconds. */
  cpu: { user: number; system: number };
  rssBytes: number;
  /** Time the main thread spent paused in garbage collections (performance "gc" entries), ms. */
  gcMs: number;
  /** The part of `gcMs` in full (mark-compact) collections, ms. */
  gcMajorMs: number;
  /** Database statements issued (SQLite: statement executions and exec(); PostgreSQL: queries sent). */
  statements: number;
  /** Instances whose heap runs fast now (src/heapMode.ts: a busy inbox); summed over instances. */
  heapFast?: number;
  /** With BENCH_SQL_HISTOGRAM=1: statements issued by SQL text (first 160 characters): [count, ms spent]. */
  bySql?: Record<string, [number, number]>;
}

const stats: CapacityStats = { mode: "bare", processed: 0, failed: 0, cpu: { user: 0, system: 0 }, rssBytes: 0, gcMs: 0, gcMajorMs: 0, statements: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    stats.gcMs += entry.duration;
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) stats.gcMajorMs += entry.duration;
  }
}).observe({ entryTypes: ["gc"] });
const bySql = process.env.BENCH_SQL_HISTOGRAM === "1" ? new Map<string, [number, number]>() : undefined;
/** Counts a statement by its SQL text, with the time it took (SQLite: synchronous, so the time it ran; PostgreSQL: not timed). */
const countSql = (sql: unknown, ms = 0) => {
  if (!bySql) return;
  const text = String(typeof sql === "object" && sql !== null && "text" in sql ? (sql as { text: unknown }).text : sql).replace(/\s+/g, " ").slice(0, 160);
  const entry = bySql.get(text);
  if (entry) {
    entry[0]++;
    entry[1] += ms;
  } else bySql.set(text, [1, ms]);
};
const now = () => performance.timeOrigin + performance.now();

/** Completed updates not yet collected: inbox id (service) or update id (bare), and when. */
let completions: Array<{ id: number; at: number }> = [];

/** A CPU profile of one phase (POST /__bench/profile/start, then /stop with ?file=): the V8 inspector in this process. */
let profiler: Session | undefined;
/** BENCH_HEAP_PROFILE=1: the profiles are allocation samples (.cpuprofile names kept; open them as heap profiles). */
const HEAP_PROFILE = process.env.BENCH_HEAP_PROFILE === "1";

function addBenchRoutes(
  http: FastifyInstance,
  control: { pause(): void; resume(): void; collect(): Promise<Array<[string, number, number]>>; debug?(): Promise<unknown>; heapFast?(): Promise<number> },
): void {
  http.get("/__bench/debug", async () => (control.debug ? control.debug() : {}));
  http.get("/__bench/stats", async (): Promise<CapacityStats> => {
    const cpu = process.cpuUsage();
    const heapFast = control.heapFast ? await control.heapFast() : undefined;
    return { ...stats, cpu: { user: cpu.user, system: cpu.system }, rssBytes: process.memoryUsage().rss, ...(heapFast !== undefined ? { heapFast } : {}), ...(bySql ? { bySql: Object.fromEntries(bySql) } : {}) };
  });
  http.post("/__bench/profile/start", async () => {
    profiler = new Session();
    profiler.connect();
    if (HEAP_PROFILE) {
      // Every allocation sampled, those collected since included: where the garbage comes from.
      await profiler.post("HeapProfiler.enable");
      await profiler.post("HeapProfiler.startSampling", { samplingInterval: 32_768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
      return { ok: true };
    }
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.start");
    return { ok: true };
  });
  http.post<{ Querystring: { file: string } }>("/__bench/profile/stop", async (req) => {
    if (!profiler) return { ok: false };
    const { profile } = HEAP_PROFILE ? await profiler.post("HeapProfiler.stopSampling") : await profiler.post("Profiler.stop");
    profiler.disconnect();
    profiler = undefined;
    fs.writeFileSync(req.query.file, JSON.stringify(profile));
    return { ok: true };
  });
  http.post("/__bench/pause", async () => (control.pause(), { ok: true }));
  http.post("/__bench/resume", async () => (control.resume(), { ok: true }));
  http.get("/__bench/completions", async () => control.collect());
}

function ready(url: string): void {
  if (process.send) process.send({ ready: url });
  else console.log(`READY ${url}`);
}

// ---------------------------------------------------------------------------------------------
// Counting database statements

function countStatements(): void {
  const require = createRequire(import.meta.url);
  const Database = require("better-sqlite3") as new (file: string) => { prepare(sql: string): object; exec(sql: string): unknown; close(): void };
  const probe = new Database(":memory:");
  const stmtProto = Object.getPrototypeOf(probe.prepare("SELECT 1")) as Record<string, (...a: unknown[]) => unknown>;
  probe.close();
  for (const name of ["run", "get", "all", "iterate"]) {
    const orig = stmtProto[name]!;
    stmtProto[name] = function (this: { source: string }, ...args: unknown[]) {
      stats.statements++;
      if (!bySql) return orig.apply(this, args);
      const t0 = performance.now();
      try {
        return orig.apply(this, args);
      } finally {
        countSql(this.source, performance.now() - t0);
      }
    };
  }
  const dbProto = (Database as unknown as { prototype: Record<string, (...a: unknown[]) => unknown> }).prototype;
  const exec = dbProto.exec!;
  dbProto.exec = function (this: unknown, ...args: unknown[]) {
    stats.statements++;
    if (!bySql) return exec.apply(this, args);
    const t0 = performance.now();
    try {
      return exec.apply(this, args);
    } finally {
      countSql(args[0], performance.now() - t0);
    }
  };
  try {
    const pg = require("pg") as { Client: { prototype: Record<string, (...a: unknown[]) => unknown> } };
    const query = pg.Client.prototype.query!;
    pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
      stats.statements++;
      countSql(args[0]);
      return query.apply(this, args);
    };
  } catch {
    // pg not installed: SQLite only
  }
}

// ---------------------------------------------------------------------------------------------
// The service

async function startService(): Promise<void> {
  countStatements();
  const proto = App.prototype as {
    start: (this: App) => Promise<void>;
    listen: (this: App, port?: number, host?: string) => Promise<string>;
  };
  const start = proto.start;
  proto.start = async function (this: App) {
    const app = this;
    const db = (app as unknown as { opts: { db: Db } }).opts.db;
    const opts = (app.worker as unknown as { opts: { process: UpdateProcessor } }).opts;
    const processOne = opts.process;
    opts.process = Object.assign(
      async (id: number) => {
        try {
          await processOne(id);
        } catch (err) {
          stats.failed++;
          throw err;
        }
        stats.processed++;
        completions.push({ id, at: now() });
      },
      { refusesOutOfOrder: processOne.refusesOutOfOrder },
    );
    addBenchRoutes(app.http, {
      debug: async () => ({
        worker: app.worker.activity(),
        workerPending: app.worker.pendingCount,
        inbox: await db.inboxUpdate.groupBy({ by: ["status"], _count: { _all: true } }),
        outbox: await db.outboxMessage.groupBy({ by: ["status"], _count: { _all: true } }),
        sender: app.sender.activity(),
      }),
      pause: () => app.worker.pause(),
      resume: () => app.worker.resume(),
      heapFast: async () => (await app.metrics.heapFast.get()).values[0]?.value ?? 0,
      collect: async () => {
        const taken = completions;
        completions = [];
        const out: Array<[string, number, number]> = [];
        for (let i = 0; i < taken.length; i += 500) {
          const part = taken.slice(i, i + 500);
          const ids = part.map((c) => c.id);
          const rows = await db.inboxUpdate.findMany({ where: { id: { in: ids } }, select: { id: true, updateKey: true } });
          const replies = await db.outboxMessage.groupBy({ by: ["sourceUpdateId"], where: { sourceUpdateId: { in: ids } }, _count: { _all: true } });
          const keyOf = new Map(rows.map((r) => [r.id, r.updateKey]));
          const count = new Map(replies.map((r) => [r.sourceUpdateId, r._count._all]));
          for (const c of part) out.push([keyOf.get(c.id) ?? "?", c.at, count.get(c.id) ?? 0]);
        }
        return out;
      },
    });
    await start.call(this);
  };
  const listen = proto.listen;
  proto.listen = async function (this: App, port?: number, host?: string) {
    const url = await listen.call(this, port, host);
    ready(url);
    return url;
  };
  await import("../src/main.ts");
}

// ---------------------------------------------------------------------------------------------
// The bare grammY bot: the same conversation mix, state in memory, no database, no durability.

interface BareChat {
  locale?: string;
  mode?: "report" | "ask" | "lookup_code" | "lookup_pin";
  step?: string;
  draft?: Record<string, unknown>;
  description?: string[];
  code?: string;
}

async function startBare(): Promise<void> {
  const { t } = createTranslator();
  const entries: SearchableEntry[] = readKnowledgeFiles().entries.map((e) => ({ id: e.id, questions: e.questions, answers: e.answer }));
  const search = new LegalSearch(entries);
  const byId = new Map(entries.map((e) => [e.id, e]));
  const chats = new Map<number, BareChat>();
  const tips = new Map<string, { pin: string; receivedAt: Date }>();
  const outbox: Array<{ chatId: number; method: string; payload: unknown }> = [];
  let current = 0;
  const repliesOf = new Map<number, number>();

  const token = process.env.TELEGRAM_BOT_TOKEN ?? "123456:BARE";
  const bot = new Bot(token, { botInfo: { id: 123456, is_bot: true, first_name: "Bare", username: "bare_bot", can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } as UserFromGetMe });
  // Replies are recorded in memory (the bare bot's "outbox"), never sent.
  bot.api.config.use(async (_prev, method, payload) => {
    outbox.push({ chatId: Number((payload as { chat_id?: unknown }).chat_id ?? 0), method, payload });
    repliesOf.set(current, (repliesOf.get(current) ?? 0) + 1);
    return { ok: true, result: true } as never;
  });
  if (outbox.length > 1_000_000) outbox.length = 0;

  const chatOf = (ctx: Context): BareChat => {
    const id = ctx.chat!.id;
    let c = chats.get(id);
    if (!c) chats.set(id, (c = {}));
    return c;
  };
  const keyboard = (locale: string, choices: Array<[string, string]>) => {
    const kb = new InlineKeyboard();
    for (const [id, key] of choices) kb.text(t(locale, key), id).row();
    return kb;
  };
  const MENU: Array<[string, string]> = [
    ["menu:report", "tip:menu.report"],
    ["menu:lookup", "tip:menu.lookup"],
    ["menu:ask", "qa:menu.ask"],
    ["menu:subscribe", "campaign:menu.subscribe"],
    ["menu:emergency", "menu.emergency"],
    ["menu:help", "menu.help"],
    ["menu:language", "menu.language"],
  ];
  const menu = (ctx: Context, c: BareChat, key = "menu.prompt") => ctx.reply(t(c.locale!, key), { reply_markup: keyboard(c.locale!, MENU) });
  const languages = (ctx: Context) => ctx.reply(t("vi", "greeting.new"), { reply_markup: keyboard("vi", [["lang:vi", "language.name.vi"], ["lang:en", "language.name.en"], ["lang:km", "language.name.km"]]) });
  const prompt = (ctx: Context, c: BareChat, key: string, choices: Array<[string, string]>) =>
    ctx.reply(t(c.locale!, key, { media: "" }), { reply_markup: keyboard(c.locale!, [...choices, ["flow:back", "tip:flow.back"], ["flow:cancel", "tip:flow.cancel"]]) });

  bot.command("start", async (ctx) => {
    const c = chatOf(ctx);
    c.mode = undefined;
    return c.locale ? menu(ctx, c) : languages(ctx);
  });
  bot.on("callback_query:data", async (ctx) => {
    await ctx.answerCallbackQuery();
    const c = chatOf(ctx);
    const data = ctx.callbackQuery.data;
    const [kind, value] = data.split(":");
    if (kind === "lang") {
      c.locale = value;
      return menu(ctx, c, "language.chosen");
    }
    if (!c.locale) return languages(ctx);
    switch (data) {
      case "menu:report":
        c.mode = "report";
        c.draft = {};
        c.description = [];
        return prompt(ctx, c, "tip:category.prompt", [["cat:theft", "tip:category.theft"], ["cat:drugs", "tip:category.drugs"]]);
      case "menu:ask":
        c.mode = "ask";
        return ctx.reply(t(c.locale, "qa:ask.prompt"), { reply_markup: keyboard(c.locale, [["menu:main", "tip:flow.back"]]) });
      case "menu:lookup":
        c.mode = "lookup_code";
        return ctx.reply(t(c.locale, "tip:lookup.ask_code"), { reply_markup: keyboard(c.locale, [["flow:cancel", "tip:flow.cancel"]]) });
      case "qa:yes":
        return ctx.reply(t(c.locale, "qa:ask.thanks"), { reply_markup: keyboard(c.locale, [["menu:main", "tip:flow.back"]]) });
    }
    if (c.mode === "report" && c.draft) {
      c.draft[kind!] = value;
      if (kind === "cat") return prompt(ctx, c, "tip:danger.prompt", [["danger:yes", "tip:danger.yes"], ["danger:no", "tip:danger.no"]]);
      if (kind === "danger") return prompt(ctx, c, "tip:place.prompt", [["place:unknown", "tip:place.dont_know"]]);
      if (kind === "when") return prompt(ctx, c, "tip:details.theft", [["details:skip", "tip:details.skip"]]);
      if (kind === "details") return prompt(ctx, c, "tip:what.prompt", [["what:done", "tip:what.done"]]);
      if (kind === "what") return prompt(ctx, c, "tip:identity.prompt", [["id:anonymous", "tip:identity.anonymous"], ["id:named", "tip:identity.named"]]);
      if (kind === "id") return prompt(ctx, c, "tip:review.prompt", [["review:send", "tip:review.send"]]);
      if (kind === "review") {
        const code = `TM-${String(tips.size).padStart(6, "0")}`;
        const pin = String(100000 + tips.size);
        tips.set(code, { pin, receivedAt: new Date() });
        c.mode = undefined;
        return ctx.reply(t(c.locale, "tip:receipt.text", { head: "", code, pin }), { reply_markup: keyboard(c.locale, MENU) });
      }
    }
    c.mode = undefined;
    return menu(ctx, c);
  });
  bot.on("message:location", async (ctx) => {
    const c = chatOf(ctx);
    if (c.mode === "report" && c.draft) {
      c.draft.place = [ctx.message.location.latitude, ctx.message.location.longitude];
      return prompt(ctx, c, "tip:when.prompt", [["when:today", "tip:when.today"], ["when:yesterday", "tip:when.yesterday"]]);
    }
    return menu(ctx, c);
  });
  bot.on("message:text", async (ctx) => {
    const c = chatOf(ctx);
    const text = ctx.message.text;
    if (!c.locale) return languages(ctx);
    if (c.mode === "ask") {
      const found = search.search(text, 3);
      const best = found.hits?.[0];
      const entry = best ? byId.get(best.id) : undefined;
      const answer = entry ? (entry.answers as Record<string, string | undefined>)[c.locale] ?? entry.answers.vi : t(c.locale, "qa:ask.no_match");
      return ctx.reply(answer.slice(0, 4000), { reply_markup: keyboard(c.locale, [["qa:yes", "qa:ask.helpful_yes"], ["qa:no", "qa:ask.helpful_no"], ["menu:main", "tip:flow.back"]]) });
    }
    if (c.mode === "lookup_code") {
      c.code = text.trim().toUpperCase();
      c.mode = "lookup_pin";
      return ctx.reply(t(c.locale, "tip:lookup.ask_pin"), { reply_markup: keyboard(c.locale, [["flow:cancel", "tip:flow.cancel"]]) });
    }
    if (c.mode === "lookup_pin") {
      c.mode = undefined;
      const tip = tips.get(c.code ?? "");
      if (!tip || tip.pin !== text.trim()) return ctx.reply(t(c.locale, "tip:lookup.not_found"));
      return ctx.reply(t(c.locale, "tip:lookup.status", { code: c.code, date: tip.receivedAt.toISOString(), unit: "", status: t(c.locale, "tip:lookup.states.received") }), { reply_markup: keyboard(c.locale, MENU) });
    }
    if (c.mode === "report") {
      c.description?.push(text);
      return ctx.reply(t(c.locale, "tip:what.received"), { reply_markup: keyboard(c.locale, [["what:done", "tip:what.done"]]) });
    }
    return menu(ctx, c);
  });
  bot.on("message", async (ctx) => menu(ctx, chatOf(ctx)));

  // The inbox in memory: acknowledged at once, processed in order, a batch per event-loop turn.
  const queue: Update[] = [];
  let head = 0;
  let paused = false;
  let running = false;
  const pump = () => {
    if (running || paused) return;
    running = true;
    setImmediate(async () => {
      const until = head + 64;
      while (head < queue.length && head < until && !paused) {
        const update = queue[head++]!;
        current = update.update_id;
        try {
          await bot.handleUpdate(update);
          stats.processed++;
        } catch {
          stats.failed++;
        }
        completions.push({ id: update.update_id, at: now() });
      }
      if (head > 10_000 && head === queue.length) {
        queue.length = 0;
        head = 0;
      }
      running = false;
      if (head < queue.length) pump();
    });
  };

  const http = Fastify({ logger: false, bodyLimit: 1 << 20 });
  const secret = process.env.TELEGRAM_WEBHOOK_SECRET;
  http.post(TELEGRAM_WEBHOOK_PATH, async (req, reply) => {
    if (secret && req.headers["x-telegram-bot-api-secret-token"] !== secret) return reply.code(401).send({ ok: false });
    const body = req.body as Update;
    if (!body || typeof body.update_id !== "number") return reply.code(400).send({ ok: false });
    queue.push(body);
    pump();
    return reply.code(200).send({ ok: true });
  });
  http.get("/healthz", async () => ({ status: "ok" }));
  addBenchRoutes(http, {
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      pump();
    },
    collect: async () => {
      const taken = completions;
      completions = [];
      const out = taken.map((c): [string, number, number] => [String(c.id), c.at, repliesOf.get(c.id) ?? 0]);
      for (const c of taken) repliesOf.delete(c.id);
      return out;
    },
  });
  await http.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? "127.0.0.1" });
  const addr = http.server.address();
  ready(`http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`);
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void http.close().finally(() => process.exit(0)));
}

async function main(): Promise<void> {
  const mode = process.argv[2] as CapacityMode | undefined;
  if (mode !== "service" && mode !== "bare") {
    console.error("usage: node dist/bench/capacity-server.js <service|bare>  (after npm run build)");
    process.exit(2);
  }
  stats.mode = mode;
  process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
  return mode === "bare" ? startBare() : startService();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
