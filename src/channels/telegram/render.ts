import type { Translate } from "../../i18n.ts";
import type { OfferedChoice, Reply } from "../../core/reply.ts";
import type { OutboundCall, RenderedReply, ReplyRenderer } from "../../outbox/outbound.ts";
import { splitText } from "../../outbox/split.ts";
import { composeText, offeredChoices } from "../compose.ts";

/** Telegram's limit on message text, in UTF-16 code units. */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** Telegram's limit on callback_data, in bytes. */
export const TELEGRAM_CALLBACK_DATA_LIMIT = 64;

/**
 * Turns the first occurrence of the addressee's name into a text mention of them (a plain-text
 * message, so `entities` carries it; offsets count UTF-16 code units, as JavaScript strings do).
 */
function mention(calls: OutboundCall[], who: { userId: string; name: string }): void {
  const id = Number(who.userId);
  if (!who.name || !Number.isSafeInteger(id)) return;
  for (const call of calls) {
    const text = String(call.payload.text ?? "");
    const offset = text.indexOf(who.name);
    if (offset < 0) continue;
    call.payload.entities = [{ type: "text_mention", offset, length: who.name.length, user: { id, is_bot: false, first_name: who.name } }];
    return;
  }
}

function rows<T>(items: T[], columns: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += columns) out.push(items.slice(i, i + columns));
  return out;
}

/**
 * Renders replies as Telegram messages: choices as inline keyboards, or — when the reply asks for
 * a location or a phone contact, which only reply keyboards can request — as a one-time reply
 * keyboard whose text buttons are matched back to the choices. Long texts are split.
 */
export class TelegramRenderer implements ReplyRenderer {
  constructor(private readonly t: Translate) {}

  render(reply: Reply, locale: string): RenderedReply {
    const offered = offeredChoices(this.t, reply, locale);
    for (const o of offered) {
      if (Buffer.byteLength(o.id, "utf8") > TELEGRAM_CALLBACK_DATA_LIMIT) throw new Error(`choice id too long for Telegram: ${o.id}`);
    }
    const parts = splitText(composeText(this.t, reply, locale), TELEGRAM_TEXT_LIMIT);
    const calls: OutboundCall[] = parts.map((text) => ({ method: "sendMessage", payload: { text }, ...(reply.sensitive ? { sensitive: true } : {}) }));
    if (reply.mention) mention(calls, reply.mention);
    const markup = this.markup(reply, locale, offered);
    if (markup) calls[calls.length - 1]!.payload.reply_markup = markup;
    return { calls, offered };
  }

  private markup(reply: Reply, locale: string, offered: OfferedChoice[]): Record<string, unknown> | undefined {
    if (reply.ask) {
      const request =
        reply.ask === "location"
          ? { text: this.t(locale, "tip:place.share_location"), request_location: true }
          : { text: this.t(locale, "tip:identity.share_contact"), request_contact: true };
      return {
        keyboard: [[request], ...rows(offered.map((o) => ({ text: o.label })), reply.columns ?? 1)],
        resize_keyboard: true,
        one_time_keyboard: true,
      };
    }
    if (offered.length === 0) return undefined;
    return { inline_keyboard: rows(offered.map((o) => ({ text: o.label, callback_data: o.id })), reply.columns ?? 1) };
  }
}
