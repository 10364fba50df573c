// Lists import circles among src/ modules (static `import … from "./x.ts"` and `export … from`).
// Type-only imports (`import type`) are left out unless --types is given: they vanish at run time.
// Exit 1 when a circle exists. Usage: node scripts/import-cycles.mjs [--types]
import fs from "node:fs";
import path from "node:path";

const root = path.resolve("src");
const withTypes = process.argv.includes("--types");
const files = fs.readdirSync(root, { recursive: true }).filter((f) => /\.(ts|mts)$/.test(f)).map((f) => path.join(root, f));
const edges = new Map();
for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  const deps = new Set();
  for (const m of text.matchAll(/^\s*(?:import|export)\s([^;]*?)from\s+["'](\.[^"']+)["']/gms)) {
    if (!withTypes && /^type\s/.test(m[1])) continue;
    const target = path.resolve(path.dirname(file), m[2]);
    if (fs.existsSync(target)) deps.add(target);
  }
  edges.set(file, [...deps]);
}

const cycles = [];
const state = new Map(); // 1: on the stack, 2: done
const stack = [];
function visit(node) {
  state.set(node, 1);
  stack.push(node);
  for (const next of edges.get(node) ?? []) {
    if (state.get(next) === 1) cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(process.cwd(), f)));
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(node, 2);
}
for (const file of files) if (!state.has(file)) visit(file);

for (const c of cycles) console.log(c.join(" → "));
console.log(`${files.length} modules, ${cycles.length} import circle(s)`);
process.exit(cycles.length ? 1 : 0);
