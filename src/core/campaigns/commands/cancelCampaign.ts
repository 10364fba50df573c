import type { Tx } from "../../../db/client.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import type { Audience } from "../audience.ts";
import { CampaignError, requireCampaign } from "../campaignError.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

/**
 * Cancels a campaign: messages not yet queued are never sent. Outreach staff whose area covers the
 * audience, and administrators; records `campaign.cancelled`.
 */
export async function cancelCampaign(tx: Tx, props: { actor: Actor; campaignId: string; via?: string | null; now?: Date }) {
  const role = await authorizeStaff(tx, { actor: props.actor, action: "cancel", via: props.via, campaignId: props.campaignId });
  if (!role.ok) return role;
  const campaign = await requireCampaign(tx, props.campaignId);
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "cancel", via: props.via, campaignId: campaign.id, audience: JSON.parse(campaign.audience) as Audience });
  if (!auth.ok) return auth;
  if (campaign.status === "done" || campaign.status === "cancelled") throw new CampaignError("state");
  const now = props.now ?? new Date();
  const runs = await tx.campaignRun.findMany({ where: { campaignId: campaign.id, status: { in: ["materializing", "sending"] } } });
  for (const run of runs) {
    await tx.delivery.updateMany({ where: { runId: run.id, status: "pending" }, data: { status: "skipped" } });
    await tx.campaignRun.update({ where: { id: run.id }, data: { status: "cancelled", finishedAt: now } });
  }
  const updated = await tx.campaign.update({ where: { id: campaign.id }, data: { status: "cancelled", nextRunAt: null } });
  await recordEvent(tx, { action: "campaign.cancelled", actor: props.actor, via: props.via, data: { campaignId: campaign.id } });
  return { ok: true as const, campaign: updated };
}
