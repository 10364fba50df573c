import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BUSY_PENDING, BUSY_RATE, CALM_MS, HeapMode } from "../src/heapMode.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

/** A HeapMode whose switches are recorded; readings one second apart. */
function governed(canSwitch = true) {
  const applied: boolean[] = [];
  const mode = new HeapMode({ apply: (fast) => (canSwitch ? (applied.push(fast), true) : false) });
  let now = 0;
  let processed = 0;
  const second = (pending: number, rate: number) => {
    now += 1000;
    processed += rate;
    mode.observe({ pending, processed }, now);
  };
  return { mode, applied, second };
}

describe("the heap's mode follows the inbox's load", () => {
  it("idles lean; a backlog makes it fast at once, and it stays fast until the inbox has been calm for half a minute", () => {
    const { mode, applied, second } = governed();
    for (let i = 0; i < 60; i++) second(3, 2); // a quiet service: a few updates now and then
    expect(applied).toEqual([]);
    second(BUSY_PENDING + 500, 0); // a platform redelivers its backlog
    expect(applied).toEqual([true]);
    for (let i = 0; i < 20; i++) second(400, 300); // worked off at full speed
    second(0, 40); // the backlog gone; the last of it
    expect(mode.isFast).toBe(true);
    for (let i = 1; i < CALM_MS / 1000; i++) second(0, 1);
    expect(applied).toEqual([true]); // 29 calm seconds: still fast
    second(0, 1);
    second(0, 1);
    expect(applied).toEqual([true, false]);
    expect(mode.isFast).toBe(false);
  });

  it("a steady flood processed as it comes (no backlog) counts as busy by its rate", () => {
    const { applied, second } = governed();
    second(5, BUSY_RATE - 1);
    second(5, BUSY_RATE - 1);
    expect(applied).toEqual([]);
    second(5, BUSY_RATE);
    expect(applied).toEqual([true]);
  });

  it("a load between busy and calm neither starts the calm countdown nor switches back and forth", () => {
    const { applied, second } = governed();
    second(1000, 0);
    for (let i = 0; i < 120; i++) second(50, 50); // two minutes of a moderate stream
    expect(applied).toEqual([true]);
    for (let i = 0; i < 20; i++) second(0, 0);
    second(60, 60); // a short burst resets the countdown
    for (let i = 0; i < 20; i++) second(0, 0);
    expect(applied).toEqual([true]);
    for (let i = 0; i < 15; i++) second(0, 0);
    expect(applied).toEqual([true, false]);
  });

  it("does nothing when the process runs with the operator's own V8 flags", () => {
    const { mode, applied, second } = governed(false);
    second(5000, 500);
    second(5000, 500);
    expect(applied).toEqual([]);
    expect(mode.isFast).toBe(false);
    expect(mode.switches).toBe(0);
  });
});

/**
 * Runs a churn of short-lived and mid-lived objects (what processing updates allocates) in a fresh
 * node process with the service's V8 settings (src/runtime.ts), lean, then fast, then lean again,
 * and reports the full collections and scavenges each phase took.
 */
function gcByPhase(env: NodeJS.ProcessEnv): { switched: boolean[]; phases: Array<{ major: number; minor: number }> } {
  const script = `
    const { setHeapFast } = await import(${JSON.stringify(path.join(ROOT, "src/runtime.ts"))});
    const { PerformanceObserver, constants } = await import("node:perf_hooks");
    let major = 0, minor = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) { if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++; else if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++; } }).observe({ entryTypes: ["gc"] });
    const live = Array.from({ length: 200000 }, (_, i) => ({ i, s: "resident " + i })); // ~20 MB kept, as the service's reference data
    const tick = () => new Promise((r) => setImmediate(r));
    const churn = async () => {
      let window = [];
      for (let i = 0; i < 1500000; i++) {
        window.push({ id: i, text: "update " + i, parts: [i, i + 1] });
        if (window.length > 20000) window = [];
        if (i % 50000 === 0) await tick(); // let the observer count
      }
      await tick();
      const r = { major, minor }; major = 0; minor = 0; return r;
    };
    const switched = [], phases = [];
    phases.push(await churn());
    switched.push(setHeapFast(true));
    phases.push(await churn());
    switched.push(setHeapFast(false));
    major = 0; minor = 0; // the compacting collection of the switch itself
    phases.push(await churn());
    console.log(JSON.stringify({ switched, phases, live: live.length }));
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as { switched: boolean[]; phases: Array<{ major: number; minor: number }> };
}

describe("switching V8's heap at run time (src/runtime.ts setHeapFast)", () => {
  it("fast spares most of the full collections and scavenges the lean heap makes for the same work, and lean comes back", () => {
    const env = { ...process.env };
    delete env.V8_FLAGS; // the service's defaults
    const { switched, phases } = gcByPhase(env);
    expect(switched).toEqual([true, true]);
    const [lean, fast, leanAgain] = phases as [{ major: number; minor: number }, { major: number; minor: number }, { major: number; minor: number }];
    // Lean: a memory-reducing full collection every few MB promoted, the young generation kept small.
    expect(lean.major).toBeGreaterThanOrEqual(4);
    expect(fast.major).toBeLessThanOrEqual(lean.major / 2);
    expect(fast.minor).toBeLessThan(lean.minor);
    // Lean again: memory-reducing collections once more (fewer at first, the young generation shrinking back).
    expect(leanAgain.major).toBeGreaterThan(fast.major);
    expect(leanAgain.minor).toBeGreaterThan(fast.minor);
  }, 130_000);

  it("leaves an operator's V8_FLAGS alone", () => {
    const { switched } = gcByPhase({ ...process.env, V8_FLAGS: "--no-flush-bytecode" });
    expect(switched).toEqual([false, false]);
  }, 130_000);
});
