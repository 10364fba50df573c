import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import Flatbush from "flatbush";
import { fromRoot } from "../paths.ts";

const DATA_DIR = fromRoot("data", "vn-admin");

/**
 * Commune boundary polygons, gzip GeoJSON copied from shared/data/vn-admin: the source of record.
 * Licence note in data/vn-admin/README.md: used for routing only, never served as a map.
 */
export const COMMUNES_GEOJSON_FILE = path.join(DATA_DIR, "communes.geojson.gz");

/**
 * The same polygons in the compact form loaded at start ({@link encodeCommuneShapes}): loads in
 * about 0.1 s instead of 0.6 s, with a peak of about 110 MB RSS instead of 270 MB (bench/routing.ts).
 * Rebuild it with `npm run data:communes` whenever communes.geojson.gz changes; a test checks that
 * it was built from the shipped GeoJSON.
 */
export const COMMUNES_COMPACT_FILE = path.join(DATA_DIR, "communes.bin.gz");

/** Where a shared location falls. */
export type LocateResult =
  /**
   * Inside commune `code`; `nearBorder` is the closest other commune whose boundary is within the
   * near-border distance, or (at 0 m) another commune whose polygon also holds the point: the data
   * has a few overlaps (see the routing report), where the resident must choose too.
   */
  | { kind: "inside"; code: string; nearBorder?: { code: string; distanceM: number } }
  /** In no commune (river, bay, sea, a gap in the data) but within the nearest-commune limit of `code`: confirm with the resident. */
  | { kind: "nearest"; code: string; distanceM: number }
  /** In no commune and farther than the limit from every commune: not in Vietnam. */
  | { kind: "outside" };

/** The properties kept from each polygon feature. */
export interface CommuneShape {
  code: string;
  name: string;
  provinceCode: string;
}

/** Tuning of {@link CommuneLocator}. */
export interface CommuneLocatorOptions {
  /** A point inside a commune gets `nearBorder` when another commune's boundary is this close. Default 100 m. */
  nearBorderM?: number;
  /** A point in no commune goes to the nearest one up to this distance, else it is "outside". Default 20 km. */
  nearestLimitM?: number;
}

/** The subset of RFC 7946 that communes.geojson uses. */
export interface CommuneFeatureCollection {
  type: "FeatureCollection";
  features: Array<{
    type: "Feature";
    properties: { code: string; name: string; province_code: string };
    geometry: { type: "Polygon"; coordinates: number[][][] } | { type: "MultiPolygon"; coordinates: number[][][][] };
  }>;
}

/** Polygons as flat arrays: every ring of every feature, closed (last vertex = first). */
interface FlatShapes {
  communes: CommuneShape[];
  /** Feature index of each ring. */
  ringFeature: Uint16Array;
  /** Vertex offset of each ring, plus the total vertex count at the end. */
  ringStart: Uint32Array;
  /** Interleaved lng, lat. */
  coords: Float64Array;
}

/** Edges per leaf of the edge index: small enough for tight boxes, large enough to keep the index small. */
const EDGES_PER_CHUNK = 8;
/** Metres per degree of latitude on a sphere of the mean Earth radius (6,371,008.8 m). */
const M_PER_DEG = (Math.PI / 180) * 6_371_008.8;
/** Search radii tried, in order, for the nearest commune of a point that hits none (the limit comes last). */
const NEAREST_STEPS_M = [1_000, 5_000];
const COMPACT_MAGIC = "VNCS";
const COMPACT_VERSION = 1;
/** GeoJSON coordinates have 5 decimals; the compact form stores them as integers of 1e-5 degree. */
const COMPACT_SCALE = 1e5;

const gunzip = promisify(zlib.gunzip);

/**
 * Finds the commune of a GPS point by even–odd point-in-polygon over the 3,321 commune polygons.
 *
 * Geometry is held in flat typed arrays. Two static R-tree indexes (Flatbush) serve the lookups:
 * one over ring bounding boxes (which rings may contain the point) and one over runs of
 * {@link EDGES_PER_CHUNK} boundary edges (which boundaries are near the point). Even–odd parity
 * over all rings of a feature handles holes, MultiPolygons and self-intersecting rings.
 * Distances use an equirectangular projection at the point's latitude.
 *
 * Load once at service start ({@link CommuneLocator.load}); lookups are synchronous.
 */
