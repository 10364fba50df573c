import type { Tx } from "../../../db/client.ts";
import type { OutboxRef, ReplyRenderer } from "../../../outbox/outbound.ts";
import type { Sealer } from "../../../security/sealing.ts";
import { recordAndReact } from "../../events/react.ts";
import type { Actor } from "../../events/recordEvent.ts";
import { ACTION_ROLES, authorizeTipAction, officerName, recordRefusal, type OfficerAction, type OfficerRecord, type Refusal } from "../../officers/authorize.ts";
import type { TranslatedParam } from "../../reply.ts";
import type { Renderers } from "../notifyTipster.ts";
import { checkMove, type MoveRefusal, type TipMove } from "../tipStates.ts";

/**
 * Who asks for a command on a tip: an officer by id (web console, CLI), a Telegram user pressing a
 * card's button or answering its prompt (their officer record is found by their Telegram id;
 * `card` is which card of the tip the group holds; `displayName` what Telegram calls them now,
 * stored once they are authorised), an administrator from the CLI, or the system.
 */
export type CommandActor =
  | { kind: "officer"; officerId: string }
  | { kind: "telegram_user"; telegramUserId: string; card: "main" | "info" | "none"; displayName?: string }
  | { kind: "admin"; name: string }
  | { kind: "system" };

/** What a command on a tip needs: the transaction, who acts and from where, and how to reach people. */
export interface TipCommandContext {
  tx: Tx;
  actor: CommandActor;
  /** Our chat id of the group the actor acted from (recorded on events). */
  via?: string;
  /** What the surface saw (e.g. the button "out:khoi_to"), recorded on a refusal. */
  detail?: string;
  sealer: Sealer;
  /** The officers' channel (Telegram groups). */
  officerRenderer: ReplyRenderer;
  /** Every channel, to reach tipsters. */
  renderers: Renderers;
  now: Date;
}

/** Why a command was refused: the actor's rights (recorded as `auth.refused`), or the tip's state or the input (nothing recorded). */
export type RefusalReason = Refusal | "state" | "claimed_by_other" | "not_found" | "unknown_place" | "bad_code" | "bad_input";

/**
 * Raised when a command is refused; nothing is changed. A refusal of the actor's rights has been
 * recorded in the transaction: catch the error and let the transaction commit.
 */
export class TipStateError extends Error {
  constructor(readonly reason: RefusalReason) {
    super(reason);
  }
}

/** The answer a refused move gets (the officers' `officer:refuse.<reason>` texts). */
const MOVE_REASON: Record<MoveRefusal, RefusalReason> = {
  closed: "state",
  not_closed: "state",
  not_claimed: "state",
  already_claimed: "claimed_by_other",
  held_by_other: "claimed_by_other",
};

/**
 * Moves only a person can make: holding a tip, signing a note, asking the tipster (the answer
 * comes back under the card), receiving a contact in their private chat. An administrator from the
 * CLI may make the others (as a commander with national scope); the system none.
 */
const PERSONAL: ReadonlySet<OfficerAction> = new Set<OfficerAction>(["claim", "ask", "note", "open_contact"]);

/** Who was authorised: the officer (none for an administrator from the CLI), how they are named and written in the log. */
export interface Authorised {
  officer: OfficerRecord | null;
  commander: boolean;
  actor: Actor;
  name: string | TranslatedParam;
}

/** The tip, or TipStateError("not_found"). */
export async function requireTip(ctx: Pick<TipCommandContext, "tx">, tipId: string) {
  const tip = await ctx.tx.tip.findUnique({ where: { id: tipId }, include: { queue: true } });
  if (!tip) throw new TipStateError("not_found");
  return tip;
}

type TipWithQueue = Awaited<ReturnType<typeof requireTip>>;

/**
 * Checks the actor's right to make `move` on the tip: role and scope (officers.authorize.ts, the
 * card a Telegram press came from included); an administrator from the CLI may make the moves
 * that need no person, the system none. A refusal is recorded (`auth.refused`) and thrown.
 */
export async function authorise(ctx: TipCommandContext, tip: TipWithQueue, move: OfficerAction & TipMove): Promise<Authorised> {
  const scope = { id: tip.id, provinceCode: tip.queue.provinceCode, communeCode: tip.queue.communeCode };
  const a = ctx.actor;
  if (a.kind === "admin" || a.kind === "system") {
    if (a.kind === "system" || PERSONAL.has(move) || !(ACTION_ROLES[move] as readonly string[]).includes("admin")) {
      await recordRefusal(ctx.tx, { tipId: tip.id, actor: a.kind === "admin" ? `admin:${a.name.replace(/^admin:/, "")}` : "system", action: move, reason: "role", via: ctx.via, data: ctx.detail ? { detail: ctx.detail } : undefined });
      throw new TipStateError("role");
    }
    return { officer: null, commander: true, actor: a, name: a.name.replace(/^admin:/, "") };
  }
  const identity = a.kind === "officer" ? { officerId: a.officerId } : { telegramUserId: a.telegramUserId };
  const auth = await authorizeTipAction(ctx.tx, { ...identity, tip: scope, action: move, cardKind: a.kind === "telegram_user" ? a.card : undefined, via: ctx.via, detail: ctx.detail });
  if (!auth.ok) throw new TipStateError(auth.reason);
  const officer = auth.officer;
  if (a.kind === "telegram_user" && a.displayName && officer.displayName !== a.displayName) {
    await ctx.tx.officer.update({ where: { id: officer.id }, data: { displayName: a.displayName } });
    officer.displayName = a.displayName;
  }
  return { officer, commander: officer.role === "commander" || officer.role === "admin", actor: { kind: "officer", officerId: officer.id }, name: officerName(officer) };
}

/**
 * The start of every officer's command: the tip, the actor authorised for the move, and the move
 * allowed from the tip's state by the transition table (else TipStateError, nothing changed).
 */
export async function beginMove(ctx: TipCommandContext, tipId: string, move: OfficerAction & TipMove): Promise<{ tip: TipWithQueue; by: Authorised }> {
  const tip = await requireTip(ctx, tipId);
  const by = await authorise(ctx, tip, move);
  const refused = checkMove(move, tip.status, { holder: by.officer !== null && tip.claimedById === by.officer.id, commander: by.commander });
  if (refused) throw new TipStateError(MOVE_REASON[refused]);
  return { tip, by };
}

/** Refuses a move the table does not allow from the tip's state (for commands whose actor is the tipster). */
export function requireMove(move: TipMove, state: string): void {
  const refused = checkMove(move, state);
  if (refused) throw new TipStateError(MOVE_REASON[refused]);
}

/**
 * Records the command's one event, by the authorised actor, from where they acted, and what follows
 * from it (src/core/tips/reactions.ts) in the same transaction; returns the outbox rows queued.
 */
export async function audit(ctx: TipCommandContext, by: Authorised, tipId: string, action: string, data: Record<string, unknown> = {}): Promise<OutboxRef[]> {
  return recordAndReact(ctx.tx, { tipId, actor: by.actor, action, data, via: ctx.via ?? null, at: ctx.now }, ctx);
}
