import type { Tx } from "../../../db/client.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import type { Audience } from "../audience.ts";
import { CampaignError, requireCampaign } from "../campaignError.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

/**
 * Resumes a paused campaign where it stopped. Outreach staff whose area covers the audience, and
 * administrators; records `campaign.resumed`.
 */
export async function resumeCampaign(tx: Tx, props: { actor: Actor; campaignId: string; via?: string | null }) {
  const role = await authorizeStaff(tx, { actor: props.actor, action: "resume", via: props.via, campaignId: props.campaignId });
  if (!role.ok) return role;
  const campaign = await requireCampaign(tx, props.campaignId);
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "resume", via: props.via, campaignId: campaign.id, audience: JSON.parse(campaign.audience) as Audience });
  if (!auth.ok) return auth;
  if (campaign.status !== "paused") throw new CampaignError("state");
  const running = await tx.campaignRun.count({ where: { campaignId: campaign.id, status: { in: ["materializing", "sending"] } } });
  const updated = await tx.campaign.update({ where: { id: campaign.id }, data: { status: running ? "running" : "scheduled" } });
  await recordEvent(tx, { action: "campaign.resumed", actor: props.actor, via: props.via, data: { campaignId: campaign.id } });
  return { ok: true as const, campaign: updated };
}