export class CommuneLocator {
  /** Milliseconds spent reading, decompressing, decoding and indexing at load. */
  readonly loadMs: number;
  readonly nearBorderM: number;
  readonly nearestLimitM: number;

  private readonly communes: CommuneShape[];
  private readonly byCode: Map<string, number>;
  private readonly coords: Float64Array;
  private readonly ringStart: Uint32Array;
  private readonly ringFeature: Uint16Array;
  private readonly ringIndex: Flatbush;
  /** First and past-the-end vertex of each edge chunk (a chunk of n edges spans n + 1 vertices). */
  private readonly chunkStart: Uint32Array;
  private readonly chunkEnd: Uint32Array;
  private readonly chunkFeature: Uint16Array;
  private readonly chunkIndex: Flatbush;
  /** Per-feature scratch for one lookup: bit 0 = seen, bit 1 = odd crossing parity. */
  private readonly parity: Uint8Array;
  private readonly touched: number[] = [];
  /** Second feature holding the point of the last {@link featureAt} (an overlap in the data), else -1. */
  private overlap = -1;

  private constructor(shapes: FlatShapes, options: CommuneLocatorOptions, startedAt: number) {
    this.nearBorderM = options.nearBorderM ?? 100;
    this.nearestLimitM = options.nearestLimitM ?? 20_000;
    this.communes = shapes.communes;
    this.byCode = new Map(this.communes.map((s, i) => [s.code, i]));
    this.coords = shapes.coords;
    this.ringStart = shapes.ringStart;
    this.ringFeature = shapes.ringFeature;
    this.parity = new Uint8Array(this.communes.length);

    const c = this.coords;
    const ringCount = this.ringFeature.length;
    let chunkCount = 0;
    for (let r = 0; r < ringCount; r++) {
      chunkCount += Math.ceil(((this.ringStart[r + 1] as number) - (this.ringStart[r] as number) - 1) / EDGES_PER_CHUNK);
    }
    this.ringIndex = new Flatbush(ringCount);
    this.chunkIndex = new Flatbush(chunkCount);
    this.chunkStart = new Uint32Array(chunkCount);
    this.chunkEnd = new Uint32Array(chunkCount);
    this.chunkFeature = new Uint16Array(chunkCount);

    let k = 0;
    for (let r = 0; r < ringCount; r++) {
      const start = this.ringStart[r] as number;
      const end = this.ringStart[r + 1] as number;
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      for (let s = start; s < end - 1; s += EDGES_PER_CHUNK) {
        const e = Math.min(s + EDGES_PER_CHUNK + 1, end);
        let cx0 = Infinity, cy0 = Infinity, cx1 = -Infinity, cy1 = -Infinity;
        for (let i = s; i < e; i++) {
          const x = c[2 * i] as number;
          const y = c[2 * i + 1] as number;
          if (x < cx0) cx0 = x;
          if (x > cx1) cx1 = x;
          if (y < cy0) cy0 = y;
          if (y > cy1) cy1 = y;
        }
        this.chunkStart[k] = s;
        this.chunkEnd[k] = e;
        this.chunkFeature[k] = this.ringFeature[r] as number;
        this.chunkIndex.add(cx0, cy0, cx1, cy1);
        k++;
        if (cx0 < minX) minX = cx0;
        if (cx1 > maxX) maxX = cx1;
        if (cy0 < minY) minY = cy0;
        if (cy1 > maxY) maxY = cy1;
      }
      this.ringIndex.add(minX, minY, maxX, maxY);
    }
    this.ringIndex.finish();
    this.chunkIndex.finish();
    this.loadMs = performance.now() - startedAt;
  }

  /**
   * Reads and indexes the shipped polygons: the compact file by default, or a `.geojson.gz` file
   * (e.g. {@link COMMUNES_GEOJSON_FILE}). Decompression runs off the main thread.
   */
  static async load(options: CommuneLocatorOptions & { file?: string } = {}): Promise<CommuneLocator> {
    const startedAt = performance.now();
    const file = options.file ?? COMMUNES_COMPACT_FILE;
    const bytes = await gunzip(await fs.promises.readFile(file));
    return new CommuneLocator(decodeFile(file, bytes), options, startedAt);
  }

