import type { Tx } from "../../db/client.ts";
import type { Translate } from "../../i18n.ts";
import { enqueueIntents, type OutboxRef, type ReplyRenderer } from "../../outbox/outbound.ts";
import type { MessageRef } from "../intents.ts";
import type { Sealer } from "../../security/sealing.ts";
import type { ChatRecord } from "../chats/findOrCreateChat.ts";
import type { KnowledgeBase } from "../qa/knowledge.ts";
import type { Reply } from "../reply.ts";
import type { Renderers } from "../tips/notifyTipster.ts";
import type { PlaceFinder } from "../tips/places.ts";
import type { CodeGuardDeps } from "./codeAttempts.ts";

/**
 * What the officers' and staff groups share: the dependencies, who acted, what a press answers, and
 * how a message goes to the group. Its own module so that the group's turn (`groupTurn.ts`), its
 * commands (`groupCommands.ts`) and the legal staff's part (`qa/legalTurn.ts`) need not import each other.
 */

/** What the officers' side needs from the application. */
export interface OfficerDeps extends CodeGuardDeps {
  sealer: Sealer;
  places: PlaceFinder;
  t: Translate;
  /** Renders for Telegram groups (cards, prompts, choosers). */
  officerRenderer: ReplyRenderer;
  /** Every channel, to reach tipsters. */
  renderers: Renderers;
  /** The legal knowledge base (it sees staff's saved answers once they commit: see `KnowledgeBase.fresh`). */
  knowledge?: KnowledgeBase;
  /** Campaign quiet hours (CAMPAIGN_QUIET_HOURS). */
  quiet?: { start: string; end: string };
  /** The web console's base URL for login links sent on `/console` (CONSOLE_URL / PUBLIC_URL). */
  consoleUrl?: string;
}

/** Who acted in a group. */
export interface GroupActor {
  group: ChatRecord;
  telegramUserId: string;
  displayName: string;
}

/** What to answer a button press with (the channel shows it to the presser), and the messages it caused. */
export interface PressResult {
  refs: OutboxRef[];
  answer?: string;
  alert?: boolean;
}

/** Queues a reply in the group, in its language: under another message, or asking someone (or anyone) to answer it. */
export async function sendToGroup(
  tx: Tx,
  deps: Pick<OfficerDeps, "officerRenderer">,
  group: ChatRecord,
  reply: Reply,
  opts: { under?: MessageRef; answerFrom?: { userId: string; name: string } | "anyone" } = {},
): Promise<OutboxRef[]> {
  return enqueueIntents(tx, { chatId: group.id, channel: group.channel }, deps.officerRenderer, group.locale ?? "vi", [{ kind: "message", reply, ...opts }]);
}
