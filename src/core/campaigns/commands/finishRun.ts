import type { Tx } from "../../../db/client.ts";
import { recordEvent, type Actor } from "../../events/recordEvent.ts";
import { CampaignError } from "../campaignError.ts";
import { authorizeStaff } from "./authorizeStaff.ts";

/**
 * Finishes a run whose deliveries are all settled (a scheduled step: the system only): the run is
 * done, and a running campaign goes back to scheduled (a recurring one) or done; records
 * `campaign.run_finished`. `run` is null (nothing changed or recorded) when the run is not sending
 * (another instance finished it) or still has deliveries open.
 */
export async function finishRun(tx: Tx, props: { actor: Actor; runId: number; now: Date }) {
  const run = await tx.campaignRun.findUnique({ where: { id: props.runId } });
  const auth = await authorizeStaff(tx, { actor: props.actor, action: "run_finished", by: "system", campaignId: run?.campaignId });
  if (!auth.ok) return auth;
  if (!run) throw new CampaignError("not_found");
  if (await tx.delivery.count({ where: { runId: run.id, status: { in: ["pending", "queued"] } } })) return { ok: true as const, run: null };
  const claimed = await tx.campaignRun.updateMany({ where: { id: run.id, status: "sending" }, data: { status: "done", finishedAt: props.now } });
  if (!claimed.count) return { ok: true as const, run: null };
  const current = await tx.campaign.findUniqueOrThrow({ where: { id: run.campaignId } });
  if (current.status === "running") {
    await tx.campaign.update({ where: { id: current.id }, data: { status: current.nextRunAt ? "scheduled" : "done" } });
  }
  await recordEvent(tx, { action: "campaign.run_finished", actor: props.actor, data: { campaignId: run.campaignId, runId: run.id, targeted: run.targeted } });
  return { ok: true as const, run: { ...run, status: "done", finishedAt: props.now } };
}
