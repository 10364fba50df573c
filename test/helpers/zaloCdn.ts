import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Lookup, PublicMediaOptions } from "../../src/channels/mediaFetch.ts";
import { startWithFakes } from "./app.ts";
import { seedCommuneDesk } from "./officers.ts";

/** A public address the stand-in resolver gives every name (never connected to: `dial` sends it to the local server). */
const PUBLIC_V4 = "113.171.230.10";

/**
 * A local TLS server playing Zalo's CDN (a throwaway certificate for *.zdn.vn), reached by the
 * service's Zalo file fetcher through its seams (`lookup`, `dial`, `ca`) only after its checks ran.
 * Every path ending in `.jpg` answers a small JPEG whose bytes name the path (`bytesOf`);
 * `/redirect-evil.jpg` redirects to another host. Records the paths asked and the names resolved.
 */
export interface ZaloCdn {
  seams: Pick<PublicMediaOptions, "lookup" | "dial" | "ca">;
  /** Paths requested (host + path). */
  served: string[];
  /** Names the fetcher resolved. */
  lookups: string[];
  /** The bytes served for `pathname`. */
  bytesOf(pathname: string): Buffer;
  close(): Promise<void>;
}

/** A throwaway self-signed certificate for *.zdn.vn (and its key), made with openssl. */
export function zdnCertificate(): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-cdn-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    "-subj", "/CN=photo.zdn.vn", "-addext", "subjectAltName=DNS:*.zdn.vn,DNS:zdn.vn",
  ], { stdio: "ignore" });
  const cert = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
  const key = fs.readFileSync(path.join(dir, "key.pem"), "utf8");
  fs.rmSync(dir, { recursive: true, force: true });
  return { cert, key };
}

export async function startZaloCdn(): Promise<ZaloCdn> {
  const { cert, key } = zdnCertificate();
  const served: string[] = [];
  const lookups: string[] = [];
  const bytesOf = (pathname: string) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`zalo-cdn:${pathname}`), Buffer.alloc(512, 7), Buffer.from([0xff, 0xd9])]);
  const server = https.createServer({ key, cert }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://cdn.invalid");
    served.push(`${req.headers.host}${url.pathname}`);
    if (url.pathname === "/redirect-evil.jpg") {
      res.writeHead(302, { location: "https://evil.example/stolen.jpg" });
      return res.end();
    }
    if (url.pathname.endsWith(".jpg")) {
      const body = bytesOf(url.pathname);
      res.writeHead(200, { "content-type": "image/jpeg", "content-length": String(body.length) });
      return res.end(body);
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const lookup: Lookup = async (host) => {
    lookups.push(host);
    return [{ address: PUBLIC_V4, family: 4 }];
  };
  return {
    seams: { lookup, ca: cert, dial: () => ({ host: "127.0.0.1", port }) },
    served,
    lookups,
    bytesOf,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The service with the platform fakes, its Zalo file fetcher pointed at the CDN stand-in, and a
 * commune's desk (a bound group with one officer, see seedCommuneDesk); `close` stops all of it.
 */
export async function startDeskWithZaloCdn(desk: { group: number; officer: number }) {
  const cdn = await startZaloCdn();
  const env = await startWithFakes({ zaloMediaSeams: cdn.seams });
  await seedCommuneDesk(env.t.db, desk);
  return {
    ...env,
    cdn,
    async close() {
      await env.close();
      await cdn.close();
    },
  };
}
