import type { Tx } from "../../db/client.ts";
import type { OutboxRef } from "../../outbox/outbound.ts";
import type { OfficerAction } from "../officers/authorize.ts";
import { relayToTipster } from "../tips/commands/ask.ts";
import { claimTip } from "../tips/commands/claim.ts";
import { CLASSIFICATIONS, classifyTip, type Classification } from "../tips/commands/classify.ts";
import { OUTCOMES, closeTip, type Outcome } from "../tips/commands/close.ts";
import type { TipCommandContext } from "../tips/commands/context.ts";
import { recordExtension } from "../tips/commands/extend.ts";
import { addNote } from "../tips/commands/note.ts";
import { openContact } from "../tips/commands/openContact.ts";
import { PRIORITY_VALUES, setPriority, type PriorityValue } from "../tips/commands/priority.ts";
import { releaseTip } from "../tips/commands/release.ts";
import { reopenTip } from "../tips/commands/reopen.ts";
import { transferTip } from "../tips/commands/transfer.ts";
import { normaliseTipCode } from "../tips/codes.ts";
import type { PlaceFinder } from "../tips/places.ts";
import { communeQueueId, provinceQueueId } from "../tips/queues.ts";
import type { TipMove } from "../tips/tipStates.ts";
import { ACTIONS, type ActionId, type ActionPolicy } from "./catalog.ts";

/**
 * The action table: every action an officer takes on a tip, with what each surface needs to offer
 * it — its roles (`catalog.ts`), its argument and how it is validated, how a chat asks for the
 * argument (nothing, a chooser of options, or a typed prompt), the command it runs, and the text
 * that answers it. Telegram's card buttons and prompts (officers/groupTurn.ts), the admin CLI
 * (`tip:<verb>`) and the web console run the same rows, so the same command, authorisation and
 * audit event follow whichever surface was used. Campaign and legal staff buttons are rows of
 * `catalog.ts` too (their codes, roles); their presses are looked up there and run their commands
 * in campaigns/staffTurn.ts and qa/legalTurn.ts.
 */

/** An option of a chooser: the argument it chooses and its label. */
export interface ChooserOption {
  arg: string;
  labelKey: string;
  labelParams?: Record<string, unknown>;
}

/** What a tip's row needs to know about the tip to offer a chooser or a prompt. */
export interface TipFacts {
  status: string;
  lifeSafety: boolean;
  identityMode: string;
}

/** A typed prompt: what the message asks, when it may be asked, and what the typed answer does. */
export interface PromptSpec {
  /** Stored with the prompt (`OfficerPrompt.kind`): the answer is matched back to it. */
  kind: string;
  /** The prompt's text (params: officer, code, unit). */
  key: string;
  /** Whether the prompt may be opened on the tip in its state (else refused: `state`). */
  allowed?: (tip: TipFacts) => boolean;
  /** The typed answer runs the command with it … */
  answer?: (ctx: TipCommandContext, tipId: string, text: string) => Promise<OutboxRef[]>;
  /** … then this reply follows under the prompt (params: code). */
  done?: string;
  /** … or the typed answer is turned into a chooser's options (a transfer's target units). */
  choose?: { key: string; options: (tx: Tx, places: PlaceFinder, text: string) => Promise<ChooserOption[]> };
}

/** How a chat surface obtains an action's argument. */
export type Ask =
  | { kind: "none" }
  | { kind: "chooser"; key: string; options: (tip: TipFacts) => ChooserOption[]; cancel: true; prompts?: Record<string, PromptSpec> }
  | { kind: "prompt"; prompt: PromptSpec };

/** One action on a tip. */
export interface TipAction extends ActionPolicy {
  id: ActionId;
  /** The move of tips/tipStates.ts it makes, also the right authorised (officers/authorize.ts). */
  move: OfficerAction & TipMove;
  /** Its argument: the CLI flag that carries it, what it is, and its validation (undefined: refused). */
  arg?: { flag: string; describe: string; parse: (raw: string) => string | undefined };
  ask: Ask;
  /** The command (it authorises the actor, checks the move, records one event). */
  run: (ctx: TipCommandContext, tipId: string, arg: string) => Promise<OutboxRef[]>;
  /** The answer to whoever asked (params: officer, code, and value: the translated `valueKey(arg)`). */
  answer?: { key: string; valueKey?: (arg: string) => string };
  /** What the CLI's help says it does. */
  help: string;
}

