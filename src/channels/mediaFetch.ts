import dns from "node:dns/promises";
import type http from "node:http";
import https from "node:https";
import net from "node:net";
import { Readable } from "node:stream";
import { MediaUnavailable, type MediaFetchSeams, type MediaFile } from "./contract.ts";

/**
 * Safe downloads of a platform's files (a Zalo photo URL named by an inbound message): only HTTPS
 * on the default port, only to an allowed host, only to a public address — the name is resolved,
 * every address checked, and the connection made to the checked address (so a DNS answer that
 * changes between the check and the connection cannot point it elsewhere) — redirects only to
 * places passing the same checks, a size cap and one deadline for the whole download.
 */

/** Address ranges a download never connects to: private, loopback, link-local (cloud metadata), shared, reserved, documentation, multicast. */
const BLOCKED = new net.BlockList();
for (const [prefix, bits] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT (Alibaba's metadata 100.100.100.200)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local (169.254.169.254: AWS, GCP, Azure metadata)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const)
  BLOCKED.addSubnet(prefix, bits, "ipv4");
for (const [prefix, bits] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback (IPv4-mapped forms, ::ffff:a.b.c.d, are checked by BlockList against the v4 ranges)
  ["64:ff9b::", 96], // NAT64 (likewise)
  ["64:ff9b:1::", 48], // local NAT64
  ["100::", 64], // discard
  ["2001::", 23], // IETF protocol assignments (Teredo and others)
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4 (embeds a v4 address)
  ["fc00::", 7], // unique local (AWS metadata fd00:ec2::254)
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const)
  BLOCKED.addSubnet(prefix, bits, "ipv6");

/** Whether `address` (an IP address) is a public unicast address a download may connect to. */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return !BLOCKED.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * Whether `host` (lower case) is allowed by `rules`: an entry `photo.zdn.vn` allows that name only,
 * `*.zdn.vn` any name under zdn.vn (not zdn.vn itself).
 */
export function hostAllowed(host: string, rules: readonly string[]): boolean {
  return rules.some((rule) => (rule.startsWith("*.") ? host.endsWith(rule.slice(1)) && host.length > rule.length - 1 : host === rule));
}

/** One deadline for a whole download (resolution, connection, redirects, every byte of the body). */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly listeners: Array<() => void> = [];
  /** Whether the time ran out. */
  expired = false;

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new MediaUnavailable("too_slow"));
      for (const listener of this.listeners.splice(0)) listener();
    }, ms);
    this.timer.unref();
  }

  /** Aborted when the time runs out. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Calls `listener` when the time runs out (not after `clear`). */
  onExpire(listener: () => void): void {
    if (this.expired) listener();
    else this.listeners.push(listener);
  }

  /** The download is over: the timer stops. */
  clear(): void {
    clearTimeout(this.timer);
    this.listeners.length = 0;
  }

  /** Waits for `work` unless the time runs out first (then `MediaUnavailable("too_slow")`). */
  async race<T>(work: Promise<T>): Promise<T> {
    if (this.expired) throw new MediaUnavailable("too_slow");
    return new Promise<T>((resolve, reject) => {
      this.onExpire(() => reject(new MediaUnavailable("too_slow")));
      work.then(resolve, reject);
    });
  }
}

/**
 * The body of a download as the caller reads it: it errors with `MediaUnavailable("too_big")` past
 * `maxBytes` and with `MediaUnavailable("too_slow")` when the deadline passes (the source is then
 * destroyed: a stalled server holds nothing). The deadline is cleared when the body ends.
 */
export function guardedBody(source: Readable, limits: { maxBytes: number; deadline: Deadline }): Readable {
  const { maxBytes, deadline } = limits;
  deadline.onExpire(() => source.destroy(new MediaUnavailable("too_slow")));
  async function* read() {
    let seen = 0;
    try {
      for await (const chunk of source) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        seen += bytes.length;
        if (seen > maxBytes) throw new MediaUnavailable("too_big");
        yield bytes;
      }
    } catch (err) {
      if (err instanceof MediaUnavailable) throw err;
      if (deadline.expired) throw new MediaUnavailable("too_slow");
      throw err;
    } finally {
      deadline.clear();
      source.destroy();
    }
  }
  return Readable.from(read(), { objectMode: false });
}

/** Every address of a host name (the system resolver by default). */
export type Lookup = NonNullable<MediaFetchSeams["lookup"]>;

const systemLookup: Lookup = (host) => dns.lookup(host, { all: true, verbatim: true });

/** How a platform's files are fetched. */
export interface PublicMediaOptions extends MediaFetchSeams {
  /** Allowed host names (`photo.zdn.vn`, `*.zdn.vn`). */
  hosts: readonly string[];
  /** Largest file read (bytes). */
  maxBytes: number;
  /** The whole download's time limit (ms). */
  timeoutMs: number;
  /** Redirects followed (each checked like the first address); default 3. */
  maxRedirects?: number;
}

/** A failure that is not a refusal (network, HTTP status); its message names neither the address nor a host. */
export class MediaFetchError extends Error {}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const GONE = new Set([403, 404, 410]);

