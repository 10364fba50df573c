import { Prisma, type Db } from "../../db/client.ts";
import type { Logger } from "../../logger.ts";
import { enqueueCalls, enqueueIntents, type OutboxRef } from "../../outbox/outbound.ts";
import type { Renderers } from "../tips/notifyTipster.ts";
import type { Actor } from "../events/recordEvent.ts";
import { audienceConditions, audienceFrom, type Audience } from "./audience.ts";
import { groupFor } from "../tips/cards.ts";
import { OUTREACH_QUEUE_ID } from "./outreach.ts";
import { campaignReport, reportReply } from "./report.ts";
import { queueDeliveries } from "./queueDeliveries.ts";
import { startRun } from "./commands/startRun.ts";
import { finishRun } from "./commands/finishRun.ts";
import type { ReplyRenderer } from "../../outbox/outbound.ts";
import { DEFAULT_QUIET_HOURS, isQuiet, type QuietHours } from "./schedule.ts";

const SYSTEM: Actor = { kind: "system" };

/**
 * Deliveries queued per transaction: a fixed handful of statements each (see queueDeliveries), short
 * enough that people's own conversations (one SQLite connection) do not wait long behind a paid window.
 */
const FEED_BATCH = 250;

/** Subscribers turned into deliveries per database round trip. */
const MATERIALIZE_BATCH = 1000;

/** A delivery (`"Delivery"` in a query, aliased d) whose outbox message is no longer pending: sent, given up, or gone. */
const SETTLED = Prisma.sql`NOT EXISTS (SELECT 1 FROM "OutboxMessage" o WHERE o."id" = d."outboxId" AND o."status" = 'pending')`;
/** The same in an UPDATE of "Delivery" (no alias). */
const SETTLED_UPDATE = Prisma.sql`NOT EXISTS (SELECT 1 FROM "OutboxMessage" o WHERE o."id" = "Delivery"."outboxId" AND o."status" = 'pending')`;

export interface CampaignEngineOptions {
  db: Db;
  renderers: Renderers;
  /** Hands outbox rows to the sender. */
  notify: (refs: OutboxRef[]) => void;
  log: Logger;
  quiet?: QuietHours;
  /** Renders progress and reports for the outreach staff group (Telegram); none when not configured. */
  staffRenderer?: ReplyRenderer;
  /**
   * Campaign messages waiting in the outbox at any time. Small, so a pause, a cancel or quiet hours
   * take effect within seconds, memory stays flat whatever the audience, and people's own
   * conversations (which outrank campaigns) never wait behind a long queue.
   */
  window?: number;
  /**
   * A paid campaign's own window (default 2,000): two seconds of its paid pace — the engine refills
   * it twice a second, and a late step must not leave the sender without work — so a pause or a
   * cancel still takes effect within seconds. Paid campaigns do not share the unpaid window.
   */
  paidWindow?: number;
  /** Deliveries materialised per transaction (default 1,000). */
  materializeBatch?: number;
}

/**
 * The broadcast engine: starts due campaign runs, materialises their deliveries from the
 * subscriber table in batches (never loading the audience into memory), feeds them into the outbox
 * a window at a time — fairly across running campaigns, never in quiet hours — and records each
 * delivery's outcome from its outbox row. Everything lives in the database, so a restart continues
 * where it stopped; a message can go twice only if the process died between the platform accepting
 * it and the outbox recording that.
 */
export class CampaignEngine {
  private running = false;
  /** When each run's progress message was last edited (edits count against the group's limit). */
  private readonly progressEditedAt = new Map<number, number>();
  constructor(private readonly opts: CampaignEngineOptions) {}