const oneOf = (values: readonly string[]) => (raw: string) => (values.includes(raw) ? raw : undefined);
const text = (max: number) => (raw: string) => {
  const v = raw.trim();
  return v && v.length <= max ? v : undefined;
};
const open = (tip: TipFacts) => tip.status !== "closed";
const EXTENSIONS = ["two_months", "procuracy"] as const;

/** The typed answer to a transfer's prompt, turned into target units: communes found, or province duty queues. */
async function transferTargets(tx: Tx, places: PlaceFinder, typed: string): Promise<ChooserOption[]> {
  const found = places.search(typed);
  let queueIds: string[] = [];
  if (found.kind === "match") queueIds = [communeQueueId(found.commune.code)];
  else if (found.kind === "choose") queueIds = found.candidates.map((c) => communeQueueId(c.code));
  else if (found.kind === "province") queueIds = found.provinces.map((p) => provinceQueueId(p.code));
  if (queueIds.length === 0) queueIds = places.findProvince(typed).map((p) => provinceQueueId(p.code));
  if (queueIds.length === 0) return [];
  const queues = await tx.queue.findMany({ where: { id: { in: queueIds } } });
  return queues.map((q) => ({ arg: q.id, labelKey: "common:raw", labelParams: { text: q.name } }));
}

const row = <K extends ActionId>(id: K, rest: Omit<TipAction, "id" | keyof ActionPolicy>): TipAction => ({ id, ...ACTIONS[id], ...rest });

