import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaUnavailable, type MediaFile } from "../src/channels/contract.ts";
import { hostAllowed, isPublicAddress, readAll, type Lookup } from "../src/channels/mediaFetch.ts";
import { zaloMedia } from "../src/channels/zalo/media.ts";
import { loadConfig } from "../src/config.ts";
import { eventually } from "./helpers/app.ts";
import { zdnCertificate } from "./helpers/zaloCdn.ts";

/*
 * Zalo's file fetcher attacked as a forged or relayed inbound message would: a file address on
 * another host, an allowed name that resolves to a private, loopback or metadata address (a custom
 * resolver stands in for a hostile DNS), a name whose answer changes between check and connection,
 * redirects elsewhere, oversized and stalled bodies. Each is refused with `MediaUnavailable` and
 * the server either sees no request or has its connection closed. A local TLS server (a throwaway
 * certificate for *.zdn.vn) plays Zalo's CDN; the fetcher reaches it through its `dial` seam only
 * after the checks ran on the address the resolver gave.
 */

const CAP = 64 * 1024;
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 9), Buffer.from([0xff, 0xd9])]);
/** Public addresses the fake resolver hands out (never connected to: `dial` sends them to the local server). */
const PUBLIC_V4 = "113.171.230.10";
const PUBLIC_V6 = "2402:800:6310::10";

let server: https.Server;
let port = 0;
let cert = "";
/** Requests the CDN stand-in received (path), and paths whose connection the client closed before the end. */
const served: string[] = [];
const abandoned: string[] = [];
const stalled = new Set<import("node:http").ServerResponse>();

/** The resolver an attacker controls: name → addresses (a function: an answer that changes per call). */
let answers: Record<string, Array<{ address: string; family: number }> | (() => Array<{ address: string; family: number }>)> = {};
const lookups: string[] = [];
const lookup: Lookup = async (host) => {
  lookups.push(host);
  const a = answers[host];
  if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return typeof a === "function" ? a() : a;
};
const v4 = (address: string) => [{ address, family: 4 }];
const dialed: string[] = [];

function media(overrides: { timeoutMs?: number; hosts?: string[] } = {}) {
  return zaloMedia({
    hosts: overrides.hosts ?? ["*.zdn.vn"],
    maxBytes: CAP,
    timeoutMs: overrides.timeoutMs ?? 5_000,
    lookup,
    ca: cert,
    dial: (address) => {
      dialed.push(address);
      return { host: "127.0.0.1", port };
    },
  });
}

/** Opens `ref` and reads it all; the refusal's reason, or the bytes. */
async function fetchAll(ref: string, opts?: Parameters<typeof media>[0]): Promise<{ refused: string } | { bytes: Buffer } | null> {
  let file: MediaFile | null;
  try {
    file = await media(opts).open(ref);
    if (!file) return null;
    return { bytes: await readAll(file.stream) };
  } catch (err) {
    if (err instanceof MediaUnavailable) return { refused: err.reason };
    throw err;
  }
}

