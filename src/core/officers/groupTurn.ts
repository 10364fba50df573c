import { RetryLater } from "../retryLater.ts";
import type { Tx } from "../../db/client.ts";
import { enqueueIntents, type OutboxRef } from "../../outbox/outbound.ts";
import type { Intent, MessageRef } from "../intents.ts";
import type { Choice } from "../reply.ts";
import { normaliseTipCode } from "../tips/codes.ts";
import { communeQueueId, provinceQueueId } from "../tips/queues.ts";
import { addNote } from "../tips/commands/note.ts";
import { CLASSIFICATIONS, classifyTip, type Classification } from "../tips/commands/classify.ts";
import { OUTCOMES, closeTip, type Outcome } from "../tips/commands/close.ts";
import { claimTip } from "../tips/commands/claim.ts";
import { TipStateError, type CommandActor, type TipCommandContext } from "../tips/commands/context.ts";
import { openContact } from "../tips/commands/openContact.ts";
import { recordExtension } from "../tips/commands/extend.ts";
import { relayToTipster } from "../tips/commands/ask.ts";
import { releaseTip } from "../tips/commands/release.ts";
import { reopenTip } from "../tips/commands/reopen.ts";
import { PRIORITY_VALUES, setPriority, type PriorityValue } from "../tips/commands/priority.ts";
import { transferTip } from "../tips/commands/transfer.ts";
import { actorOf, authorizeTipAction, officerLabel, officerName, recordRefusal, type OfficerAction, type OfficerRecord } from "./authorize.ts";
import { groupCommand } from "./groupCommands.ts";
import { sendToGroup, type GroupActor, type OfficerDeps, type PressResult } from "./groupContext.ts";
import { staffCommand, staffPress } from "../campaigns/staffTurn.ts";
import { SAVE_PREFIX, legalPress, legalReply } from "../qa/legalTurn.ts";

export type { GroupActor, OfficerDeps, PressResult } from "./groupContext.ts";

const ACTION_OF: Record<string, OfficerAction> = {
  claim: "claim",
  release: "release",
  ask: "ask",
  note: "note",
  priority: "priority",
  prio: "priority",
  transfer: "transfer",
  xfer: "transfer",
  classify: "classify",
  cls: "classify",
  close: "close",
  out: "close",
  open_contact: "open_contact",
  extend: "extend",
  ext: "extend",
  reopen: "reopen",
};

/** Choosers that carry a cancel button (`t:cancel:<chooser>:<tipId>`), and the action each belongs to. */
const CANCELLABLE: Partial<Record<string, OfficerAction>> = { prio: "priority", cls: "classify", out: "close", ext: "extend", xfer: "transfer" };

/** The cancel button of a chooser: removes the chooser, changes nothing. */
const cancelChoice = (chooser: string, tipId: string): Choice => ({ id: `t:cancel:${chooser}:${tipId}`, labelKey: "officer:button.cancel" });

const PROMPT_KINDS: Partial<Record<string, string>> = { ask: "ask", note: "note", transfer: "transfer", open_contact: "open_contact" };

/** Parses `t:<action>:<tipId>` or `t:<action>:<arg…>:<tipId>`. */
function parseData(data: string): { act: string; arg: string; tipId: string } | null {
  const parts = data.split(":");
  if (parts[0] !== "t" || parts.length < 3) return null;
  return { act: parts[1]!, arg: parts.slice(2, -1).join(":"), tipId: parts.at(-1)! };
}

/** The context of a tip command asked for from a group: the command authorises the actor itself (role, scope, and the card the group holds). */
function commandContext(tx: Tx, deps: OfficerDeps, actor: CommandActor, via: string, detail: string): TipCommandContext {
  return { tx, actor, via, detail, sealer: deps.sealer, officerRenderer: deps.officerRenderer, renderers: deps.renderers, now: new Date() };
}

/** The presses that carry out a tip command straight away (the others open a chooser or a prompt), given a well-formed argument. */
function pressRunsCommand(act: string, arg: string): boolean {
  switch (act) {
    case "claim":
    case "release":
    case "reopen":
    case "xfer":
      return true;
    case "prio":
      return (PRIORITY_VALUES as readonly string[]).includes(arg);
    case "cls":
      return arg !== "duplicate" && (CLASSIFICATIONS as readonly string[]).includes(arg);
    case "out":
      return (OUTCOMES as readonly string[]).includes(arg);
    case "ext":
      return arg === "two_months" || arg === "procuracy";
    default:
      return false;
  }
}

const send = sendToGroup;

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

const choice = (act: string, arg: string, tipId: string, labelKey: string): Choice => ({ id: `t:${act}:${arg}:${tipId}`, labelKey });

