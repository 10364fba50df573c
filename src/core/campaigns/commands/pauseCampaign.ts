import type { Tx } from "../../../db/client.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import type { Audience } from "../audience.ts";
import { CampaignError, requireCampaign } from "../campaignError.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

/**
 * Pauses a scheduled or running campaign: nothing more is queued until it is resumed. Outreach staff
 * whose area covers the audience, and administrators; records `campaign.paused`.
 */
export async function pauseCampaign(tx: Tx, props: { actor: Actor; campaignId: string; via?: string | null }) {
  const role = await authorizeStaff(tx, { actor: props.actor, action: "pause", via: props.via, campaignId: props.campaignId });
  if (!role.ok) return role;
  const campaign = await requireCampaign(tx, props.campaignId);
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "pause", via: props.via, campaignId: campaign.id, audience: JSON.parse(campaign.audience) as Audience });
  if (!auth.ok) return auth;
  if (campaign.status !== "running" && campaign.status !== "scheduled") throw new CampaignError("state");
  const updated = await tx.campaign.update({ where: { id: campaign.id }, data: { status: "paused" } });
  await recordEvent(tx, { action: "campaign.paused", actor: props.actor, via: props.via, data: { campaignId: campaign.id, was: campaign.status } });
  return { ok: true as const, campaign: updated };
}