beforeAll(() => {
  let key: string;
  ({ cert, key } = zdnCertificate());
  server = https.createServer({ key, cert }, (req, res) => {
    const url = req.url ?? "/";
    served.push(`${req.headers.host}${url}`);
    res.once("close", () => {
      if (!res.writableFinished) abandoned.push(url);
    });
    switch (url) {
      case "/ok.jpg":
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": String(JPEG.length) });
        return res.end(JPEG);
      case "/gone.jpg":
        res.writeHead(404);
        return res.end();
      case "/to-evil":
        res.writeHead(302, { location: "https://evil.example/x.jpg" });
        return res.end();
      case "/to-metadata":
        res.writeHead(301, { location: "https://169.254.169.254/latest/meta-data/" });
        return res.end();
      case "/to-http":
        res.writeHead(302, { location: "http://photo.zdn.vn/ok.jpg" });
        return res.end();
      case "/to-internal":
        res.writeHead(307, { location: "https://internal.zdn.vn/ok.jpg" });
        return res.end();
      case "/to-ok":
        res.writeHead(302, { location: "/ok.jpg" });
        return res.end();
      case "/loop":
        res.writeHead(302, { location: "/loop" });
        return res.end();
      case "/big-declared":
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": String(CAP * 4) });
        res.write(Buffer.alloc(1024));
        stalled.add(res);
        return;
      case "/big-chunked": {
        res.writeHead(200, { "content-type": "image/jpeg" });
        // Far more than the cap, without a length; the client must hang up long before the end.
        let left = 400;
        const more = () => {
          while (left-- > 0) if (!res.write(Buffer.alloc(16 * 1024, 1))) return void res.once("drain", more);
          res.end();
        };
        return more();
      }
      case "/slow-body":
        res.writeHead(200, { "content-type": "image/jpeg" });
        res.write(JPEG.subarray(0, 100));
        stalled.add(res);
        return;
      case "/slow-headers":
        stalled.add(res);
        return;
      default:
        res.writeHead(500);
        return res.end();
    }
  });
  return new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => {
    port = (server.address() as AddressInfo).port;
    resolve();
  }));
});
afterAll(async () => {
  for (const res of stalled) res.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe("which addresses count as public", () => {
  it("refuses private, loopback, link-local, metadata, CGNAT, reserved and disguised v6 forms; admits public ones", () => {
    for (const a of [
      "127.0.0.1", "127.8.9.10", "10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.100.100.200",
      "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.1", "203.0.113.9",
      "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "::ffff:127.0.0.1", "::ffff:a9fe:a9fe", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "ff02::1",
      "not-an-address",
    ])
      expect(isPublicAddress(a), a).toBe(false);
    for (const a of [PUBLIC_V4, "8.8.8.8", "172.32.0.1", "100.128.0.1", PUBLIC_V6, "2001:4860:4860::8888"]) expect(isPublicAddress(a), a).toBe(true);
  });

  it("matches hosts exactly or by *. suffix, never by a look-alike", () => {
    const rules = ["*.zdn.vn", "files.example.vn"];
    expect(hostAllowed("photo-stal-1.zdn.vn", rules)).toBe(true);
    expect(hostAllowed("a.b.zdn.vn", rules)).toBe(true);
    expect(hostAllowed("files.example.vn", rules)).toBe(true);
    for (const h of ["zdn.vn", "evilzdn.vn", "zdn.vn.evil.example", "photo.zdn.vn.evil.example", "x.files.example.vn", "example.vn"]) expect(hostAllowed(h, rules), h).toBe(false);
  });

  it("ZALO_MEDIA_HOSTS defaults to *.zdn.vn and takes names only (no address, port, scheme or path)", () => {
    expect(loadConfig({}).media).toEqual({ zaloHosts: ["*.zdn.vn"], maxBytes: 20 * 1024 * 1024, timeoutMs: 30_000 });
    expect(loadConfig({ ZALO_MEDIA_HOSTS: " *.zdn.vn, Photo.Example.vn " }).media.zaloHosts).toEqual(["*.zdn.vn", "photo.example.vn"]);
    for (const bad of ["169.254.169.254", "*.zdn.vn,10.0.0.1", "photo.zdn.vn:8443", "https://photo.zdn.vn", "photo.zdn.vn/x", "*", "[::1]", ""])
      expect(() => loadConfig({ ZALO_MEDIA_HOSTS: bad }), bad).toThrow(/ZALO_MEDIA_HOSTS/);
  });
});

describe("Zalo file fetch (SSRF)", () => {
  it("fetches a file from an allowed host at the public address it resolved to", async () => {
    answers = { "photo-stal-1.zdn.vn": v4(PUBLIC_V4) };
    dialed.length = 0;
    const got = await fetchAll("https://photo-stal-1.zdn.vn/ok.jpg");
    expect(got).toEqual({ bytes: JPEG });
    expect(dialed).toEqual([PUBLIC_V4]);
    expect(served.at(-1)).toBe("photo-stal-1.zdn.vn/ok.jpg");
    // A file the CDN no longer has is "gone" (null), not an error.
    expect(await fetchAll("https://photo-stal-1.zdn.vn/gone.jpg")).toBeNull();
  });

  it("refuses an address on another host, an IP literal, plain http, another port or credentials: nothing resolved, nothing requested", async () => {
    answers = { "evil.example": v4(PUBLIC_V4), "photo.zdn.vn": v4(PUBLIC_V4) };
    const before = { lookups: lookups.length, served: served.length };
    const cases: Array<[string, string]> = [
      ["https://evil.example/a.jpg", "host"],
      ["https://photo.zdn.vn.evil.example/a.jpg", "host"],
      ["https://evilzdn.vn/a.jpg", "host"],
      ["https://169.254.169.254/latest/meta-data/iam/security-credentials/", "host"],
      ["https://2852039166/latest/meta-data/", "host"], // 169.254.169.254 written as one number
      ["https://[::1]/a.jpg", "host"],
      ["https://[::ffff:127.0.0.1]/a.jpg", "host"],
      ["https://photo.zdn.vn:8443/a.jpg", "host"],
      ["https://user:pass@photo.zdn.vn/a.jpg", "host"],
      ["https://photo.zdn.vn./a.jpg", "host"],
      ["http://photo.zdn.vn/a.jpg", "scheme"],
      ["file:///etc/passwd", "scheme"],
      ["gopher://photo.zdn.vn/_x", "scheme"],
    ];
    for (const [ref, reason] of cases) {
      expect(media().holds(ref), ref).toBe(true);
      expect(await fetchAll(ref), ref).toEqual({ refused: reason });
    }
    expect(lookups.length).toBe(before.lookups);
    expect(served.length).toBe(before.served);
  });

  it("refuses an allowed name that resolves to loopback, metadata, private, link-local or a mix: never connected", async () => {
    answers = {
      "loop.zdn.vn": v4("127.0.0.1"),
      "meta.zdn.vn": v4("169.254.169.254"),
      "lan.zdn.vn": v4("10.1.2.3"),
      "home.zdn.vn": v4("192.168.0.10"),
      "v6.zdn.vn": [{ address: "::1", family: 6 }],
      "aws6.zdn.vn": [{ address: "fd00:ec2::254", family: 6 }],
      "mapped.zdn.vn": [{ address: "::ffff:169.254.169.254", family: 6 }],
      // A public address first and a private one after: refused as a whole.
      "mixed.zdn.vn": [{ address: PUBLIC_V4, family: 4 }, { address: "10.0.0.1", family: 4 }],
      "empty.zdn.vn": [],
    };
    dialed.length = 0;
    const before = served.length;
    for (const host of Object.keys(answers)) expect(await fetchAll(`https://${host}/ok.jpg`), host).toEqual({ refused: "address" });
    expect(dialed).toEqual([]);
    expect(served.length).toBe(before);
  });

  it("tries the checked addresses in order when one does not answer; never an unchecked one", async () => {
    answers = { "dual.zdn.vn": [{ address: PUBLIC_V6, family: 6 }, { address: PUBLIC_V4, family: 4 }] };
    dialed.length = 0;
    const m = zaloMedia({
      hosts: ["*.zdn.vn"], maxBytes: CAP, timeoutMs: 5_000, lookup, ca: cert,
      // The IPv6 address leads nowhere (a closed port); the IPv4 one to the server.
      dial: (address) => (dialed.push(address), { host: "127.0.0.1", port: address === PUBLIC_V6 ? 1 : port }),
    });
    const file = await m.open("https://dual.zdn.vn/ok.jpg");
    expect(await readAll(file!.stream)).toEqual(JPEG);
    expect(dialed).toEqual([PUBLIC_V6, PUBLIC_V4]);
  });

  it("DNS rebinding: the name is resolved once and the connection goes to the address that was checked", async () => {
    let calls = 0;
    // First answer public (passes the check), every later one loopback (what a rebinding server does).
    answers = { "rebind.zdn.vn": () => (calls++ === 0 ? v4(PUBLIC_V4) : v4("127.0.0.1")) };
    dialed.length = 0;
    expect(await fetchAll("https://rebind.zdn.vn/ok.jpg")).toEqual({ bytes: JPEG });
    expect(calls).toBe(1);
    expect(dialed).toEqual([PUBLIC_V4]);
    // Asked again, the second (loopback) answer is what is checked: refused.
    expect(await fetchAll("https://rebind.zdn.vn/ok.jpg")).toEqual({ refused: "address" });
    expect(dialed).toEqual([PUBLIC_V4]);
  });

  it("follows a redirect only to a place passing the same checks; refuses one elsewhere, to metadata, to http, to a private name, or a loop", async () => {
    answers = { "photo.zdn.vn": v4(PUBLIC_V4), "internal.zdn.vn": v4("10.0.0.7"), "evil.example": v4(PUBLIC_V4) };
    expect(await fetchAll("https://photo.zdn.vn/to-ok")).toEqual({ bytes: JPEG });
    const before = served.length;
    expect(await fetchAll("https://photo.zdn.vn/to-evil")).toEqual({ refused: "redirect" });
    expect(await fetchAll("https://photo.zdn.vn/to-metadata")).toEqual({ refused: "redirect" });
    expect(await fetchAll("https://photo.zdn.vn/to-http")).toEqual({ refused: "redirect" });
    expect(await fetchAll("https://photo.zdn.vn/to-internal")).toEqual({ refused: "address" });
    // Only the redirecting requests reached the server: never evil.example, metadata or internal.
    expect(served.slice(before)).toEqual(["photo.zdn.vn/to-evil", "photo.zdn.vn/to-metadata", "photo.zdn.vn/to-http", "photo.zdn.vn/to-internal"]);
    expect(await fetchAll("https://photo.zdn.vn/loop")).toEqual({ refused: "redirect" });
    expect(served.filter((s) => s === "photo.zdn.vn/loop")).toHaveLength(4); // the first request and 3 redirects followed
  });

  it("refuses an oversized body, declared or not, and hangs up", async () => {
    answers = { "photo.zdn.vn": v4(PUBLIC_V4) };
    expect(await fetchAll("https://photo.zdn.vn/big-declared")).toEqual({ refused: "too_big" });
    await eventually(() => abandoned.includes("/big-declared") || undefined, 5_000, "connection closed (declared)");
    expect(await fetchAll("https://photo.zdn.vn/big-chunked")).toEqual({ refused: "too_big" });
    await eventually(() => abandoned.includes("/big-chunked") || undefined, 5_000, "connection closed (chunked)");
  });

  it("refuses a body that stalls or headers that never come within the time limit, and hangs up", async () => {
    answers = { "photo.zdn.vn": v4(PUBLIC_V4), "slowdns.zdn.vn": () => [] };
    expect(await fetchAll("https://photo.zdn.vn/slow-body", { timeoutMs: 400 })).toEqual({ refused: "too_slow" });
    await eventually(() => abandoned.includes("/slow-body") || undefined, 5_000, "connection closed (slow body)");
    expect(await fetchAll("https://photo.zdn.vn/slow-headers", { timeoutMs: 400 })).toEqual({ refused: "too_slow" });
    await eventually(() => abandoned.includes("/slow-headers") || undefined, 5_000, "connection closed (slow headers)");
    // A resolver that never answers is bounded by the same deadline.
    const hung: Lookup = () => new Promise(() => {});
    const m = zaloMedia({ hosts: ["*.zdn.vn"], maxBytes: CAP, timeoutMs: 300, lookup: hung });
    await expect(m.open("https://photo.zdn.vn/ok.jpg")).rejects.toMatchObject({ reason: "too_slow" });
  });

  it("errors name neither the address nor the host", async () => {
    answers = {};
    const err = (await media().open("https://secret-path.zdn.vn/abc123token.jpg").catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).not.toContain("secret-path");
    expect(err.message).not.toContain("abc123token");
    answers = { "photo.zdn.vn": v4(PUBLIC_V4) };
    const status = await media().open("https://photo.zdn.vn/private-name-500").catch((e: unknown) => e as Error);
    expect((status as Error).message).toBe("zalo file download failed: HTTP 500");
  });
});