/**
 * A button pressed under a tip's card (or under one of its choosers): authorised against the
 * presser's role and scope, then carried out as one business operation.
 */
export async function handleCardPress(tx: Tx, deps: OfficerDeps, actor: GroupActor & { data: string; messageId: number }): Promise<PressResult> {
  const t = (key: string, params?: Record<string, unknown>) => deps.t(actor.group.locale ?? "vi", key, params);
  if (actor.data.startsWith("c:")) return staffPress(tx, deps, actor);
  if (actor.data.startsWith(SAVE_PREFIX)) return legalPress(tx, deps, actor);
  const parsed = parseData(actor.data);
  // Cancelling a chooser is judged as the chooser's own action (who could open it may close it).
  const action = parsed ? (parsed.act === "cancel" ? CANCELLABLE[parsed.arg] : ACTION_OF[parsed.act]) : undefined;
  if (!parsed || !action) return { refs: [] };
  const tip = await tx.tip.findUnique({ where: { id: parsed.tipId }, include: { queue: true } });
  if (!tip) {
    // A press naming no tip (a forged or stale button) is logged like any other refusal.
    const officer = await tx.officer.findUnique({ where: { telegramUserId: actor.telegramUserId } });
    await recordRefusal(tx, { actor: actorOf(officer, actor.telegramUserId), action, reason: "not_found", via: actor.group.id, data: { detail: parsed.act } });
    return { refs: [], answer: t("officer:refuse.not_found"), alert: true };
  }
  const card = await cardKindIn(tx, tip.id, actor.group.id);
  const detail = parsed.arg ? `${parsed.act}:${parsed.arg}` : parsed.act;
  if (pressRunsCommand(parsed.act, parsed.arg)) {
    // The command authorises the presser itself (and records a refusal once).
    const ctx = commandContext(tx, deps, { kind: "telegram_user", telegramUserId: actor.telegramUserId, card, displayName: actor.displayName }, actor.group.id, detail);
    const chooser: MessageRef = { platform: actor.messageId };
    const underChooser = async (refs: OutboxRef[]) => [...refs, ...(await enqueueIntents(tx, { chatId: actor.group.id, channel: actor.group.channel }, deps.officerRenderer, actor.group.locale ?? "vi", [{ kind: "closeChoices", message: chooser }]))];
    const presser = async () => officerLabel((await tx.officer.findUniqueOrThrow({ where: { telegramUserId: actor.telegramUserId } })), t);
    try {
      switch (parsed.act) {
        case "claim": {
          const refs = await claimTip(ctx, { tipId: tip.id });
          return { refs, answer: t("officer:done.claimed", { officer: await presser(), code: tip.code }) };
        }
        case "release": {
          const refs = await releaseTip(ctx, { tipId: tip.id });
          return { refs, answer: t("officer:done.released", { officer: await presser(), code: tip.code }) };
        }
        case "reopen": {
          const refs = await reopenTip(ctx, { tipId: tip.id });
          return { refs, answer: t("officer:done.reopened", { officer: await presser(), code: tip.code }) };
        }
        case "prio": {
          const refs = await underChooser(await setPriority(ctx, { tipId: tip.id, value: parsed.arg as PriorityValue }));
          return { refs, answer: t("officer:done.priority", { officer: await presser(), code: tip.code }) };
        }
        case "cls": {
          const refs = await underChooser(await classifyTip(ctx, { tipId: tip.id, classification: parsed.arg as Classification }));
          return { refs, answer: t("officer:done.classified", { officer: await presser(), code: tip.code, value: t(`officer:classification.${parsed.arg}`) }) };
        }
        case "out": {
          const refs = await underChooser(await closeTip(ctx, { tipId: tip.id, outcome: parsed.arg as Outcome }));
          return { refs, answer: t("officer:done.closed", { officer: await presser(), code: tip.code, value: t(`officer:outcome.${parsed.arg}`) }) };
        }
        case "ext":
          return { refs: await underChooser(await recordExtension(ctx, { tipId: tip.id, extension: parsed.arg as "two_months" | "procuracy" })) };
        case "xfer":
          return { refs: await underChooser(await transferTip(ctx, { tipId: tip.id, toQueueId: parsed.arg })) };
      }
    } catch (err) {
      if (err instanceof TipStateError) return { refs: [], answer: t(`officer:refuse.${err.reason}`, { text: "" }), alert: true };
      throw err;
    }
  }
  // Presses that open a chooser or a prompt (or cancel one), and malformed arguments: authorised here.
  const auth = await authorizeTipAction(tx, {
    telegramUserId: actor.telegramUserId,
    tip: { id: tip.id, provinceCode: tip.queue.provinceCode, communeCode: tip.queue.communeCode },
    action,
    cardKind: card,
    via: actor.group.id,
    detail,
  });
  if (!auth.ok) return { refs: [], answer: t(`officer:refuse.${auth.reason}`), alert: true };
  if (auth.officer.displayName !== actor.displayName) {
    await tx.officer.update({ where: { id: auth.officer.id }, data: { displayName: actor.displayName } });
    auth.officer.displayName = actor.displayName;
  }
  const who = officerLabel(auth.officer, t);
  const underPress = { under: { platform: actor.messageId } satisfies MessageRef };
  // A prompt only the presser may answer is addressed to them (a channel that shows the answer
  // field only to the people a message names names them).
  const presser = { userId: actor.telegramUserId, name: who };

  try {
    switch (parsed.act) {
      case "cancel": {
        // The chooser (this message) loses its buttons and says who closed it; the tip is untouched.
        const cancelled: Intent = { kind: "update", message: { platform: actor.messageId }, reply: { key: "officer:prompt.cancelled", params: { officer: who, code: tip.code } } };
        const refs = await enqueueIntents(tx, { chatId: actor.group.id, channel: actor.group.channel }, deps.officerRenderer, actor.group.locale ?? "vi", [cancelled]);
        return { refs, answer: t("officer:done.cancelled", { code: tip.code }) };
      }
      case "ask":
      case "note":
      case "transfer":
      case "open_contact": {
        if (tip.status === "closed" && parsed.act !== "note") throw new TipStateError("state");
        if (parsed.act === "open_contact" && tip.identityMode !== "confidential") throw new TipStateError("state");
        const refs = await send(tx, deps, actor.group, { key: `officer:prompt.${parsed.act}`, params: { officer: who, code: tip.code, unit: tip.queue.name } }, { ...underPress, answerFrom: presser });
        await tx.officerPrompt.create({ data: { tipId: tip.id, kind: PROMPT_KINDS[parsed.act]!, officerId: auth.officer.id, chatId: actor.group.id, outboxId: refs[0]!.id } });
        return { refs };
      }
      case "priority": {
        const options = [
          choice("prio", "normal", tip.id, "officer:button.priority_normal"),
          choice("prio", "high", tip.id, "officer:button.priority_high"),
          choice("prio", tip.lifeSafety ? "life_off" : "life_on", tip.id, tip.lifeSafety ? "officer:button.life_safety_off" : "officer:button.life_safety_on"),
          cancelChoice("prio", tip.id),
        ];
        return { refs: await send(tx, deps, actor.group, { key: "officer:prompt.choose_priority", params: { code: tip.code }, choices: options }, underPress) };
      }
      case "classify": {
        const options = [...CLASSIFICATIONS.map((c) => choice("cls", c, tip.id, `officer:classification.${c}`)), cancelChoice("cls", tip.id)];
        return { refs: await send(tx, deps, actor.group, { key: "officer:prompt.choose_classification", params: { code: tip.code }, choices: options }, underPress) };
      }
      case "close": {
        const options = [...OUTCOMES.map((o) => choice("out", o, tip.id, `officer:outcome.${o}`)), cancelChoice("out", tip.id)];
        return { refs: await send(tx, deps, actor.group, { key: "officer:prompt.choose_outcome", params: { code: tip.code }, choices: options }, underPress) };
      }
      case "extend": {
        const options = [
          choice("ext", "two_months", tip.id, "officer:button.extend_two_months"),
          choice("ext", "procuracy", tip.id, "officer:button.extend_procuracy"),
          cancelChoice("ext", tip.id),
        ];
        return { refs: await send(tx, deps, actor.group, { key: "officer:prompt.choose_extension", params: { code: tip.code }, choices: options }, underPress) };
      }
      case "cls": {
        // A duplicate names the tip it repeats: the officer is asked for its code.
        if (parsed.arg !== "duplicate") return { refs: [] };
        const refs = await send(tx, deps, actor.group, { key: "officer:prompt.duplicate", params: { officer: who, code: tip.code } }, { ...underPress, answerFrom: presser });
        await tx.officerPrompt.create({ data: { tipId: tip.id, kind: "duplicate", officerId: auth.officer.id, chatId: actor.group.id, outboxId: refs[0]!.id } });
        return { refs };
      }
      case "prio":
      case "out":
      case "ext":
        // A malformed argument (a forged button): authorised above, then ignored.
        return { refs: [] };
    }
  } catch (err) {
    if (err instanceof TipStateError) return { refs: [], answer: t(`officer:refuse.${err.reason}`, { text: "" }), alert: true };
    throw err;
  }
  return { refs: [] };
}

