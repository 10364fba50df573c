import type { Translate } from "../../i18n.ts";
import type { Reply } from "../../core/reply.ts";
import type { RenderedReply, ReplyRenderer } from "../../outbox/outbound.ts";
import { composeText, offeredChoices, plainIntent } from "../compose.ts";
import type { ChannelCaps, Intent } from "../../core/intents.ts";

/** The outbox method of a web chat message. */
export const WEB_MESSAGE_METHOD = "message";

/** A web chat message as stored in the outbox and shown by the page. */
export interface WebMessagePayload {
  text: string;
  /** Buttons, in order. */
  choices: Array<{ id: string; label: string }>;
  /** Show the "send my location" button (the page uses the browser's geolocation). */
  ask?: "location";
  /** Buttons per row (default 1). */
  columns?: number;
  /** The language the message is written in: the page follows it with its own labels. */
  lang: string;
  /** Someone may be in danger: the page shows a large "call 113" button under the message. */
  urgent?: boolean;
  /**
   * The message holds a one-time secret (a tip's code and PIN): the server scrubs it once delivered,
   * so the page keeps it for the browser tab's session only, with a copy button and a warning.
   */
  secret?: boolean;
}

/**
 * Renders replies for the web chat: one message per reply, with its text (no length limit to split
 * for), its choices as buttons and the location request, and whether it is urgent (a "call 113"
 * button) or holds a secret (kept by the page for the tab's session). A phone-contact request has no
 * web equivalent (the person types the number).
 */
export class WebRenderer implements ReplyRenderer {
  /** The page can ask for the browser's location and takes photos; a phone number is typed. */
  readonly caps: ChannelCaps = { location: true, contact: false, media: "photo" };
  constructor(private readonly t: Translate) {}

  intent(intent: Intent, locale: string): RenderedReply {
    return plainIntent(this, intent, locale);
  }

  render(reply: Reply, locale: string): RenderedReply {
    const offered = offeredChoices(this.t, reply, locale);
    const payload: WebMessagePayload = {
      text: composeText(this.t, reply, locale),
      choices: offered,
      ...(reply.ask === "location" ? { ask: "location" as const } : {}),
      ...(reply.columns && reply.columns > 1 ? { columns: reply.columns } : {}),
      lang: locale,
      ...(reply.urgent ? { urgent: true } : {}),
      ...(reply.sensitive ? { secret: true } : {}),
    };
    return {
      calls: [{ method: WEB_MESSAGE_METHOD, payload: payload as unknown as Record<string, unknown>, ...(reply.sensitive ? { sensitive: true } : {}) }],
      offered,
    };
  }
}
