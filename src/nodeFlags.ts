/**
 * The node flags the service runs with: `npm start` passes them (package.json's "start" script, kept
 * equal by test/nodeFlags.test.ts), and so do `npm run cluster`, the benchmarks and the tests that
 * start the service as a process, so that what they measure is what `npm start` runs. V8 flags that
 * can be set once the process runs belong in src/runtime.ts (V8_FLAGS) instead; these are the ones
 * that cannot (heap sizes, Node's own options such as `--v8-pool-size`).
 *
 * None today: `--max-semi-space-size=64` (GC pauses −8 %, no measurable throughput gain) and
 * `--v8-pool-size=1` were measured and not adopted (README, "PostgreSQL, seventh pass").
 */
export const SERVICE_NODE_FLAGS: readonly string[] = [];
