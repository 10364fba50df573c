import type { Config } from "./config.ts";
import type { PlaceFinder } from "./core/tips/places.ts";
import { CommuneLocator } from "./routing/communeLocator.ts";
import { PlaceSearch } from "./routing/placeSearch.ts";
import { Sealer, loadSealingKeys } from "./security/sealing.ts";

/** Commune routing: point-in-polygon for shared locations, search for typed names. Loaded once. */
export async function loadPlaces(): Promise<PlaceFinder> {
  const [locator, search] = await Promise.all([CommuneLocator.load(), Promise.resolve().then(() => PlaceSearch.load())]);
  return {
    locate: (lat, lng) => locator.locate(lat, lng),
    search: (text, opts) => search.search(text, opts),
    findProvince: (text) => search.findProvince(text),
  };
}

/** The sealer for contact details and reply references, from ENCRYPTION_KEYS or the key file. */
export function loadSealer(config: Config): { sealer: Sealer; generated: boolean } {
  const { keys, generated } = loadSealingKeys(config.encryption.keys, config.encryption.keyFile);
  return { sealer: new Sealer(keys), generated };
}
