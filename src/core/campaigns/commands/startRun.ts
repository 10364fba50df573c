import type { Tx } from "../../../db/client.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import { nextRun, type CampaignSchedule, type QuietHours } from "../schedule.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

/**
 * Starts a due run of a scheduled campaign (a scheduled step: the system only): the campaign becomes
 * running, a recurring one gets its following run time, and the run starts materialising its
 * audience; records `campaign.run_started`. `run` is null (and nothing is changed or recorded) when
 * the campaign is no longer scheduled — another instance started it, or staff paused or cancelled it.
 */
export async function startRun(tx: Tx, props: { actor: Actor; campaignId: string; now: Date; quiet?: QuietHours }) {
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "run_started", by: "system", campaignId: props.campaignId });
  if (!auth.ok) return auth;
  const claimed = await tx.campaign.updateMany({ where: { id: props.campaignId, status: "scheduled" }, data: { status: "running" } });
  if (!claimed.count) return { ok: true as const, run: null };
  const campaign = await tx.campaign.findUniqueOrThrow({ where: { id: props.campaignId } });
  const schedule = JSON.parse(campaign.schedule) as CampaignSchedule;
  const following = schedule.kind === "recurring" ? nextRun(schedule, new Date(props.now.getTime() + 60_000), props.quiet) : null;
  await tx.campaign.update({ where: { id: campaign.id }, data: { nextRunAt: following } });
  const run = await tx.campaignRun.create({ data: { campaignId: campaign.id, startedAt: props.now } });
  await recordEvent(tx, { action: "campaign.run_started", actor: props.actor, data: { campaignId: campaign.id } });
  return { ok: true as const, run, campaign };
}
