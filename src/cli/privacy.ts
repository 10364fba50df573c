import fs from "node:fs";
import path from "node:path";
import { loadConfig } from "../config.ts";
import type { Db } from "../db/client.ts";
import { parseSchemaModels } from "../db/schemaModels.ts";
import { createTranslator } from "../i18n.ts";
import { applyRetention } from "../core/privacy/applyRetention.ts";
import { listDataRequests } from "../core/privacy/dataRequests.ts";
import { BREACH_RECIPIENTS_CONTEXT, authorityNoticeMarkdown, breachReport, breachReportMarkdown, residentNoticeMarkdown } from "../core/privacy/breachReport.ts";
import { RETENTION_RULES } from "../core/privacy/retentionRules.ts";
import { scanSealedValues, type SealedScanReport } from "../security/rotateKeys.ts";
import { loadSealer } from "../services.ts";
import { enqueueCalls, type ReplyRenderer } from "../outbox/outbound.ts";
import { TelegramRenderer } from "../channels/telegram/render.ts";
import { ZaloRenderer } from "../channels/zalo/render.ts";
import { WebRenderer } from "../channels/web/render.ts";

/** An admin command (the same shape as in admin.ts). */
interface Command {
  usage: string;
  run(db: Db, args: Map<string, string>, positional: string[]): Promise<void>;
}

const isoArg = (args: Map<string, string>, name: string, usage: (m: string) => Error): Date => {
  const v = args.get(name);
  const d = v ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw usage(`--${name} must be an ISO date-time, e.g. 2026-03-01T00:00:00+07:00`);
  return d;
};

function printKeys(report: SealedScanReport, configured: string[]): void {
  const keys = new Set([...configured, ...Object.keys(report.totals)]);
  for (const kid of keys) {
    const n = report.totals[kid] ?? 0;
    const state = kid === report.currentKeyId ? "current (seals new values)" : configured.includes(kid) ? (n ? "old: still needed" : "old: seals nothing, can be retired") : "NOT CONFIGURED: these values cannot be opened";
    console.log(`key ${kid}\t${n} value(s)\t${state}`);
  }
  for (const c of report.columns) {
    const parts = Object.entries(c.byKey).map(([k, n]) => `${k} ${n}`);
    console.log(`  ${c.column}${c.unlisted ? " (NOT IN src/security/sealedColumns.ts)" : ""}\t${parts.join(", ") || "-"}${c.resealed ? `\tresealed ${c.resealed}` : ""}${c.failed ? `\tFAILED ${c.failed}` : ""}${c.skipped ? `\tchanged meanwhile ${c.skipped} (run again)` : ""}`);
  }
}

/**
 * Personal data duties (Law 91/2025/QH15, Decree 356/2025/NĐ-CP): retention, data-subject
 * requests, breach kit, sealing key rotation. `usage` builds admin.ts's usage error.
 */
