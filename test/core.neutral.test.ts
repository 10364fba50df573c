import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The core says what should happen (replies, intents); the channels decide how. No platform API
// method, payload field or channel-specific type may appear in src/core.
const CORE = path.resolve(import.meta.dirname, "../src/core");
const FORBIDDEN = [
  // Telegram Bot API methods
  "sendMessage", "editMessageText", "editMessageReplyMarkup", "editMessageCaption", "answerCallbackQuery", "sendPhoto", "sendVideo",
  "sendVoice", "sendAudio", "sendDocument", "sendMediaGroup", "sendLocation", "sendChatAction", "copyMessage", "forwardMessage",
  "deleteMessage", "setMyCommands", "setWebhook", "getUpdates", "getMe",
  // Telegram payload fields
  "reply_markup", "force_reply", "reply_to_message_id", "allow_sending_without_reply", "inline_keyboard", "parse_mode",
  "callback_query", "callback_data", "message_id", "chat_id", "link_preview_options", "text_mention",
  // libraries of the channels
  "grammy", "from \"axios\"",
];

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith(".ts") ? [path.join(dir, d.name)] : []));
}

describe("the core is channel-neutral", () => {
  it("no platform method name, payload field or channel library appears in src/core (comments included)", () => {
    const found: string[] = [];
    for (const file of files(CORE)) {
      const text = fs.readFileSync(file, "utf8");
      text.split("\n").forEach((line, i) => {
        for (const word of FORBIDDEN) if (line.includes(word)) found.push(`${path.relative(CORE, file)}:${i + 1}: ${word}`);
      });
    }
    expect(found).toEqual([]);
  });

  it("the check itself finds a platform name (it would fail on the code it replaced)", () => {
    const sample = `await enqueueCalls(tx, chat, [{ method: "editMessageText", payload: { message_id: 1, reply_markup: { force_reply: true } } }]);`;
    expect(FORBIDDEN.filter((w) => sample.includes(w))).toEqual(["editMessageText", "reply_markup", "force_reply", "message_id"]);
  });
});
