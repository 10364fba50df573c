import type { ChannelMedia } from "../contract.ts";
import { MediaUnavailable } from "../contract.ts";
import { MediaFetchError, fetchPublicMedia, type PublicMediaOptions } from "../mediaFetch.ts";

/**
 * Zalo's files: a tipster's photo or voice note arrives as an HTTPS address on Zalo's file servers.
 * The address comes from an inbound message, so it is not trusted: it is fetched here (the browser
 * never learns it) only on an allowed host (ZALO_MEDIA_HOSTS, `*.zdn.vn` by default), only from a
 * public address, capped in size and time (see `fetchPublicMedia`). Errors do not repeat it.
 */
export function zaloMedia(opts: PublicMediaOptions): ChannelMedia {
  return {
    // Any web address is Zalo's to answer for (the others' refs are file ids and `upload:` names),
    // so a forged `http://` or foreign address is refused here rather than left unexplained.
    holds: (ref) => /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(ref),
    open: async (ref) => {
      try {
        return await fetchPublicMedia(ref, opts);
      } catch (err) {
        if (err instanceof MediaUnavailable) throw err;
        throw new Error(`zalo file ${err instanceof MediaFetchError ? err.message : "download failed: network error"}`);
      }
    },
  };
}