  /** Synchronous {@link CommuneLocator.load}, for scripts and tests. */
  static loadSync(options: CommuneLocatorOptions & { file?: string } = {}): CommuneLocator {
    const startedAt = performance.now();
    const file = options.file ?? COMMUNES_COMPACT_FILE;
    return new CommuneLocator(decodeFile(file, zlib.gunzipSync(fs.readFileSync(file))), options, startedAt);
  }

  /** Indexes an already parsed feature collection (e.g. a small fixture). */
  static fromGeoJSON(collection: CommuneFeatureCollection, options: CommuneLocatorOptions = {}): CommuneLocator {
    const startedAt = performance.now();
    return new CommuneLocator(flattenGeoJSON(collection), options, startedAt);
  }

  /** Codes of all indexed communes, in file order. */
  communeCodes(): string[] {
    return this.communes.map((s) => s.code);
  }

  /** Name and province of an indexed commune, or undefined for an unknown code. */
  commune(code: string): CommuneShape | undefined {
    const i = this.byCode.get(code);
    return i === undefined ? undefined : this.communes[i];
  }

  /** Number of polygon vertices held. */
  get vertexCount(): number {
    return this.coords.length / 2;
  }

  /** Finds the commune of a WGS84 point. Non-finite or impossible coordinates are "outside". */
  locate(lat: number, lng: number): LocateResult {
    if (!(Math.abs(lat) <= 90) || !(Math.abs(lng) <= 180)) return { kind: "outside" };
    const hit = this.featureAt(lng, lat);
    if (hit >= 0) {
      const code = this.codeOf(hit);
      if (this.overlap >= 0) return { kind: "inside", code, nearBorder: { code: this.codeOf(this.overlap), distanceM: 0 } };
      const near = this.nearestBoundary(lng, lat, this.nearBorderM, hit);
      return near.feature >= 0 ? { kind: "inside", code, nearBorder: { code: this.codeOf(near.feature), distanceM: round1(near.distanceM) } } : { kind: "inside", code };
    }
    for (const radius of NEAREST_STEPS_M) {
      if (radius >= this.nearestLimitM) break;
      const near = this.nearestBoundary(lng, lat, radius, -1);
      if (near.feature >= 0) return { kind: "nearest", code: this.codeOf(near.feature), distanceM: round1(near.distanceM) };
    }
    const near = this.nearestBoundary(lng, lat, this.nearestLimitM, -1);
    return near.feature >= 0 ? { kind: "nearest", code: this.codeOf(near.feature), distanceM: round1(near.distanceM) } : { kind: "outside" };
  }

  private codeOf(feature: number): string {
    return (this.communes[feature] as CommuneShape).code;
  }

  /**
   * Index of the first feature (in file order) containing the point, by even–odd parity over the
   * rings whose box holds it; -1 if none. Sets {@link overlap} when a second feature holds it too.
   */
  private featureAt(x: number, y: number): number {
    const { coords: c, ringStart, ringFeature, parity, touched } = this;
    this.ringIndex.search(x, y, x, y, (ring) => {
      const start = ringStart[ring] as number;
      const end = ringStart[ring + 1] as number;
      let inside = false;
      let x1 = c[2 * start] as number;
      let y1 = c[2 * start + 1] as number;
      for (let i = start + 1; i < end; i++) {
        const x2 = c[2 * i] as number;
        const y2 = c[2 * i + 1] as number;
        if (y1 > y !== y2 > y && x < ((x2 - x1) * (y - y1)) / (y2 - y1) + x1) inside = !inside;
        x1 = x2;
        y1 = y2;
      }
      const f = ringFeature[ring] as number;
      if (parity[f] === 0) touched.push(f);
      parity[f] = ((parity[f] as number) ^ (inside ? 2 : 0)) | 1;
      return false;
    });
    let found = -1;
    this.overlap = -1;
    for (const f of touched) {
      if (((parity[f] as number) & 2) !== 0) {
        if (found < 0 || f < found) [found, this.overlap] = [f, found];
        else if (this.overlap < 0 || f < this.overlap) this.overlap = f;
      }
      parity[f] = 0;
    }
    touched.length = 0;
    return found;
  }

