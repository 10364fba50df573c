/**
 * The heap's two modes (src/runtime.ts `setHeapFast`, switched by src/heapMode.ts): the same
 * update-like work run lean and fast in turns, in this process, and then a soak — the mode switched
 * every few tens of milliseconds while the work runs, every result checked — because Node.js warns
 * that changing V8 flags in a running process may crash it (the service switches at most once every
 * half minute; this switches thousands of times).
 *
 *   npx tsx bench/heapmode.ts                   3 rounds of 8 s lean / 8 s fast, then a 120 s soak
 *   npx tsx bench/heapmode.ts --rounds=5 --phase-seconds=10 --soak-seconds=600
 *
 * Prints work done per CPU second in each mode (medians over the rounds), the collections each made,
 * and the soak's switches and results checked. Exits non-zero if a result differs or the process is
 * not running with the service's default V8 flags (V8_FLAGS must be unset).
 */
import { constants as perfConstants, PerformanceObserver } from "node:perf_hooks";
import { setHeapFast } from "../src/runtime.ts";
import { intOption } from "./lib.ts";

const ROUNDS = intOption("rounds") ?? 3;
const PHASE_S = intOption("phase-seconds") ?? 8;
const SOAK_S = intOption("soak-seconds") ?? 120;

let major = 0;
let minor = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) major++;
    else if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) minor++;
  }
}).observe({ entryTypes: ["gc"] });

// Long-lived data, as the service holds (reference data, the legal search index): ~25 MB.
const resident = new Map<string, { name: string; words: string[] }>();
for (let i = 0; i < 120_000; i++) resident.set(`c${i}`, { name: `Phường ${i}`, words: [`w${i % 977}`, `x${i % 131}`] });

/** One update's worth of work: parse a payload, look things up, build replies, keep a little for a while. */
const kept: unknown[] = [];
function unit(i: number): number {
  const payload = JSON.stringify({ update_id: i, message: { chat: { id: 1000 + (i % 5000) }, text: `báo tin số ${i} ở phường ${i % 3321}` } });
  const update = JSON.parse(payload) as { update_id: number; message: { chat: { id: number }; text: string } };
  const words = update.message.text.split(" ");
  const place = resident.get(`c${i % 120_000}`)!;
  const replies = words.map((w, k) => ({ k, text: `${w}:${place.name}`, buttons: [[{ text: place.words[0]!, data: `b${k}` }]] }));
  kept.push(replies);
  if (kept.length > 3000) kept.splice(0, 1000);
  let h = update.update_id;
  for (const r of replies) for (let c = 0; c < r.text.length; c++) h = (h * 31 + r.text.charCodeAt(c)) | 0;
  return h;
}

/** Runs units for `ms` (yielding every 200), returns units done and process CPU ms. */
async function work(ms: number, from: number, check?: (i: number, h: number) => void): Promise<{ units: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage();
  const end = performance.now() + ms;
  let i = from;
  while (performance.now() < end) {
    for (let k = 0; k < 200; k++, i++) {
      const h = unit(i);
      check?.(i, h);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const cpu = process.cpuUsage(cpu0);
  return { units: i - from, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!setHeapFast(false)) {
    console.error("the process does not run with --optimize-for-size (V8_FLAGS set?): nothing to switch");
    process.exit(1);
  }
  // Reference results, lean, for the soak to compare with.
  const reference = new Map<number, number>();
  for (let i = 0; i < 50_000; i++) reference.set(i, unit(i));
  await work(2000, 0); // warm-up
  const rate = { lean: [] as number[], fast: [] as number[] };
  const gcs = { lean: [] as string[], fast: [] as string[] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const fast of [false, true]) {
      setHeapFast(fast);
      major = 0;
      minor = 0;
      const { units, cpuMs } = await work(PHASE_S * 1000, 0);
      const mode = fast ? "fast" : "lean";
      rate[mode].push(units / (cpuMs / 1000));
      gcs[mode].push(`${major} full / ${minor} young`);
    }
  }
  setHeapFast(false);
  const lean = median(rate.lean);
  const fast = median(rate.fast);
  console.log(`Heap modes — the same work in this process, ${ROUNDS} rounds of ${PHASE_S} s each, node ${process.version}`);
  console.log(`lean: ${Math.round(lean).toLocaleString("en")} units per CPU second (collections per phase: ${gcs.lean.join(", ")})`);
  console.log(`fast: ${Math.round(fast).toLocaleString("en")} units per CPU second (collections per phase: ${gcs.fast.join(", ")})`);
  console.log(`fast / lean: ${(fast / lean).toFixed(2)}`);

  // The soak: switch every 20–120 ms while the work runs; every result compared with the reference.
  let switches = 0;
  let checked = 0;
  let wrong = 0;
  let fastNow = false;
  let stop = false;
  const switcher = (async () => {
    while (!stop) {
      await new Promise<void>((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 100)));
      fastNow = !fastNow;
      setHeapFast(fastNow);
      switches++;
    }
  })();
  const soakEnd = performance.now() + SOAK_S * 1000;
  while (performance.now() < soakEnd) {
    await work(1000, 0, (i, h) => {
      if (i >= 50_000) return;
      checked++;
      if (reference.get(i) !== h) wrong++;
    });
  }
  stop = true;
  await switcher;
  setHeapFast(false);
  console.log(`soak: ${SOAK_S} s, ${switches.toLocaleString("en")} switches, ${checked.toLocaleString("en")} results checked, ${wrong} wrong; RSS ${Math.round(process.memoryUsage().rss / 1048576)} MB at the end`);
  console.log(`JSON ${JSON.stringify({ bench: "heapmode", date: new Date().toISOString(), rounds: ROUNDS, phaseSeconds: PHASE_S, leanUnitsPerCpuSecond: lean, fastUnitsPerCpuSecond: fast, ratio: fast / lean, soakSeconds: SOAK_S, switches, checked, wrong })}`);
  if (wrong > 0) process.exit(1);
}

await main();
