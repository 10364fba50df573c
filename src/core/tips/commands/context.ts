import type { Tx } from "../../../db/client.ts";
import type { ReplyRenderer } from "../../../outbox/outbound.ts";
import type { Sealer } from "../../../security/sealing.ts";
import type { OfficerRecord } from "../../officers/authorize.ts";
import type { Renderers } from "../notifyTipster.ts";

/** What an officer's operation on a tip needs: the transaction, who acts and from where, and how to reach people. */
export interface TipOpContext {
  tx: Tx;
  officer: OfficerRecord;
  /** Our chat id of the group the officer acted from (recorded on audit events). */
  via?: string;
  sealer: Sealer;
  /** The officers' channel (Telegram groups). */
  officerRenderer: ReplyRenderer;
  /** Every channel, to reach tipsters. */
  renderers: Renderers;
  now: Date;
}

/** Raised when a tip's state does not allow the operation; nothing is changed. */
export class TipStateError extends Error {
  constructor(readonly reason: "state" | "claimed_by_other" | "not_found" | "unknown_place" | "bad_code" | "role") {
    super(reason);
  }
}

/** Records an audit event for an officer's change to a tip. */
export async function audit(ctx: TipOpContext, tipId: string, action: string, data: Record<string, unknown> = {}): Promise<void> {
  await ctx.tx.auditEvent.create({
    data: { tipId, actor: `officer:${ctx.officer.id}`, action, data: JSON.stringify(data), via: ctx.via ?? null, at: ctx.now },
  });
}

/** The tip, or TipStateError("not_found"). */
export async function requireTip(ctx: TipOpContext, tipId: string) {
  const tip = await ctx.tx.tip.findUnique({ where: { id: tipId }, include: { queue: true } });
  if (!tip) throw new TipStateError("not_found");
  return tip;
}

/** Commanders and administrators may act on tips held by others. */
export const isCommander = (officer: OfficerRecord) => officer.role === "commander" || officer.role === "admin";
