import type { Tx } from "../../../db/client.ts";
import { actorKey, recordEvent, type Actor } from "../../events/recordEvent.ts";
import { audienceSchema } from "../audience.ts";
import { CampaignError } from "../campaignError.ts";
import { parseSchedule } from "../schedule.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

/**
 * Creates a campaign as a draft: content, audience and schedule (typed the way staff write it).
 * Outreach staff (within their area) and administrators; records `campaign.created`.
 */
export async function createCampaign(
  tx: Tx,
  props: { actor: Actor; contentId: string; audience: unknown; schedule: string; paidBroadcast?: boolean; via?: string | null; now?: Date },
) {
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "create", via: props.via });
  if (!auth.ok) return auth;
  const content = await tx.content.findUnique({ where: { id: props.contentId } });
  if (!content) throw new CampaignError("not_found", "content");
  const audience = audienceSchema.safeParse(props.audience ?? {});
  if (!audience.success) throw new CampaignError("bad_audience", audience.error.issues.map((i) => i.message).join("; "));
  const parsed = parseSchedule(props.schedule, props.now ?? new Date());
  if (!parsed.ok) throw new CampaignError("bad_schedule", parsed.error);
  const inScope = await authorizeStaff(tx, { actor: props.actor, action: "create", via: props.via, audience: audience.data });
  if (!inScope.ok) return inScope;
  const by = actorKey(props.actor);
  const campaign = await tx.campaign.create({
    data: {
      contentId: content.id,
      audience: JSON.stringify(audience.data),
      schedule: JSON.stringify(parsed.schedule),
      paidBroadcast: props.paidBroadcast === true,
      createdBy: by,
    },
  });
  await recordEvent(tx, {
    action: "campaign.created",
    actor: props.actor,
    via: props.via,
    data: { campaignId: campaign.id, contentId: content.id, audience: audience.data, schedule: parsed.schedule, paidBroadcast: campaign.paidBroadcast },
  });
  return { ok: true as const, campaign };
}
