import type { Tx } from "../../db/client.ts";
import type { Reply } from "../reply.ts";
import { requireCampaign } from "./campaignError.ts";

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

/** The final (or current) report of a campaign, for the staff group. */
export async function reportReply(tx: Tx, campaignId: string): Promise<Reply> {
  const r = await campaignReport(tx, campaignId);
  const content = await tx.content.findUniqueOrThrow({ where: { id: r.campaign.contentId } });
  const quiz = r.quiz.length ? r.quiz.map((q) => `${q.question + 1}.${q.option + 1}: ${q.count}`).join(", ") : { $t: "campaign:staff.quiz_none" };
  return {
    key: "campaign:staff.final",
    params: { id: campaignId, title: content.title, targeted: r.targeted, sent: r.sent, failed: r.failed, blocked: r.blocked, unsubscribed: r.unsubscribed, quiz },
  };
}
