/** A commune as routing answers with it. */
export interface CommuneRef {
  code: string;
  /** Full current name with type, e.g. "Xã Tân Thạnh". */
  name: string;
  provinceCode: string;
  provinceName: string;
}

/** A province as routing answers with it. */
export interface ProvinceRef {
  code: string;
  /** Full current name with type, e.g. "Tỉnh Tây Ninh". */
  name: string;
}

/** Where a shared location falls (see src/routing/communeLocator.ts). */
export type LocateResult =
  | { kind: "inside"; code: string; nearBorder?: { code: string; distanceM: number } }
  | { kind: "nearest"; code: string; distanceM: number }
  | { kind: "outside" };

/** What a typed place name matches (see src/routing/placeSearch.ts). */
export type PlaceSearchResult =
  /**
   * The typed text is this commune's name (diacritics ignored, none contradicting). `otherSpellings`
   * (same name, other diacritics) and `legacyAlternatives` (pre-2025 units of that name now elsewhere)
   * are to be offered after it.
   */
  | { kind: "match"; commune: CommuneRef; via?: "legacy" | "alias"; legacyAlternatives?: CommuneRef[]; otherSpellings?: CommuneRef[] }
  /** Ask which one. "similar": the text is no commune's name; the closest, best first, must be confirmed. */
  | { kind: "choose"; candidates: CommuneRef[]; reason: "same_name" | "legacy_split" | "similar"; more?: number }
  | { kind: "province"; provinces: ProvinceRef[] }
  | { kind: "none" };

/** The routing services the tip flow needs; the core depends on this, not on the geometry code. */
export interface PlaceFinder {
  /** Point-in-polygon over the commune boundaries; absent when the polygons are not loaded. */
  locate?(lat: number, lng: number): LocateResult;
  search(text: string, opts?: { provinceCode?: string }): PlaceSearchResult;
  findProvince(text: string): ProvinceRef[];
}
