import type { Translate } from "../../i18n.ts";
import type { Reply } from "../../core/reply.ts";
import type { RenderedReply, ReplyRenderer } from "../../outbox/outbound.ts";
import { splitText } from "../../outbox/split.ts";
import { composeText, offeredChoices, plainIntent } from "../compose.ts";
import type { ChannelCaps, Intent } from "../../core/intents.ts";

/** Zalo's limit on message text (zalo-bot-api.md §6). */
export const ZALO_TEXT_LIMIT = 2000;

/** Renders replies as Zalo text: Zalo bots have no buttons, so choices become a numbered list. */
export class ZaloRenderer implements ReplyRenderer {
  /** Zalo bots cannot ask for a location or a contact, and take photos only. */
  readonly caps: ChannelCaps = { location: false, contact: false, media: "photo" };
  constructor(private readonly t: Translate) {}

  intent(intent: Intent, locale: string): RenderedReply {
    return plainIntent(this, intent, locale);
  }

  render(reply: Reply, locale: string): RenderedReply {
    const offered = offeredChoices(this.t, reply, locale);
    let text = composeText(this.t, reply, locale);
    if (offered.length) {
      const numbers = offered.map((_, i) => String(i + 1));
      const hint =
        numbers.length === 1
          ? this.t(locale, "choices.hint_single", { first: numbers[0] })
          : this.t(locale, "choices.hint_many", { list: numbers.slice(0, -1).join(", "), last: numbers[numbers.length - 1] });
      text += "\n\n" + offered.map((o, i) => `${i + 1}. ${o.label}`).join("\n") + "\n\n" + hint;
    }
    const calls = splitText(text, ZALO_TEXT_LIMIT).map((part) => ({ method: "sendMessage", payload: { text: part }, ...(reply.sensitive ? { sensitive: true } : {}) }));
    return { calls, offered };
  }
}
