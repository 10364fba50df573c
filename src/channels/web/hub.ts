import type { WebMessagePayload } from "./render.ts";

/** A message as the page receives it: the outbox row id (the SSE event id) and its content. */
export type WebChatEvent =
  | ({ id: number; at: string } & WebMessagePayload)
  /** A message that held a secret (a tip code and PIN): shown only when it was sent, never again. */
  | { id: number; at: string; scrubbed: true };

/** One open page of a chat (an SSE stream). */
export interface WebSubscriber {
  deliver(event: WebChatEvent): void;
  /** Ends the stream (shutdown). */
  close(): void;
}

/**
 * Where the web sender publishes messages: the open pages of each chat, keyed by the chat's
 * platform id. In process: with several instances, a sticky load balancer (by cookie) or a shared
 * pub/sub would be needed; the history on reconnect covers a page that missed a message.
 */
export class WebHub {
  private readonly chats = new Map<string, Set<WebSubscriber>>();

  /** Starts delivering the chat's messages to `subscriber`; returns the function that stops it. */
  subscribe(chatKey: string, subscriber: WebSubscriber): () => void {
    let set = this.chats.get(chatKey);
    if (!set) this.chats.set(chatKey, (set = new Set()));
    set.add(subscriber);
    return () => {
      const current = this.chats.get(chatKey);
      if (!current) return;
      current.delete(subscriber);
      if (current.size === 0) this.chats.delete(chatKey);
    };
  }

  /** Open pages of a chat. */
  listeners(chatKey: string): number {
    return this.chats.get(chatKey)?.size ?? 0;
  }

  /** Sends `event` to every open page of the chat; returns how many got it. */
  publish(chatKey: string, event: WebChatEvent): number {
    const set = this.chats.get(chatKey);
    if (!set) return 0;
    for (const subscriber of set) subscriber.deliver(event);
    return set.size;
  }

  /** Ends every open stream (at shutdown, so the HTTP server can close). */
  closeAll(): void {
    for (const set of this.chats.values()) for (const subscriber of set) subscriber.close();
    this.chats.clear();
  }
}
