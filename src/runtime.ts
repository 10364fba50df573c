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
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (() => void) | undefined;
  if (!gc) return;
  // Twice, a turn apart: the first pass finalises the zlib handles that still hold their output.
  // Compacting every page, as V8's memory reducer would some seconds later: the pages start-up
  // left half empty are given back now.
  v8.setFlagsFromString("--compact-on-every-full-gc");
  try {
    gc();
    await new Promise<void>((resolve) => setImmediate(resolve));
    gc();
  } finally {
    v8.setFlagsFromString("--no-compact-on-every-full-gc");
  }
}