  /** Feature of the nearest boundary edge within `radiusM` of the point, ignoring feature `exclude`; -1 if none. */
  private nearestBoundary(x: number, y: number, radiusM: number, exclude: number): { feature: number; distanceM: number } {
    const { coords: c, chunkStart, chunkEnd, chunkFeature } = this;
    const ky = M_PER_DEG;
    const kx = Math.max(M_PER_DEG * Math.cos((y * Math.PI) / 180), 1e-6);
    const dy = radiusM / ky;
    const dx = radiusM / kx;
    let best2 = radiusM * radiusM;
    let bestFeature = -1;
    this.chunkIndex.search(x - dx, y - dy, x + dx, y + dy, (chunk) => {
      const f = chunkFeature[chunk] as number;
      if (f === exclude) return false;
      const end = chunkEnd[chunk] as number;
      let s = chunkStart[chunk] as number;
      let ax = ((c[2 * s] as number) - x) * kx;
      let ay = ((c[2 * s + 1] as number) - y) * ky;
      for (s++; s < end; s++) {
        const bx = ((c[2 * s] as number) - x) * kx;
        const by = ((c[2 * s + 1] as number) - y) * ky;
        const ex = bx - ax;
        const ey = by - ay;
        const len2 = ex * ex + ey * ey;
        let t = len2 > 0 ? -(ax * ex + ay * ey) / len2 : 0;
        if (t < 0) t = 0;
        else if (t > 1) t = 1;
        const px = ax + t * ex;
        const py = ay + t * ey;
        const d2 = px * px + py * py;
        if (d2 < best2) {
          best2 = d2;
          bestFeature = f;
        }
        ax = bx;
        ay = by;
      }
      return false;
    });
    return { feature: bestFeature, distanceM: Math.sqrt(best2) };
  }
}

/**
 * Encodes a feature collection in the compact form read by {@link CommuneLocator.load}: gzip of
 * `"VNCS"`, u32 version, u32 header length, a JSON header (communes, ring layout, SHA-256 of the
 * source GeoJSON text), zero padding to 4 bytes, then each coordinate as an Int32 delta of
 * 1e-5 degree from the previous one. Lossless for 5-decimal coordinates (checked here).
 */
export function encodeCommuneShapes(collection: CommuneFeatureCollection, sourceSha256: string): Buffer {
  const flat = flattenGeoJSON(collection);
  const deltas = new Int32Array(flat.coords.length);
  let px = 0;
  let py = 0;
  for (let i = 0; i < flat.coords.length; i += 2) {
    const x = Math.round((flat.coords[i] as number) * COMPACT_SCALE);
    const y = Math.round((flat.coords[i + 1] as number) * COMPACT_SCALE);
    if (x / COMPACT_SCALE !== flat.coords[i] || y / COMPACT_SCALE !== flat.coords[i + 1]) {
      throw new Error(`coordinate ${flat.coords[i]},${flat.coords[i + 1]} has more than 5 decimals`);
    }
    deltas[i] = x - px;
    deltas[i + 1] = y - py;
    px = x;
    py = y;
  }
  const header: CompactHeader = {
    source: { file: "communes.geojson", sha256: sourceSha256 },
    scale: COMPACT_SCALE,
    communes: flat.communes,
    ringFeature: Array.from(flat.ringFeature),
    ringLength: Array.from(flat.ringFeature, (_, r) => (flat.ringStart[r + 1] as number) - (flat.ringStart[r] as number)),
  };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const pre = Buffer.alloc(12);
  pre.write(COMPACT_MAGIC, 0, "latin1");
  pre.writeUInt32LE(COMPACT_VERSION, 4);
  pre.writeUInt32LE(json.length, 8);
  const pad = Buffer.alloc((4 - ((12 + json.length) % 4)) % 4);
  const body = Buffer.from(deltas.buffer, deltas.byteOffset, deltas.byteLength);
  return zlib.gzipSync(Buffer.concat([pre, json, pad, body]), { level: 9 });
}

