import { Readable } from "node:stream";
import { GrammyError, type Api } from "grammy";
import { MediaUnavailable, type ChannelMedia } from "../contract.ts";
import { Deadline, guardedBody } from "../mediaFetch.ts";

/** A Telegram file id as the Bot API writes them (no URL, no web upload). */
export const TELEGRAM_FILE_ID = /^[A-Za-z0-9_-]{1,256}$/;

/** How Telegram's files are fetched: the Bot API server, the token, and the size and time limits. */
export interface TelegramMediaOptions {
  apiRoot: string;
  token: string;
  /** Largest file read (bytes; bots may download up to 20 MB). */
  maxBytes: number;
  /** The whole download's time limit, getFile included (ms). */
  timeoutMs: number;
}

/**
 * Telegram's files (a tipster's photo, video, voice note, document, by file id): `getFile` through
 * the bot API, then the download URL — which carries the bot token — fetched here and only here,
 * under one deadline and a size cap (a hung or endless download holds no request). Errors name
 * neither the URL nor the token.
 */
export function telegramMedia(api: Api, opts: TelegramMediaOptions): ChannelMedia {
  return {
    holds: (ref) => TELEGRAM_FILE_ID.test(ref),
    open: async (ref) => {
      const deadline = new Deadline(opts.timeoutMs);
      try {
        let file: { file_path?: string; file_size?: number };
        try {
          file = await deadline.race(api.getFile(ref, deadline.signal as Parameters<typeof api.getFile>[1]));
        } catch (err) {
          if (err instanceof MediaUnavailable) throw err;
          if (deadline.expired) throw new MediaUnavailable("too_slow");
          // 400: the file id is unknown or the file is too big for the bot API (20 MB).
          if (err instanceof GrammyError && err.error_code === 400) return done(deadline, null);
          throw new Error(`telegram getFile failed: ${err instanceof GrammyError ? `${err.error_code} ${err.description}` : "network error"}`);
        }
        if (!file.file_path) return done(deadline, null);
        if (file.file_size !== undefined && file.file_size > opts.maxBytes) throw new MediaUnavailable("too_big");
        let res: Response;
        try {
          const path = file.file_path.split("/").map(encodeURIComponent).join("/");
          res = await deadline.race(fetch(`${opts.apiRoot}/file/bot${opts.token}/${path}`, { signal: deadline.signal, redirect: "manual" }));
        } catch (err) {
          if (err instanceof MediaUnavailable) throw err;
          if (deadline.expired) throw new MediaUnavailable("too_slow");
          throw new Error("telegram file download failed: network error");
        }
        if (res.status === 404) {
          await res.body?.cancel().catch(() => undefined);
          return done(deadline, null);
        }
        if (!res.ok || !res.body) {
          await res.body?.cancel().catch(() => undefined);
          throw new Error(`telegram file download failed: HTTP ${res.status}`);
        }
        const declared = Number(res.headers.get("content-length"));
        if (Number.isFinite(declared) && declared > opts.maxBytes) {
          await res.body.cancel().catch(() => undefined);
          throw new MediaUnavailable("too_big");
        }
        const body = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream);
        return { stream: guardedBody(body, { maxBytes: opts.maxBytes, deadline }), declaredType: res.headers.get("content-type") ?? undefined };
      } catch (err) {
        deadline.clear();
        throw err;
      }
    },
  };
}

function done<T>(deadline: Deadline, value: T): T {
  deadline.clear();
  return value;
}