  /** One step of work; call it every second or so. Safe to call concurrently (calls do not overlap). */
  async tick(now = new Date()): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.startDueRuns(now);
      await this.materialize(now);
      await this.reconcile();
      if (!isQuiet(now, this.opts.quiet ?? DEFAULT_QUIET_HOURS)) await this.feed();
      await this.reportProgress();
      await this.finishRuns(now);
    } finally {
      this.running = false;
    }
  }

  /**
   * Why the engine has work to do now (empty when it has none): a step running, a scheduled run due,
   * a run's audience being materialised, finished outbox rows not yet copied onto their deliveries,
   * pending deliveries of a running campaign and room in the outbox window (outside quiet hours), or
   * a run with nothing left open that is not yet finished. Later work (a scheduled run not yet due, a
   * paused campaign, quiet hours, the periodic progress edit) is not counted.
   */
  async workDue(now = new Date()): Promise<string[]> {
    if (this.running) return ["a step is running"];
    const { db } = this.opts;
    const due: string[] = [];
    if (await db.campaign.count({ where: { status: "scheduled", nextRunAt: { lte: now } } })) due.push("a scheduled run is due");
    if (await db.campaignRun.count({ where: { status: "materializing" } })) due.push("an audience is being materialised");
    const [finished] = await db.$queryRaw<unknown[]>(Prisma.sql`SELECT 1 AS "due" FROM "Delivery" d WHERE d."status" = 'queued' AND ${SETTLED} LIMIT 1`);
    if (finished) due.push("delivery outcomes to record");
    if (!isQuiet(now, this.opts.quiet ?? DEFAULT_QUIET_HOURS)) {
      const { plan } = await this.feedPlan();
      const feedable = plan.length
        ? await db.delivery.findFirst({ where: { status: "pending", runId: { in: plan.map((p) => p.run.id) } }, select: { id: true } })
        : null;
      if (feedable) due.push("deliveries to queue");
    }
    if (await db.campaignRun.count({ where: { status: "sending", deliveries: { none: { status: { in: ["pending", "queued"] } } } } })) due.push("a run to finish");
    return due;
  }

  private async startDueRuns(now: Date): Promise<void> {
    const { db } = this.opts;
    const due = await db.campaign.findMany({ where: { status: "scheduled", nextRunAt: { lte: now } } });
    for (const campaign of due) {
      await db.$transaction(async (tx) => {
        const started = await startRun(tx, { actor: SYSTEM, campaignId: campaign.id, now, quiet: this.opts.quiet });
        if (!started.ok || !started.run) return;
        const run = started.run;
        const staff = this.opts.staffRenderer ? await groupFor(tx, OUTREACH_QUEUE_ID) : null;
        if (staff && this.opts.staffRenderer) {
          const content = await tx.content.findUniqueOrThrow({ where: { id: campaign.contentId } });
          const text = this.opts.staffRenderer.render({ key: "campaign:staff.progress", params: { id: campaign.id, title: content.title, sent: 0, targeted: 0, failed: 0, blocked: 0 } }, "vi").calls;
          const [posted] = await enqueueCalls(tx, staff, text);
          if (posted) {
            await tx.campaignRun.update({ where: { id: run.id }, data: { progressOutboxId: posted.id } });
            this.opts.notify([posted]);
          }
        }
      });
    }
  }

  private async materialize(now: Date): Promise<void> {
    const { db } = this.opts;
    const budgetEnds = Date.now() + 150; // several batches per tick, so large audiences start sending soon
    let runs = await db.campaignRun.findMany({ where: { status: "materializing" }, include: { campaign: true } });
    while (runs.length && Date.now() < budgetEnds) {
      await this.materializeBatches(runs, now);
      runs = await db.campaignRun.findMany({ where: { status: "materializing" }, include: { campaign: true } });
    }
  }

  private async materializeBatches(runs: Array<Awaited<ReturnType<Db["campaignRun"]["findUniqueOrThrow"]>> & { campaign: { audience: string } }>, now: Date): Promise<void> {
    const { db } = this.opts;
    for (const run of runs) {
      const audience = JSON.parse(run.campaign.audience) as Audience;
      // The audience's conditions (shared with the console's recipient count), past the run's cursor.
      const where: Prisma.Sql[] = [...audienceConditions(audience), Prisma.sql`s."id" > ${run.cursor}`];
      // One batch: the next materializeBatch matching subscribers, copied in SQL (no rows through JS).
      const from = audienceFrom(where);
      await db.$transaction(async (tx) => {
        const [edge] = await tx.$queryRaw<Array<{ id: number | bigint }>>`SELECT s."id" ${from} ORDER BY s."id" LIMIT 1 OFFSET ${(this.opts.materializeBatch ?? MATERIALIZE_BATCH) - 1}`;
        const upTo = edge ? Prisma.sql` AND s."id" <= ${Number(edge.id)}` : Prisma.empty;
        const inserted = await tx.$executeRaw`INSERT INTO "Delivery" ("runId", "chatId", "status", "updatedAt")
          SELECT ${run.id}, s."chatId", 'pending', ${now} ${from}${upTo}
          ON CONFLICT ("runId", "chatId") DO NOTHING`;
        await tx.campaignRun.update({
          where: { id: run.id },
          data: {
            // Fewer than a batch left: this was the last one.
            ...(edge ? { cursor: Number(edge.id) } : { status: "sending" }),
            targeted: { increment: inserted },
          },
        });
      });
    }
  }

  /**
   * Copies finished outbox outcomes onto their deliveries: sent, blocked, or failed (a message that
   * failed, was skipped, or is gone). One statement, no rows through JavaScript: a paid window holds
   * up to a thousand queued deliveries, reconciled twice a second.
   */
  private async reconcile(): Promise<void> {
    await this.opts.db.$executeRaw(Prisma.sql`
      UPDATE "Delivery" SET "updatedAt" = ${new Date()}, "status" = COALESCE(
        (SELECT CASE o."status" WHEN 'sent' THEN 'sent' WHEN 'blocked' THEN 'blocked' ELSE 'failed' END FROM "OutboxMessage" o WHERE o."id" = "Delivery"."outboxId"),
        'failed')
      WHERE "status" = 'queued' AND ${SETTLED_UPDATE}`);
  }

  /**
   * How many deliveries each running campaign may queue now: unpaid campaigns share the window
   * fairly (everything queued that is not a paid run's counts against it), each paid campaign has
   * a window of its own (`paidWindow`). Runs with no room are left out.
   */
  private async feedPlan() {
    const { db } = this.opts;
    const runs = await db.campaignRun.findMany({ where: { status: "sending", campaign: { status: "running" } }, include: { campaign: { include: { content: true } } }, orderBy: { id: "asc" } });
    if (runs.length === 0) return { plan: [], sharedFree: 0 };
    const counts = await db.delivery.groupBy({ by: ["runId"], where: { status: "queued" }, _count: { _all: true } });
    const queuedIn = new Map(counts.map((c) => [c.runId, c._count._all]));
    const paidRuns = new Set(runs.filter((r) => r.campaign.paidBroadcast).map((r) => r.id));
    const plan: Array<{ run: (typeof runs)[number]; take: number; shared: boolean }> = [];
    for (const run of runs) {
      if (!paidRuns.has(run.id)) continue;
      const take = (this.opts.paidWindow ?? 2000) - (queuedIn.get(run.id) ?? 0);
      if (take > 0) plan.push({ run, take, shared: false });
    }
    const unpaid = runs.filter((r) => !paidRuns.has(r.id));
    const sharedFree = (this.opts.window ?? 30) - counts.reduce((n, c) => n + (paidRuns.has(c.runId) ? 0 : c._count._all), 0);
    const share = Math.max(1, Math.ceil(sharedFree / Math.max(1, unpaid.length)));
    if (sharedFree > 0) for (const run of unpaid) plan.push({ run, take: Math.min(share, sharedFree), shared: true });
    return { plan, sharedFree };
  }

  /** Tops the outbox window up with pending deliveries, sharing it fairly among running campaigns (see `feedPlan`). */
  private async feed(): Promise<void> {
    const { db } = this.opts;
    const refs: OutboxRef[] = [];
    const { plan, sharedFree } = await this.feedPlan();
    // The unpaid window is shared: a run that had fewer pending than its share leaves the rest to the next.
    let free = sharedFree;
    for (const { run, take: room, shared } of plan) {
      let left = shared ? Math.min(room, free) : room;
      // In short transactions (SQLite has one connection: people's own conversations must not wait behind a paid window).
      while (left > 0) {
        const take = Math.min(left, FEED_BATCH);
        let found = 0;
        await db.$transaction(async (tx) => {
          // A paid campaign's messages are marked paid bulk: each channel sends them at its paid pace, if it has one.
          const batch = await queueDeliveries(tx, { run, take, renderers: this.opts.renderers });
          found = batch.found;
          refs.push(...batch.refs);
          if (shared) free -= batch.queued;
        });
        this.opts.notify(refs.splice(0));
        left -= take;
        if (found < take) break;
      }
    }
  }

  /** Edits each running campaign's progress message in the staff group, at most every 20 seconds. */
  private async reportProgress(force: number[] = []): Promise<void> {
    const renderer = this.opts.staffRenderer;
    if (!renderer) return;
    const { db } = this.opts;
    const runs = await db.campaignRun.findMany({ where: { OR: [{ status: "sending" }, { id: { in: force } }], progressOutboxId: { not: null } }, include: { campaign: { include: { content: true } } } });
    for (const run of runs) {
      const last = this.progressEditedAt.get(run.id) ?? 0;
      if (!force.includes(run.id) && Date.now() - last < 20_000) continue;
      this.progressEditedAt.set(run.id, Date.now());
      const r = await campaignReport(db, run.campaignId);
      const progress = { key: "campaign:staff.progress", params: { id: run.campaignId, title: run.campaign.content.title, sent: r.sent, targeted: r.targeted, failed: r.failed, blocked: r.blocked } };
      const outbox = await db.outboxMessage.findUnique({ where: { id: run.progressOutboxId! } });
      if (!outbox) continue;
      this.opts.notify(await enqueueIntents(db, { chatId: outbox.chatId, channel: outbox.channel }, renderer, "vi", [{ kind: "update", message: { outbox: outbox.id }, reply: progress }]));
    }
  }

  private async finishRuns(now: Date): Promise<void> {
    const { db } = this.opts;
    const runs = await db.campaignRun.findMany({ where: { status: "sending" }, include: { campaign: true } });
    for (const run of runs) {
      const open = await db.delivery.findFirst({ where: { runId: run.id, status: { in: ["pending", "queued"] } }, select: { id: true } });
      if (open) continue;
      const finished = await db.$transaction(async (tx) => finishRun(tx, { actor: SYSTEM, runId: run.id, now }));
      if (!finished.ok || !finished.run) continue;
      this.opts.log.info({ campaignId: run.campaignId, runId: run.id, targeted: run.targeted }, "campaign run finished");
      if (this.opts.staffRenderer && run.progressOutboxId) {
        await this.reportProgress([run.id]);
        const outbox = await db.outboxMessage.findUnique({ where: { id: run.progressOutboxId } });
        if (outbox) {
          const report = this.opts.staffRenderer.render(await reportReply(db, run.campaignId), "vi").calls;
          this.opts.notify(await enqueueCalls(db, { chatId: outbox.chatId, channel: outbox.channel }, report));
        }
        this.progressEditedAt.delete(run.id);
      }
    }
  }
}
