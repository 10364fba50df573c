/**
 * Reminder sweep benchmark: one run of `sendReminders` (the leader's job every minute) over a
 * backlog of open tips, before and after the sweep selected its tips in the database.
 *
 *   npx tsx bench/reminders.ts                 50,000 open tips (+ 10,000 closed) in a temporary SQLite file
 *   options: --tips=50000 --sweeps=5 --keep (leave the temporary folder)
 *
 * Seed (in-process, no service): open tips received over the last 150 days in the commune queues
 * of the reference data — 10 % still unclaimed (half of those of the last day), 3 % life-safety,
 * claimed ones with their receipt notice sent, older ones extended to 2 months (30 %) or by the
 * procuracy (10 %) — and the steady state of a service that has been running: every reminder due
 * at the start was last sent within the last 24 hours + 1 minute (uniformly), so about 1/1,440 of
 * them falls due each minute, with three earlier days of history each (the log a real backlog has).
 * The database file is then copied: the baseline (the old code path, kept below: every open tip
 * read with its queue, one transaction per due reminder to look at the log) sweeps one copy, the
 * new `sendReminders` the other, at the same instants one simulated minute apart, alternately.
 * Prints each sweep's wall and CPU time, the reminders sent (the two must be the same, checked),
 * the medians and their ratio, the reading alone (every open tip vs the due tips' pages, nothing
 * sent) and the load average (the machine is shared: read the ratios).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { TelegramRenderer } from "../src/channels/telegram/render.ts";
import { dueTipPages, remindOnce, remindersDue, sendReminders, type ReminderSettings } from "../src/core/tips/reminders.ts";
import { ensureQueues } from "../src/core/tips/queues.ts";
import { openDb, type Db } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { loadReferenceData } from "../src/db/referenceData.ts";
import { createTranslator } from "../src/i18n.ts";
import type { OutboxRef, ReplyRenderer } from "../src/outbox/outbound.ts";
import { insertTips, type TipRowSpec } from "../test/helpers/tipRows.ts";
import { mulberry32 } from "../test/helpers/random.ts";
import { cleanUpOnExit, intOption, option } from "./lib.ts";

const TIPS = intOption("tips") ?? 50_000;
const SWEEPS = intOption("sweeps") ?? 5;
const KEEP = option("keep") !== undefined;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SETTINGS: ReminderSettings = { unclaimedMinutes: 60, unclaimedLifeSafetyMinutes: 10, repeatHours: 24 };

const say = (msg: string) => process.stderr.write(`[bench:reminders ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The sweep as it was before this change (baseline): every open tip read, one transaction per due reminder. */
async function oldSweep(db: Db, renderer: ReplyRenderer, settings: ReminderSettings, now: Date): Promise<OutboxRef[]> {
  const open = await db.tip.findMany({ where: { status: { not: "closed" } }, include: { queue: true }, orderBy: { receivedAt: "asc" } });
  const refs: OutboxRef[] = [];
  for (const tip of open) {
    for (const reminder of remindersDue(tip, now, settings)) refs.push(...(await remindOnce(db, renderer, tip, reminder, now, settings.repeatHours)));
  }
  return refs;
}

/** Reads the tips with a reminder due at `at` as the sweep does (pages of 200, with their recent reminders); returns how many. */
async function countDueTips(db: Db, at: Date): Promise<number> {
  let n = 0;
  for await (const page of dueTipPages(db, SETTINGS, at)) n += page.length;
  return n;
}

async function seed(db: Db, now: Date): Promise<void> {
  const rnd = mulberry32(20261205);
  await loadReferenceData(db);
  await ensureQueues(db);
  const queues = await db.queue.findMany({ where: { kind: "commune" }, select: { id: true, provinceCode: true, communeCode: true }, orderBy: { id: "asc" } });
  const specs: TipRowSpec[] = [];
  for (let i = 0; i < TIPS; i++) {
    const q = queues[Math.floor(rnd() * queues.length)]!;
    const age = rnd() < 0.02 ? rnd() * DAY : rnd() * 150 * DAY;
    const receivedAt = new Date(now.getTime() - Math.floor(age));
    const unclaimed = age < DAY ? rnd() < 0.5 : rnd() < 0.1;
    const x = rnd();
    const extension = age > 60 * DAY && x < 0.1 ? "procuracy" : age > 15 * DAY && x < 0.4 ? "two_months" : "none";
    specs.push({
      queueId: q.id,
      provinceCode: q.provinceCode,
      communeCode: q.communeCode,
      status: unclaimed ? "new" : "claimed",
      lifeSafety: rnd() < 0.03,
      receivedAt,
      claimedAt: unclaimed ? null : new Date(receivedAt.getTime() + HOUR),
      receiptNoticeSentAt: unclaimed ? null : new Date(receivedAt.getTime() + 2 * HOUR),
      extension,
    });
  }
  for (let i = 0; i < TIPS / 5; i++) {
    const q = queues[Math.floor(rnd() * queues.length)]!;
    const receivedAt = new Date(now.getTime() - Math.floor(rnd() * 150 * DAY));
    specs.push({ queueId: q.id, provinceCode: q.provinceCode, communeCode: q.communeCode, status: "closed", receivedAt, closedAt: new Date(receivedAt.getTime() + DAY), outcome: "khong_co_so" });
  }
  await insertTips(db, specs);
  const open = await db.tip.findMany({ where: { status: { not: "closed" } }, select: { id: true, code: true, status: true, lifeSafety: true, receivedAt: true, extension: true, receiptNoticeSentAt: true } });
  let logs: Array<{ tipId: string; kind: string; sentAt: Date }> = [];
  let total = 0;
  const flush = async () => {
    await db.reminderLog.createMany({ data: logs });
    total += logs.length;
    logs = [];
  };
  for (const tip of open) {
    for (const r of remindersDue(tip, now, SETTINGS)) {
      const last = now.getTime() - MIN - Math.floor(rnd() * (DAY + MIN));
      for (let day = 0; day < 4; day++) logs.push({ tipId: tip.id, kind: r.kind, sentAt: new Date(last - day * DAY) });
    }
    if (logs.length >= 5_000) await flush();
  }
  await flush();
  say(`seeded ${fmt(open.length)} open + ${fmt(TIPS / 5)} closed tips, ${fmt(total)} reminder log rows`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "taimat-bench-reminders-"));
