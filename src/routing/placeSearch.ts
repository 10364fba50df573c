/**
 * Typed place → commune: how a text is read (type word, province and district hints) and the
 * decision (match, choose, ask the province). The index is built in placeIndex.ts; folding, tone keys
 * and edit distances are in placeText.ts.
 */
import type { CommuneRef, ProvinceRef } from "../core/tips/places.ts";
import { PlaceIndex, readPlaceData, type LegacyUnit, type NameEntry } from "./placeIndex.ts";
import { TYPE_PREFIXES, dropWords, editDistance, marksCompatible, normalizeKey, stripProvinceWord, toneKey } from "./placeText.ts";

// The shapes the core's tip flow expects (src/core/tips/places.ts): this module implements that port.
export type { CommuneRef, ProvinceRef } from "../core/tips/places.ts";
export { LEGACY_FILE, type LegacyRow } from "./placeIndex.ts";
export { editDistance, marksCompatible, normalizeKey, toneKey } from "./placeText.ts";

/** Why the resident must choose among several communes. */
export type ChooseReason =
  /** Several communes carry the typed name (or names that differ only in diacritics the resident left out). */
  | "same_name"
  /** The typed pre-2025 unit was split across several new communes. */
  | "legacy_split"
  /** The typed name matches no name exactly; these are the closest names. */
  | "similar";

/** Outcome of a typed place search. Ambiguity is always a question, never a guess. */
export type PlaceSearchResult =
  | {
      kind: "match";
      commune: CommuneRef;
      via?: "legacy" | "alias";
      /**
       * Set when the current name matched but pre-2025 units of the same name now lie in other
       * communes (e.g. "Ba Đình": also the former Phường Ba Đình of Thanh Hóa). Confirm with the
       * resident, offering these too.
       */
      legacyAlternatives?: CommuneRef[];
    }
  /** Ask which commune; at most {@link MAX_CANDIDATES} are listed, `more` counts the rest. */
  | { kind: "choose"; candidates: CommuneRef[]; reason: ChooseReason; more?: number }
  /** The name exists in several provinces: ask which province first, then search again with its code. */
  | { kind: "province"; provinces: ProvinceRef[] }
  | { kind: "none" };

/** Options of {@link PlaceSearch.search}. */
export interface PlaceSearchOptions {
  /** Restricts the search to this province (e.g. the resident's answer to a "province" question). */
  provinceCode?: string;
}

/** Most candidates listed in one "choose" answer. */
export const MAX_CANDIDATES = 8;
/** Longest input considered; the rest is ignored. */
const MAX_INPUT = 200;

/** Where the text (or the caller) says the place is. Every present field narrows the search. */
interface Scope {
  /** Current province codes. */
  provinces?: Set<string>;
  /** Pre-2025 province codes (a former province was named): narrows legacy names precisely. */
  oldProvinces?: Set<string>;
  /** Pre-2025 districts: legacy names must be in one of them. */
  districts?: Set<string>;
  /** Current communes that received part of the pre-2025 province or district named: current names must be one of them. */
  communes?: Set<string>;
}

/** One way to read the text: the place name, its type word if any, and the narrowing it names. */
interface Reading {
  key: string;
  tone: string;
  type?: string;
  scope: Scope;
}

interface Hit {
  entry: NameEntry;
  key: string;
}

/**
 * Finds the commune a resident means from a typed place name.
 *
 * - Names are compared folded (no diacritics, lower case, punctuation as spaces); when the resident
 *   typed diacritics, names with the same marks (by {@link toneKey}, so Hoà = Hòa) win, then names
 *   whose marks include the typed ones ({@link marksCompatible}): "Tân Thạnh" ≠ "Tân Thành".
 * - Type words ("phường", "p.", "xã", "x", "đặc khu", "thị trấn", "tt", "huyện") are optional and,
 *   when given, prefer units of that type ("phường Chương Dương" is the former ward, not today's xã).
 * - A province (current, pre-2025, or an everyday form such as "HCM", "Sài Gòn", "HN") or a
 *   pre-2025 district ("quận 3", "Q.3", "huyện Tân Thạnh"), after a comma or at the end, narrows
 *   the search. A text naming only a pre-2025 district offers the communes that received part of it.
 * - Current names (and their aliases: other tone placement, 1 July 2025 name, each part of
 *   "Xuân Hương - Đà Lạt") win over pre-2025 names (legacy_to_new.json), which are used when no
 *   current name matches. A current match that is also the name of pre-2025 units now elsewhere
 *   lists those as `legacyAlternatives`.
 * - A name found in several provinces asks for the province (listing former locations too).
 * - Typos: MiniSearch proposes names (exact words, fuzzy whole name), then an edit distance of at
 *   most 1 (names of 4–7 letters) or 2 (8 or more) decides; only a single closest commune is a
 *   match, equally close ones are a "choose" (reason "similar").
 */
