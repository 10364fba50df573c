/**
 * Routing benchmark: GPS point → commune (CommuneLocator) and typed place → commune (PlaceSearch).
 *
 *   npm run bench:routing
 *   options: --points=200000 --naive=2000 --queries=4000 --seed=1 --eval-seed=2 --eval=3600
 *
 * Prints, for each part, throughput and p50/p99 latency, and whether the goals are met
 * (≥ 50,000 point lookups/s with p99 < 1 ms; name search p99 < 5 ms). Load time and memory are
 * measured in child processes (one per data form) so that each starts from a clean heap. The naive
 * comparison tests every polygon of every commune, with no index, using point-in-polygon-hao on
 * the GeoJSON arrays and, separately, our even–odd loop on flat arrays. Exits non-zero only on an
 * error or when the indexed and naive lookups disagree, never because a goal was missed.
 *
 * Typed places with mistakes: a set generated from units.json by bench/placeQueries.ts (seeded; the
 * search's weights were tuned on seed 1 only, so the report uses seed 2), per error class: top-1,
 * in the short list (≤ 5), asked back (province / confirm) and silently wrong (accepted without any
 * question as another commune). Goals: top-1 ≥ 85 % on one- and two-edit typos, in the short list
 * ≥ 97 %, silently wrong 0.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import pointInPolygon from "point-in-polygon-hao";
import {
  COMMUNES_COMPACT_FILE,
  COMMUNES_GEOJSON_FILE,
  CommuneLocator,
  type CommuneFeatureCollection,
} from "../src/routing/communeLocator.ts";
import { PlaceSearch, type LegacyRow, LEGACY_FILE } from "../src/routing/placeSearch.ts";
import { UNITS_FILE } from "../src/db/referenceData.ts";
import { ERROR_CLASSES, evaluatePlaceQuery, generatePlaceQueries, type PlaceOutcome, type PlaceQuery } from "./placeQueries.ts";
import { mulberry32 } from "../test/helpers/random.ts";

const GOAL_POINTS_PER_S = 50_000;
const GOAL_POINT_P99_MS = 1;
const GOAL_SEARCH_P99_MS = 5;
/** Vietnam's bounding box, Trường Sa included. */
const VN_BBOX = { minLat: 7.1, maxLat: 23.4, minLng: 102.1, maxLng: 117.9 };

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, "").split("=");
    return [k as string, v ?? "true"];
  }),
);

if (args["load-only"]) {
  measureLoadInChild(args["load-only"]);
} else {
  main();
}

/** Child mode: load one data form, print load time and memory as JSON. */
function measureLoadInChild(form: string): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  const held =
    form === "search"
      ? PlaceSearch.load()
      : CommuneLocator.loadSync({ file: form === "geojson" ? COMMUNES_GEOJSON_FILE : COMMUNES_COMPACT_FILE });
  const ms = performance.now() - started;
  gc?.();
  const after = process.memoryUsage();
  console.log(
    JSON.stringify({
      form,
      ms,
      retainedMB: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 1e6,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      baseRssMB: before.rss / 1e6,
      held: held ? "ok" : "none",
    }),
  );
}

