import { RetryLater } from "../retryLater.ts";
import type { Tx } from "../../db/client.ts";
import { enqueueIntents, type OutboxRef } from "../../outbox/outbound.ts";
import type { Intent, MessageRef } from "../intents.ts";
import type { Choice } from "../reply.ts";
import { decodePress, tipCancel, tipChoice, type Press } from "../actions/buttons.ts";
import { promptOf, tipAction, type ChooserOption, type PromptSpec, type TipAction } from "../actions/table.ts";
import { TipStateError, type CommandActor, type TipCommandContext } from "../tips/commands/context.ts";
import { actorOf, authorizeTipAction, officerLabel, recordRefusal } from "./authorize.ts";
import { groupCommand } from "./groupCommands.ts";
import { sendToGroup, type GroupActor, type OfficerDeps, type PressResult } from "./groupContext.ts";
import { staffCommand, staffPress } from "../campaigns/staffTurn.ts";
import { legalPress, legalReply } from "../qa/legalTurn.ts";

export type { GroupActor, OfficerDeps, PressResult } from "./groupContext.ts";

/**
 * Officers' presses and typed answers in a group, looked up in the action table
 * (core/actions/table.ts): the button's data is decoded to an action, then the action runs its
 * command, opens its chooser or its prompt, or cancels its chooser, and the presser is answered
 * with the row's text. The same rows serve the admin CLI and the web console.
 */

/** The context of a tip command asked for from a group: the command authorises the actor itself (role, scope, and the card the group holds). */
function commandContext(tx: Tx, deps: OfficerDeps, actor: CommandActor, via: string, detail: string): TipCommandContext {
  return { tx, actor, via, detail, sealer: deps.sealer, officerRenderer: deps.officerRenderer, renderers: deps.renderers, now: new Date() };
}

/**
 * Which card of the tip this group holds: its working card ("main"), an info-only or retired copy
 * ("info"), or none at all ("none": the group is not where the tip is worked on, whatever the
 * button's data says — callback data can be forged by a modified client).
 */
async function cardKindIn(tx: Tx, tipId: string, groupChatId: string): Promise<"main" | "info" | "none"> {
  const card = await tx.tipCard.findFirst({ where: { tipId, chatId: groupChatId }, orderBy: { id: "desc" } });
  if (!card) return "none";
  return card.kind === "main" && card.active ? "main" : "info";
}

/** A chooser's buttons for an action: one per option, then cancel. */
const chooserButtons = (action: TipAction, tipId: string, options: ChooserOption[]): Choice[] => [
  ...options.map((o) => ({ id: tipChoice(action.id, o.arg, tipId), labelKey: o.labelKey, ...(o.labelParams ? { labelParams: o.labelParams } : {}) })),
  { id: tipCancel(action.id, tipId), labelKey: "officer:button.cancel" },
];

/** Whether a press runs its action's command straight away (else it opens a chooser or a prompt, cancels, or carries a malformed argument). */
function pressRuns(action: TipAction, press: Press & { kind: "tip" }): boolean {
  if (press.stage === "open") return action.ask.kind === "none";
  if (press.stage !== "choose") return false;
  // An option that asks for more (a duplicate's code) opens its prompt instead.
  if (action.ask.kind === "chooser" && action.ask.prompts?.[press.arg]) return false;
  return action.arg?.parse(press.arg) !== undefined;
}

/**
 * A button pressed under a tip's card (or under one of its choosers), a campaign's or a legal
 * question's: looked up in the action table, authorised against the presser's role and scope, then
 * carried out as one command.
 */
