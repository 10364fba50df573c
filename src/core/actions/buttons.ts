import { ACTIONS, type ActionId } from "./catalog.ts";

/**
 * A button's data, encoded and decoded in one place from the action table's codes (`catalog.ts`):
 * a tip card's buttons `t:<button>:<tipId>`, a chooser's `t:<choice>:<arg>:<tipId>` and its cancel
 * `t:cancel:<choice>:<tipId>`; a campaign's `c:<button>:<campaignId>`; the legal staff's
 * `kb:save:<questionId>`. Data can be forged by a modified client: decoding only names an action,
 * which is then authorised and its argument validated as for any other surface.
 */

/** What a pressed button asks for. */
export type Press =
  /** On a tip: open the action (run it, or open its chooser or prompt), choose an argument in its chooser, or cancel its chooser. */
  | { kind: "tip"; action: ActionId; stage: "open" | "choose" | "cancel"; code: string; arg: string; tipId: string }
  /** On a campaign (`action` null for a code the table does not know: still authorised, then ignored). */
  | { kind: "campaign"; action: ActionId | null; code: string; campaignId: string }
  /** On an answered legal question. */
  | { kind: "question"; action: ActionId; questionId: string };

type Entry = [ActionId, { button?: string; choice?: string }];
const entries = Object.entries(ACTIONS) as Entry[];
const byCode = (prefix: string, field: "button" | "choice") =>
  new Map(entries.filter(([id, p]) => id.startsWith(prefix) && p[field]).map(([id, p]) => [p[field]!, id]));
const TIP_BUTTONS = byCode("tip.", "button");
const TIP_CHOICES = byCode("tip.", "choice");
const CAMPAIGN_BUTTONS = byCode("campaign.", "button");

const policy = (action: ActionId): { button?: string; choice?: string } => ACTIONS[action];

/** The prefix of the button under an answered question that saves the answer into the knowledge base. */
export const SAVE_PREFIX = "kb:save:";

/** A tip card's button for an action (it runs the action or opens its chooser or prompt). */
export function tipButton(action: ActionId, tipId: string): string {
  const code = policy(action).button;
  if (!code || !action.startsWith("tip.")) throw new Error(`${action} has no card button`);
  return `t:${code}:${tipId}`;
}

/** A chooser's button choosing `arg` for an action. */
export function tipChoice(action: ActionId, arg: string, tipId: string): string {
  const code = policy(action).choice;
  if (!code) throw new Error(`${action} has no chooser`);
  return `t:${code}:${arg}:${tipId}`;
}

/** A chooser's cancel button (removes the chooser, changes nothing). */
export function tipCancel(action: ActionId, tipId: string): string {
  return `t:cancel:${policy(action).choice}:${tipId}`;
}

/** A campaign's button for an action. */
export function campaignButton(action: ActionId, campaignId: string): string {
  return `c:${policy(action).button}:${campaignId}`;
}

/** The button saving a question's answer into the knowledge base. */
export const saveButton = (questionId: string): string => `${SAVE_PREFIX}${questionId}`;

/** What a button's data asks for, or null when it names no action of ours. */
export function decodePress(data: string): Press | null {
  if (data.startsWith(SAVE_PREFIX)) return { kind: "question", action: "question.save", questionId: data.slice(SAVE_PREFIX.length) };
  const parts = data.split(":");
  if (parts[0] === "c") {
    const [, code, campaignId] = parts;
    if (!code || !campaignId) return null;
    return { kind: "campaign", action: CAMPAIGN_BUTTONS.get(code) ?? null, code, campaignId };
  }
  if (parts[0] !== "t" || parts.length < 3) return null;
  const code = parts[1]!;
  const arg = parts.slice(2, -1).join(":");
  const tipId = parts.at(-1)!;
  if (code === "cancel") {
    const action = TIP_CHOICES.get(arg);
    return action ? { kind: "tip", action, stage: "cancel", code, arg, tipId } : null;
  }
  const opened = TIP_BUTTONS.get(code);
  if (opened) return { kind: "tip", action: opened, stage: "open", code, arg, tipId };
  const chosen = TIP_CHOICES.get(code);
  if (chosen) return { kind: "tip", action: chosen, stage: "choose", code, arg, tipId };
  return null;
}
