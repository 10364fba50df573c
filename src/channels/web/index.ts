import type { InboundEvent } from "../../core/inbound.ts";
import { processInbound } from "../../core/processInbound.ts";
import type { Channel, ChannelContext } from "../contract.ts";
import { WebChannel } from "./channel.ts";
import { sealHistory } from "./history.ts";
import { webEvent } from "./inbound.ts";
import { webMedia } from "./media.ts";

/** The web chat as a channel, with the `WebChannel` behind it (its hub, upload storage and image decoder). */
export interface WebChatChannel extends Channel {
  readonly chat: WebChannel;
}

/**
 * The web chat served at `/`: always on, no token needed. It has no webhook and no poller: its own
 * HTTP routes (page, messages, uploads, event stream) store input through the ingest, and its
 * sender publishes to the open pages.
 */
export function webChannel(ctx: ChannelContext): WebChatChannel {
  const { config, sealer } = ctx;
  const chat = new WebChannel({
    db: ctx.db,
    t: ctx.t,
    sealer,
    metrics: ctx.metrics,
    log: ctx.log,
    uploadLimitBytes: config.web.uploadLimitBytes,
    uploadsPerHour: config.web.uploadsPerHour,
    secureCookies: config.publicUrl?.startsWith("https:") === true,
    limits: config.web,
  });
  const deps = ctx.inboundDeps(chat.renderer);
  return {
    name: "web",
    chat,
    inbound: {
      parse: webEvent,
      handle: (tx, event: InboundEvent, inboxId) => processInbound(tx, deps, { event, sourceUpdateId: inboxId }),
    },
    renderer: chat.renderer,
    // The outbox rows of a chat are its history: a delivered message keeps its payload, sealed.
    delivery: { sender: chat.sender, limiter: chat.limiter, keepDelivered: (payload) => sealHistory(sealer, payload) },
    media: webMedia(ctx.db),
    routes: (http, ingest) => chat.register(http, { ingest }),
    start: async () => void (await chat.storage.refresh()),
    housekeeping: (now) => chat.housekeeping(now),
  };
}
