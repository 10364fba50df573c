import type { Update } from "grammy/types";
import { FakeTelegramApi, tgCallback, tgCommand, tgContact, tgLocation, tgPrivateText, tgUser } from "../fakes/telegramApi.ts";
import { FakeZaloApi, zaloImage, zaloText } from "../fakes/zaloApi.ts";

/** A message the bot sent, as a test reads it. */
export interface BotMessage {
  text: string;
  /** Button labels (inline or reply keyboard), or numbered options on Zalo. */
  options: string[];
  /** Inline button callback data, in order (Telegram). */
  data: string[];
  raw: Record<string, unknown>;
}

function readTelegram(payload: Record<string, unknown>): BotMessage {
  const markup = payload.reply_markup as
    | { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>>; keyboard?: Array<Array<{ text: string }>> }
    | undefined;
  const inline = markup?.inline_keyboard?.flat() ?? [];
  const reply = markup?.keyboard?.flat() ?? [];
  return { text: String(payload.text ?? ""), options: [...inline, ...reply].map((b) => b.text), data: inline.map((b) => b.callback_data), raw: payload };
}

/** A resident talking to the bot on Telegram through the fake API; each action waits for the answer. */
export class TelegramTipster {
  readonly user;
  constructor(
    private readonly fake: FakeTelegramApi,
    readonly chatId: number,
  ) {
    this.user = tgUser(chatId);
  }

  private async exchange(update: Update, replies = 1): Promise<BotMessage> {
    const before = this.fake.delivered(this.chatId).length;
    const res = await this.fake.pushUpdate(update);
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    const all = await this.fake.waitFor(() => {
      const d = this.fake.delivered(this.chatId);
      return d.length >= before + replies ? d : undefined;
    }, 10_000);
    return readTelegram(all[all.length - 1]!.payload);
  }

  /** Every message the bot sent this person. */
  messages(): BotMessage[] {
    return this.fake.delivered(this.chatId).map((c) => readTelegram(c.payload));
  }

  say(text: string, replies = 1) {
    return this.exchange(tgPrivateText(this.chatId, text), replies);
  }
  command(command: string) {
    return this.exchange(tgCommand(this.chatId, command));
  }
  /** Presses the inline button whose label contains `label` in the last message (or callback data `data:`). */
  async press(labelOrData: string, replies = 1): Promise<BotMessage> {
    const last = this.messages().at(-1)!;
    let data = labelOrData.startsWith("data:") ? labelOrData.slice(5) : undefined;
    if (!data) {
      const i = last.options.findIndex((o) => o.includes(labelOrData));
      if (i < 0 || !last.data[i]) throw new Error(`no button "${labelOrData}" in: ${last.options.join(" | ")}`);
      data = last.data[i];
    }
    return this.exchange(tgCallback(this.chatId, data!, 1), replies);
  }
  location(lat: number, lng: number) {
    return this.exchange(tgLocation(this.chatId, lat, lng));
  }
  contact(phone: string) {
    return this.exchange(tgContact(this.chatId, phone, this.user.first_name));
  }
  photo(fileId: string, caption?: string) {
    const update = tgPrivateText(this.chatId, "x") as Update & { message: Record<string, unknown> };
    delete update.message.text;
    update.message.photo = [
      { file_id: `${fileId}-small`, file_unique_id: `${fileId}-s`, width: 90, height: 90 },
      { file_id: fileId, file_unique_id: `${fileId}-l`, width: 1280, height: 960 },
    ];
    if (caption) update.message.caption = caption;
    return this.exchange(update);
  }
  /** Sends a sticker (as Telegram describes one). */
  sticker(fileId = "sticker-1") {
    const update = tgPrivateText(this.chatId, "x") as Update & { message: Record<string, unknown> };
    delete update.message.text;
    update.message.sticker = { file_id: fileId, file_unique_id: `${fileId}-u`, type: "regular", width: 512, height: 512, is_animated: false, is_video: false, emoji: "👍" };
    return this.exchange(update);
  }
  /** Sends a video, voice note, audio file or document (as Telegram describes each). */
  media(kind: "video" | "voice" | "audio" | "document", fileId: string, caption?: string) {
    const update = tgPrivateText(this.chatId, "x") as Update & { message: Record<string, unknown> };
    delete update.message.text;
    const file = { file_id: fileId, file_unique_id: `${fileId}-u` };
    (update.message as Record<string, unknown>)[kind] =
      kind === "video"
        ? { ...file, width: 640, height: 360, duration: 7 }
        : kind === "document"
          ? { ...file, file_name: "sao-ke.pdf", mime_type: "application/pdf" }
          : { ...file, duration: 5, mime_type: kind === "voice" ? "audio/ogg" : "audio/mpeg" };
    if (caption) update.message.caption = caption;
    return this.exchange(update);
  }
}

function readZalo(payload: Record<string, unknown>): BotMessage {
  const text = String(payload.text ?? "");
  const options = [...text.matchAll(/^(\d+)\. (.+)$/gm)].map((m) => m[2]!);
  return { text, options, data: [], raw: payload };
}

/** A resident talking to the bot on Zalo through the fake API (numbered text menus). */
export class ZaloTipster {
  constructor(
    private readonly fake: FakeZaloApi,
    readonly userId: string,
    readonly displayName = "Trần Thị B",
  ) {}

  messages(): BotMessage[] {
    return this.fake.delivered(this.userId).map((c) => readZalo(c.payload));
  }

  private async exchange(event: object, replies = 1): Promise<BotMessage> {
    const before = this.fake.delivered(this.userId).length;
    const res = await this.fake.pushEvent(event);
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    const all = await this.fake.waitFor(() => {
      const d = this.fake.delivered(this.userId);
      return d.length >= before + replies ? d : undefined;
    }, 10_000);
    return readZalo(all[all.length - 1]!.payload);
  }

  say(text: string, replies = 1) {
    return this.exchange(zaloText(this.userId, text, { displayName: this.displayName }), replies);
  }
  /** Answers the last numbered menu with the number of the option containing `label`. */
  async choose(label: string): Promise<BotMessage> {
    const last = this.messages().at(-1)!;
    const i = last.options.findIndex((o) => o.includes(label));
    if (i < 0) throw new Error(`no option "${label}" in: ${last.options.join(" | ")}`);
    return this.say(String(i + 1));
  }
  photo(url: string, caption?: string) {
    return this.exchange(zaloImage(this.userId, url, caption));
  }
}
