/**
 * Idle memory benchmark: how much memory the service holds once started and idle.
 *
 *   npm run bench:idle                    build, then start the compiled service three times and report
 *   npm run bench:idle -- --runs 5        more starts
 *   npm run bench:idle -- --settle 30     seconds to wait once healthy before reading (default 20)
 *   npm run bench:idle -- --keep          keep the temporary folder (database, service logs)
 *
 * Each run starts `node dist/src/main.js` exactly as `npm start` does (same V8 flags: src/runtime.ts
 * applies them itself), on a fresh SQLite file in a temporary folder (migrations, reference data and
 * the knowledge base loaded on that first start), with Telegram enabled against a fake Bot API
 * (getMe and setMyCommands answered here; no webhook registered). Once /healthz answers, it waits
 * `--settle` seconds with nothing arriving, then reads the process's RSS and VmHWM from /proc and —
 * through a small probe module given with `--import` that answers over the IPC channel —
 * `process.memoryUsage()` and the V8 heap spaces. The same figures for a bare Node.js process
 * (`setInterval` only) in the same run are the floor. The goal (issue 15): idle RSS ≤ 150 MB.
 *
 * Exits non-zero only on errors (a service that did not start or exited), never because a goal was missed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FakeTelegramApi } from "../test/fakes/telegramApi.ts";
import { intOption, logTail, option, serverNodeFlags, stopChild, waitForHealth } from "./lib.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MAIN = path.join(ROOT, "dist", "src", "main.js");
if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm run bench:idle does)`);
const KNOWN = new Set(["runs", "settle", "keep"]);
for (const arg of process.argv.slice(2)) {
  const m = /^--([a-z-]+)/.exec(arg);
  if (m && !KNOWN.has(m[1]!)) throw new Error(`unknown option ${arg}`);
}
const RUNS = intOption("runs") ?? 3;
const SETTLE_S = intOption("settle") ?? 20;
const KEEP = option("keep") !== undefined;
const GOAL_MB = 150;
const LOAD_AT_START = os.loadavg()[0]!;

const mb = (bytes: number) => bytes / 1048576;
const fmt = (n: number, d = 0) => n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function progress(msg: string): void {
  process.stderr.write(`[bench:idle ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Answers `{ probe: true }` over IPC with the process's own memory figures; loaded with --import. */
const PROBE = `
import v8 from "node:v8";
process.on("message", (msg) => {
  if (!msg || msg.probe !== true) return;
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
  process.send({ probe: { memory: process.memoryUsage(), heap: v8.getHeapStatistics(), spaces } });
});
// Never keeps the process alive by itself.
process.channel?.unref?.();
`;

interface Probe {
  memory: NodeJS.MemoryUsage;
  heap: { total_heap_size: number; used_heap_size: number; malloced_memory: number; external_memory: number };
  spaces: Record<string, number>;
}

interface Reading {
  rss: number;
  hwm: number;
  startSeconds: number;
  probe: Probe;
}

function procMemory(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function probe(child: ChildProcess): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the probe did not answer within 10 s")), 10_000);
    const onMessage = (msg: { probe?: Probe }) => {
      if (!msg?.probe) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(msg.probe);
    };
    child.on("message", onMessage);
    child.send({ probe: true });
  });
}

/** Starts `args` with the probe, waits `settleMs` (after `ready`), reads its memory, stops it. */
async function measure(label: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, probeFile: string, ready: (port: number) => Promise<void>, port: number): Promise<Reading> {
  const log = fs.openSync(logFile, "a");
  const started = performance.now();
  const child = spawn(process.execPath, [...serverNodeFlags(), "--import", probeFile, ...args], { cwd: ROOT, env, stdio: ["ignore", log, log, "ipc"] });
  fs.closeSync(log);
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `${code ?? signal}`));
  try {
    await ready(port);
    const startSeconds = (performance.now() - started) / 1000;
    await sleep(SETTLE_S * 1000);
    if (exited !== undefined) throw new Error(`${label} exited (${exited}):\n${logTail(logFile)}`);
    const p = await probe(child);
    const m = procMemory(child.pid!);
    return { ...m, startSeconds, probe: p };
  } catch (err) {
    throw new Error(`${label}: ${String((err as Error).message ?? err)}\n${logTail(logFile)}`);
  } finally {
    await stopChild(child, 20_000);
  }
}

