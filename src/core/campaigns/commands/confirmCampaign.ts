import type { Tx } from "../../../db/client.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import type { Audience } from "../audience.ts";
import { CampaignError, requireCampaign } from "../campaignError.ts";
import { DEFAULT_QUIET_HOURS, nextRun, type CampaignSchedule, type QuietHours } from "../schedule.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

/**
 * Confirms a draft: it is scheduled for its first run (quiet hours respected). Outreach staff whose
 * area covers the audience, and administrators; records `campaign.confirmed`.
 */
export async function confirmCampaign(tx: Tx, props: { actor: Actor; campaignId: string; via?: string | null; now?: Date; quiet?: QuietHours }) {
  const role = await authorizeStaff(tx, { actor: props.actor, action: "confirm", via: props.via, campaignId: props.campaignId });
  if (!role.ok) return role;
  const campaign = await requireCampaign(tx, props.campaignId);
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "confirm", via: props.via, campaignId: campaign.id, audience: JSON.parse(campaign.audience) as Audience });
  if (!auth.ok) return auth;
  if (campaign.status !== "draft") throw new CampaignError("state");
  const at = nextRun(JSON.parse(campaign.schedule) as CampaignSchedule, props.now ?? new Date(), props.quiet ?? DEFAULT_QUIET_HOURS);
  if (!at) throw new CampaignError("bad_schedule", "in_the_past");
  const updated = await tx.campaign.update({ where: { id: campaign.id }, data: { status: "scheduled", nextRunAt: at } });
  await recordEvent(tx, { action: "campaign.confirmed", actor: props.actor, via: props.via, data: { campaignId: campaign.id, nextRunAt: at.toISOString() } });
  return { ok: true as const, campaign: updated };
}
