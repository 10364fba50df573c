import type { Tx } from "../../db/client.ts";

/**
 * Raised for a campaign operation that its state or input does not allow; nothing is changed and no
 * event is recorded ("refused": an actor's refusal, already recorded, surfaced by `allowed`).
 */
export class CampaignError extends Error {
  constructor(readonly reason: "not_found" | "state" | "bad_schedule" | "bad_audience" | "bad_paid" | "refused", detail?: string) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

/** A campaign by id, or a `not_found` CampaignError. */
export async function requireCampaign(tx: Tx, id: string) {
  const campaign = await tx.campaign.findUnique({ where: { id } });
  if (!campaign) throw new CampaignError("not_found");
  return campaign;
}