async function main(): Promise<number> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "taimat-bench-idle-"));
  const probeFile = path.join(tmp, "probe.mjs");
  fs.writeFileSync(probeFile, PROBE);
  const fake = new FakeTelegramApi();
  await fake.listen();
  const service: Reading[] = [];
  const bare: Reading[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const dir = fs.mkdtempSync(path.join(tmp, `run-${i + 1}-`));
      const port = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "info",
        PUBLIC_URL: "",
        DATABASE_URL: `file:${path.join(dir, "idle.db")}`,
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_WEBHOOK_SECRET: "bench-idle-secret",
        TELEGRAM_API_ROOT: fake.apiRoot,
        TELEGRAM_POLLING: "false",
        ZALO_BOT_TOKEN: "",
        ENCRYPTION_KEYS: "",
        ENCRYPTION_KEY_FILE: path.join(dir, "encryption.key"),
      };
      progress(`run ${i + 1}/${RUNS}: starting the service on a fresh SQLite file (${dir})`);
      const r = await measure("service", [MAIN], env, path.join(dir, "service.log"), probeFile, (p) => waitForHealth(`http://127.0.0.1:${p}`, "service", 120_000), port);
      progress(`  healthy after ${fmt(r.startSeconds, 1)} s; after ${SETTLE_S} s idle: RSS ${fmt(mb(r.rss), 1)} MB`);
      service.push(r);
      const b = await measure("bare node", ["-e", "setInterval(() => {}, 1000)"], process.env, path.join(dir, "bare.log"), probeFile, async () => {}, 0);
      bare.push(b);
    }
  } finally {
    await fake.close();
    if (!KEEP) fs.rmSync(tmp, { recursive: true, force: true });
    else progress(`kept ${tmp}`);
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const row = (label: string, rs: Reading[]) => {
    const pick = (f: (r: Reading) => number) => `${fmt(mb(median(rs.map(f))), 1)}`;
    return (
      `${label.padEnd(10)} RSS ${pick((r) => r.rss)} MB (runs: ${rs.map((r) => fmt(mb(r.rss), 1)).join(", ")}); VmHWM ${pick((r) => r.hwm)} MB; ` +
      `JS heap ${pick((r) => r.probe.memory.heapUsed)} used / ${pick((r) => r.probe.memory.heapTotal)} total; ` +
      `external ${pick((r) => r.probe.memory.external)} (array buffers ${pick((r) => r.probe.memory.arrayBuffers)}); V8 malloced ${pick((r) => r.probe.heap.malloced_memory)}`
    );
  };
  const loadEnd = os.loadavg()[0]!;
  const lines = [
    "",
    `Idle memory — the compiled service (node dist/src/main.js, as npm start runs it) on a fresh SQLite file, Telegram enabled against a fake Bot API, read ${SETTLE_S} s after /healthz first answered; median of ${RUNS} starts; node ${process.version}, ${os.cpus().length} CPUs`,
    row("service", service),
    row("bare node", bare),
    `service minus bare node: ${fmt(mb(median(service.map((r) => r.rss)) - median(bare.map((r) => r.rss))), 1)} MB RSS`,
    `service JS heap by space (MB, median): ${Object.keys(service[0]!.probe.spaces)
      .map((s) => `${s.replace(/_space$/, "")} ${fmt(mb(median(service.map((r) => r.probe.spaces[s] ?? 0))), 1)}`)
      .join(", ")}`,
    `start-up (spawn → healthy): median ${fmt(median(service.map((r) => r.startSeconds)), 1)} s`,
    `machine load average (1 min): ${fmt(LOAD_AT_START, 2)} at start, ${fmt(loadEnd, 2)} at end` +
      (Math.max(LOAD_AT_START, loadEnd) > os.cpus().length / 2 ? " — other processes were using the CPUs (memory figures are little affected; start-up times are)" : ""),
  ];
  const rss = mb(median(service.map((r) => r.rss)));
  lines.push(`goal: idle RSS ≤ ${GOAL_MB} MB — ${rss <= GOAL_MB ? "met" : "NOT met"} (${fmt(rss, 1)} MB)`);
  console.log(lines.join("\n"));
  console.log(
    `JSON ${JSON.stringify({
      bench: "idle",
      date: new Date().toISOString(),
      node: process.version,
      runs: RUNS,
      settleSeconds: SETTLE_S,
      rssMb: Math.round(rss * 10) / 10,
      rssRunsMb: service.map((r) => Math.round(mb(r.rss) * 10) / 10),
      heapUsedMb: Math.round(mb(median(service.map((r) => r.probe.memory.heapUsed))) * 10) / 10,
      bareNodeRssMb: Math.round(mb(median(bare.map((r) => r.rss))) * 10) / 10,
      goalMet: rss <= GOAL_MB,
    })}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
