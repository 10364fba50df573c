// Lists import cycles among src/ modules (static `import … from "./x.ts"`, type-only imports included).
//   node scripts/import-cycles.mjs        exits 1 when there is one
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../src");
const files = [];
(function walk(dir) {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) walk(p);
    else if (d.name.endsWith(".ts")) files.push(p);
  }
})(root);
const graph = new Map();
for (const f of files) {
  const text = fs.readFileSync(f, "utf8");
  const deps = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/gms)].map((m) => path.resolve(path.dirname(f), m[1]));
  graph.set(f, deps.filter((d) => graph.has(d) || files.includes(d)));
}
const cycles = new Set();
const state = new Map();
const stack = [];
function visit(n) {
  state.set(n, 1);
  stack.push(n);
  for (const d of graph.get(n) ?? []) {
    if (state.get(d) === 1) cycles.add(stack.slice(stack.indexOf(d)).map((x) => path.relative(root, x)).join(" → "));
    else if (!state.has(d)) visit(d);
  }
  stack.pop();
  state.set(n, 2);
}
for (const f of files) if (!state.has(f)) visit(f);
for (const c of cycles) console.log(c);
console.log(`${cycles.size} import cycle(s) among ${files.length} modules`);
process.exit(cycles.size ? 1 : 0);
