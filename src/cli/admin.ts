import { loadConfig } from "../config.ts";
import { configuredSecrets, secretRedactor, type Redactor } from "../security/redact.ts";
import { openDb, type Db } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { loadReferenceData } from "../db/referenceData.ts";
import { TelegramRenderer } from "../channels/telegram/render.ts";
import { waitingByQueue } from "../core/tips/waiting.ts";
import { bindQueue } from "../core/queues/commands/bindQueue.ts";
import { unbindQueue } from "../core/queues/commands/unbindQueue.ts";
import { queueOfUnit, scopeOfUnit } from "../core/officers/oneTimeCodes.ts";
import { createOneTimeCode } from "../core/officers/commands/createOneTimeCode.ts";
import { ROLES, type Role } from "../core/officers/roles.ts";
import { registerOfficer } from "../core/officers/commands/registerOfficer.ts";
import { revokeOfficer } from "../core/officers/commands/revokeOfficer.ts";
import { setOfficerName } from "../core/officers/commands/setOfficerName.ts";
import type { Actor } from "../core/events/recordEvent.ts";
import { normaliseTipCode } from "../core/tips/codes.ts";
import { ensureQueues } from "../core/tips/queues.ts";
import { createTranslator } from "../i18n.ts";
import fs from "node:fs";
import { addContent } from "../core/campaigns/commands/addContent.ts";
import { allowed, type Refused } from "../core/campaigns/commands/authorizeStaff.ts";
import { cancelCampaign } from "../core/campaigns/commands/cancelCampaign.ts";
import { confirmCampaign } from "../core/campaigns/commands/confirmCampaign.ts";
import { createCampaign } from "../core/campaigns/commands/createCampaign.ts";
import { pauseCampaign } from "../core/campaigns/commands/pauseCampaign.ts";
import { resumeCampaign } from "../core/campaigns/commands/resumeCampaign.ts";
import { CampaignError } from "../core/campaigns/campaignError.ts";
import { campaignReport } from "../core/campaigns/report.ts";
import { NO_QUIET_HOURS } from "../core/campaigns/schedule.ts";
import { campaignMessage } from "../core/campaigns/message.ts";
import { enqueueCalls } from "../outbox/outbound.ts";
import { ZaloRenderer } from "../channels/zalo/render.ts";
import { exportEntries, loadKnowledge } from "../core/qa/knowledge.ts";
import { importKnowledgeEntries } from "../core/qa/commands/importKnowledgeEntries.ts";
import { csvToEntries, entriesToCsv } from "../core/qa/csv.ts";
import { privacyCommands } from "./privacy.ts";
import { CommandRefused, tipActionCommands } from "./tipActions.ts";
import { loadSealer } from "../services.ts";
import { WebRenderer } from "../channels/web/render.ts";
import { isReportMonth } from "../core/reports/monthly.ts";
import { runMonthlyReports } from "../core/reports/monthlyRun.ts";

const ADMIN = "admin:cli";
/** The CLI's administrator as a commands' actor. */
const ADMIN_ACTOR = { kind: "admin", name: ADMIN } as const;
/** The administrator at the command line, as the commands' actor. */
const CLI_ADMIN: Actor = { kind: "admin", name: "cli" };

/** Hours a code stays valid, from --hours (a positive number; the command checks the upper bound). */
function hours(args: Map<string, string>): number | undefined {
  const h = args.get("hours");
  if (h === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(h)) throw new UsageError("--hours must be a positive number (at most 720)");
  return Number(h);
}