/** The refusal (if any) of an address before anything is resolved: scheme, port, credentials, IP literals, the host list. */
function refusalOf(url: URL, hosts: readonly string[]): MediaUnavailable | undefined {
  if (url.protocol !== "https:") return new MediaUnavailable("scheme");
  if (url.username || url.password || url.port !== "") return new MediaUnavailable("host");
  const host = url.hostname;
  if (!host || host.endsWith(".") || host.startsWith("[") || net.isIP(host)) return new MediaUnavailable("host");
  if (!hostAllowed(host, hosts)) return new MediaUnavailable("host");
  return undefined;
}

/**
 * Longest platform file address accepted (characters). Zalo's CDN links are a few hundred
 * characters; the inbound schema takes up to 4,096 (ZALO_LIMITS.url), anything between is refused
 * as a file (the message's words are still kept), anything over it refuses the whole update.
 */
export const MEDIA_ADDRESS_MAX = 2_048;

/** Why an address is not accepted as a platform file, judged on its text alone (no name resolved). */
export type AddressRefusal = "too_long" | "scheme" | "host";

/**
 * Checks a file address named by an inbound message before it is stored or forwarded: at most
 * MEDIA_ADDRESS_MAX characters, HTTPS on the default port, no credentials, a DNS name (never an
 * IP literal) allowed by `hosts`. Undefined when it passes; where the name resolves to is checked
 * when the file is fetched (`fetchPublicMedia`).
 */
export function mediaAddressRefusal(ref: string, hosts: readonly string[]): AddressRefusal | undefined {
  if (ref.length > MEDIA_ADDRESS_MAX) return "too_long";
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    return "scheme";
  }
  const refused = refusalOf(url, hosts);
  return refused ? (refused.reason === "scheme" ? "scheme" : "host") : undefined;
}

/** One GET to the checked address (TLS checked against the host name), within the deadline. */
function get(url: URL, address: string, opts: PublicMediaOptions, deadline: Deadline): Promise<http.IncomingMessage> {
  const target = opts.dial ? opts.dial(address, 443) : { host: address, port: 443 };
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: target.host,
      port: target.port,
      servername: url.hostname,
      path: `${url.pathname}${url.search}`,
      method: "GET",
      headers: { host: url.hostname, accept: "image/*, audio/*, video/*, */*;q=0.5", "user-agent": "TaiMat-media/1" },
      agent: false,
      ca: opts.ca,
      signal: deadline.signal,
    });
    req.once("response", resolve);
    req.once("error", reject);
    req.end();
  });
}

/**
 * Fetches `ref` under the rules above. Null when the platform says the file is gone (403, 404,
 * 410); throws `MediaUnavailable` for a refused address, redirect, size or time, and
 * `MediaFetchError` for any other failure. Nothing is kept: the body is handed over as a stream.
 */
export async function fetchPublicMedia(ref: string, opts: PublicMediaOptions): Promise<MediaFile | null> {
  if (ref.length > MEDIA_ADDRESS_MAX) throw new MediaUnavailable("host");
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    throw new MediaUnavailable("scheme");
  }
  const first = refusalOf(url, opts.hosts);
  if (first) throw first;
  const deadline = new Deadline(opts.timeoutMs);
  const lookup = opts.lookup ?? systemLookup;
  try {
    for (let hop = 0; ; hop++) {
      let addresses: Array<{ address: string; family: number }>;
      try {
        addresses = await deadline.race(lookup(url.hostname));
      } catch (err) {
        if (err instanceof MediaUnavailable) throw err;
        throw new MediaFetchError("download failed: name not resolved");
      }
      // Any private answer refuses the name: a mixed answer is an attempt, not an accident.
      if (!addresses.length || !addresses.every((a) => isPublicAddress(a.address))) throw new MediaUnavailable("address");
      let res: http.IncomingMessage | undefined;
      // Each checked address in the resolver's order until one answers (an unreachable IPv6 first).
      for (const { address } of addresses) {
        try {
          res = await deadline.race(get(url, address, opts, deadline));
          break;
        } catch (err) {
          if (err instanceof MediaUnavailable) throw err;
          if (deadline.expired) throw new MediaUnavailable("too_slow");
        }
      }
      if (!res) throw new MediaFetchError("download failed: network error");
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        res.destroy();
        const location = res.headers.location;
        let next: URL;
        try {
          next = new URL(location ?? "", url);
        } catch {
          throw new MediaUnavailable("redirect");
        }
        if (!location || hop >= (opts.maxRedirects ?? 3) || refusalOf(next, opts.hosts)) throw new MediaUnavailable("redirect");
        url = next;
        continue;
      }
      if (GONE.has(status)) {
        res.destroy();
        deadline.clear();
        return null;
      }
      if (status < 200 || status > 299) {
        res.destroy();
        throw new MediaFetchError(`download failed: HTTP ${status}`);
      }
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        res.destroy();
        throw new MediaUnavailable("too_big");
      }
      return { stream: guardedBody(res, { maxBytes: opts.maxBytes, deadline }), declaredType: res.headers["content-type"] };
    }
  } catch (err) {
    deadline.clear();
    throw err;
  }
}

/** Reads a file's whole stream into memory (it is capped by its channel): a refusal or failure surfaces before anything is answered. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
