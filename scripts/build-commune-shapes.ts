/**
 * Rebuilds data/vn-admin/communes.bin.gz (the compact polygons loaded by CommuneLocator) from
 * data/vn-admin/communes.geojson.gz. With a path to a newer plain communes.geojson (e.g.
 * shared/data/vn-admin/communes.geojson), first refreshes communes.geojson.gz from it.
 *
 * usage: npm run data:communes [-- path/to/communes.geojson]
 */
import fs from "node:fs";
import zlib from "node:zlib";
import {
  COMMUNES_COMPACT_FILE,
  COMMUNES_GEOJSON_FILE,
  encodeCommuneShapes,
  geojsonSha256,
  type CommuneFeatureCollection,
} from "../src/routing/communeLocator.ts";

const source = process.argv[2];
if (source) fs.writeFileSync(COMMUNES_GEOJSON_FILE, zlib.gzipSync(fs.readFileSync(source), { level: 9 }));
const collection = JSON.parse(zlib.gunzipSync(fs.readFileSync(COMMUNES_GEOJSON_FILE)).toString("utf8")) as CommuneFeatureCollection;
const compact = encodeCommuneShapes(collection, geojsonSha256(COMMUNES_GEOJSON_FILE));
fs.writeFileSync(COMMUNES_COMPACT_FILE, compact);
console.log(`${COMMUNES_COMPACT_FILE}: ${collection.features.length} communes, ${compact.length} bytes`);
