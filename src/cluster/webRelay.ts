import crypto from "node:crypto";
import type { WebChatEvent, WebHub } from "../channels/web/hub.ts";
import type { Logger } from "../logger.ts";
import { TOPICS, type Bus } from "./bus.ts";

/** How long the web sender waits for a page on another instance to confirm it showed a one-time secret. */
const ACK_WAIT_MS = 1_500;

/**
 * Web chat live delivery across instances (PostgreSQL). A page's event stream is held by the
 * instance it connected to, while one elected instance sends the web chat's outbox: the sender
 * hands each message to its own pages and announces its id on the bus (`web.message`, never the
 * text: notifications are capped at 8 kB and need not carry a secret); every other instance with a
 * page of that chat open reads the row and hands it on. A one-time secret (code and PIN) is shown
 * by a single page: asked for with an acknowledgement (`web.ack`), and retried by the sender when
 * no page anywhere confirms. When the bus reconnects, this instance's streams are closed so the
 * pages reconnect and read what they missed from the history (Last-Event-ID).
 */
export class WebRelay {
  private readonly waiting = new Map<string, () => void>();

  constructor(
    private readonly opts: {
      bus: Bus;
      hub: WebHub;
      /** Reads a web message by its outbox id (WebChannel.messageEvent). */
      load: (id: number) => Promise<WebChatEvent | undefined>;
      log: Logger;
    },
  ) {
    const { bus, hub } = opts;
    bus.subscribe(TOPICS.webMessage, (m) => {
      if (m.origin === bus.origin) return;
      const body = m.body as { c?: unknown; id?: unknown; ack?: unknown };
      if (typeof body?.c !== "string" || typeof body.id !== "number" || hub.listeners(body.c) === 0) return;
      void this.deliverRemote(body.c, body.id, typeof body.ack === "string" ? body.ack : undefined).catch((err: unknown) =>
        opts.log.warn({ err, outboxId: body.id }, "web relay: could not deliver a message to this instance's pages"),
      );
    });
    bus.subscribe(TOPICS.webAck, (m) => {
      const ack = (m.body as { ack?: unknown })?.ack;
      if (typeof ack === "string") this.waiting.get(ack)?.();
    });
    bus.subscribe(TOPICS.reconnected, () => hub.closeAll());
  }

  private async deliverRemote(chatKey: string, id: number, ack?: string): Promise<void> {
    const event = await this.opts.load(id);
    if (!event) return;
    const got = this.opts.hub.publish(chatKey, event);
    if (ack && got > 0) await this.opts.bus.publish(TOPICS.webAck, { ack });
  }

  /** See `WebSender.relay`. */
  async publish(chatKey: string, event: WebChatEvent, sensitive: boolean): Promise<boolean> {
    const { bus, hub } = this.opts;
    if (!sensitive) {
      hub.publish(chatKey, event);
      await bus.publish(TOPICS.webMessage, { c: chatKey, id: event.id });
      return true;
    }
    if (hub.publish(chatKey, event) > 0) return true;
    const ack = crypto.randomBytes(9).toString("base64url");
    const acked = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(ack);
        resolve(false);
      }, ACK_WAIT_MS);
      this.waiting.set(ack, () => {
        clearTimeout(timer);
        this.waiting.delete(ack);
        resolve(true);
      });
    });
    await bus.publish(TOPICS.webMessage, { c: chatKey, id: event.id, ack });
    return acked;
  }
}