cleanUpOnExit([], dir, KEEP);
const files = { before: path.join(dir, "before.db"), after: path.join(dir, "after.db") };
const now = new Date(Math.floor(Date.now() / MIN) * MIN);

say(`seeding ${fmt(TIPS)} open tips in ${files.before}`);
let t0 = performance.now();
await migrate(`file:${files.before}`);
{
  const db = await openDb(`file:${files.before}`);
  await seed(db, now);
  await db.$disconnect();
}
for (const suffix of ["", "-wal", "-shm"]) if (fs.existsSync(files.before + suffix)) fs.copyFileSync(files.before + suffix, files.after + suffix);
say(`seed and copy: ${fmt((performance.now() - t0) / 1000, 1)} s`);

const renderer = new TelegramRenderer(createTranslator().t);
const dbs = { before: await openDb(`file:${files.before}`), after: await openDb(`file:${files.after}`) };
const sweeps = {
  before: (at: Date) => oldSweep(dbs.before, renderer, SETTINGS, at),
  after: (at: Date) => sendReminders(dbs.after, renderer, SETTINGS, at),
};
/** The reminders a sweep at `at` logged, as sorted "tip code kind" lines. */
const logged = async (db: Db, at: Date) =>
  (await db.reminderLog.findMany({ where: { sentAt: at }, include: { tip: { select: { code: true } } } })).map((r) => `${r.tip.code} ${r.kind}`).sort();

const times = { before: [] as number[], after: [] as number[] };
const cpu = { before: [] as number[], after: [] as number[] };
for (let k = 0; k < SWEEPS; k++) {
  const at = new Date(now.getTime() + k * MIN);
  const order = k % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
  const sent: Record<string, string[]> = {};
  for (const which of order) {
    const c0 = process.cpuUsage();
    t0 = performance.now();
    await sweeps[which](at);
    times[which].push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu[which].push((c.user + c.system) / 1000);
    sent[which] = await logged(dbs[which], at);
  }
  const same = JSON.stringify(sent.before) === JSON.stringify(sent.after);
  console.log(
    `sweep ${k + 1} (+${k} min): before ${fmt(times.before[k]!, 1)} ms (cpu ${fmt(cpu.before[k]!, 1)} ms), after ${fmt(times.after[k]!, 1)} ms (cpu ${fmt(cpu.after[k]!, 1)} ms); ` +
      `${sent.after!.length} reminders sent, same as before: ${same ? "yes" : "NO"}`,
  );
  if (!same) {
    console.error("before only:", sent.before!.filter((x) => !sent.after!.includes(x)).slice(0, 10));
    console.error("after only:", sent.after!.filter((x) => !sent.before!.includes(x)).slice(0, 10));
    process.exitCode = 1;
  }
}
const mb = median(times.before);
const ma = median(times.after);
console.log(`median sweep over ${fmt(TIPS)} open tips: before ${fmt(mb, 1)} ms (cpu ${fmt(median(cpu.before), 1)} ms), after ${fmt(ma, 1)} ms (cpu ${fmt(median(cpu.after), 1)} ms)`);
console.log(`ratio after/before: ${fmt(ma / mb, 4)} (wall), ${fmt(median(cpu.after) / median(cpu.before), 4)} (cpu); ${fmt(mb / ma, 1)}× faster`);
// The reading alone (nothing sent): every open tip with its queue, against the new selection's pages (with their recent reminders).
const at = new Date(now.getTime() + SWEEPS * MIN);
const reads = { before: [] as number[], after: [] as number[] };
let selected = 0;
for (let k = 0; k < 3; k++) {
  t0 = performance.now();
  await dbs.before.tip.findMany({ where: { status: { not: "closed" } }, include: { queue: true }, orderBy: { receivedAt: "asc" } });
  reads.before.push(performance.now() - t0);
  t0 = performance.now();
  selected = await countDueTips(dbs.after, at);
  reads.after.push(performance.now() - t0);
}
console.log(`reading alone (median of 3): before ${fmt(median(reads.before), 1)} ms (every open tip), after ${fmt(median(reads.after), 1)} ms (${selected} tips with a reminder due); ratio ${fmt(median(reads.after) / median(reads.before), 4)}`);
console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} (${os.cpus().length} cores)`);
await dbs.before.$disconnect();
await dbs.after.$disconnect();