/** SHA-256 (hex) of the GeoJSON text a compact file was built from, to check that it is current. */
export function compactSourceSha256(file = COMMUNES_COMPACT_FILE): string {
  return readCompactHeader(zlib.gunzipSync(fs.readFileSync(file))).header.source.sha256;
}

interface CompactHeader {
  source: { file: string; sha256: string };
  scale: number;
  communes: CommuneShape[];
  ringFeature: number[];
  ringLength: number[];
}

function readCompactHeader(bytes: Buffer): { header: CompactHeader; bodyOffset: number } {
  if (bytes.toString("latin1", 0, 4) !== COMPACT_MAGIC || bytes.readUInt32LE(4) !== COMPACT_VERSION) {
    throw new Error(`not a version ${COMPACT_VERSION} compact commune file`);
  }
  const length = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.toString("utf8", 12, 12 + length)) as CompactHeader;
  return { header, bodyOffset: 12 + length + ((4 - ((12 + length) % 4)) % 4) };
}

function decodeFile(file: string, bytes: Buffer): FlatShapes {
  return file.endsWith(".geojson.gz") ? flattenGeoJSON(JSON.parse(bytes.toString("utf8")) as CommuneFeatureCollection) : decodeCompact(bytes);
}

function decodeCompact(bytes: Buffer): FlatShapes {
  const { header, bodyOffset } = readCompactHeader(bytes);
  const ringStart = new Uint32Array(header.ringLength.length + 1);
  for (let r = 0; r < header.ringLength.length; r++) ringStart[r + 1] = (ringStart[r] as number) + (header.ringLength[r] as number);
  const total = 2 * (ringStart[header.ringLength.length] as number);
  if (bytes.length - bodyOffset !== total * 4) throw new Error("compact commune file is truncated");
  const aligned = (bytes.byteOffset + bodyOffset) % 4 === 0 ? bytes : Buffer.from(bytes);
  const deltas = new Int32Array(aligned.buffer, aligned.byteOffset + bodyOffset, total);
  const coords = new Float64Array(total);
  let x = 0;
  let y = 0;
  for (let i = 0; i < total; i += 2) {
    x += deltas[i] as number;
    y += deltas[i + 1] as number;
    coords[i] = x / header.scale;
    coords[i + 1] = y / header.scale;
  }
  return { communes: header.communes, ringFeature: Uint16Array.from(header.ringFeature), ringStart, coords };
}

function flattenGeoJSON(collection: CommuneFeatureCollection): FlatShapes {
  const features = collection.features;
  if (features.length > 0xffff) throw new Error(`too many features: ${features.length}`);
  const rings: number[][][] = [];
  const ringFeature: number[] = [];
  features.forEach((f, fi) => {
    for (const polygon of f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates) {
      for (const ring of polygon) {
        const first = ring[0];
        const last = ring[ring.length - 1];
        if (ring.length < 4 || !first || !last || first[0] !== last[0] || first[1] !== last[1]) {
          throw new Error(`commune ${f.properties.code}: a ring is not closed or has fewer than 4 positions`);
        }
        rings.push(ring);
        ringFeature.push(fi);
      }
    }
  });
  const ringStart = new Uint32Array(rings.length + 1);
  rings.forEach((ring, r) => (ringStart[r + 1] = (ringStart[r] as number) + ring.length));
  const coords = new Float64Array(2 * (ringStart[rings.length] as number));
  let i = 0;
  for (const ring of rings) {
    for (const p of ring) {
      coords[i++] = p[0] as number;
      coords[i++] = p[1] as number;
    }
  }
  return {
    communes: features.map((f) => ({ code: f.properties.code, name: f.properties.name, provinceCode: f.properties.province_code })),
    ringFeature: Uint16Array.from(ringFeature),
    ringStart,
    coords,
  };
}

/** SHA-256 (hex) of a gzip GeoJSON file's text, as recorded in the compact form. */
export function geojsonSha256(file = COMMUNES_GEOJSON_FILE): string {
  return crypto.createHash("sha256").update(zlib.gunzipSync(fs.readFileSync(file))).digest("hex");
}

function round1(m: number): number {
  return Math.round(m * 10) / 10;
}