/** Every action on a tip, in the order the CLI's help lists them. */
export const TIP_ACTIONS: readonly TipAction[] = [
  row("tip.claim", {
    move: "claim",
    ask: { kind: "none" },
    run: (ctx, tipId) => claimTip(ctx, { tipId }),
    answer: { key: "officer:done.claimed" },
    help: "take a new tip",
  }),
  row("tip.release", {
    move: "release",
    ask: { kind: "none" },
    run: (ctx, tipId) => releaseTip(ctx, { tipId }),
    answer: { key: "officer:done.released" },
    help: "put a claimed tip back in the queue",
  }),
  row("tip.ask", {
    move: "ask",
    arg: { flag: "text", describe: "the question for the tipster", parse: text(3000) },
    ask: { kind: "prompt", prompt: { kind: "ask", key: "officer:prompt.ask", allowed: open, answer: (ctx, tipId, t) => relayToTipster(ctx, { tipId, text: t }), done: "officer:done.asked" } },
    run: (ctx, tipId, t) => relayToTipster(ctx, { tipId, text: t }),
    answer: { key: "officer:done.asked" },
    help: "ask the tipster a question (an officer only: the answer comes back under the card)",
  }),
  row("tip.note", {
    move: "note",
    arg: { flag: "text", describe: "the note", parse: text(3000) },
    ask: { kind: "prompt", prompt: { kind: "note", key: "officer:prompt.note", answer: (ctx, tipId, t) => addNote(ctx, { tipId, text: t }) } },
    run: (ctx, tipId, t) => addNote(ctx, { tipId, text: t }),
    help: "add an internal note (an officer only: notes are signed)",
  }),
  row("tip.priority", {
    move: "priority",
    arg: { flag: "value", describe: PRIORITY_VALUES.join("|"), parse: oneOf(PRIORITY_VALUES) },
    ask: {
      kind: "chooser",
      key: "officer:prompt.choose_priority",
      cancel: true,
      options: (tip) => [
        { arg: "normal", labelKey: "officer:button.priority_normal" },
        { arg: "high", labelKey: "officer:button.priority_high" },
        tip.lifeSafety ? { arg: "life_off", labelKey: "officer:button.life_safety_off" } : { arg: "life_on", labelKey: "officer:button.life_safety_on" },
      ],
    },
    run: (ctx, tipId, value) => setPriority(ctx, { tipId, value: value as PriorityValue }),
    answer: { key: "officer:done.priority" },
    help: "set the priority or the life-safety flag",
  }),
  row("tip.transfer", {
    move: "transfer",
    arg: { flag: "queue", describe: "commune:NNNNN|province:PP|national:VN", parse: text(64) },
    ask: {
      kind: "prompt",
      prompt: { kind: "transfer", key: "officer:prompt.transfer", allowed: open, choose: { key: "officer:prompt.choose_transfer", options: transferTargets } },
    },
    run: (ctx, tipId, queueId) => transferTip(ctx, { tipId, toQueueId: queueId }),
    help: "transfer the tip to another unit's queue",
  }),
  row("tip.classify", {
    move: "classify",
    arg: { flag: "value", describe: CLASSIFICATIONS.filter((c) => c !== "duplicate").join("|"), parse: oneOf(CLASSIFICATIONS.filter((c) => c !== "duplicate")) },
    ask: {
      kind: "chooser",
      key: "officer:prompt.choose_classification",
      cancel: true,
      options: () => CLASSIFICATIONS.map((c) => ({ arg: c, labelKey: `officer:classification.${c}` })),
      // A duplicate names the tip it repeats: the officer is asked for its code.
      prompts: {
        duplicate: {
          kind: "duplicate",
          key: "officer:prompt.duplicate",
          // An unreadable code is refused by the command (after the officer's rights are checked).
          answer: (ctx, tipId, t) => classifyTip(ctx, { tipId, classification: "duplicate", duplicateOfCode: normaliseTipCode(t) ?? undefined }),
        },
      },
    },
    run: (ctx, tipId, c) => classifyTip(ctx, { tipId, classification: c as Classification }),
    answer: { key: "officer:done.classified", valueKey: (c) => `officer:classification.${c}` },
    help: "classify the tip (a duplicate is marked from its card)",
  }),
  row("tip.close", {
    move: "close",
    arg: { flag: "outcome", describe: OUTCOMES.join("|"), parse: oneOf(OUTCOMES) },
    ask: { kind: "chooser", key: "officer:prompt.choose_outcome", cancel: true, options: () => OUTCOMES.map((o) => ({ arg: o, labelKey: `officer:outcome.${o}` })) },
    run: (ctx, tipId, o) => closeTip(ctx, { tipId, outcome: o as Outcome }),
    answer: { key: "officer:done.closed", valueKey: (o) => `officer:outcome.${o}` },
    help: "close the tip with its outcome (the tipster is told)",
  }),
  row("tip.extend", {
    move: "extend",
    arg: { flag: "value", describe: EXTENSIONS.join("|"), parse: oneOf(EXTENSIONS) },
    ask: {
      kind: "chooser",
      key: "officer:prompt.choose_extension",
      cancel: true,
      options: () => [
        { arg: "two_months", labelKey: "officer:button.extend_two_months" },
        { arg: "procuracy", labelKey: "officer:button.extend_procuracy" },
      ],
    },
    run: (ctx, tipId, e) => recordExtension(ctx, { tipId, extension: e as (typeof EXTENSIONS)[number] }),
    help: "extend the decision deadline (commanders)",
  }),
  row("tip.open_contact", {
    move: "open_contact",
    arg: { flag: "reason", describe: "why the contact is needed", parse: text(1000) },
    ask: {
      kind: "prompt",
      prompt: { kind: "open_contact", key: "officer:prompt.open_contact", allowed: (tip) => open(tip) && tip.identityMode === "confidential", answer: (ctx, tipId, t) => openContact(ctx, { tipId, reason: t }) },
    },
    run: (ctx, tipId, reason) => openContact(ctx, { tipId, reason }),
    help: "unseal a confidential tipster's contact, with a reason (commanders; sent to their private chat)",
  }),
  row("tip.reopen", {
    move: "reopen",
    ask: { kind: "none" },
    run: (ctx, tipId) => reopenTip(ctx, { tipId }),
    answer: { key: "officer:done.reopened" },
    help: "reopen a closed tip (commanders)",
  }),
];

const BY_ID = new Map(TIP_ACTIONS.map((a) => [a.id, a]));

/** The row of a tip action. */
export function tipAction(id: ActionId): TipAction {
  const found = BY_ID.get(id);
  if (!found) throw new Error(`no tip action ${id}`);
  return found;
}

/** The prompt a stored `OfficerPrompt.kind` belongs to, and its action. */
export function promptOf(kind: string): { action: TipAction; prompt: PromptSpec } | undefined {
  for (const action of TIP_ACTIONS) {
    if (action.ask.kind === "prompt" && action.ask.prompt.kind === kind) return { action, prompt: action.ask.prompt };
    if (action.ask.kind === "chooser") {
      const prompt = Object.values(action.ask.prompts ?? {}).find((p) => p.kind === kind);
      if (prompt) return { action, prompt };
    }
  }
  return undefined;
}

/** The CLI's name of a tip action ("tip.close" → "tip:close"). */
export const cliName = (action: TipAction): string => action.id.replace(".", ":");
