import type { Translate } from "../../i18n.ts";
import type { OfferedChoice, Reply } from "../../core/reply.ts";
import type { ChannelCaps, Intent, MediaKind, MessageRef } from "../../core/intents.ts";
import type { OutboundCall, RenderedReply, ReplyRenderer } from "../../outbox/outbound.ts";
import { splitText } from "../../outbox/split.ts";
import { composeMarked, composeText, expandMarks, offeredChoices, plainMark, type Mark } from "../compose.ts";

/** Telegram's limit on message text, in UTF-16 code units. */
export const TELEGRAM_TEXT_LIMIT = 4096;
/** Telegram's limit on callback_data, in bytes. */
export const TELEGRAM_CALLBACK_DATA_LIMIT = 64;

/** Text made safe inside Telegram HTML: `&`, `<`, `>` (and `"` for attributes) as entities. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const linkable = (m: Mark) => m.kind === "link" && /^https?:\/\/\S+$/i.test(m.url);

/** A mark as Telegram HTML: bold text, or a link (only http/https addresses; anything else stays plain). */
function htmlMark(m: Mark): string {
  if (m.kind === "bold") return `<b>${escapeHtml(m.text)}</b>`;
  if (!linkable(m)) return escapeHtml(plainMark(m));
  return `<a href="${escapeHtml(m.url)}">${escapeHtml(m.text)}</a>`;
}

/** The characters Telegram shows for a mark (what counts against the text limit). */
const shownLength = (m: Mark) => (m.kind === "bold" || linkable(m) ? m.text.length : plainMark(m).length);

/**
 * Turns the first occurrence of the addressee's name into a text mention of them: in a plain-text
 * message through `entities` (offsets count UTF-16 code units, as JavaScript strings do), in an
 * HTML one as a tg://user link.
 */
function mention(calls: OutboundCall[], who: { userId: string; name: string }): void {
  const id = Number(who.userId);
  if (!who.name || !Number.isSafeInteger(id)) return;
  for (const call of calls) {
    const text = String(call.payload.text ?? "");
    if (call.payload.parse_mode === "HTML") {
      // An HTML message takes no entities: the mention is a tg://user link around the (escaped) name.
      const shown = escapeHtml(who.name);
      const at = text.indexOf(shown);
      if (at < 0) continue;
      call.payload.text = `${text.slice(0, at)}<a href="tg://user?id=${id}">${shown}</a>${text.slice(at + shown.length)}`;
      return;
    }
    const offset = text.indexOf(who.name);
    if (offset < 0) continue;
    call.payload.entities = [{ type: "text_mention", offset, length: who.name.length, user: { id, is_bot: false, first_name: who.name } }];
    return;
  }
}

/** Telegram's limit on a media caption. */
const TELEGRAM_CAPTION_LIMIT = 1024;

const MEDIA_METHOD: Record<MediaKind, { method: string; field: string }> = {
  photo: { method: "sendPhoto", field: "photo" },
  video: { method: "sendVideo", field: "video" },
  voice: { method: "sendVoice", field: "voice" },
  audio: { method: "sendAudio", field: "audio" },
  document: { method: "sendDocument", field: "document" },
};

/** A message reference as Telegram's message_id (an outbox row is resolved by the sender once delivered). */
function messageRef(ref: MessageRef): { message_id: number | { $outbox: number } } {
  return { message_id: "outbox" in ref ? { $outbox: ref.outbox } : ref.platform };
}