export function privacyCommands(usage: (message: string) => Error): Record<string, Command> {
  return {
    "retention:run": {
      usage: "retention:run                  apply the retention rules now (the service does it daily) and print the report",
      async run(db) {
        const report = await applyRetention(db, loadConfig().retention.periods);
        for (const r of RETENTION_RULES) console.log(`${r.name.padEnd(20)}\t${report.counts[r.name]}\tolder than ${report.cutoffs[r.name]}`);
      },
    },
    "dsr:list": {
      usage: "dsr:list [--open]              data-subject requests (access, deletion) with their legal due dates",
      async run(db, args) {
        const rows = (await listDataRequests(db)).filter((r) => !args.has("open") || r.open);
        if (rows.length === 0) console.log(args.has("open") ? "no open requests" : "no requests");
        for (const r of rows) {
          console.log(
            `${r.ref}\t${r.kind}\t${r.channel}\t${r.status}${r.overdue ? " OVERDUE" : ""}\treceived ${r.receivedAt.toISOString()}\tack due ${r.ackDueAt.toISOString()}\tdue ${r.dueAt.toISOString()}`,
          );
        }
      },
    },
    "breach:report": {
      usage: "breach:report --from ISO --to ISO [--tables Tip,Chat,…] [--out DIR]   affected data and residents; drafts the 72-hour notices",
      async run(db, args) {
        const from = isoArg(args, "from", usage);
        const to = isoArg(args, "to", usage);
        if (to < from) throw usage("--to must not be before --from");
        const models = parseSchemaModels();
        const tables = args.get("tables")?.split(",").map((t) => t.trim()).filter(Boolean);
        const unknown = tables?.filter((t) => !models.some((m) => m.name === t));
        if (unknown?.length) throw usage(`unknown table(s): ${unknown.join(", ")}`);
        const { sealer } = loadSealer(loadConfig());
        const report = await breachReport(db, sealer, models, { from, to, tables });
        const stamp = new Date().toISOString().replace(/[:.]/g, "-");
        const dir = args.get("out") ?? path.join("data", "breach", stamp);
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const md = breachReportMarkdown(report);
        fs.writeFileSync(path.join(dir, "report.md"), md);
        fs.writeFileSync(path.join(dir, "notice-a05.md"), authorityNoticeMarkdown(report));
        fs.writeFileSync(path.join(dir, "notice-residents.md"), residentNoticeMarkdown());
        // The residents to notify, sealed: the file opens only with the service's key.
        fs.writeFileSync(path.join(dir, "recipients.sealed"), sealer.seal(JSON.stringify(report.recipients), BREACH_RECIPIENTS_CONTEXT) + "\n", { mode: 0o600 });
        console.log(md);
        console.log(`written to ${dir}: report.md, notice-a05.md, notice-residents.md (fill in every […]), recipients.sealed (${report.recipients.length} chat(s), sealed)`);
        console.log(`send the residents' notice with: npm run admin -- breach:notify --recipients ${path.join(dir, "recipients.sealed")} --notice ${path.join(dir, "notice-residents.md")}`);
      },
    },
    "breach:notify": {
      usage: "breach:notify --recipients FILE --notice FILE   queue the residents' notice (vi/en by their language) to every sealed recipient",
      async run(db, args) {
        const file = args.get("recipients");
        const notice = args.get("notice");
        if (!file || !fs.existsSync(file) || !notice || !fs.existsSync(notice)) throw usage("--recipients and --notice must name the files written by breach:report");
        const text = fs.readFileSync(notice, "utf8");
        if (text.includes("[…]")) throw usage("the notice still has […] to fill in");
        const [vi, en] = text.replace("<!-- vi -->", "").split("<!-- en -->").map((s) => s.trim());
        const { sealer } = loadSealer(loadConfig());
        const ids = JSON.parse(sealer.open(fs.readFileSync(file, "utf8").trim(), BREACH_RECIPIENTS_CONTEXT)) as string[];
        const t = createTranslator().t;
        const renderers: Record<string, ReplyRenderer> = { telegram: new TelegramRenderer(t), zalo: new ZaloRenderer(t), web: new WebRenderer(t) };
        let queued = 0;
        for (let i = 0; i < ids.length; i += 200) {
          const chats = await db.chat.findMany({ where: { id: { in: ids.slice(i, i + 200) }, unreachableAt: null } });
          await db.$transaction(async (tx) => {
            for (const chat of chats) {
              const renderer = renderers[chat.channel];
              if (!renderer) continue;
              const body = chat.locale === "en" && en ? en : vi!;
              await enqueueCalls(tx, { chatId: chat.id, channel: chat.channel }, renderer.render({ key: "common:raw", params: { text: body } }, chat.locale ?? "vi").calls);
              queued++;
            }
          });
        }
        await db.auditEvent.create({ data: { actor: "admin:cli", action: "breach.notified", data: JSON.stringify({ queued }) } });
        console.log(`${queued} notice(s) queued (the running service sends them at the platforms' pace)`);
      },
    },
    "keys:check": {
      usage: "keys:check                     how many sealed values each key still seals (an old key sealing 0 can be retired)",
      async run(db) {
        const { sealer } = loadSealer(loadConfig());
        printKeys(await scanSealedValues(db, sealer), sealer.keyIds);
      },
    },
    "keys:rotate": {
      usage: "keys:rotate                    re-seal every value with the newest key (ENCRYPTION_KEYS=new,old…), in batches; safe to repeat",
      async run(db) {
        const { sealer } = loadSealer(loadConfig());
        if (sealer.keyIds.length < 2) console.log("only one key configured: put the new key first in ENCRYPTION_KEYS, keeping the old ones after it");
        const report = await scanSealedValues(db, sealer, { rotate: true });
        const resealed = report.columns.reduce((a, c) => a + c.resealed, 0);
        const failed = report.columns.reduce((a, c) => a + c.failed, 0);
        await db.auditEvent.create({ data: { actor: "admin:cli", action: "keys.rotated", data: JSON.stringify({ currentKeyId: report.currentKeyId, resealed, failed, totals: report.totals }) } });
        console.log(`resealed ${resealed} value(s) with key ${report.currentKeyId}${failed ? `; ${failed} could not be opened` : ""}`);
        printKeys(report, sealer.keyIds);
      },
    },
  };
}
