import type { InboundEvent } from "../../core/inbound.ts";
import { processInbound } from "../../core/processInbound.ts";
import { PlatformLimiter } from "../../outbox/limiter.ts";
import type { Channel, ChannelContext } from "../contract.ts";
import { webhookSecret } from "../secret.ts";
import { ZaloApiError, ZaloClient } from "./client.ts";
import { zaloEvent, zaloIncoming } from "./inbound.ts";
import { ZaloRenderer } from "./render.ts";
import { ZaloSender } from "./sender.ts";
import { zaloMedia } from "./media.ts";

/** Where Zalo posts its events. */
export const ZALO_WEBHOOK_PATH = "/webhooks/zalo";

/**
 * Zalo: residents only (no officer groups). Stored events are processed whether or not
 * ZALO_BOT_TOKEN is set; sending, webhook registration and polling need it.
 */
export function zaloChannel(ctx: ChannelContext): Channel {
  const { config, log } = ctx;
  const zalo = config.zalo;
  const renderer = new ZaloRenderer(ctx.t);
  const deps = ctx.inboundDeps(renderer);
  const secret = webhookSecret(zalo.webhookSecret, zalo.token, "zalo");
  const client = zalo.token ? new ZaloClient(zalo.token, zalo.apiBase) : undefined;
  return {
    name: "zalo",
    receive: zaloIncoming,
    inbound: {
      // A file address off ZALO_MEDIA_HOSTS is refused here, before the core stores anything.
      parse: (body) => zaloEvent(body, config.media.zaloHosts),
      handle: (tx, event: InboundEvent, inboxId) => processInbound(tx, deps, { event, sourceUpdateId: inboxId }),
    },
    renderer,
    media: zaloMedia({ hosts: config.media.zaloHosts, maxBytes: config.media.maxBytes, timeoutMs: config.media.timeoutMs, ...ctx.zaloMediaSeams }),
    delivery: client ? { sender: new ZaloSender(client), limiter: new PlatformLimiter(zalo.limits) } : undefined,
    webhook: {
      path: ZALO_WEBHOOK_PATH,
      secretHeader: "x-bot-api-secret-token",
      secret,
      register: client ? async (url) => void (await client.call("setWebhook", { url, secret_token: secret })) : undefined,
    },
    poller:
      client && zalo.polling
        ? {
            open: async () => {
              await client.call("deleteWebhook").catch((err: unknown) => log.warn({ err }, "zalo deleteWebhook failed"));
              return async (signal) => {
                try {
                  const update = await client.call("getUpdates", { timeout: "25" }, { timeoutMs: 35_000, signal });
                  return update ? [update as unknown] : [];
                } catch (err) {
                  if (err instanceof ZaloApiError && err.errorCode === 408) return []; // an empty long poll
                  throw err;
                }
              };
            },
          }
        : undefined,
  };
}