export class PlaceSearch extends PlaceIndex {
  /** Reads data/vn-admin/units.json and legacy_to_new.json.gz and builds the index (about 0.3 s, 15 MB). */
  static load(files: { units?: string; legacy?: string } = {}): PlaceSearch {
    const startedAt = performance.now();
    const { units, legacy } = readPlaceData(files);
    return new PlaceSearch(units, legacy, startedAt);
  }

  /**
   * Provinces a text names: official names with or without "tỉnh"/"thành phố"/"tp", everyday forms
   * ("HCM", "TPHCM", "Sài Gòn", "HN", "Huế"), and pre-2025 provinces (mapped to the current one).
   * Diacritics optional; one typo tolerated in names of 5 letters or more. Empty when nothing fits.
   */
  findProvince(text: string): ProvinceRef[] {
    const key = normalizeKey(text.slice(0, MAX_INPUT));
    if (!key) return [];
    const exact = this.provinceNames.get(key) ?? this.provinceNames.get(stripProvinceWord(key));
    if (exact) return this.provinceRefs(exact.codes);
    const bare = stripProvinceWord(key);
    if (bare.replace(/ /g, "").length < 5) return [];
    let best = 2;
    let codes = new Set<string>();
    for (const [name, entry] of this.provinceNames) {
      const d = editDistance(bare, name, best);
      if (d < best) {
        best = d;
        codes = new Set(entry.codes);
      } else if (d === best) for (const c of entry.codes) codes.add(c);
    }
    return best <= 1 ? this.provinceRefs(codes) : [];
  }

  /** Finds the commune a typed place names (see the class comment for the rules). */
  search(text: string, options: PlaceSearchOptions = {}): PlaceSearchResult {
    const readings = this.readings(text.slice(0, MAX_INPUT), options.provinceCode);
    for (const reading of readings) {
      const hits = this.exactHits(reading);
      if (hits.length) return this.decide(hits, reading, false);
    }
    const district = this.districtAnswer(text.slice(0, MAX_INPUT), options.provinceCode);
    if (district) return district;
    let bestDistance = Infinity;
    let best: { hits: Hit[]; reading: Reading } | undefined;
    for (const reading of readings) {
      const found = this.fuzzyHits(reading);
      if (found && found.distance < bestDistance) {
        bestDistance = found.distance;
        best = { hits: found.hits, reading };
      }
    }
    return best ? this.decide(best.hits, best.reading, true) : { kind: "none" };
  }

  /** A text that names only a pre-2025 district ("Quận 3, HCM"): the communes that received part of it. */
  private districtAnswer(text: string, provinceCode: string | undefined): PlaceSearchResult | undefined {
    const base: Scope = provinceCode === undefined ? {} : { provinces: new Set([provinceCode]) };
    const words = normalizeKey(text).split(" ");
    for (let p = 0; p <= Math.min(5, words.length - 1); p++) {
      const scope = p === 0 ? base : this.narrowByProvince(base, words.slice(words.length - p).join(" "));
      const named = scope && this.narrowByDistrict(scope, words.slice(0, words.length - p).join(" "));
      if (!named?.communes) continue;
      const refs = [...named.communes].sort().map((c) => this.communes.get(c) as CommuneRef);
      const provinceCodes = new Set(refs.map((r) => r.provinceCode));
      if (provinceCodes.size > 1) return { kind: "province", provinces: this.provinceRefs(provinceCodes) };
      if (refs.length === 1) return { kind: "match", commune: refs[0] as CommuneRef, via: "legacy" };
      const shown = refs.slice(0, MAX_CANDIDATES);
      return refs.length > shown.length
        ? { kind: "choose", candidates: shown, reason: "legacy_split", more: refs.length - shown.length }
        : { kind: "choose", candidates: shown, reason: "legacy_split" };
    }
    return undefined;
  }