function main(): void {
  const seed = Number(args.seed ?? 1);
  const random = mulberry32(seed);
  const pointCount = Number(args.points ?? 200_000);
  const naiveCount = Number(args.naive ?? 2_000);
  const queryCount = Number(args.queries ?? 4_000);
  let failed = false;

  console.log(`Routing benchmark (node ${process.version}, seed ${seed})\n`);

  console.log("Start-up (each in a fresh process; retained = heap + array buffers after GC):");
  for (const form of ["compact", "geojson", "search"]) {
    const child = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), `--load-only=${form}`], {
      encoding: "utf8",
    });
    const line = child.stdout.trim().split("\n").pop() ?? "";
    if (child.status !== 0 || !line.startsWith("{")) {
      console.log(`  ${form}: failed\n${child.stderr}`);
      failed = true;
      continue;
    }
    const r = JSON.parse(line) as { ms: number; retainedMB: number; peakRssMB: number; baseRssMB: number };
    const label = { compact: "CommuneLocator, communes.bin.gz", geojson: "CommuneLocator, communes.geojson.gz", search: "PlaceSearch" }[form];
    console.log(
      `  ${label?.padEnd(36)} ${r.ms.toFixed(0).padStart(5)} ms   retained ${r.retainedMB.toFixed(1).padStart(5)} MB   peak RSS ${r.peakRssMB.toFixed(0)} MB (process before load ${r.baseRssMB.toFixed(0)} MB)`,
    );
  }

  const locator = CommuneLocator.loadSync();
  const units = JSON.parse(fs.readFileSync(UNITS_FILE, "utf8")) as {
    communes: Array<{ code: string; name: string; short_name: string; type: string; province_code: string; bbox: [number, number, number, number] }>;
    provinces: Array<{ code: string; name: string; short_name: string }>;
  };

  // --- Point lookups -------------------------------------------------------------------------
  const bboxPoints = new Float64Array(2 * pointCount);
  for (let i = 0; i < pointCount; i++) {
    bboxPoints[2 * i] = VN_BBOX.minLat + random() * (VN_BBOX.maxLat - VN_BBOX.minLat);
    bboxPoints[2 * i + 1] = VN_BBOX.minLng + random() * (VN_BBOX.maxLng - VN_BBOX.minLng);
  }
  // Points inside communes, one random commune at a time (so denser where communes are small, as residents are).
  const insidePoints = new Float64Array(2 * pointCount);
  for (let i = 0; i < pointCount; ) {
    const c = units.communes[Math.floor(random() * units.communes.length)] as (typeof units.communes)[number];
    const lat = c.bbox[1] + random() * (c.bbox[3] - c.bbox[1]);
    const lng = c.bbox[0] + random() * (c.bbox[2] - c.bbox[0]);
    if (locator.locate(lat, lng).kind !== "inside") continue;
    insidePoints[2 * i] = lat;
    insidePoints[2 * i + 1] = lng;
    i++;
  }

  console.log("\nPoint lookups (indexed: Flatbush over rings and edge runs, even–odd on flat arrays):");
  const pointGoals: boolean[] = [];
  let insideRate = 0;
  for (const [label, points] of [
    [`${pointCount.toLocaleString("en")} random points in Vietnam's bbox`, bboxPoints],
    [`${pointCount.toLocaleString("en")} points inside communes`, insidePoints],
  ] as const) {
    const kinds: Record<string, number> = {};
    const n = points.length / 2;
    for (let i = 0; i < Math.min(n, 20_000); i++) locator.locate(points[2 * i] as number, points[2 * i + 1] as number);
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const r = locator.locate(points[2 * i] as number, points[2 * i + 1] as number);
      kinds[r.kind === "inside" && r.nearBorder ? "inside+nearBorder" : r.kind] = (kinds[r.kind === "inside" && r.nearBorder ? "inside+nearBorder" : r.kind] ?? 0) + 1;
    }
    const perSecond = n / ((performance.now() - started) / 1000);
    const latencies = timeEach(n, (i) => locator.locate(points[2 * i] as number, points[2 * i + 1] as number));
    const p = percentiles(latencies);
    const ok = perSecond >= GOAL_POINTS_PER_S && p.p99 < GOAL_POINT_P99_MS;
    if (points === insidePoints) insideRate = perSecond;
    pointGoals.push(ok);
    console.log(`  ${label}`);
    console.log(`    ${fmtRate(perSecond)} lookups/s   p50 ${fmtMs(p.p50)}   p99 ${fmtMs(p.p99)}   max ${fmtMs(p.max)}   ${ok ? "goal met" : "GOAL MISSED"}`);
    console.log(`    results: ${Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }

  // --- Naive comparison ----------------------------------------------------------------------
  const collection = JSON.parse(zlib.gunzipSync(fs.readFileSync(COMMUNES_GEOJSON_FILE)).toString("utf8")) as CommuneFeatureCollection;
  const polygons = collection.features.map((f) => ({
    code: f.properties.code,
    polygons: f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates,
  }));
  const flat = polygons.map((f) => ({ code: f.code, rings: f.polygons.flat().map((ring) => Float64Array.from(ring.flat())) }));
  const naiveHao = (lat: number, lng: number): string | undefined => {
    for (const f of polygons) {
      let inside = false;
      for (const polygon of f.polygons) if (pointInPolygon([lng, lat], polygon) !== false) inside = !inside;
      if (inside) return f.code;
    }
    return undefined;
  };
  const naiveOwn = (lat: number, lng: number): string | undefined => {
    for (const f of flat) {
      let inside = false;
      for (const ring of f.rings) {
        for (let i = 2; i < ring.length; i += 2) {
          const x1 = ring[i - 2] as number, y1 = ring[i - 1] as number, x2 = ring[i] as number, y2 = ring[i + 1] as number;
          if (y1 > lat !== y2 > lat && lng < ((x2 - x1) * (lat - y1)) / (y2 - y1) + x1) inside = !inside;
        }
      }
      if (inside) return f.code;
    }
    return undefined;
  };
  const naiveN = Math.min(naiveCount, pointCount);
  console.log(`\nNaive scan of all ${collection.features.length} communes (no index, no bbox test), ${naiveN.toLocaleString("en")} points inside communes:`);
  let disagreements = 0;
  for (const [label, scan] of [
    ["point-in-polygon-hao on GeoJSON arrays", naiveHao],
    ["own even–odd loop on flat arrays", naiveOwn],
  ] as const) {
    const started = performance.now();
    for (let i = 0; i < naiveN; i++) {
      const lat = insidePoints[2 * i] as number;
      const lng = insidePoints[2 * i + 1] as number;
      const code = scan(lat, lng);
      const r = locator.locate(lat, lng);
      if (r.kind !== "inside" || r.code !== code) disagreements++;
    }
    const rate = naiveN / ((performance.now() - started) / 1000);
    console.log(`  ${label.padEnd(40)} ${fmtRate(rate)} lookups/s   indexed (${fmtRate(insideRate).trim()}/s above) is ${(insideRate / rate).toFixed(0)}× faster`);
  }
  console.log(`  indexed and naive disagree on ${disagreements} of ${2 * naiveN} lookups`);
  if (disagreements > 0) failed = true;

  // Even–odd kernel alone, same rings, same points: which one the locator should use.
  const kernelRings = flat.slice(0, 300);
  const kernelPolys = polygons.slice(0, 300);
  const kernelPoints = Array.from({ length: 200 }, () => [102.1 + random() * 15.8, 7.1 + random() * 16.3] as [number, number]);
  let t = performance.now();
  for (const [lng, lat] of kernelPoints) for (const f of kernelPolys) for (const polygon of f.polygons) pointInPolygon([lng, lat], polygon);
  const haoMs = performance.now() - t;
  t = performance.now();
  let sink = 0;
  for (const [lng, lat] of kernelPoints) {
    for (const f of kernelRings) {
      for (const ring of f.rings) {
        for (let i = 2; i < ring.length; i += 2) {
          const x1 = ring[i - 2] as number, y1 = ring[i - 1] as number, x2 = ring[i] as number, y2 = ring[i + 1] as number;
          if (y1 > lat !== y2 > lat && lng < ((x2 - x1) * (lat - y1)) / (y2 - y1) + x1) sink++;
        }
      }
    }
  }
  const ownMs = performance.now() - t;
  const edges = kernelRings.reduce((n, f) => n + f.rings.reduce((m, r) => m + r.length / 2 - 1, 0), 0) * kernelPoints.length;
  console.log(
    `  even–odd kernel alone, ${edges.toLocaleString("en")} edge tests: point-in-polygon-hao ${((haoMs * 1e6) / edges).toFixed(2)} ns/edge, own ${((ownMs * 1e6) / edges).toFixed(2)} ns/edge (${sink} crossings)`,
  );

  // --- Name search ---------------------------------------------------------------------------
  const search = PlaceSearch.load();
  const legacy = JSON.parse(zlib.gunzipSync(fs.readFileSync(LEGACY_FILE)).toString("utf8")) as LegacyRow[];
  const queries = buildQueries(units, legacy, queryCount, random);
  for (const q of queries.slice(0, 500)) search.search(q.text);
  const kinds: Record<string, number> = {};
  const byStyle = new Map<string, { n: number; found: number }>();
  const started = performance.now();
  for (const q of queries) search.search(q.text);
  const perSecond = queries.length / ((performance.now() - started) / 1000);
  const latencies = timeEach(queries.length, (i) => search.search((queries[i] as Query).text));
  for (const q of queries) {
    const r = search.search(q.text);
    kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
    const s = byStyle.get(q.style) ?? { n: 0, found: 0 };
    s.n++;
    if (q.expect && offers(r, q.expect, search)) s.found++;
    byStyle.set(q.style, s);
  }
  const p = percentiles(latencies);
  const searchOk = p.p99 < GOAL_SEARCH_P99_MS;
  console.log(`\nName search (exact names; typos: MiniSearch or the named province's names as candidates, weighted edit distance ranks), ${queries.length.toLocaleString("en")} queries:`);
  console.log(`  ${fmtRate(perSecond)} searches/s   p50 ${fmtMs(p.p50)}   p99 ${fmtMs(p.p99)}   max ${fmtMs(p.max)}   ${searchOk ? "goal met" : "GOAL MISSED"}`);
  console.log(`  results: ${Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log("  intended commune offered (matched, among the candidates or legacy alternatives, or its province asked):");
  for (const [style, s] of byStyle) if (style !== "nonsense") console.log(`    ${style.padEnd(28)} ${((100 * s.found) / s.n).toFixed(1).padStart(5)}% of ${s.n}`);
  const nonsense = queries.filter((q) => q.style === "nonsense");
  console.log(`    nonsense answered "none"     ${((100 * nonsense.filter((q) => search.search(q.text).kind === "none").length) / Math.max(1, nonsense.length)).toFixed(1).padStart(5)}% of ${nonsense.length}`);

  // --- Typed places with mistakes (generated evaluation set) -----------------------------------
  const evalSeed = Number(args["eval-seed"] ?? 2);
  const evalSet = generatePlaceQueries(units as Parameters<typeof generatePlaceQueries>[0], legacy, evalSeed, Number(args.eval ?? 3600));
  const outcomes: Array<{ q: PlaceQuery; o: PlaceOutcome }> = [];
  const evalLatencies = timeEach(evalSet.length, (i) => outcomes.push({ q: evalSet[i] as PlaceQuery, o: evaluatePlaceQuery(search, evalSet[i] as PlaceQuery) }));
  const ep = percentiles(evalLatencies);
  console.log(`\nTyped places with mistakes: ${evalSet.length.toLocaleString("en")} queries generated from units.json (seed ${evalSeed}; weights tuned on seed 1)`);
  console.log(`  a province question is answered with the right province, as a resident would; p50 ${fmtMs(ep.p50)}, p99 ${fmtMs(ep.p99)} per query (both searches)`);
  console.log(`  ${"class".padEnd(28)} ${"n".padStart(5)} ${"top-1".padStart(7)} ${"list≤5".padStart(7)} ${"asked:".padStart(7)}${"province".padStart(9)} ${"confirm".padStart(8)} ${"silently wrong".padStart(15)}`);
  const row = (label: string, list: typeof outcomes) => {
    const n = list.length;
    const pct = (k: number) => `${((100 * k) / Math.max(1, n)).toFixed(1)}%`;
    const top1 = list.filter((x) => x.o.rank === 0).length;
    const listed = list.filter((x) => x.o.rank >= 0 && x.o.rank < 5).length;
    const wrong = list.filter((x) => x.o.silentlyWrong).length;
    console.log(
      `  ${label.padEnd(28)} ${String(n).padStart(5)} ${pct(top1).padStart(7)} ${pct(listed).padStart(7)} ${"".padStart(7)}${pct(list.filter((x) => x.o.askedProvince).length).padStart(9)} ${pct(list.filter((x) => x.o.askedConfirm).length).padStart(8)} ${String(wrong).padStart(15)}`,
    );
    return { top1: top1 / Math.max(1, n), listed: listed / Math.max(1, n), wrong };
  };
  for (const cls of ERROR_CLASSES) row(cls, outcomes.filter((x) => x.q.errorClass === cls));
  const edits = row("one and two edits", outcomes.filter((x) => x.q.errorClass === "one edit" || x.q.errorClass === "two edits"));
  row("with province", outcomes.filter((x) => x.q.withProvince));
  row("without province", outcomes.filter((x) => !x.q.withProvince));
  row("pre-2025 names", outcomes.filter((x) => x.q.old));
  const all = row("all", outcomes);
  const evalOk = edits.top1 >= 0.85 && all.listed >= 0.97 && all.wrong === 0;
  console.log(
    `  goals: top-1 ≥ 85% on one and two edits: ${(100 * edits.top1).toFixed(1)}%; in the short list ≥ 97%: ${(100 * all.listed).toFixed(1)}%; silently wrong 0: ${all.wrong}   ${evalOk ? "goals met" : "GOAL MISSED"}`,
  );

  console.log(
    `\nGoals: points ≥ ${GOAL_POINTS_PER_S.toLocaleString("en")}/s and p99 < ${GOAL_POINT_P99_MS} ms: ${pointGoals.every(Boolean) ? "met" : "MISSED"}; ` +
      `name search p99 < ${GOAL_SEARCH_P99_MS} ms: ${searchOk ? "met" : "MISSED"}; typed places with mistakes: ${evalOk ? "met" : "MISSED"}`,
  );
  if (failed) process.exitCode = 1;
}

interface Query {
  text: string;
  style: string;
  /** Commune codes any of which the answer should offer. */
  expect?: string[];
}

/** Realistic queries: names folded or with diacritics, with type words and province, typos, pre-2025 names, nonsense. */
function buildQueries(
  units: { communes: Array<{ code: string; short_name: string; type: string; province_code: string }>; provinces: Array<{ code: string; short_name: string }> },
  legacy: LegacyRow[],
  count: number,
  random: () => number,
): Query[] {
  const provinceName = new Map(units.provinces.map((p) => [p.code, p.short_name]));
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
  const unaccent = (s: string) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  const typo = (s: string) => {
    const letters = [...s];
    const positions = letters.map((ch, i) => (/\p{L}/u.test(ch) ? i : -1)).filter((i) => i >= 1);
    const i = pick(positions);
    const op = Math.floor(random() * 4);
    if (op === 0) letters.splice(i, 1);
    else if (op === 1) letters[i] = pick([..."aeiouhntgcm"]);
    else if (op === 2) letters.splice(i, 0, letters[i] as string);
    else if (i + 1 < letters.length && /\p{L}/u.test(letters[i + 1] as string)) [letters[i], letters[i + 1]] = [letters[i + 1] as string, letters[i] as string];
    return letters.join("");
  };
  const styles: Array<[string, () => Query]> = [
    ["diacritics", () => { const c = pick(units.communes); return { text: c.short_name, style: "diacritics", expect: [c.code] }; }],
    ["folded + type word", () => { const c = pick(units.communes); return { text: `${c.type === "phường" ? "phuong" : c.type === "xã" ? "xa" : "dac khu"} ${unaccent(c.short_name)}`, style: "folded + type word", expect: [c.code] }; }],
    ["short type word + province", () => { const c = pick(units.communes); return { text: `${c.type === "phường" ? "P." : "X."} ${c.short_name}, ${provinceName.get(c.province_code)}`, style: "short type word + province", expect: [c.code] }; }],
    ["folded + province, no comma", () => { const c = pick(units.communes); return { text: unaccent(`${c.short_name} ${provinceName.get(c.province_code)}`), style: "folded + province, no comma", expect: [c.code] }; }],
    ["typo (names ≥ 8 letters)", () => {
      let c = pick(units.communes);
      while (c.short_name.replace(/\s/g, "").length < 9) c = pick(units.communes);
      return { text: typo(unaccent(c.short_name)), style: "typo (names ≥ 8 letters)", expect: [c.code] };
    }],
    ["pre-2025 name", () => { const r = pick(legacy); return { text: r.old_name, style: "pre-2025 name", expect: r.new.map((n) => n.code) }; }],
    ["pre-2025 name, folded", () => { const r = pick(legacy); return { text: `${unaccent(r.old_name)} ${unaccent(r.old_province.replace(/^(Tỉnh|Thành phố) /u, ""))}`, style: "pre-2025 name, folded", expect: r.new.map((n) => n.code) }; }],
    ["nonsense", () => ({ text: Array.from({ length: 2 + Math.floor(random() * 2) }, () => Array.from({ length: 4 + Math.floor(random() * 4) }, () => pick([..."bcdfgjklmpqrsvwxz"])).join("")).join(" "), style: "nonsense" })],
  ];
  return Array.from({ length: count }, (_, i) => (styles[i % styles.length] as [string, () => Query])[1]());
}

function offers(r: ReturnType<PlaceSearch["search"]>, codes: string[], search: PlaceSearch): boolean {
  if (r.kind === "match") return codes.includes(r.commune.code) || (r.legacyAlternatives ?? []).some((c) => codes.includes(c.code));
  if (r.kind === "choose") return r.candidates.some((c) => codes.includes(c.code)) || (r.more ?? 0) > 0;
  if (r.kind === "province") return codes.some((code) => r.provinces.some((p) => p.code === search.commune(code)?.provinceCode));
  return false;
}

function timeEach(n: number, run: (i: number) => unknown): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    run(i);
    out[i] = performance.now() - t;
  }
  return out;
}

function percentiles(ms: Float64Array): { p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(ms).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] as number };
}

function fmtMs(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`;
}

function fmtRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString("en").padStart(9);
}

