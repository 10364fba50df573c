import type { OutboundCall } from "../../outbox/outbound.ts";
import type { ChannelSender, SendOutcome } from "../../outbox/sender.ts";
import { ZaloApiError, type ZaloClient } from "./client.ts";

/** Sends outbox calls to Zalo and classifies its answers (zalo-bot-api.md §2). */
export class ZaloSender implements ChannelSender {
  constructor(private readonly client: ZaloClient) {}

  async send(chat: { platformChatId: string }, call: OutboundCall): Promise<SendOutcome> {
    try {
      const result = await this.client.call<{ message_id?: string }>(call.method, { chat_id: chat.platformChatId, ...call.payload });
      return { kind: "sent", messageId: result?.message_id };
    } catch (err) {
      return classifyZaloError(err);
    }
  }
}

/**
 * Maps a Zalo error to what the outbox should do. Zalo publishes no rate figures and no
 * Retry-After, so 429 backs off exponentially; 403 is read as "refused" (the person can no longer
 * be reached), which the docs leave unclear.
 */
export function classifyZaloError(err: unknown): SendOutcome {
  if (!(err instanceof ZaloApiError)) return { kind: "transient", reason: String((err as Error)?.message ?? err) };
  const reason = `${err.errorCode} ${err.description}`;
  if (err.errorCode === 429) return { kind: "rate_limited", reason };
  if (err.errorCode === 403) return { kind: "blocked", reason };
  if (err.errorCode === 0 || err.errorCode === 408 || err.errorCode >= 500) return { kind: "transient", reason };
  return { kind: "rejected", reason };
}
