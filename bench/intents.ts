/**
 * Free-text understanding benchmark (not a test): reads every message of the labelled set in
 * test/intents-eval/ (written apart from the code, by a helper who saw only the product brief) and
 * compares the intent with the label. The set is split by id: odd ids tuned the classifier's
 * settings and are part of its training data (data/intents/training.json, `source: tuning-half`),
 * even ids are held out and never trained on (only their figures are printed). Also
 * counts incidents and questions read as something the bot would not act on, and the speed.
 *   npm run bench:intents            (add --show-tuning-errors to list the tuning half's mistakes)
 */
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { loadIntentReader, type Intent } from "../src/core/resident/intents.ts";
import { createTranslator } from "../src/i18n.ts";

interface Labelled {
  id: number;
  text: string;
  lang: string;
  intent: Intent;
  note?: string;
}

const file = path.resolve(import.meta.dirname, "../test/intents-eval/messages.json");
const all = JSON.parse(fs.readFileSync(file, "utf8")) as Labelled[];
const reader = loadIntentReader(createTranslator().t);

/** Intents the bot acts on: misreading these as small talk, insults or spam would lose what the person sent. */
const ACTIONABLE: ReadonlySet<Intent> = new Set(["report", "ask", "emergency", "lookup"]);
const IDLE: ReadonlySet<Intent> = new Set(["greeting", "chitchat", "insult", "spam", "unknown"]);

function evaluate(name: string, cases: Labelled[], showErrors: boolean) {
  let right = 0;
  let lost = 0;
  const byIntent = new Map<string, { n: number; right: number }>();
  const byLang = new Map<string, { n: number; right: number }>();
  const errors: string[] = [];
  for (const c of cases) {
    const got = reader.read(c.text).intent;
    const ok = got === c.intent;
    if (ok) right++;
    else errors.push(`  #${c.id} [${c.lang}] ${c.intent} → ${got}: ${c.text.replace(/\n/g, " / ").slice(0, 110)}`);
    if (ACTIONABLE.has(c.intent) && IDLE.has(got)) lost++;
    for (const [map, key] of [
      [byIntent, c.intent],
      [byLang, c.lang],
    ] as const) {
      const row = map.get(key) ?? { n: 0, right: 0 };
      row.n++;
      if (ok) row.right++;
      map.set(key, row);
    }
  }
  const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;
  console.log(`\n${name}: ${cases.length} messages — routed right ${right} (${pct(right, cases.length)}); incidents/questions read as idle talk: ${lost}`);
  console.log(`  by intent: ${[...byIntent].map(([k, v]) => `${k} ${v.right}/${v.n}`).join(", ")}`);
  console.log(`  by language: ${[...byLang].map(([k, v]) => `${k} ${pct(v.right, v.n)}`).join(", ")}`);
  if (showErrors && errors.length) console.log(errors.join("\n"));
  return { right, n: cases.length, lost };
}

const show = process.argv.includes("--show-tuning-errors");
evaluate("tuning half (odd ids; trained on, so not a measure)", all.filter((c) => c.id % 2 === 1), show);
const held = evaluate("HELD-OUT half (even ids) — the reported figure", all.filter((c) => c.id % 2 === 0), false);

const times: number[] = [];
for (let round = 0; round < 20; round++) {
  for (const c of all) {
    const start = performance.now();
    reader.read(c.text);
    times.push(performance.now() - start);
  }
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(3);
console.log(`\nspeed: ${times.length} readings, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
console.log(`goal (held-out): ≥ 95 % routed right — ${((100 * held.right) / held.n).toFixed(1)} %; no incident or question lost — ${held.lost}`);