/**
 * A message in an officers' group: an answer to one of the bot's prompts (question for the
 * tipster, note, transfer target, reason to open a contact, duplicate code), or a command.
 */
/** Whether a prompt or legal-question card in this group is still waiting for Telegram to confirm it (its message id unknown). */
async function promptBeingSent(tx: Tx, groupChatId: string): Promise<boolean> {
  const open = await tx.officerPrompt.findMany({ where: { chatId: groupChatId, usedAt: null }, select: { outboxId: true } });
  const cards = await tx.legalQuestion.findMany({ where: { status: "open", cardOutboxId: { not: null } }, select: { cardOutboxId: true } });
  const ids = [...open.map((p) => p.outboxId), ...cards.map((c) => c.cardOutboxId!)];
  if (ids.length === 0) return false;
  return (await tx.outboxMessage.count({ where: { id: { in: ids }, chatId: groupChatId, status: "pending", platformMessageId: null } })) > 0;
}

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
  if (!tip) return [];
  const action: OfficerAction = prompt.kind === "duplicate" ? "classify" : (prompt.kind as OfficerAction);
  const reply = (key: string, params?: Record<string, unknown>) =>
    send(tx, deps, actor.group, { key, params }, { under: { outbox: prompted!.id } });
  // Only the officer who pressed the button answers the prompt (anyone else's answer is refused and
  // logged); their rights are checked again now.
  const officer = await tx.officer.findUnique({ where: { telegramUserId: actor.telegramUserId } });
  if (!officer || officer.id !== prompt.officerId) {
    await recordRefusal(tx, { tipId: tip.id, actor: actorOf(officer, actor.telegramUserId), action, reason: "not_prompted", via: actor.group.id, data: { detail: prompt.kind } });
    return reply("officer:refuse.not_prompted");
  }
  const card = await cardKindIn(tx, tip.id, actor.group.id);
  // The commands authorise the officer themselves (a refusal is recorded once); choosing a
  // transfer target only offers choices, so it is authorised here.
  const ctx = commandContext(tx, deps, { kind: "telegram_user", telegramUserId: actor.telegramUserId, card }, actor.group.id, prompt.kind);
  try {
    let refs: OutboxRef[];
    switch (prompt.kind) {
      case "ask":
        refs = await relayToTipster(ctx, { tipId: tip.id, text });
        refs.push(...(await reply("officer:done.asked", { code: tip.code })));
        break;
      case "note":
        refs = await addNote(ctx, { tipId: tip.id, text });
        break;
      case "open_contact":
        refs = await openContact(ctx, { tipId: tip.id, reason: text });
        break;
      case "duplicate":
        // An unreadable code is refused by the command (after the officer's rights are checked).
        refs = await classifyTip(ctx, { tipId: tip.id, classification: "duplicate", duplicateOfCode: normaliseTipCode(text) ?? undefined });
        break;
      case "transfer": {
        const auth = await authorizeTipAction(tx, {
          telegramUserId: actor.telegramUserId,
          tip: { id: tip.id, provinceCode: tip.queue.provinceCode, communeCode: tip.queue.communeCode },
          action,
          cardKind: card,
          via: actor.group.id,
          detail: prompt.kind,
        });
        if (!auth.ok) return reply(`officer:refuse.${auth.reason}`);
        refs = await transferTarget(tx, deps, actor, tip, text, prompted!.id);
        break;
      }
      default:
        return [];
    }
    await tx.officerPrompt.update({ where: { id: prompt.id }, data: { usedAt: new Date() } });
    return refs;
  } catch (err) {
    if (err instanceof TipStateError) return reply(`officer:refuse.${err.reason}`, { text: text.slice(0, 60) });
    throw err;
  }
}