export async function handleCardPress(tx: Tx, deps: OfficerDeps, actor: GroupActor & { data: string; messageId: number }): Promise<PressResult> {
  const t = (key: string, params?: Record<string, unknown>) => deps.t(actor.group.locale ?? "vi", key, params);
  const press = decodePress(actor.data);
  if (!press) return { refs: [] };
  if (press.kind === "campaign") return staffPress(tx, deps, { ...actor, press });
  if (press.kind === "question") return legalPress(tx, deps, { ...actor, questionId: press.questionId });
  const action = tipAction(press.action);
  const tip = await tx.tip.findUnique({ where: { id: press.tipId }, include: { queue: true } });
  if (!tip) {
    // A press naming no tip (a forged or stale button) is logged like any other refusal.
    const officer = await tx.officer.findUnique({ where: { telegramUserId: actor.telegramUserId } });
    await recordRefusal(tx, { actor: actorOf(officer, actor.telegramUserId), action: action.move, reason: "not_found", via: actor.group.id, data: { detail: press.code } });
    return { refs: [], answer: t("officer:refuse.not_found"), alert: true };
  }
  const card = await cardKindIn(tx, tip.id, actor.group.id);
  const detail = press.arg ? `${press.code}:${press.arg}` : press.code;
  const refused = (err: unknown): PressResult => {
    if (err instanceof TipStateError) return { refs: [], answer: t(`officer:refuse.${err.reason}`, { text: "" }), alert: true };
    throw err;
  };

  if (pressRuns(action, press)) {
    // The command authorises the presser itself (and records a refusal once).
    const ctx = commandContext(tx, deps, { kind: "telegram_user", telegramUserId: actor.telegramUserId, card, displayName: actor.displayName }, actor.group.id, detail);
    try {
      const refs = await action.run(ctx, tip.id, press.arg);
      // A chooser that was used loses its buttons.
      if (press.stage === "choose") refs.push(...(await enqueueIntents(tx, { chatId: actor.group.id, channel: actor.group.channel }, deps.officerRenderer, actor.group.locale ?? "vi", [{ kind: "closeChoices", message: { platform: actor.messageId } }])));
      if (!action.answer) return { refs };
      const presser = officerLabel(await tx.officer.findUniqueOrThrow({ where: { telegramUserId: actor.telegramUserId } }), t);
      const value = action.answer.valueKey ? { value: t(action.answer.valueKey(press.arg)) } : {};
      return { refs, answer: t(action.answer.key, { officer: presser, code: tip.code, ...value }) };
    } catch (err) {
      return refused(err);
    }
  }

  // Presses that open a chooser or a prompt (or cancel one), and malformed arguments: authorised here.
  const auth = await authorizeInGroup(tx, actor, tip, action.move, card, detail);
  if (!auth.ok) return { refs: [], answer: t(`officer:refuse.${auth.reason}`), alert: true };
  if (auth.officer.displayName !== actor.displayName) {
    await tx.officer.update({ where: { id: auth.officer.id }, data: { displayName: actor.displayName } });
    auth.officer.displayName = actor.displayName;
  }
  const who = officerLabel(auth.officer, t);
  const underPress = { under: { platform: actor.messageId } satisfies MessageRef };
  // A prompt only the presser may answer is addressed to them (a channel that shows the answer
  // field only to the people a message names names them).
  const openPrompt = async (prompt: PromptSpec): Promise<PressResult> => {
    if (prompt.allowed && !prompt.allowed(tip)) throw new TipStateError("state");
    const refs = await sendToGroup(tx, deps, actor.group, { key: prompt.key, params: { officer: who, code: tip.code, unit: tip.queue.name } }, { ...underPress, answerFrom: { userId: actor.telegramUserId, name: who } });
    await tx.officerPrompt.create({ data: { tipId: tip.id, kind: prompt.kind, officerId: auth.officer.id, chatId: actor.group.id, outboxId: refs[0]!.id } });
    return { refs };
  };

  try {
    if (press.stage === "cancel") {
      // The chooser (this message) loses its buttons and says who closed it; the tip is untouched.
      const cancelled: Intent = { kind: "update", message: { platform: actor.messageId }, reply: { key: "officer:prompt.cancelled", params: { officer: who, code: tip.code } } };
      const refs = await enqueueIntents(tx, { chatId: actor.group.id, channel: actor.group.channel }, deps.officerRenderer, actor.group.locale ?? "vi", [cancelled]);
      return { refs, answer: t("officer:done.cancelled", { code: tip.code }) };
    }
    const ask = action.ask;
    if (press.stage === "open" && ask.kind === "prompt") return await openPrompt(ask.prompt);
    if (press.stage === "open" && ask.kind === "chooser") {
      return { refs: await sendToGroup(tx, deps, actor.group, { key: ask.key, params: { code: tip.code }, choices: chooserButtons(action, tip.id, ask.options(tip)) }, underPress) };
    }
    // An option of a chooser that asks for more (a duplicate's code).
    const more = press.stage === "choose" && ask.kind === "chooser" ? ask.prompts?.[press.arg] : undefined;
    if (more) return await openPrompt(more);
    // A malformed argument (a forged button): authorised above, then ignored.
    return { refs: [] };
  } catch (err) {
    return refused(err);
  }
}

/** Whether a prompt or legal-question card in this group is still waiting for Telegram to confirm it (its message id unknown). */
async function promptBeingSent(tx: Tx, groupChatId: string): Promise<boolean> {
  const open = await tx.officerPrompt.findMany({ where: { chatId: groupChatId, usedAt: null }, select: { outboxId: true } });
  const cards = await tx.legalQuestion.findMany({ where: { status: "open", cardOutboxId: { not: null } }, select: { cardOutboxId: true } });
  const ids = [...open.map((p) => p.outboxId), ...cards.map((c) => c.cardOutboxId!)];
  if (ids.length === 0) return false;
  return (await tx.outboxMessage.count({ where: { id: { in: ids }, chatId: groupChatId, status: "pending", platformMessageId: null } })) > 0;
}