  /** The ways to read a text, most explicit first: "name, hint, hint", the whole text, then trailing hints peeled off. */
  private readings(text: string, provinceCode: string | undefined): Reading[] {
    const base: Scope = provinceCode === undefined ? {} : { provinces: new Set([provinceCode]) };
    const readings: Reading[] = [];
    const push = (nameText: string, scope: Scope) => {
      const key = normalizeKey(nameText);
      if (!key) return;
      const tone = toneKey(nameText);
      for (const [re, type] of TYPE_PREFIXES) {
        const m = re.exec(key);
        if (m?.[1]) readings.push({ key: m[1], tone: dropWords(tone, key.split(" ").length - m[1].split(" ").length), type, scope });
      }
      readings.push({ key, tone, scope });
    };

    const parts = text.normalize("NFC").split(/[,;\n]+/).map((p) => p.trim()).filter(Boolean);
    if (parts.length > 1) {
      let scope: Scope | undefined = base;
      for (const hint of parts.slice(1)) scope = scope && this.narrow(scope, normalizeKey(hint));
      if (scope) push(parts[0] as string, scope);
    }
    const whole = parts.join(" ");
    push(whole, base);

    const words = normalizeKey(whole).split(" ");
    const toneWords = toneKey(whole).split(" ");
    const peeled = (n: number) => (toneWords.length === words.length ? toneWords.slice(0, words.length - n).join(" ") : words.slice(0, words.length - n).join(" "));
    for (let p = Math.min(5, words.length - 1); p >= 1; p--) {
      const provinceScope = this.narrowByProvince(base, words.slice(words.length - p).join(" "));
      if (!provinceScope) continue;
      const rest = words.length - p;
      for (let d = Math.min(4, rest - 1); d >= 1; d--) {
        const districtScope = this.narrowByDistrict(provinceScope, words.slice(rest - d, rest).join(" "));
        if (districtScope) push(peeled(p + d), districtScope);
      }
      push(peeled(p), provinceScope);
    }
    for (let d = Math.min(4, words.length - 1); d >= 1; d--) {
      const districtScope = this.narrowByDistrict(base, words.slice(words.length - d).join(" "));
      if (districtScope) {
        push(peeled(d), districtScope);
        break;
      }
    }
    return readings;
  }

  /** The scope narrowed by a hint naming a province or a pre-2025 district; undefined if the hint names neither. */
  private narrow(scope: Scope, hint: string): Scope | undefined {
    return this.narrowByProvince(scope, hint) ?? this.narrowByDistrict(scope, hint);
  }

  private narrowByProvince(scope: Scope, hint: string): Scope | undefined {
    const found = this.provinceNames.get(hint) ?? this.provinceNames.get(stripProvinceWord(hint));
    if (!found) return undefined;
    // A province the caller already chose wins over one named in the text.
    if (scope.provinces && ![...found.codes].some((c) => scope.provinces?.has(c))) return scope;
    if (!found.oldCodes) return { ...scope, provinces: scope.provinces ?? found.codes };
    const received = new Set<string>();
    for (const old of found.oldCodes) for (const c of this.oldProvinceCommunes.get(old) ?? []) received.add(c);
    return { ...scope, provinces: scope.provinces ?? found.codes, oldProvinces: found.oldCodes, communes: intersect(scope.communes, received) };
  }

  private narrowByDistrict(scope: Scope, hint: string): Scope | undefined {
    const ids = this.districtNames.get(hint);
    if (!ids) return undefined;
    const districts = new Set<string>();
    const received = new Set<string>();
    for (const id of ids) {
      if (scope.districts && !scope.districts.has(id)) continue;
      if (scope.oldProvinces && !scope.oldProvinces.has(id.slice(0, id.indexOf(":")))) continue;
      const communes = [...(this.districtCommunes.get(id) ?? [])].filter(
        (c) => !scope.provinces || scope.provinces.has((this.communes.get(c) as CommuneRef).provinceCode),
      );
      if (!communes.length) continue;
      districts.add(id);
      for (const c of communes) received.add(c);
    }
    return districts.size ? { ...scope, districts, communes: intersect(scope.communes, received) } : undefined;
  }

  private exactHits(reading: Reading): Hit[] {
    return (this.names.get(reading.key) ?? []).filter((e) => this.inScope(e, reading.scope)).map((entry) => ({ entry, key: reading.key }));
  }

  private fuzzyHits(reading: Reading): { hits: Hit[]; distance: number } | undefined {
    const length = reading.key.replace(/ /g, "").length;
    const allowed = length >= 8 ? 2 : length >= 4 ? 1 : 0;
    if (allowed === 0) return undefined;
    const results = this.fuzzyIndex.search(reading.key, {
      // Only the whole name (the last search term, see searchTerms) is fuzzy; 2 edits also cover a swap of two letters.
      fuzzy: (_term, index, terms) => (index === terms.length - 1 ? 2 : false),
      combineWith: "OR",
    });
    let best = allowed + 1;
    let hits: Hit[] = [];
    for (const r of results) {
      const key = this.fuzzyKeys[r.id as number] as string;
      const d = editDistance(reading.key, key, best);
      if (d > best) continue;
      const entries = (this.names.get(key) ?? []).filter((e) => this.inScope(e, reading.scope));
      if (!entries.length) continue;
      if (d < best) {
        best = d;
        hits = [];
      }
      for (const entry of entries) hits.push({ entry, key });
    }
    return hits.length ? { hits, distance: best } : undefined;
  }

