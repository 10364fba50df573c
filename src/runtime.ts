import v8 from "node:v8";
import vm from "node:vm";

/**
 * V8 settings for a lean service process, applied by the first import of src/main.ts, before any
 * other module loads: the heap is kept small rather than grown for speed (`--optimize-for-size`;
 * measured: a broadcast's heap stays ~90 MB instead of growing past 200 MB), but without that
 * mode's eager bytecode flushing (`--no-flush-bytecode`: with it, hot functions were compiled over
 * and over and webhook acknowledgements were ~40 % slower), and WebAssembly (Prisma's query
 * compiler) is compiled once by the baseline compiler instead of being re-optimised
 * (`--liftoff-only`, ~45 MB less). Together they keep a 100,000-subscriber broadcast under 250 MB
 * (README, "Performance"). `V8_FLAGS` replaces them (`V8_FLAGS=` for V8's own defaults).
 */
export const DEFAULT_V8_FLAGS = ["--optimize-for-size", "--no-flush-bytecode", "--liftoff-only"];

const FLAG = /^--[a-z0-9_-]+(=[^\s]+)?$/i;

function flags(): string[] {
  const raw = process.env.V8_FLAGS;
  if (raw === undefined) return DEFAULT_V8_FLAGS;
  const list = raw.split(/\s+/).filter(Boolean);
  const bad = list.find((f) => !FLAG.test(f));
  if (bad) {
    console.error(`V8_FLAGS: "${bad}" is not a V8 option (expected --name or --name=value, separated by spaces)`);
    process.exit(1);
  }
  return list;
}

export const V8_FLAGS = flags();
for (const flag of V8_FLAGS) v8.setFlagsFromString(flag);

/**
 * One full garbage collection, once the start-up loading is done: decompressing the commune
 * polygons and the reference data leaves ~40 MB of buffers that would otherwise sit in the
 * process until V8 next decides to collect. Not for use on hot paths.
 */
export async function collectStartupGarbage(): Promise<void> {
  const gc = exposedGc();
  if (!gc) return;
  // Twice, a turn apart: the first pass finalises the zlib handles that still hold their output.
  compacting(gc);
  await new Promise<void>((resolve) => setImmediate(resolve));
  compacting(gc);
}

function exposedGc(): (() => void) | undefined {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as (() => void) | undefined;
}

/** A full collection compacting every page, as V8's memory reducer would some seconds later: pages left half empty are given back now. */
function compacting(gc: () => void): void {
  v8.setFlagsFromString("--compact-on-every-full-gc");
  try {
    gc();
  } finally {
    v8.setFlagsFromString("--no-compact-on-every-full-gc");
  }
}

/**
 * Whether the heap can be switched between lean and fast (see `setHeapFast`): only when the process
 * runs with `--optimize-for-size` (the default V8_FLAGS), never against an operator's own V8_FLAGS.
 */
export const HEAP_MODES = V8_FLAGS.includes("--optimize-for-size");

/**
 * Switches V8 between the lean heap the service idles with and a fast one for a burst of work (see
 * src/heapMode.ts). Lean (`--optimize-for-size`) makes every full collection a memory-reducing one —
 * the young generation shrunk back to 1 MB, everything compacted, the next collection due just above
 * what is live — which under a stream of updates means a full collection every half second and four
 * times as many scavenges (measured: ~25 % of the CPU an update costs). Fast lifts it: V8's defaults
 * (the heap grows to a few times what is live between collections). Going back to lean collects at
 * once, compacting; V8's memory reducer then shrinks the young generation within seconds. The other
 * V8_FLAGS are applied again each time, so that nothing implied by the switch outlives it. Returns
 * false (nothing done) when the process does not run with `--optimize-for-size`.
 */
export function setHeapFast(fast: boolean): boolean {
  if (!HEAP_MODES) return false;
  for (const flag of V8_FLAGS) v8.setFlagsFromString(flag);
  if (fast) {
    v8.setFlagsFromString("--no-optimize-for-size");
    return true;
  }
  const gc = exposedGc();
  if (gc) compacting(gc);
  return true;
}
