#!/usr/bin/env node
// Builds data/vn-admin/provinces.display.geojson.gz, the province outlines the console's statistics
// map draws (display only: never routing), from shared/data/vn-admin/provinces.geojson:
// Douglas-Peucker at 0.01° (about 1 km), coordinates to 3 decimals, rings of under 4 points dropped.
// usage: node scripts/build-province-map.mjs [source.geojson]
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = process.argv[2] ?? "/work/shared/data/vn-admin/provinces.geojson";
const TOLERANCE = 0.01;

function simplify(points, tol) {
  if (points.length < 3) return points;
  const keep = new Uint8Array(points.length);
  keep[0] = keep[points.length - 1] = 1;
  const stack = [[0, points.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop();
    const [ax, ay] = points[a];
    const [bx, by] = points[b];
    const dx = bx - ax;
    const dy = by - ay;
    const len = Math.hypot(dx, dy) || 1e-12;
    let far = -1;
    let dist = 0;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = points[i];
      const d = Math.abs(dy * px - dx * py + bx * ay - by * ax) / len;
      if (d > dist) [dist, far] = [d, i];
    }
    if (far >= 0 && dist > tol) {
      keep[far] = 1;
      stack.push([a, far], [far, b]);
    }
  }
  return points.filter((_, i) => keep[i]);
}

/** A closed ring: split at the point farthest from its start, simplify both halves. */
function simplifyRing(ring, tol) {
  let far = 0;
  let dist = -1;
  for (let i = 1; i < ring.length - 1; i++) {
    const d = Math.hypot(ring[i][0] - ring[0][0], ring[i][1] - ring[0][1]);
    if (d > dist) [dist, far] = [d, i];
  }
  if (far === 0) return ring;
  return [...simplify(ring.slice(0, far + 1), tol).slice(0, -1), ...simplify(ring.slice(far), tol)];
}

const round = (v) => Math.round(v * 1000) / 1000;
const geo = JSON.parse(fs.readFileSync(source, "utf8"));
const features = geo.features.map((f) => {
  const polygons = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
  const out = [];
  for (const poly of polygons) {
    const rings = poly.map((ring) => simplifyRing(ring, TOLERANCE).map(([x, y]) => [round(x), round(y)])).filter((r) => r.length >= 4);
    if (rings.length && poly[0] && rings[0]) out.push(rings);
  }
  return { type: "Feature", id: f.properties.code, properties: { code: f.properties.code, name: f.properties.name }, geometry: { type: "MultiPolygon", coordinates: out } };
});
const json = JSON.stringify({ type: "FeatureCollection", features });
const target = path.join(ROOT, "data/vn-admin/provinces.display.geojson.gz");
fs.writeFileSync(target, zlib.gzipSync(json, { level: 9 }));
console.log(`${features.length} provinces, ${json.length} bytes JSON, ${fs.statSync(target).size} bytes gzipped → ${path.relative(ROOT, target)}`);
