// Several instances on one PostgreSQL database, locally: `DATABASE_URL=postgresql://… npm run cluster -- 3`.
// Starts N service processes (`node dist/src/main.js`, built by the npm script) on the ports after
// PORT (default 3000), each with CLUSTER_INSTANCE_ID i1…iN, and a round-robin HTTP proxy on PORT in
// front of them (node:http; responses are streamed, so the web chat's event stream works through
// it). Stops everything on Ctrl-C / SIGTERM. See README "Running several instances".
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { SERVICE_NODE_FLAGS } from "../src/nodeFlags.ts";

const count = Number(process.argv[2] ?? 3);
const url = process.env.DATABASE_URL ?? "";
if (!Number.isInteger(count) || count < 1 || count > 32) {
  console.error("usage: npm run cluster -- <instances, 1–32>");
  process.exit(2);
}
if (!/^postgres(ql)?:\/\//.test(url)) {
  console.error("npm run cluster needs DATABASE_URL=postgresql://… (SQLite allows one instance per database file)");
  process.exit(2);
}
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";
const backends = Array.from({ length: count }, (_, i) => ({ id: `i${i + 1}`, port: port + 1 + i }));
const children: ChildProcess[] = [];
let stopping = false;

function start(b: { id: string; port: number }, delayMs = 0): void {
  setTimeout(() => {
    if (stopping) return;
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, "dist/src/main.js"], {
      env: { ...process.env, PORT: String(b.port), HOST: "127.0.0.1", CLUSTER_INSTANCE_ID: b.id },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const prefix = (chunk: Buffer) => chunk.toString("utf8").replace(/^(?=.)/gm, `[${b.id}] `);
    child.stdout!.on("data", (c: Buffer) => process.stdout.write(prefix(c)));
    child.stderr!.on("data", (c: Buffer) => process.stderr.write(prefix(c)));
    child.on("exit", (code, signal) => {
      children.splice(children.indexOf(child), 1);
      console.log(`[cluster] ${b.id} exited (${signal ?? code})`);
      if (code === 1 && !stopping) console.log(`[cluster] ${b.id}: not restarted (configuration or start-up error)`);
    });
    children.push(child);
  }, delayMs);
}

// The first instance migrates the database and loads the reference data; the others start once it answers.
start(backends[0]!);
void (async () => {
  for (;;) {
    if (stopping) return;
    const ok = await fetch(`http://127.0.0.1:${backends[0]!.port}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const b of backends.slice(1)) start(b);
})();

let turn = 0;
// Request bodies are read first (webhooks and uploads are small), so a request refused by a stopped
// instance is sent to the next one; responses are streamed (the web chat's event stream).
const proxy = http.createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const first = (turn = (turn + 1) % backends.length);
  const tryBackend = (attempt: number) => {
    const b = backends[(first + attempt) % backends.length]!;
    const upstream = http.request(
      { host: "127.0.0.1", port: b.port, method: req.method, path: req.url, headers: { ...req.headers, "x-forwarded-for": req.socket.remoteAddress ?? "" } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      if (!res.headersSent && err.code === "ECONNREFUSED" && attempt + 1 < backends.length) return tryBackend(attempt + 1);
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end("no instance answered\n");
      else res.destroy();
    });
    res.on("close", () => upstream.destroy());
    upstream.end(body);
  };
  tryBackend(0);
});
proxy.listen(port, host, () => console.log(`[cluster] ${count} instances on ports ${backends[0]!.port}–${backends.at(-1)!.port}; round-robin proxy on http://${host}:${port}`));

const stop = () => {
  if (stopping) return;
  stopping = true;
  proxy.close();
  for (const child of children) child.kill("SIGTERM");
  const check = setInterval(() => {
    if (children.length === 0) {
      clearInterval(check);
      process.exit(0);
    }
  }, 100);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
