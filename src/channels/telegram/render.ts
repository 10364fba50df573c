import type { Translate } from "../../i18n.ts";
import type { Reply } from "../../core/reply.ts";
import type { OutboundCall, RenderedReply, ReplyRenderer } from "../../outbox/outbound.ts";
import { splitText } from "../../outbox/split.ts";
import { composeText, offeredChoices } from "../compose.ts";

/** Telegram's limit on message text, in UTF-16 code units. */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** Telegram's limit on callback_data, in bytes. */
export const TELEGRAM_CALLBACK_DATA_LIMIT = 64;

/** Renders replies as Telegram messages: inline keyboards for choices, long texts split. */
export class TelegramRenderer implements ReplyRenderer {
  constructor(private readonly t: Translate) {}

  render(reply: Reply, locale: string): RenderedReply {
    const offered = offeredChoices(this.t, reply, locale);
    for (const o of offered) {
      if (Buffer.byteLength(o.id, "utf8") > TELEGRAM_CALLBACK_DATA_LIMIT) throw new Error(`choice id too long for Telegram: ${o.id}`);
    }
    const parts = splitText(composeText(this.t, reply, locale), TELEGRAM_TEXT_LIMIT);
    const calls: OutboundCall[] = parts.map((text) => ({ method: "sendMessage", payload: { text } }));
    const last = calls[calls.length - 1]!;
    if (offered.length) {
      last.payload.reply_markup = { inline_keyboard: offered.map((o) => [{ text: o.label, callback_data: o.id }]) };
    }
    return { calls, offered };
  }
}
