import fs from "node:fs";
import zlib from "node:zlib";
import { fromRoot } from "../paths.ts";

/** The province outlines for display (built by scripts/build-province-map.mjs; never used for routing). */
const MAP_FILE = fromRoot("data", "vn-admin", "provinces.display.geojson.gz");
/** Width of the map's SVG coordinate space; the height follows the country's shape. */
const MAP_WIDTH = 400;

/** The provinces as SVG paths in one coordinate space (equirectangular, computed once). */
export interface ProvinceMap {
  width: number;
  height: number;
  /** Province code → SVG path data. */
  paths: Map<string, string>;
}

let cached: ProvinceMap | undefined;

/**
 * The province map, projected once per process: x = longitude × cos(16°), y = −latitude (a plain
 * equirectangular projection centred on Vietnam's middle latitude), scaled to MAP_WIDTH.
 */
export function provinceMap(): ProvinceMap {
  if (cached) return cached;
  const geo = JSON.parse(zlib.gunzipSync(fs.readFileSync(MAP_FILE)).toString("utf8")) as {
    features: Array<{ properties: { code: string }; geometry: { coordinates: number[][][][] } }>;
  };
  const k = Math.cos((16 * Math.PI) / 180);
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const f of geo.features)
    for (const poly of f.geometry.coordinates)
      for (const ring of poly)
        for (const [lon, lat] of ring) {
          minX = Math.min(minX, lon! * k);
          maxX = Math.max(maxX, lon! * k);
          minY = Math.min(minY, -lat!);
          maxY = Math.max(maxY, -lat!);
        }
  const scale = MAP_WIDTH / (maxX - minX);
  const r = (v: number) => Math.round(v * 10) / 10;
  const paths = new Map<string, string>();
  for (const f of geo.features) {
    const d = f.geometry.coordinates
      .flatMap((poly) => poly.map((ring) => "M" + ring.map(([lon, lat]) => `${r((lon! * k - minX) * scale)} ${r((-lat! - minY) * scale)}`).join("L") + "Z"))
      .join("");
    paths.set(f.properties.code, d);
  }
  cached = { width: MAP_WIDTH, height: Math.ceil((maxY - minY) * scale), paths };
  return cached;
}
