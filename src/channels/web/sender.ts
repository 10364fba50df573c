import type { Db } from "../../db/client.ts";
import type { OutboundCall } from "../../outbox/outbound.ts";
import type { ChannelSender, SendOutcome } from "../../outbox/sender.ts";
import type { WebChatEvent, WebHub } from "./hub.ts";
import { WEB_MESSAGE_METHOD, type WebMessagePayload } from "./render.ts";

/** How long a one-time secret (a receipt with code and PIN) waits between checks for an open page. */
export const SECRET_WAIT_MS = 2_000;

/**
 * Delivers web chat messages to the chat's open pages. The outbox row is the web chat's message
 * store: "sent" means published to the pages open now; a page opened later reads the history from
 * the outbox. A sensitive message (scrubbed once sent) waits until a page is open, so the person
 * sees their code and PIN at least once.
 */
export class WebSender implements ChannelSender {
  /**
   * Several instances (src/cluster/webRelay.ts): publishes to the chat's pages on every instance;
   * for a sensitive message, resolves true only once a page got it. Unset: this process's pages only.
   */
  relay?: { publish(chatKey: string, event: WebChatEvent, sensitive: boolean): Promise<boolean> };

  constructor(
    private readonly db: Db,
    private readonly hub: WebHub,
  ) {}

  async send(chat: { platformChatId: string }, call: OutboundCall): Promise<SendOutcome> {
    if (call.method !== WEB_MESSAGE_METHOD) return { kind: "rejected", reason: `unknown web chat method ${call.method}` };
    const row = await this.rowBeingSent(chat.platformChatId, call);
    if (!row) return { kind: "transient", reason: "outbox row of the web message not found" };
    const payload = call.payload as unknown as WebMessagePayload;
    const event: WebChatEvent = { id: row.id, at: row.createdAt.toISOString(), ...payload };
    const noPage = { kind: "rate_limited", retryAfterMs: SECRET_WAIT_MS, reason: "no open page to show a one-time secret to" } as const;
    if (this.relay) {
      if (!(await this.relay.publish(chat.platformChatId, event, row.sensitive))) return noPage;
      return { kind: "sent", messageId: String(row.id) };
    }
    if (row.sensitive && this.hub.listeners(chat.platformChatId) === 0) return noPage;
    this.hub.publish(chat.platformChatId, event);
    return { kind: "sent", messageId: String(row.id) };
  }

  /**
   * The outbox row this call comes from (the page needs its id, and whether it is sensitive). The
   * sender delivers a chat's rows one at a time in id order, so it is the chat's oldest pending row
   * with this payload — or, failing an exact match, simply its oldest pending row.
   */
  private async rowBeingSent(chatKey: string, call: OutboundCall) {
    const where = { channel: "web", status: "pending", method: WEB_MESSAGE_METHOD, chat: { channel: "web", platformChatId: chatKey } };
    const select = { id: true, sensitive: true, createdAt: true } as const;
    return (
      (await this.db.outboxMessage.findFirst({ where: { ...where, payload: JSON.stringify(call.payload) }, orderBy: { id: "asc" }, select })) ??
      (await this.db.outboxMessage.findFirst({ where, orderBy: { id: "asc" }, select }))
    );
  }
}
