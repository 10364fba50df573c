import v8 from "node:v8";

/**
 * V8 settings for a lean service process, applied by the first import of src/main.ts, before any
 * other module loads: the heap is kept small rather than grown for speed (`--optimize-for-size`),
 * and WebAssembly (Prisma's query compiler) is compiled once by the baseline compiler instead of
 * being re-optimised (`--liftoff-only`, ~45 MB). Together they keep a 100,000-subscriber broadcast
 * under 250 MB (README, "Performance"), at the cost of ~25 % of the inbox worker's speed.
 * `V8_FLAGS` replaces them (e.g. `V8_FLAGS=` for V8's defaults: faster, ~150 MB more under load).
 */
export const DEFAULT_V8_FLAGS = ["--optimize-for-size", "--liftoff-only"];

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
