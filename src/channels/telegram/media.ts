import { Readable } from "node:stream";
import { GrammyError, type Api } from "grammy";
import type { ChannelMedia } from "../contract.ts";

/** A Telegram file id as the Bot API writes them (no URL, no web upload). */
const FILE_ID = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Telegram's files (a tipster's photo, video, voice note, document, by file id): `getFile` through
 * the bot API, then the download URL — which carries the bot token — fetched here and only here.
 * Errors name neither the URL nor the token.
 */
export function telegramMedia(api: Api, opts: { apiRoot: string; token: string }): ChannelMedia {
  return {
    holds: (ref) => FILE_ID.test(ref),
    open: async (ref) => {
      let path: string | undefined;
      try {
        path = (await api.getFile(ref)).file_path;
      } catch (err) {
        // 400: the file id is unknown or the file is too big for the bot API (20 MB).
        if (err instanceof GrammyError && err.error_code === 400) return null;
        throw new Error(`telegram getFile failed: ${err instanceof GrammyError ? `${err.error_code} ${err.description}` : "network error"}`);
      }
      if (!path) return null;
      let res: Response;
      try {
        res = await fetch(`${opts.apiRoot}/file/bot${opts.token}/${path.split("/").map(encodeURIComponent).join("/")}`);
      } catch {
        throw new Error("telegram file download failed: network error");
      }
      if (res.status === 404) return null;
      if (!res.ok || !res.body) throw new Error(`telegram file download failed: HTTP ${res.status}`);
      return { stream: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), declaredType: res.headers.get("content-type") ?? undefined };
    },
  };
}
