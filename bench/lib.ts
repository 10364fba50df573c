/** Plumbing shared by the benchmarks that run the service as a child process. */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { SERVICE_NODE_FLAGS } from "../src/nodeFlags.ts";

/** `--name=value` or `--name value`; "" for a bare flag; undefined when absent. */
export function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const prefix = `--${name}`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith(`${prefix}=`)) return arg.slice(prefix.length + 1);
    if (arg === prefix) {
      const next = args[i + 1];
      return next !== undefined && !next.startsWith("--") ? next : "";
    }
  }
  return undefined;
}

/** A positive whole number option (`_` allowed as a separator), or undefined when absent. */
export function intOption(name: string): number | undefined {
  const v = option(name);
  if (v === undefined || v === "") return undefined;
  const n = Number(v.replace(/_/g, ""));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Waits until `GET url/healthz` answers 2xx (the service checks its database there). */
export async function waitForHealth(url: string, label: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`${label}: /healthz not OK within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The node flags of a bench's server children: the service's own (src/nodeFlags.ts, as `npm start`
 * runs it), then BENCH_NODE_FLAGS (environment, space-separated: flags to try, e.g. `--trace-gc`,
 * which NODE_OPTIONS refuses).
 */
export function serverNodeFlags(): string[] {
  return [...SERVICE_NODE_FLAGS, ...(process.env.BENCH_NODE_FLAGS ?? "").split(/\s+/).filter(Boolean)];
}

/**
 * Spawns a server child of a bench: `node [serverNodeFlags] …args` in `cwd`, its output appended to
 * `logFile`, with an IPC channel (the child sends `{ ready: url }`); kept in `children` until it exits.
 */
export function spawnServer(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; children: Set<ChildProcess> }): ChildProcess {
  const log = fs.openSync(opts.logFile, "a");
  const child = spawn(process.execPath, [...serverNodeFlags(), ...args], { cwd: opts.cwd, env: opts.env, stdio: ["ignore", log, log, "ipc"] });
  fs.closeSync(log);
  opts.children.add(child);
  child.once("exit", () => opts.children.delete(child));
  return child;
}

/**
 * Waits until a child started by `spawnServer` sends `{ ready: url }` and its /healthz answers;
 * returns the url. Rejects, with the log's tail, when it exits first or is not ready within 120 s.
 */
export async function serverReady(child: ChildProcess, logFile: string, label: string): Promise<string> {
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within 120 s:\n${logTail(logFile)}`)), 120_000);
    child.once("message", (msg: { ready?: string }) => {
      clearTimeout(timer);
      if (msg.ready) resolve(msg.ready);
      else reject(new Error(`unexpected message from ${label}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}) before it was ready:\n${logTail(logFile)}`));
    });
  });
  await waitForHealth(url, label);
  return url;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Kills the bench's children and removes its temporary folder once, when the bench exits or is
 * interrupted (SIGINT/SIGTERM: exit 130); `keep` leaves the folder (named on stderr). Returns the
 * clean-up, for the bench's own ending.
 */
export function cleanUpOnExit(children: Iterable<ChildProcess>, dir: string, keep = false): () => void {
  let done = false;
  const cleanup = (): void => {
    if (done) return;
    done = true;
    for (const child of children) child.kill("SIGKILL");
    if (keep) process.stderr.write(`kept ${dir}\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", cleanup);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
  return cleanup;
}

/** Runs the bench's `main`, then `cleanup` (its children and temporary folder), and exits with main's code (1, the error printed, if it threw). */
export function runBench(main: () => Promise<number>, cleanup: () => void): void {
  main().then(
    (code) => {
      cleanup();
      process.exit(code);
    },
    (err: unknown) => {
      console.error(err);
      cleanup();
      process.exit(1);
    },
  );
}