/** Shown as a reply to `ref` (sent anyway if that message is gone). */
function underMessage(ref: MessageRef): Record<string, unknown> {
  return { reply_to_message_id: messageRef(ref).message_id, allow_sending_without_reply: true };
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
  /** Telegram can ask for a location and a phone contact with buttons, and carries every kind of file. */
  readonly caps: ChannelCaps = { location: true, contact: true, media: "all" };
  constructor(private readonly t: Translate) {}

  intent(intent: Intent, locale: string): RenderedReply {
    switch (intent.kind) {
      case "message": {
        const rendered = this.render(intent.reply, locale);
        const calls = intent.single ? rendered.calls.slice(0, 1) : rendered.calls;
        for (const call of calls) {
          if (intent.under) Object.assign(call.payload, underMessage(intent.under));
          if (intent.answerFrom) {
            // A reply field opened for the person asked to answer (or anyone in the group): shown only to
            // the people the message names or replies to, so it names the one who pressed.
            call.payload.reply_markup = { force_reply: true, ...(intent.answerFrom === "anyone" ? {} : { selective: true }) };
          }
        }
        if (intent.answerFrom && intent.answerFrom !== "anyone") mention(calls, intent.answerFrom);
        return { calls, offered: rendered.offered };
      }
      case "update": {
        const rendered = this.render(intent.reply, locale);
        const first = rendered.calls[0];
        if (!first) return rendered;
        const payload: Record<string, unknown> = { ...messageRef(intent.message), text: first.payload.text };
        if (first.payload.parse_mode) payload.parse_mode = first.payload.parse_mode;
        payload.reply_markup = first.payload.reply_markup ?? { inline_keyboard: [] };
        return { calls: [{ method: "editMessageText", payload }], offered: rendered.offered };
      }
      case "closeChoices":
        return { calls: [{ method: "editMessageReplyMarkup", payload: { ...messageRef(intent.message), reply_markup: { inline_keyboard: [] } } }], offered: [] };
      case "file": {
        const media = MEDIA_METHOD[intent.file.kind];
        const caption = intent.caption ? this.render(intent.caption, locale).calls[0] : undefined;
        const payload: Record<string, unknown> = { [media.field]: intent.file.ref, ...(intent.under ? underMessage(intent.under) : {}) };
        if (caption) {
          payload.caption = String(caption.payload.text).slice(0, TELEGRAM_CAPTION_LIMIT);
          if (caption.payload.parse_mode) payload.parse_mode = caption.payload.parse_mode;
        }
        return { calls: [{ method: media.method, payload }], offered: [] };
      }
      case "image": {
        // Sent as a file upload: the sender loads the bytes by reference ({ $file }); a caption too long
        // for a photo follows it as a message.
        const payload: Record<string, unknown> = { photo: { $file: intent.image.ref, name: intent.image.name }, ...(intent.under ? underMessage(intent.under) : {}) };
        if (!intent.caption) return { calls: [{ method: "sendPhoto", payload }], offered: [] };
        const rendered = this.render(intent.caption, locale);
        const first = rendered.calls[0];
        if (first && rendered.calls.length === 1 && composeText(this.t, intent.caption, locale).length <= TELEGRAM_CAPTION_LIMIT) {
          payload.caption = first.payload.text;
          if (first.payload.parse_mode) payload.parse_mode = first.payload.parse_mode;
          return { calls: [{ method: "sendPhoto", payload }], offered: [] };
        }
        return { calls: [{ method: "sendPhoto", payload }, ...rendered.calls], offered: rendered.offered };
      }
    }
  }

  render(reply: Reply, locale: string): RenderedReply {
    const offered = offeredChoices(this.t, reply, locale);
    for (const o of offered) {
      if (Buffer.byteLength(o.id, "utf8") > TELEGRAM_CALLBACK_DATA_LIMIT) throw new Error(`choice id too long for Telegram: ${o.id}`);
    }
    const calls: OutboundCall[] = this.texts(reply, locale).map((payload) => ({ method: "sendMessage", payload, ...(reply.sensitive ? { sensitive: true } : {}) }));
    const markup = this.markup(reply, locale, offered);
    if (markup) calls[calls.length - 1]!.payload.reply_markup = markup;
    return { calls, offered };
  }

  /**
   * The reply's text as message payloads. A reply with labels, emphasis or links is sent as HTML
   * (parse_mode "HTML") with every other character escaped, so a resident's "<b>" or "</a>" shows
   * as typed; the others as plain text. Parts stay within the limit as Telegram counts it (after
   * entity parsing): each mark is counted at its shown length, and a mark is never cut.
   */
  private texts(reply: Reply, locale: string): Array<Record<string, unknown>> {
    const { text, marks } = composeMarked(this.t, reply, locale);
    if (marks.length === 0) return splitText(text, TELEGRAM_TEXT_LIMIT).map((part) => ({ text: part }));
    // Each mark stands as one character: leave room for the rest of its shown text.
    const extra = marks.reduce((sum, m) => sum + Math.max(0, shownLength(m) - 1), 0);
    const limit = text.length + extra <= TELEGRAM_TEXT_LIMIT ? text.length : Math.max(16, TELEGRAM_TEXT_LIMIT - extra);
    return splitText(text, Math.max(16, limit)).map((part) => ({ text: expandMarks(part, marks, htmlMark, escapeHtml), parse_mode: "HTML" }));
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
