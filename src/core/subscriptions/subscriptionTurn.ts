import type { Tx } from "../../db/client.ts";
import type { ChatRecord } from "../chats/findOrCreateChat.ts";
import type { InboundInput } from "../inbound.ts";
import type { Choice, Reply } from "../reply.ts";
import { menuReply } from "../resident/converse.ts";
import { isControlWord } from "../resident/controlWords.ts";
import type { PlaceFinder } from "../tips/places.ts";
import { communeLabel, communesByCode, provincesByCode } from "../tips/unitNames.ts";
import { formatVnDate } from "../vnTime.ts";
import { changeSubscription } from "./commands/changeSubscription.ts";
import { eraseSubscription } from "./commands/eraseSubscription.ts";
import { stopSubscription } from "./commands/stopSubscription.ts";
import { subscribe } from "./commands/subscribe.ts";
import { TOPICS, isTopic, type Topic } from "./topics.ts";

/** The opt-in exchange kept on the chat: topics, then an optional place, then explicit consent. */
export interface SubscribeFlow {
  name: "subscribe";
  step: "topics" | "place" | "confirm";
  topics: Topic[];
  provinceCode?: string;
  communeCode?: string;
}

export interface SubscriptionResult {
  replies: Reply[];
  /** New value of the chat's flow (null: ended). */
  flow: string | null;
}

/** Words that stop all campaign messages, on every channel ("dừng", "huỷ", "stop", "/stop"). */
export function isStopWord(text: string): boolean {
  return isControlWord("stop", text);
}

const topicList = (topics: string[]) => ({ $list: topics.map((t) => ({ $t: `campaign:topic.${t}` })) });

/** How a subscription's area reads: "commune, province", the province, or nationwide. */
export async function placeLabel(tx: Tx, flow: { provinceCode?: string | null; communeCode?: string | null }) {
  if (flow.communeCode) {
    const c = (await communesByCode(tx, [flow.communeCode])).get(flow.communeCode);
    if (c) return communeLabel(c);
  }
  if (flow.provinceCode) return (await provincesByCode(tx, [flow.provinceCode])).get(flow.provinceCode)?.name ?? flow.provinceCode;
  return { $t: "campaign:subscribe.nationwide_place" };
}

function topicsPrompt(flow: SubscribeFlow, notice?: string): Reply {
  const choices: Choice[] = TOPICS.map((t) => ({
    id: `sub:t:${t}`,
    labelKey: "campaign:subscribe.toggle",
    labelParams: { mark: flow.topics.includes(t) ? "✅" : "⬜", topic: { $t: `campaign:topic.${t}` } },
  }));
  choices.push({ id: "sub:done", labelKey: "campaign:subscribe.done" }, { id: "sub:cancel", labelKey: "campaign:subscribe.cancel" });
  return { key: notice ?? "campaign:subscribe.intro", choices, columns: 1 };
}

const save = (flow: SubscribeFlow) => JSON.stringify(flow);

/** The resident acting from this chat (on their own subscription). */
const residentOf = (chat: ChatRecord) => ({ kind: "resident" as const, chatId: chat.id });

/** "Legal news" from the menu: the current subscription and what can be done with it, or the opt-in. */
export async function openSubscription(tx: Tx, chat: ChatRecord): Promise<SubscriptionResult> {
  const sub = await tx.subscription.findUnique({ where: { chatId: chat.id } });
  if (!sub?.active) {
    const flow: SubscribeFlow = { name: "subscribe", step: "topics", topics: [] };
    return { replies: [topicsPrompt(flow)], flow: save(flow) };
  }
  return {
    replies: [
      {
        key: "campaign:subscribe.status",
        params: { topics: topicList(JSON.parse(sub.topics)), place: await placeLabel(tx, sub), date: formatVnDate(sub.consentedAt) },
        choices: [
          { id: "sub:change", labelKey: "campaign:subscribe.change" },
          { id: "sub:stop", labelKey: "campaign:subscribe.stop" },
          { id: "sub:consent", labelKey: "campaign:subscribe.show_consent" },
          { id: "sub:delete", labelKey: "campaign:subscribe.delete" },
          { id: "menu:main", labelKey: "tip:flow.back" },
        ],
      },
    ],
    flow: null,
  };
}

/** Stop words: every campaign message stops, on every channel; the consent record says when. */
export async function stopByWord(tx: Tx, chat: ChatRecord): Promise<SubscriptionResult> {
  const result = await stopSubscription(tx, { actor: residentOf(chat), chatId: chat.id, reason: "stop_word" });
  const stopped = result.ok && result.stopped;
  return { replies: [menuReply(stopped ? "campaign:subscribe.stopped" : "campaign:subscribe.not_subscribed", { prompt: false })], flow: null };
}

/** Buttons of the subscription status message (change, stop, consent log, delete). */
export async function subscriptionAction(tx: Tx, chat: ChatRecord, action: string): Promise<SubscriptionResult | null> {
  switch (action) {
    case "sub:change": {
      const sub = await tx.subscription.findUnique({ where: { chatId: chat.id } });
      const flow: SubscribeFlow = { name: "subscribe", step: "topics", topics: sub ? (JSON.parse(sub.topics) as Topic[]) : [] };
      return { replies: [topicsPrompt(flow)], flow: save(flow) };
    }
    case "sub:stop":
      return stopByWord(tx, chat);
    case "sub:delete":
      await eraseSubscription(tx, { actor: residentOf(chat), chatId: chat.id });
      return { replies: [menuReply("campaign:subscribe.deleted", { prompt: false })], flow: null };
    case "sub:consent": {
      const records = await tx.consentRecord.findMany({ where: { chatId: chat.id }, orderBy: { at: "asc" } });
      const lines = records.map((r) => {
        const details = JSON.parse(r.details) as { topics?: string[] };
        return { $t: "campaign:subscribe.consent_line", params: { date: formatVnDate(r.at), action: { $t: `campaign:subscribe.action.${r.action}` }, topics: topicList(details.topics ?? []) } };
      });
      return { replies: [menuReply("campaign:subscribe.consent_log", { prompt: false, params: { lines } })], flow: null };
    }
  }
  return null;
}

