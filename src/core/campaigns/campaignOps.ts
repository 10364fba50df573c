import { z } from "zod";
import type { Tx } from "../../db/client.ts";
import { TOPICS } from "../subscriptions/topics.ts";
import { LOCALES } from "../../i18n.ts";
import { DEFAULT_QUIET_HOURS, nextRun, parseSchedule, type CampaignSchedule, type QuietHours } from "./schedule.ts";

/** Who a campaign goes to: all active subscribers, narrowed by province, commune, topic and language. */
export const audienceSchema = z
  .object({
    provinces: z.array(z.string().regex(/^\d{2}$/)).optional(),
    communes: z.array(z.string().regex(/^\d{5}$/)).optional(),
    topics: z.array(z.enum(TOPICS)).optional(),
    language: z.enum(LOCALES).optional(),
  })
  .strict();
export type Audience = z.infer<typeof audienceSchema>;

/** Raised for a campaign operation that its state or input does not allow; nothing is changed. */
export class CampaignError extends Error {
  constructor(readonly reason: "not_found" | "state" | "bad_schedule" | "bad_audience", detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

async function audit(tx: Tx, actor: string, action: string, data: Record<string, unknown>) {
  await tx.auditEvent.create({ data: { actor, action, data: JSON.stringify(data) } });
}

/** Creates a campaign as a draft: content, audience and schedule (typed the way staff write it). */
export async function createCampaign(tx: Tx, props: { contentId: string; audience: unknown; schedule: string; paidBroadcast?: boolean; by: string; now?: Date }) {
  const content = await tx.content.findUnique({ where: { id: props.contentId } });
  if (!content) throw new CampaignError("not_found", "content");
  const audience = audienceSchema.safeParse(props.audience ?? {});
  if (!audience.success) throw new CampaignError("bad_audience", audience.error.issues.map((i) => i.message).join("; "));
  const parsed = parseSchedule(props.schedule, props.now ?? new Date());
  if (!parsed.ok) throw new CampaignError("bad_schedule", parsed.error);
  const campaign = await tx.campaign.create({
    data: {
      contentId: content.id,
      audience: JSON.stringify(audience.data),
      schedule: JSON.stringify(parsed.schedule),
      paidBroadcast: props.paidBroadcast === true,
      createdBy: props.by,
    },
  });
  await audit(tx, props.by, "campaign.created", { campaignId: campaign.id, contentId: content.id, audience: audience.data, schedule: parsed.schedule });
  return campaign;
}

async function requireCampaign(tx: Tx, id: string) {
  const campaign = await tx.campaign.findUnique({ where: { id } });
  if (!campaign) throw new CampaignError("not_found");
  return campaign;
}

/** Confirms a draft: it is scheduled for its first run (quiet hours respected). */
export async function confirmCampaign(tx: Tx, props: { campaignId: string; by: string; now?: Date; quiet?: QuietHours }) {
  const campaign = await requireCampaign(tx, props.campaignId);
  if (campaign.status !== "draft") throw new CampaignError("state");
  const at = nextRun(JSON.parse(campaign.schedule) as CampaignSchedule, props.now ?? new Date(), props.quiet ?? DEFAULT_QUIET_HOURS);
  if (!at) throw new CampaignError("bad_schedule", "in_the_past");
  const updated = await tx.campaign.update({ where: { id: campaign.id }, data: { status: "scheduled", nextRunAt: at } });
  await audit(tx, props.by, "campaign.confirmed", { campaignId: campaign.id, nextRunAt: at.toISOString() });
  return updated;
}

/** Pauses a scheduled or running campaign: nothing more is queued until it is resumed. */
export async function pauseCampaign(tx: Tx, props: { campaignId: string; by: string }) {
  const campaign = await requireCampaign(tx, props.campaignId);
  if (campaign.status !== "running" && campaign.status !== "scheduled") throw new CampaignError("state");
  await tx.campaign.update({ where: { id: campaign.id }, data: { status: "paused" } });
  await audit(tx, props.by, "campaign.paused", { campaignId: campaign.id, was: campaign.status });
}

/** Resumes a paused campaign where it stopped. */
export async function resumeCampaign(tx: Tx, props: { campaignId: string; by: string }) {
  const campaign = await requireCampaign(tx, props.campaignId);
  if (campaign.status !== "paused") throw new CampaignError("state");
  const running = await tx.campaignRun.count({ where: { campaignId: campaign.id, status: { in: ["materializing", "sending"] } } });
  await tx.campaign.update({ where: { id: campaign.id }, data: { status: running ? "running" : "scheduled" } });
  await audit(tx, props.by, "campaign.resumed", { campaignId: campaign.id });
}

/** Cancels a campaign: messages not yet queued are never sent. */
export async function cancelCampaign(tx: Tx, props: { campaignId: string; by: string }) {
  const campaign = await requireCampaign(tx, props.campaignId);
  if (campaign.status === "done" || campaign.status === "cancelled") throw new CampaignError("state");
  const runs = await tx.campaignRun.findMany({ where: { campaignId: campaign.id, status: { in: ["materializing", "sending"] } } });
  for (const run of runs) {
    await tx.delivery.updateMany({ where: { runId: run.id, status: "pending" }, data: { status: "skipped" } });
    await tx.campaignRun.update({ where: { id: run.id }, data: { status: "cancelled", finishedAt: new Date() } });
  }
  await tx.campaign.update({ where: { id: campaign.id }, data: { status: "cancelled", nextRunAt: null } });
  await audit(tx, props.by, "campaign.cancelled", { campaignId: campaign.id });
}

/** A campaign's figures: targeted, sent, failed, blocked, unsubscribed during it, quiz answers. */
export async function campaignReport(tx: Tx, campaignId: string) {
  const campaign = await requireCampaign(tx, campaignId);
  const runs = await tx.campaignRun.findMany({ where: { campaignId }, orderBy: { id: "asc" } });
  const byStatus = new Map<string, number>();
  for (const g of await tx.delivery.groupBy({ by: ["status"], where: { runId: { in: runs.map((r) => r.id) } }, _count: { _all: true } })) {
    byStatus.set(g.status, g._count._all);
  }
  const first = runs[0]?.startedAt;
  const unsubscribed = first
    ? await tx.subscription.count({ where: { active: false, stoppedAt: { gte: first }, stoppedReason: "stop_word" } })
    : 0;
  const quiz = await tx.quizAnswer.groupBy({ by: ["question", "option"], where: { campaignId }, _count: { _all: true } });
  return {
    campaign,
    runs: runs.length,
    targeted: runs.reduce((n, r) => n + r.targeted, 0),
    sent: byStatus.get("sent") ?? 0,
    failed: byStatus.get("failed") ?? 0,
    blocked: byStatus.get("blocked") ?? 0,
    skipped: byStatus.get("skipped") ?? 0,
    pending: (byStatus.get("pending") ?? 0) + (byStatus.get("queued") ?? 0),
    unsubscribed,
    quiz: quiz.map((q) => ({ question: q.question, option: q.option, count: q._count._all })),
  };
}
