import type { Update } from "grammy/types";
import type { Channel, ChannelContext } from "../contract.ts";
import { webhookSecret } from "../secret.ts";
import { NO_QUIET_HOURS } from "../../core/campaigns/schedule.ts";
import { PlatformLimiter } from "../../outbox/limiter.ts";
import { TelegramBot } from "./bot.ts";
import { isValidTelegramUpdate, telegramIncoming } from "./inbound.ts";
import { TelegramRenderer } from "./render.ts";
import { TelegramSender } from "./sender.ts";
import { BotApiJsonPost } from "./jsonPost.ts";
import { telegramMedia } from "./media.ts";

/** Where Telegram posts its updates. */
export const TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram";

/** The updates we ask Telegram for by webhook. */
const WEBHOOK_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"] as const;
/** The updates we ask Telegram for by long polling (development). */
const POLLED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"] as const;

/**
 * Telegram: residents in private chats, officers and staff in groups (its renderer draws their
 * cards). Without TELEGRAM_BOT_TOKEN only the webhook route remains (answering 503).
 */
export function telegramChannel(ctx: ChannelContext): Channel {
  const { config, log, t, db, metrics } = ctx;
  const tg = config.telegram;
  const webhook = { path: TELEGRAM_WEBHOOK_PATH, secretHeader: "x-telegram-bot-api-secret-token", secret: webhookSecret(tg.webhookSecret, tg.token, "telegram") };
  if (!tg.token) return { name: "telegram", officers: true, receive: telegramIncoming, webhook };

  const renderer = new TelegramRenderer(t);
  const telegram = new TelegramBot({
    token: tg.token,
    apiRoot: tg.apiRoot,
    deps: ctx.inboundDeps(renderer),
    officer: {
      sealer: ctx.sealer,
      places: ctx.places,
      t,
      officerRenderer: renderer,
      renderers: ctx.renderers,
      knowledge: ctx.knowledge,
      quiet: config.campaigns.quietHours ?? NO_QUIET_HOURS,
      codeGuess: config.codeGuess,
      consoleUrl: config.console.url,
      onCodeAlert: (alert) => {
        metrics.codeGuessAlerts.inc({ kind: alert.kind });
        log.warn(alert, alert.reachedAdmins ? "wrong one-time codes: administrators alerted" : "wrong one-time codes: no administrator reachable in private");
      },
    },
    log,
  });
  const api = telegram.bot.api;
  // Officers' cards can show photos sent from the web chat.
  const loadUpload = async (id: string) => {
    const upload = await db.upload.findUnique({ where: { id }, select: { bytes: true, mime: true } });
    return upload ? { bytes: upload.bytes, mime: upload.mime } : null;
  };
  return {
    name: "telegram",
    officers: true,
    receive: telegramIncoming,
    inbound: {
      // Stored updates were checked at ingest; a row stored by an older version may not fit.
      parse: (body) => (isValidTelegramUpdate(body) ? (body as Update) : undefined),
      handle: (tx, update: Update, inboxId) => telegram.process(tx, inboxId, update),
    },
    renderer,
    delivery: { sender: new TelegramSender(api, loadUpload, ctx.files, new BotApiJsonPost(tg.apiRoot, tg.token), ctx.openMedia), limiter: new PlatformLimiter(tg.limits) },
    media: telegramMedia(api, { apiRoot: tg.apiRoot, token: tg.token, maxBytes: ctx.config.media.maxBytes, timeoutMs: ctx.config.media.timeoutMs }),
    webhook: {
      ...webhook,
      register: async (url) => void (await api.setWebhook(url, { secret_token: webhook.secret, allowed_updates: [...WEBHOOK_UPDATES] })),
    },
    poller: tg.polling
      ? {
          open: async () => {
            await api.deleteWebhook();
            let offset = 0;
            return async (signal) => {
              const updates = await api.getUpdates({ offset, timeout: 25, allowed_updates: [...POLLED_UPDATES] }, signal as Parameters<typeof api.getUpdates>[1]);
              // The next call's offset confirms these to Telegram, only after they are stored (or refused).
              const ids = updates.map((u) => u.update_id).filter((id) => Number.isSafeInteger(id));
              if (ids.length) offset = Math.max(...ids) + 1;
              return updates as unknown[];
            };
          },
        }
      : undefined,
    start: async () => {
      await telegram.init();
      await telegram.registerCommandMenus(t);
    },
  };
}