/**
 * A message in an officers' group: an answer to one of the bot's prompts (question for the
 * tipster, note, transfer target, reason to open a contact, duplicate code: the prompt's row of the
 * action table says what the answer runs), or a command.
 */
export async function handleGroupMessage(
  tx: Tx,
  deps: OfficerDeps,
  actor: GroupActor & { text: string; replyToMessageId?: number },
): Promise<OutboxRef[]> {
  const text = actor.text.trim();
  if (text.startsWith("/")) return (await staffCommand(tx, deps, { group: actor.group, telegramUserId: actor.telegramUserId, text })) ?? groupCommand(tx, deps, actor, text);
  if (actor.replyToMessageId === undefined) return [];
  const prompted = await tx.outboxMessage.findFirst({ where: { chatId: actor.group.id, platformMessageId: String(actor.replyToMessageId) } });
  if (!prompted && (await promptBeingSent(tx, actor.group.id))) {
    // A quick answer to a prompt whose delivery Telegram has not confirmed yet: its message id is
    // not known, so the answer could not be matched. Processed again shortly, not dropped.
    throw new RetryLater("reply to a prompt still being sent");
  }
  const legal = prompted ? await tx.legalQuestion.findFirst({ where: { cardOutboxId: prompted.id } }) : null;
  if (legal) return legalReply(tx, deps, actor, legal.id, text);
  const prompt = prompted ? await tx.officerPrompt.findFirst({ where: { chatId: actor.group.id, outboxId: prompted.id, usedAt: null } }) : null;
  if (!prompt) return [];
  const tip = await tx.tip.findUnique({ where: { id: prompt.tipId }, include: { queue: true } });
  const found = promptOf(prompt.kind);
  if (!tip || !found) return [];
  const { action, prompt: spec } = found;
  const reply = (key: string, params?: Record<string, unknown>) => sendToGroup(tx, deps, actor.group, { key, params }, { under: { outbox: prompted!.id } });
  // Only the officer who pressed the button answers the prompt (anyone else's answer is refused and
  // logged); their rights are checked again now.
  const officer = await tx.officer.findUnique({ where: { telegramUserId: actor.telegramUserId } });
  if (!officer || officer.id !== prompt.officerId) {
    await recordRefusal(tx, { tipId: tip.id, actor: actorOf(officer, actor.telegramUserId), action: action.move, reason: "not_prompted", via: actor.group.id, data: { detail: prompt.kind } });
    return reply("officer:refuse.not_prompted");
  }
  const card = await cardKindIn(tx, tip.id, actor.group.id);
  const ctx = commandContext(tx, deps, { kind: "telegram_user", telegramUserId: actor.telegramUserId, card }, actor.group.id, prompt.kind);
  try {
    let refs: OutboxRef[];
    if (spec.answer) {
      // The command authorises the officer itself (a refusal is recorded once).
      refs = await spec.answer(ctx, tip.id, text);
      if (spec.done) refs.push(...(await reply(spec.done, { code: tip.code })));
    } else if (spec.choose) {
      // Choosing a target only offers choices, so it is authorised here.
      const auth = await authorizeInGroup(tx, actor, tip, action.move, card, prompt.kind);
      if (!auth.ok) return reply(`officer:refuse.${auth.reason}`);
      const options = await spec.choose.options(tx, deps.places, text);
      if (options.length === 0) throw new TipStateError("unknown_place");
      refs = await sendToGroup(tx, deps, actor.group, { key: spec.choose.key, params: { code: tip.code }, choices: chooserButtons(action, tip.id, options) }, { under: { outbox: prompted!.id } });
    } else return [];
    await tx.officerPrompt.update({ where: { id: prompt.id }, data: { usedAt: new Date() } });
    return refs;
  } catch (err) {
    if (err instanceof TipStateError) return reply(`officer:refuse.${err.reason}`, { text: text.slice(0, 60) });
    throw err;
  }
}

/** The rights of the officer who acted in this group on this tip (a refusal is recorded, naming `detail`). */
function authorizeInGroup(
  tx: Tx,
  actor: GroupActor,
  tip: { id: string; queue: { provinceCode: string; communeCode: string | null } },
  action: Parameters<typeof authorizeTipAction>[1]["action"],
  cardKind: Parameters<typeof authorizeTipAction>[1]["cardKind"],
  detail: string,
) {
  const scope = { id: tip.id, provinceCode: tip.queue.provinceCode, communeCode: tip.queue.communeCode };
  return authorizeTipAction(tx, { telegramUserId: actor.telegramUserId, tip: scope, action, cardKind, via: actor.group.id, detail });
}
