import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";

describe("logs", () => {
  it("never contain bot tokens, in messages, fields, URLs or errors", () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const token = "7654321:AAH-secret_TokenValue";
    const log = createLogger("info", [token, "zalo-token-xyz"], sink);
    log.info(`calling https://api.telegram.org/bot${token}/sendMessage`);
    log.info({ url: `http://x/bot${token}/getMe`, nested: { t: "zalo-token-xyz" } }, "request");
    log.error({ err: new Error(`connect ECONNREFUSED https://api.telegram.org/bot${token}/getMe`) }, "failed");
    log.info({ url: "https://bot-api.zaloplatforms.com/botOTHER:unknown-token/sendMessage" }, "unconfigured token shape");
    const all = lines.join("\n");
    expect(lines).toHaveLength(4);
    expect(all).not.toContain("AAH-secret_TokenValue");
    expect(all).not.toContain("zalo-token-xyz");
    expect(all).not.toContain("unknown-token");
    expect(all).toContain("/bot<redacted>/sendMessage");
  });
});
