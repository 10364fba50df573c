import type { Config } from "./config.ts";
import type { PlaceFinder } from "./core/tips/places.ts";
import { CommuneLocator } from "./routing/communeLocator.ts";
import { PlaceSearch } from "./routing/placeSearch.ts";
import { OnDemand } from "./routing/onDemand.ts";
import { Sealer, loadSealingKeys } from "./security/sealing.ts";

/** How long the commune polygons and the place index are kept after their last use. */
const PLACES_KEPT_MS = 30 * 60_000;

/**
 * Commune routing: point-in-polygon for shared locations, search for typed names. Each is loaded on
 * its first use (~0.1 s for the polygons, ~0.35 s for the name index, once) and dropped after 30
 * minutes unused, so an idle service does not hold their ~40 MB. `onLoad` is told what was loaded.
 */
export async function loadPlaces(onLoad?: (what: "polygons" | "names", ms: number) => void): Promise<PlaceFinder> {
  const locator = new OnDemand(() => CommuneLocator.loadSync(), PLACES_KEPT_MS, (ms) => onLoad?.("polygons", ms));
  const search = new OnDemand(() => PlaceSearch.load(), PLACES_KEPT_MS, (ms) => onLoad?.("names", ms));
  return {
    locate: (lat, lng) => locator.get().locate(lat, lng),
    search: (text, opts) => search.get().search(text, opts),
    findProvince: (text) => search.get().findProvince(text),
  };
}

/** The sealer for contact details and reply references, from ENCRYPTION_KEYS or the key file. */
export function loadSealer(config: Config): { sealer: Sealer; generated: boolean } {
  const { keys, generated } = loadSealingKeys(config.encryption.keys, config.encryption.keyFile);
  return { sealer: new Sealer(keys), generated };
}
