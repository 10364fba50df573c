import type { AlongsideWrite } from "../../outbox/outbound.ts";
import type { Tx } from "../../db/client.ts";
import type { Locale } from "../../i18n.ts";
import type { OutboxRef, ReplyRenderer } from "../../outbox/outbound.ts";
import type { Sealer } from "../../security/sealing.ts";
import type { ChatRecord } from "../chats/findOrCreateChat.ts";
import type { Channel, InboundInput } from "../inbound.ts";
import type { ChannelCaps } from "../intents.ts";
import type { RetentionPeriods } from "../privacy/retentionRules.ts";
import type { KnowledgeBase } from "../qa/knowledge.ts";
import type { Reply } from "../reply.ts";
import type { PlaceFinder } from "../tips/places.ts";
import type { TipDraftData } from "../tips/draft.ts";
import type { IntentReader } from "./intents.ts";
import type { Keywords } from "./keywords.ts";

// The resident conversation's input and output, apart from its logic (src/core/resident/residentTurn.ts),
// so the turns it hands over to (data requests, …) can name them without importing it.

/** Services the resident conversation uses. */
export interface ResidentServices {
  keywords: Keywords;
  places: PlaceFinder;
  sealer: Sealer;
  /** Renders cards for the officers' groups (Telegram); absent when no officer channel is configured. */
  officerRenderer?: ReplyRenderer;
  /** The legal knowledge base (legal Q&A). */
  knowledge?: KnowledgeBase;
  /** Retention periods, told to a person asking what is held about them (defaults when absent). */
  retention?: RetentionPeriods;
  /** Reads free text typed outside any exchange (report, question, look-up, …); absent: keywords only. */
  intents?: IntentReader;
}

export interface ResidentTurnArgs {
  tx: Tx;
  chat: ChatRecord;
  channel: Channel;
  /** What the person's channel can ask for and carry (its renderer says). */
  caps: ChannelCaps;
  firstContact: boolean;
  locale: Locale | null;
  input: InboundInput;
  services: ResidentServices;
  /** The chat's tip draft when it was read with the chat (findOrCreateChat `withDraft`); undefined: not read yet. */
  draft?: TipDraftData | null;
}

/** Replies, the chat's new language if changed, its short-exchange state (undefined: unchanged), and messages to other chats. */
export interface ResidentResult {
  replies: Reply[];
  /** null: the person's language is erased (their data was deleted). */
  setLocale?: Locale | null;
  flow?: string | null;
  /** Outbox rows for other chats (e.g. the new tip's cards in the officers' groups). */
  elsewhere?: OutboxRef[];
  /** Writes the caller makes with the replies (enqueueCalls `alongside`: one statement on PostgreSQL), e.g. the tip draft. */
  writes?: AlongsideWrite[];
}
