import { Readable } from "node:stream";
import type { ChannelMedia } from "../contract.ts";

/**
 * Zalo's files: a tipster's photo or voice note arrives as an HTTPS address on Zalo's servers. It
 * is fetched here, so the browser never learns it; errors do not repeat it.
 */
export function zaloMedia(): ChannelMedia {
  return {
    holds: (ref) => /^https:\/\/[^\s]+$/.test(ref),
    open: async (ref) => {
      let res: Response;
      try {
        res = await fetch(ref, { signal: AbortSignal.timeout(30_000) });
      } catch {
        throw new Error("zalo file download failed: network error");
      }
      if (res.status === 404 || res.status === 410 || res.status === 403) return null;
      if (!res.ok || !res.body) throw new Error(`zalo file download failed: HTTP ${res.status}`);
      return { stream: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), declaredType: res.headers.get("content-type") ?? undefined };
    },
  };
}