/** Turns a typed unit name into transfer choices (communes found, or province duty queues). */
async function transferTarget(tx: Tx, deps: OfficerDeps, actor: GroupActor, tip: { id: string; code: string }, text: string, promptOutboxId: number): Promise<OutboxRef[]> {
  const found = deps.places.search(text);
  let queueIds: string[] = [];
  if (found.kind === "match") queueIds = [communeQueueId(found.commune.code)];
  else if (found.kind === "choose") queueIds = found.candidates.map((c) => communeQueueId(c.code));
  else if (found.kind === "province") queueIds = found.provinces.map((p) => provinceQueueId(p.code));
  if (queueIds.length === 0) queueIds = deps.places.findProvince(text).map((p) => provinceQueueId(p.code));
  if (queueIds.length === 0) throw new TipStateError("unknown_place");
  const queues = await tx.queue.findMany({ where: { id: { in: queueIds } } });
  const options: Choice[] = [...queues.map((q) => ({ id: `t:xfer:${q.id}:${tip.id}`, labelKey: "common:raw", labelParams: { text: q.name } })), cancelChoice("xfer", tip.id)];
  return send(tx, deps, actor.group, { key: "officer:prompt.choose_transfer", params: { code: tip.code }, choices: options }, { under: { outbox: promptOutboxId } });
}