  private inScope(entry: NameEntry, scope: Scope): boolean {
    if (entry.code !== undefined) {
      const commune = this.communes.get(entry.code) as CommuneRef;
      if (scope.provinces && !scope.provinces.has(commune.provinceCode)) return false;
      return !scope.communes || scope.communes.has(entry.code);
    }
    const legacy = entry.legacy as LegacyUnit;
    if (scope.districts && !scope.districts.has(legacy.district)) return false;
    if (scope.oldProvinces && !scope.oldProvinces.has(legacy.oldProvinceCode)) return false;
    if (scope.provinces && !legacy.targets.some((t) => scope.provinces?.has((this.communes.get(t.code) as CommuneRef).provinceCode))) return false;
    return true;
  }

  /**
   * Turns the hits of one reading into an answer. Preference: names that fit the typed type word
   * and the typed diacritics, current names before pre-2025 ones; then the type word is dropped,
   * then the diacritics.
   */
  private decide(all: Hit[], reading: Reading, fuzzy: boolean): PlaceSearchResult {
    const current = all.filter((h) => h.entry.code !== undefined);
    const legacy = all.filter((h) => h.entry.legacy !== undefined);
    const type = reading.type;
    const typed = (list: Hit[]) => (type ? list.filter((h) => h.entry.types.includes(type)) : list);
    const marked = (list: Hit[]) => {
      if (fuzzy || reading.tone === reading.key) return list;
      const same = list.filter((h) => h.entry.tone === reading.tone);
      return same.length ? same : list.filter((h) => marksCompatible(reading.tone, h.entry.tone));
    };
    // A typo is equally likely in a current and in a pre-2025 name: equally close names all count.
    const hits = fuzzy
      ? [typed(all), all].find((list) => list.length > 0) ?? []
      : [marked(typed(current)), marked(typed(legacy)), marked(current), marked(legacy), typed(current), typed(legacy), current, legacy].find(
          (list) => list.length > 0,
        ) ?? [];

    const isLegacy = hits.every((h) => h.entry.legacy !== undefined);
    const candidates: Array<{ code: string; whole: boolean }> = [];
    for (const h of hits) {
      const targets = h.entry.legacy ? h.entry.legacy.targets : [{ code: h.entry.code as string, whole: true }];
      for (const t of targets) {
        const province = (this.communes.get(t.code) as CommuneRef).provinceCode;
        if (reading.scope.provinces && !reading.scope.provinces.has(province)) continue;
        if (!candidates.some((c) => c.code === t.code)) candidates.push(t);
      }
    }
    candidates.sort((a, b) => Number(b.whole) - Number(a.whole));
    const refs = candidates.map((c) => this.communes.get(c.code) as CommuneRef);
    if (refs.length === 0) return { kind: "none" };

    const provinceCodes = new Set(refs.map((r) => r.provinceCode));
    if (provinceCodes.size > 1) {
      // Also where the name was a pre-2025 unit, so that a resident using the old name finds their province.
      if (!fuzzy) for (const h of marked(typed(legacy))) for (const t of h.entry.legacy?.targets ?? []) provinceCodes.add((this.communes.get(t.code) as CommuneRef).provinceCode);
      return { kind: "province", provinces: this.provinceRefs(provinceCodes) };
    }
    if (refs.length === 1) {
      const ref = refs[0] as CommuneRef;
      if (isLegacy) return { kind: "match", commune: ref, via: "legacy" };
      const match: PlaceSearchResult = hits.every((h) => h.entry.via === "alias") ? { kind: "match", commune: ref, via: "alias" } : { kind: "match", commune: ref };
      const others = new Set<string>();
      if (!fuzzy) for (const h of marked(typed(legacy))) for (const t of h.entry.legacy?.targets ?? []) if (t.code !== ref.code) others.add(t.code);
      const alternatives = [...others].flatMap((code) => {
        const other = this.communes.get(code) as CommuneRef;
        return reading.scope.provinces && !reading.scope.provinces.has(other.provinceCode) ? [] : [other];
      });
      return alternatives.length ? { ...match, legacyAlternatives: alternatives.slice(0, MAX_CANDIDATES) } : match;
    }
    const distinctKeys = new Set(hits.map((h) => h.key));
    const reason: ChooseReason = fuzzy && distinctKeys.size > 1 ? "similar" : isLegacy && hits.length === 1 ? "legacy_split" : "same_name";
    const shown = refs.slice(0, MAX_CANDIDATES);
    return refs.length > shown.length ? { kind: "choose", candidates: shown, reason, more: refs.length - shown.length } : { kind: "choose", candidates: shown, reason };
  }}

function intersect(a: Set<string> | undefined, b: Set<string>): Set<string> {
  return a ? new Set([...b].filter((x) => a.has(x))) : b;
}