function role(args: Map<string, string>): Role {
  const r = args.get("role") ?? "officer";
  if (!(ROLES as readonly string[]).includes(r)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
  return r as Role;
}

function scope(args: Map<string, string>) {
  const unit = args.get("unit");
  const s = unit ? scopeOfUnit(unit) : null;
  if (!s) throw new UsageError("--unit must be a commune code (5 digits), a province code (2 digits) or VN");
  return s;
}

async function requireQueue(db: Db, args: Map<string, string>) {
  const unit = args.get("unit");
  if (!unit) throw new UsageError("--unit is required");
  const queue = await db.queue.findUnique({ where: { id: queueOfUnit(unit) } });
  if (!queue) throw new UsageError(`no queue for unit ${unit} (use a commune code, a province code, or a queue id such as cyber:01)`);
  return queue;
}

/** One admin command: its usage line and what it does. */
interface Command {
  usage: string;
  run(db: Db, args: Map<string, string>, positional: string[]): Promise<void>;
}

const commands: Record<string, Command> = {
  "unit:list": {
    usage: "unit:list [--province CODE]   list provinces, or the communes of one province",
    async run(db, args) {
      const province = args.get("province");
      if (!province) {
        for (const p of await db.province.findMany({ orderBy: { code: "asc" } })) console.log(`${p.code}\t${p.name}`);
        return;
      }
      const communes = await db.commune.findMany({ where: { provinceCode: province }, orderBy: { code: "asc" } });
      if (communes.length === 0) throw new UsageError(`no province with code ${province}`);
      for (const c of communes) console.log(`${c.code}\t${c.name}`);
    },
  },
  "queue:bind": {
    usage: "queue:bind --unit CODE --telegram-chat ID   bind a queue (commune, province duty, cyber:PP, legal:VN, VN national fall-back) to an officers' Telegram group",
    async run(db, args) {
      const queue = await requireQueue(db, args);
      const chatId = args.get("telegram-chat");
      if (!chatId || !/^-\d+$/.test(chatId)) throw new UsageError("--telegram-chat must be a group id (negative number)");
      const renderer = new TelegramRenderer(createTranslator().t);
      const posted = await db.$transaction(async (tx) => {
        const chat = await tx.chat.upsert({
          where: { channel_platformChatId: { channel: "telegram", platformChatId: chatId } },
          create: { channel: "telegram", platformChatId: chatId, kind: "group" },
          update: {},
        });
        return bindQueue(tx, renderer, { actor: CLI_ADMIN, queueId: queue.id, groupChatId: chat.id });
      });
      if (!posted.ok) throw new UsageError(`cannot bind ${queue.id}: ${posted.reason}`);
      console.log(`${queue.name} → Telegram group ${chatId}${posted.refs.length ? ` (${posted.refs.length} message(s) queued for open tips)` : ""}`);
    },
  },
  "queue:unbind": {
    usage: "queue:unbind --unit CODE                       unbind a queue from its group (its new tips fall back; cards already posted stay)",
    async run(db, args) {
      const queue = await requireQueue(db, args);
      const unbound = await db.$transaction((tx) => unbindQueue(tx, { actor: CLI_ADMIN, queueId: queue.id }));
      if (!unbound.ok) throw new UsageError(unbound.reason === "not_bound" ? `${queue.id} is bound to no group` : `cannot unbind: ${unbound.reason}`);
      console.log(`${queue.name}: unbound`);
    },
  },
  "queue:unbound": {
    usage: "queue:unbound                                  queues whose tips, info-only copies or legal questions wait with no group bound",
    async run(db) {
      const queues = await waitingByQueue(db);
      if (queues.length === 0) return console.log("nothing waits: every open tip and question is shown in a group");
      console.log("queue\ttips\tinfo copies\tquestions\tname");
      for (const q of queues) console.log(`${q.queueId}\t${q.tips}\t${q.copies}\t${q.questions}\t${q.name}`);
      console.log("bind a group to the queue, its province duty queue (--unit PP) or the national fall-back (--unit VN): queue:bind or queue:bind-code");
    },
  },
  "queue:bind-code": {
    usage: "queue:bind-code --unit CODE [--hours 24]   a one-time code an admin types as /bind CODE in the group",
    async run(db, args) {
      const queue = await requireQueue(db, args);
      const made = await db.$transaction((tx) => createOneTimeCode(tx, { actor: CLI_ADMIN, purpose: "group_bind", queueId: queue.id, hours: hours(args) }));
      if (!made.ok) throw new UsageError(`cannot make a binding code: ${made.reason} (--hours at most 720)`);
      console.log(`/bind ${made.code}   (${queue.name}; valid ${args.get("hours") ?? 24} h, once)`);
    },
  },
  "officer:add": {
    usage: "officer:add --telegram-user ID --unit CODE --role officer|commander|admin|outreach|legal [--name \"Thiếu úy Lan\"]",
    async run(db, args) {
      const user = args.get("telegram-user");
      if (!user || !/^\d+$/.test(user)) throw new UsageError("--telegram-user must be a Telegram user id");
      const name = args.get("name")?.trim();
      if (name !== undefined && (name.length === 0 || name.length > 64)) throw new UsageError("--name must be 1 to 64 characters");
      const registered = await db.$transaction((tx) => registerOfficer(tx, { actor: CLI_ADMIN, telegramUserId: user, role: role(args), ...scope(args), displayName: name }));
      if (!registered.ok) throw new UsageError(`cannot register: ${registered.reason}`);
      const officer = registered.officer;
      console.log(`officer ${officer.id}: Telegram user ${user}, ${officer.role}, ${officer.scopeKind} ${officer.scopeCode}${officer.displayName ? `, ${officer.displayName}` : ""}`);
    },
  },
  "officer:invite": {
    usage: "officer:invite --unit CODE --role officer|commander|admin|outreach|legal [--hours 72]   prints a one-time code (/start CODE to the bot)",
    async run(db, args) {
      const made = await db.$transaction((tx) => createOneTimeCode(tx, { actor: CLI_ADMIN, purpose: "officer_invite", role: role(args), ...scope(args), hours: hours(args) }));
      if (!made.ok) throw new UsageError(`cannot make an invitation: ${made.reason} (--hours at most 720)`);
      const code = made.code;
      console.log(`invitation code: ${code}   (send "/start ${code}" to the bot in a private chat; valid ${args.get("hours") ?? 72} h, once)`);
    },
  },
  "officer:revoke": {
    usage: "officer:revoke --telegram-user ID             takes effect at once",
    async run(db, args) {
      const user = args.get("telegram-user");
      if (!user) throw new UsageError("--telegram-user is required");
      const revoked = await db.$transaction((tx) => revokeOfficer(tx, { actor: CLI_ADMIN, telegramUserId: user }));
      if (!revoked.ok) throw new UsageError(`no officer with Telegram user ${user}`);
      console.log(`revoked: ${revoked.officer.displayName ?? revoked.officer.id} (Telegram user ${user})`);
    },
  },
  "officer:rename": {
    usage: 'officer:rename --telegram-user ID --name "Thiếu úy Lan"   the name colleagues see on cards',
    async run(db, args) {
      const user = args.get("telegram-user");
      if (!user) throw new UsageError("--telegram-user is required");
      const renamed = await db.$transaction((tx) => setOfficerName(tx, { actor: CLI_ADMIN, telegramUserId: user, name: args.get("name") ?? "" }));
      if (!renamed.ok) throw new UsageError(renamed.reason === "not_found" ? `no officer with Telegram user ${user}` : "--name must be 1 to 64 characters");
      console.log(`renamed: ${renamed.officer.displayName} (Telegram user ${user})`);
    },
  },
  "officer:list": {
    usage: "officer:list                                   registered officers",
    async run(db) {
      for (const o of await db.officer.findMany({ orderBy: { createdAt: "asc" } })) {
        console.log(`${o.telegramUserId}\t${o.role}\t${o.scopeKind} ${o.scopeCode}\t${o.displayName ?? ""}${o.revokedAt ? "\tREVOKED" : ""}`);
      }
    },
  },
  "tip:show": {
    usage: "tip:show CODE                                  a tip's state and history (never the tipster's identity)",
    async run(db, _args, positional) {
      const code = normaliseTipCode(positional[0] ?? "");
      const tip = code ? await db.tip.findUnique({ where: { code }, include: { queue: true, audit: { orderBy: { at: "asc" } }, copies: true } }) : null;
      if (!tip) throw new UsageError(`no tip ${positional[0] ?? ""}`);
      console.log(`${tip.code}  ${tip.category}${tip.lifeSafety ? "  LIFE-SAFETY" : ""}  status ${tip.status}  ${tip.identityMode}  via ${tip.channel}`);
      console.log(`queue: ${tip.queue.name}${tip.copies.length ? `  (copies: ${tip.copies.map((c) => c.queueId).join(", ")})` : ""}`);
      console.log(`received ${tip.receivedAt.toISOString()}  receipt notice due ${tip.receiptNoticeDueAt?.toISOString() ?? "-"}  decision due ${tip.decisionDueAt?.toISOString() ?? "-"}`);
      for (const a of tip.audit) console.log(`  ${a.at.toISOString()}  ${a.actor}  ${a.action}  ${a.data}`);
    },
  },
  "content:add": {
    usage: "content:add --file content.json        add a message to the content library (title, bodies.vi, source, topics, quiz)",
    async run(db, args) {
      const file = args.get("file");
      if (!file || !fs.existsSync(file)) throw new UsageError("--file must name a JSON file");
      try {
        const { content } = allowed(await db.$transaction((tx) => addContent(tx, { input: JSON.parse(fs.readFileSync(file, "utf8")), actor: ADMIN_ACTOR })));
        console.log(`content ${content.id}: ${content.title}`);
      } catch (err) {
        throw new UsageError(`invalid content: ${(err as Error).message}`);
      }
    },
  },
  "content:list": {
    usage: "content:list                            the content library",
    async run(db) {
      for (const c of await db.content.findMany({ orderBy: { createdAt: "asc" } })) console.log(`${c.id}\t${c.title}\t${c.topics}`);
    },
  },
  "campaign:create": {
    usage: 'campaign:create --content ID --schedule "mỗi thứ Hai 08:00" [--audience \'{"provinces":["01"],"topics":["fraud"]}\'] [--paid]',
    async run(db, args) {
      const contentId = args.get("content");
      const schedule = args.get("schedule");
      if (!contentId || !schedule) throw new UsageError("--content and --schedule are required");
      let audience: unknown = {};
      try {
        audience = JSON.parse(args.get("audience") ?? "{}");
      } catch {
        throw new UsageError("--audience must be JSON");
      }
      // --paid: Telegram's paid broadcast (allow_paid_broadcast, billed in Stars); a bare flag, or yes/no.
      const paid = args.get("paid");
      if (paid !== undefined && !["true", "yes", "false", "no"].includes(paid)) throw new UsageError("--paid takes no value (or yes / no)");
      const paidBroadcast = paid === "true" || paid === "yes";
      const { campaign } = allowed(await db.$transaction((tx) => createCampaign(tx, { contentId, audience, schedule, paidBroadcast, actor: ADMIN_ACTOR })));
      console.log(`campaign ${campaign.id} (draft${paidBroadcast ? ", paid broadcast" : ""}): preview with campaign:preview, then campaign:confirm ${campaign.id}`);
    },
  },
  "campaign:preview": {
    usage: "campaign:preview ID --telegram-user ID   send the campaign message to a staff member's private chat first",
    async run(db, args, [id]) {
      const campaign = id ? await db.campaign.findUnique({ where: { id }, include: { content: true } }) : null;
      if (!campaign) throw new UsageError("no such campaign");
      const officer = await db.officer.findUnique({ where: { telegramUserId: args.get("telegram-user") ?? "" } });
      const chat = officer?.privateChatId ? await db.chat.findUnique({ where: { id: officer.privateChatId } }) : null;
      if (!chat) throw new UsageError("that staff member has no private chat with the bot yet (they must write to it first)");
      const t = createTranslator().t;
      const renderer = chat.channel === "zalo" ? new ZaloRenderer(t) : new TelegramRenderer(t);
      await enqueueCalls(db, { chatId: chat.id, channel: chat.channel }, renderer.render(campaignMessage(campaign, chat.locale ?? "vi"), chat.locale ?? "vi").calls);
      console.log("preview queued (the running service sends it within seconds)");
    },
  },
  "campaign:confirm": campaignCommand("campaign:confirm ID                      schedule a draft campaign", (tx, campaignId) => {
    const quiet = loadConfig().campaigns.quietHours ?? NO_QUIET_HOURS;
    return confirmCampaign(tx, { campaignId, actor: ADMIN_ACTOR, quiet });
  }),
  "campaign:pause": campaignCommand("campaign:pause ID                        nothing more is queued until resumed", (tx, campaignId) => pauseCampaign(tx, { campaignId, actor: ADMIN_ACTOR })),
  "campaign:resume": campaignCommand("campaign:resume ID                       continue where it stopped", (tx, campaignId) => resumeCampaign(tx, { campaignId, actor: ADMIN_ACTOR })),
  "campaign:cancel": campaignCommand("campaign:cancel ID                       messages not yet queued are never sent", (tx, campaignId) => cancelCampaign(tx, { campaignId, actor: ADMIN_ACTOR })),
  "campaign:report": {
    usage: "campaign:report ID                      targeted, sent, failed, blocked, unsubscribed, quiz answers",
    async run(db, _args, [id]) {
      try {
        const r = await db.$transaction((tx) => campaignReport(tx, id ?? ""));
        console.log(`${r.campaign.id}  ${r.campaign.status}  runs ${r.runs}`);
        console.log(`targeted ${r.targeted}  sent ${r.sent}  failed ${r.failed}  blocked ${r.blocked}  skipped ${r.skipped}  still to send ${r.pending}  unsubscribed during ${r.unsubscribed}`);
        for (const q of r.quiz) console.log(`  quiz question ${q.question + 1}, option ${q.option + 1}: ${q.count}`);
      } catch (err) {
        if (err instanceof CampaignError) throw new UsageError(err.message);
        throw err;
      }
    },
  },
  "campaign:list": {
    usage: "campaign:list                           campaigns and their state",
    async run(db) {
      for (const c of await db.campaign.findMany({ orderBy: { createdAt: "asc" }, include: { content: true } })) {
        console.log(`${c.id}\t${c.status}\t${c.nextRunAt?.toISOString() ?? "-"}\t${c.content.title}`);
      }
    },
  },
  "kb:import": {
    usage: "kb:import --file entries.json|entries.csv   add or update knowledge base entries (validated; all or nothing)",
    async run(db, args) {
      const file = args.get("file");
      if (!file || !fs.existsSync(file)) throw new UsageError("--file must name a .json or .csv file");
      const text = fs.readFileSync(file, "utf8");
      const input = file.endsWith(".csv") ? csvToEntries(text) : JSON.parse(text);
      const imported = await db.$transaction((tx) => importKnowledgeEntries(tx, { actor: CLI_ADMIN, input }));
      if (!imported.ok) throw new UsageError(imported.reason === "invalid" ? `invalid entries: ${imported.message.slice(0, 500)}` : `cannot import: ${imported.reason}`);
      const n = imported.count;
      console.log(`${n} knowledge base entr${n === 1 ? "y" : "ies"} imported`);
    },
  },
  "kb:export": {
    usage: "kb:export [--format json|csv]                   the knowledge base on standard output",
    async run(db, args) {
      const entries = await exportEntries(db);
      process.stdout.write(args.get("format") === "csv" ? entriesToCsv(entries) : JSON.stringify(entries, null, 2) + "\n");
    },
  },
  "inbox:parked": {
    usage: "inbox:parked                   list updates that failed every attempt",
    async run(db) {
      const rows = await db.inboxUpdate.findMany({ where: { status: "parked" }, orderBy: { id: "asc" } });
      if (rows.length === 0) console.log("no parked updates");
      for (const r of rows) {
        console.log(`#${r.id}\t${r.channel}\tupdate ${r.updateKey}\treceived ${r.receivedAt.toISOString()}\tattempts ${r.attempts}`);
        console.log(`\t${redact((r.lastError ?? "").split("\n")[0]!)}`);
      }
    },
  },
  "inbox:retry": {
    usage: "inbox:retry ID... | --all      release parked updates for another try (the running service picks them up)",
    async run(db, args, ids) {
      const where = args.has("all") ? { status: "parked" } : { status: "parked", id: { in: ids.map(Number).filter(Number.isInteger) } };
      if (!args.has("all") && ids.length === 0) throw new UsageError("give update ids or --all");
      const { count } = await db.inboxUpdate.updateMany({ where, data: { status: "pending", attempts: 0, nextAttemptAt: new Date() } });
      console.log(`${count} update(s) released`);
    },
  },
  "outbox:failed": {
    usage: "outbox:failed                  list messages the platforms refused or that failed every attempt",
    async run(db) {
      const rows = await db.outboxMessage.findMany({ where: { status: "failed" }, orderBy: { id: "asc" }, take: 200 });
      if (rows.length === 0) console.log("no failed messages");
      for (const r of rows) console.log(`#${r.id}\t${r.channel}\t${r.method}\t${r.createdAt.toISOString()}\t${redact(r.lastError ?? "")}`);
    },
  },
};

class UsageError extends Error {}

// The monthly reports by hand (the service runs the same on the 1st: MONTHLY_REPORT_SCHEDULE).
commands["report:monthly"] = {
  usage: "report:monthly [YYYY-MM]       make and post each unit's monthly report (default: last month); units already reported on are left alone",
  async run(db, _args, [month]) {
    if (month !== undefined && !isReportMonth(month)) throw new UsageError("the month must be YYYY-MM");
    const config = loadConfig();
    const officerRenderer = config.telegram.token ? new TelegramRenderer(createTranslator().t) : undefined;
    const run = await runMonthlyReports(db, { officerRenderer, consoleUrl: config.console.url }, { actor: CLI_ADMIN, month });
    console.log(`${run.month}: ${run.units} unit(s); ${run.created} report(s) stored, ${run.posted} posted (${run.refs.length} message(s) queued for the service to send), ${run.unchanged} already done or waiting for a group`);
  },
};
// Personal data (Law 91/2025): retention:run, dsr:list, breach:report, breach:notify, keys:check, keys:rotate.
Object.assign(commands, privacyCommands((message) => new UsageError(message)));
// Officers' actions on a tip, one per row of the action table (core/actions/table.ts): tip:claim, tip:close, tip:note, …
Object.assign(
  commands,
  tipActionCommands(
    (message) => new UsageError(message),
    () => {
      const t = createTranslator().t;
      const officerRenderer = new TelegramRenderer(t);
      return { sealer: loadSealer(loadConfig()).sealer, t, officerRenderer, renderers: { telegram: officerRenderer, zalo: new ZaloRenderer(t), web: new WebRenderer(t) } };
    },
  ),
);
/** Every stored error printed goes through this (rows written before redaction may still hold a token). */
let redact: Redactor = secretRedactor([]);

function campaignCommand(usage: string, op: (tx: Parameters<Parameters<Db["$transaction"]>[0]>[0], id: string) => Promise<{ ok: true } | Refused>): Command {
  return {
    usage,
    async run(db, _args, [id]) {
      try {
        allowed(await db.$transaction((tx) => op(tx, id ?? "")));
        console.log(`${usage.split(" ")[0]} ${id}: done`);
      } catch (err) {
        if (err instanceof CampaignError) throw new UsageError(`cannot ${usage.split(" ")[0]}: ${err.message}`);
        throw err;
      }
    },
  };
}

function usage(): string {
  return ["usage: npm run admin -- <command> [options]", "", ...Object.values(commands).map((c) => `  ${c.usage}`)].join("\n");
}

function parse(argv: string[]): { args: Map<string, string>; positional: string[] } {
  const args = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=", 2) as [string, string | undefined];
      if (v !== undefined) args.set(k, v);
      else if (argv[i + 1] && !argv[i + 1]!.startsWith("--")) args.set(k, argv[++i]!);
      else args.set(k, "true");
    } else positional.push(a);
  }
  return { args, positional };
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (name === "help" || name === "--help") {
    console.log(usage());
    return 0;
  }
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error(name ? `unknown command: ${name}\n\n${usage()}` : usage());
    return 2;
  }
  const config = loadConfig();
  redact = secretRedactor(configuredSecrets(config));
  await migrate(config.databaseUrl);
  const db = await openDb(config.databaseUrl);
  try {
    await loadReferenceData(db);
    await ensureQueues(db);
    await loadKnowledge(db);
    const { args, positional } = parse(rest);
    await command.run(db, args, positional);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${usage()}`);
      return 2;
    }
    if (err instanceof CommandRefused) {
      console.error(err.message);
      return 3;
    }
    throw err;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(redact(err instanceof Error ? err.message : String(err)));
    process.exit(1);
  },
);
