import { spawn, type ChildProcess } from "node:child_process";
import { SERVICE_NODE_FLAGS } from "../../src/nodeFlags.ts";
import { fileURLToPath } from "node:url";
import { freePort } from "./app.ts";

/** Root of this checkout (where `src/main.ts` lives): the working directory of spawned services. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The service running as a real child process (`node dist/src/main.js`, built by test/globalSetup.ts, as `npm start` runs it). */
export interface ServiceProcess {
  child: ChildProcess;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<ChildExit>;
  /** The exit once it happened, else undefined. */
  readonly exit: ChildExit | undefined;
  /** Everything the process wrote so far (stdout and stderr interleaved, the last ~256 KB). */
  output(): string;
  /** Resolves with the first output line containing `text` (waits up to `timeoutMs`). */
  waitForOutput(text: string, timeoutMs?: number): Promise<string>;
}

const live = new Set<ServiceProcess>();
const MAX_OUTPUT = 256 * 1024;

/**
 * Spawns the service on `env` (merged over `process.env`; PORT and HOST are filled in) and waits
 * until `GET /healthz` answers 200. Throws with the process output when it exits early or is not
 * healthy within `timeoutMs`. Every process started here is tracked for `killAllServices`.
 */
export async function startService(opts: { env: Record<string, string>; port?: number; timeoutMs?: number }): Promise<ServiceProcess> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, "dist/src/main.js"], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: "127.0.0.1", ...opts.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const watchers: Array<{ text: string; resolve: (line: string) => void }> = [];
  const collect = (prefix: string) => (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    out += prefix ? text.replace(/^(?=.)/gm, prefix) : text;
    if (out.length > MAX_OUTPUT) out = out.slice(out.length - MAX_OUTPUT);
    for (const w of [...watchers]) {
      const line = findLine(out, w.text);
      if (line !== undefined) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.on("data", collect(""));
  child.stderr!.on("data", collect("[stderr] "));
  let exit: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
    child.once("error", (err) => {
      out += `[spawn error] ${String(err)}\n`;
      exit = { code: null, signal: null };
      resolve(exit);
    });
  });
  const svc: ServiceProcess = {
    child,
    url,
    port,
    exited,
    get exit() {
      return exit;
    },
    output: () => out,
    waitForOutput(text, timeoutMs = 10_000) {
      const already = findLine(out, text);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no output line containing ${JSON.stringify(text)} within ${timeoutMs} ms`)), timeoutMs);
        watchers.push({ text, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      });
    },
  };
  live.add(svc);
  void exited.then(() => live.delete(svc));
  try {
    await waitForHealth(svc, opts.timeoutMs ?? 30_000);
  } catch (err) {
    await killService(svc);
    throw err;
  }
  return svc;
}

/**
 * Polls `GET /healthz` until it answers 200. Throws (quoting the process output) when the process
 * exits first or `timeoutMs` passes.
 */
export async function waitForHealth(svc: ServiceProcess, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (svc.exit) throw new Error(`service exited (${describeExit(svc.exit)}) before it was healthy; output:\n${svc.output()}`);
    try {
      const res = await fetch(`${svc.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`service not healthy within ${timeoutMs} ms; output:\n${svc.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Sends `signal` (default SIGKILL) and waits for the process to exit. If it has not exited after
 * `timeoutMs`, it is SIGKILLed. Resolves with how it ended; harmless on a process already gone.
 */
export async function killService(svc: ServiceProcess, signal: NodeJS.Signals = "SIGKILL", timeoutMs = 30_000): Promise<ChildExit> {
  if (svc.exit) return svc.exit;
  svc.child.kill(signal);
  const timer = setTimeout(() => svc.child.kill("SIGKILL"), timeoutMs);
  try {
    return await svc.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** SIGKILLs every service started by `startService` that is still running (for afterAll/finally). */
export async function killAllServices(): Promise<void> {
  await Promise.all([...live].map((svc) => killService(svc, "SIGKILL")));
}

/** "exit code 0", "signal SIGKILL". */
export function describeExit(exit: ChildExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
}

function findLine(out: string, text: string): string | undefined {
  const at = out.indexOf(text);
  if (at < 0) return undefined;
  const start = out.lastIndexOf("\n", at) + 1;
  const end = out.indexOf("\n", at);
  return out.slice(start, end < 0 ? undefined : end);
}