/** One input during the opt-in exchange. */
export async function subscribeTurn(tx: Tx, chat: ChatRecord, places: PlaceFinder, flow: SubscribeFlow, input: InboundInput): Promise<SubscriptionResult> {
  const choice = input.type === "choice" ? input.choiceId : undefined;
  const text = input.type === "text" ? input.text.trim() : undefined;
  if (choice === "sub:cancel") return { replies: [menuReply("campaign:subscribe.not_now", { prompt: false })], flow: null };

  if (flow.step === "topics") {
    const topic = choice?.startsWith("sub:t:") ? choice.slice(6) : undefined;
    if (isTopic(topic)) {
      const topics = flow.topics.includes(topic) ? flow.topics.filter((t) => t !== topic) : [...flow.topics, topic];
      const next = { ...flow, topics };
      return { replies: [topicsPrompt(next)], flow: save(next) };
    }
    if (choice === "sub:done" || (text && isControlWord("done", text))) {
      if (flow.topics.length === 0) return { replies: [topicsPrompt(flow, "campaign:subscribe.need_topic")], flow: save(flow) };
      const next: SubscribeFlow = { ...flow, step: "place" };
      return { replies: [placePrompt()], flow: save(next) };
    }
    return { replies: [topicsPrompt(flow)], flow: save(flow) };
  }

  if (flow.step === "place") {
    let next: SubscribeFlow | null = null;
    if (choice === "sub:nationwide") next = { ...flow, step: "confirm", provinceCode: undefined, communeCode: undefined };
    else if (choice?.startsWith("sub:p:")) next = { ...flow, step: "confirm", provinceCode: choice.slice(6), communeCode: undefined };
    else if (choice?.startsWith("sub:c:")) {
      const commune = (await communesByCode(tx, [choice.slice(6)])).get(choice.slice(6));
      if (commune) next = { ...flow, step: "confirm", provinceCode: commune.provinceCode, communeCode: commune.code };
    } else if (text) {
      const found = places.search(text);
      if (found.kind === "match") next = { ...flow, step: "confirm", provinceCode: found.commune.provinceCode, communeCode: found.commune.code };
      else {
        const provinces = places.findProvince(text);
        if (provinces.length === 1) next = { ...flow, step: "confirm", provinceCode: provinces[0]!.code, communeCode: undefined };
        else if (found.kind === "choose") {
          const choices: Choice[] = found.candidates.map((c) => ({ id: `sub:c:${c.code}`, labelKey: "common:raw", labelParams: { text: `${c.name}, ${c.provinceName}` } }));
          return { replies: [{ key: "campaign:subscribe.place", choices: [...choices, { id: "sub:nationwide", labelKey: "campaign:subscribe.nationwide" }] }], flow: save(flow) };
        } else if (found.kind === "province" || provinces.length > 1) {
          const list = found.kind === "province" ? found.provinces : provinces;
          const choices: Choice[] = list.map((p) => ({ id: `sub:p:${p.code}`, labelKey: "common:raw", labelParams: { text: p.name } }));
          return { replies: [{ key: "campaign:subscribe.place", choices: [...choices, { id: "sub:nationwide", labelKey: "campaign:subscribe.nationwide" }] }], flow: save(flow) };
        } else {
          return { replies: [{ ...placePrompt(), key: "campaign:subscribe.place_not_found", params: { text: text.slice(0, 60) } }], flow: save(flow) };
        }
      }
    }
    if (!next) return { replies: [placePrompt()], flow: save(flow) };
    return { replies: [await confirmPrompt(tx, next)], flow: save(next) };
  }

  // confirm
  if (choice === "sub:agree") {
    const choice = { topics: flow.topics, provinceCode: flow.provinceCode, communeCode: flow.communeCode };
    const active = (await tx.subscription.findUnique({ where: { chatId: chat.id } }))?.active;
    const props = { actor: residentOf(chat), chatId: chat.id, choice };
    await (active ? changeSubscription(tx, props) : subscribe(tx, props));
    return { replies: [menuReply("campaign:subscribe.subscribed", { prompt: false })], flow: null };
  }
  return { replies: [await confirmPrompt(tx, flow)], flow: save(flow) };
}

function placePrompt(): Reply {
  return { key: "campaign:subscribe.place", choices: [{ id: "sub:nationwide", labelKey: "campaign:subscribe.nationwide" }, { id: "sub:cancel", labelKey: "campaign:subscribe.cancel" }] };
}

async function confirmPrompt(tx: Tx, flow: SubscribeFlow): Promise<Reply> {
  return {
    key: "campaign:subscribe.confirm",
    params: { topics: topicList(flow.topics), place: await placeLabel(tx, flow) },
    choices: [
      { id: "sub:agree", labelKey: "campaign:subscribe.agree" },
      { id: "sub:cancel", labelKey: "campaign:subscribe.cancel" },
    ],
  };
}
