/**
 * A tip's life: every allowed move between states, in one table. A command asks for a move by its
 * name; a move the table does not list from the tip's current state is refused with a clear reason
 * and changes nothing.
 */
export const TIP_STATES = ["new", "claimed", "closed"] as const;
export type TipState = (typeof TIP_STATES)[number];

/**
 * A named move: from which states, to which state ("same" keeps the state: an edit of an open tip).
 * `holder`: on a tip someone holds, only its holder or a commander may make the move; on a tip
 * nobody holds, only a commander.
 */
interface Move {
  from: readonly TipState[];
  to: TipState | "same";
  holder?: boolean;
}

/** Every move a command may make. */
export const TIP_MOVES = {
  claim: { from: ["new"], to: "claimed" },
  release: { from: ["claimed"], to: "new", holder: true },
  close: { from: ["new", "claimed"], to: "closed", holder: true },
  reopen: { from: ["closed"], to: "same" }, // back to "claimed" when someone held it, else "new" (see reopenTarget)
  transfer: { from: ["new", "claimed"], to: "new" },
  ask: { from: ["new", "claimed"], to: "same" },
  note: { from: ["new", "claimed", "closed"], to: "same" },
  priority: { from: ["new", "claimed"], to: "same" },
  classify: { from: ["new", "claimed"], to: "same" },
  extend: { from: ["new", "claimed"], to: "same" },
  open_contact: { from: ["new", "claimed", "closed"], to: "same" },
  tipster_answer: { from: ["new", "claimed"], to: "same" },
  tipster_information: { from: ["new", "claimed"], to: "same" },
} as const satisfies Record<string, Move>;
export type TipMove = keyof typeof TIP_MOVES;

/** Why a move was refused. */
export type MoveRefusal = "closed" | "not_closed" | "not_claimed" | "already_claimed" | "held_by_other";

/**
 * Whether `move` is allowed from `state`: null when it is, else why not. With `by` (who asks: do
 * they hold the tip, are they a commander), a `holder` move is also checked against the holder.
 */
export function checkMove(move: TipMove, state: string, by?: { holder: boolean; commander: boolean }): MoveRefusal | null {
  const def: Move = TIP_MOVES[move];
  if (!(def.from as readonly string[]).includes(state)) {
    if (state === "closed") return "closed";
    if (move === "reopen") return "not_closed";
    if (move === "claim" && state === "claimed") return "already_claimed";
    return "not_claimed";
  }
  if (def.holder && by && !by.commander) {
    if (state === "claimed" && !by.holder) return "held_by_other";
    if (state === "new") return "not_claimed";
  }
  return null;
}

/** The state a move leads to. */
export function nextState(move: TipMove, current: TipState, opts: { heldBy?: string | null } = {}): TipState {
  if (move === "reopen") return opts.heldBy ? "claimed" : "new";
  const to = TIP_MOVES[move].to;
  return to === "same" ? current : to;
}
