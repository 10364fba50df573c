import fs from "node:fs";
import zlib from "node:zlib";
import MiniSearch from "minisearch";
import { fold } from "../core/text.ts";
import { UNITS_FILE } from "../db/referenceData.ts";

/** Pre-2025 communes → new commune(s), gzip JSON copied from shared/data/vn-admin (see its README). */
export const LEGACY_FILE = fromRoot("data", "vn-admin", "legacy_to_new.json.gz");

// The shapes the core's tip flow expects (src/core/tips/places.ts): this module implements that port.
export type { CommuneRef, ProvinceRef } from "../core/tips/places.ts";
import type { CommuneRef, ProvinceRef } from "../core/tips/places.ts";
import { fromRoot } from "../paths.ts";

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

interface UnitsFile {
  provinces: Array<{ code: string; name: string; short_name: string; aliases?: string[] }>;
  communes: Array<{
    code: string;
    name: string;
    short_name: string;
    type: string;
    province_code: string;
    aliases?: string[];
    as_of_2025_07_01?: { name: string; type: string };
  }>;
}

/** One row of legacy_to_new.json. */
export interface LegacyRow {
  old_level: "xã" | "huyện";
  old_code: string;
  old_name: string;
  old_district: string;
  old_district_code: string;
  old_province_code: string;
  old_province: string;
  new: Array<{ code: string; name: string; whole: boolean }>;
}

/** A name under which something can be found: a current commune, one of its aliases, or a pre-2025 unit. */
interface NameEntry {
  /** Diacritics kept, tone-mark placement normalised (see {@link toneKey}). */
  tone: string;
  /** Commune types the name was used with ("xã", "phường", "đặc khu", "thị trấn", "huyện"). */
  types: string[];
  /** Current commune, for current names and aliases. */
  code?: string;
  via?: "alias";
  /** Pre-2025 unit, for legacy names. */
  legacy?: LegacyUnit;
}

interface LegacyUnit {
  /** `${old_province_code}:${old_district_code}`. */
  district: string;
  oldProvinceCode: string;
  targets: Array<{ code: string; whole: boolean }>;
}

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

/** Commune type words a resident may put before a name, folded, longest first. */
const TYPE_PREFIXES: Array<[RegExp, string]> = [
  [/^(?:phuong|p)(?: |\.\s*)(.+)$/, "phường"],
  // "p1", "f12": numbered wards as written in Hồ Chí Minh City ("F" is the local shorthand).
  [/^[pf](\d+(?: .+)?)$/, "phường"],
  [/^(?:xa|x)(?: |\.\s*)(.+)$/, "xã"],
  [/^(?:dac khu|dk)(?: |\.\s*)(.+)$/, "đặc khu"],
  [/^(?:thi tran|tt)(?: |\.\s*)(.+)$/, "thị trấn"],
  [/^(?:huyen)(?: |\.\s*)(.+)$/, "huyện"],
];
/** Province type words, folded. */
const PROVINCE_PREFIX = /^(?:tinh|thanh pho|tp|t p)(?: |\.\s*)(.+)$/;
/** Type words of the pre-2025 districts, folded, with their short forms. */
const DISTRICT_WORDS: Array<[string, string]> = [
  ["quan", "q"],
  ["huyen", "h"],
  ["thi xa", "tx"],
  ["thanh pho", "tp"],
];
/** Everyday names of provinces that the official names, aliases and pre-2025 names do not cover (folded). */
const PROVINCE_SHORT_FORMS: Record<string, string> = {
  hcm: "79", tphcm: "79", "tp hcm": "79", hcmc: "79", "sai gon": "79", saigon: "79", sg: "79", brvt: "79",
  hn: "01", hanoi: "01",
  tth: "46", "thua thien hue": "46",
  danang: "48",
  hp: "31", haiphong: "31",
  cantho: "92",
};

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
export class PlaceSearch {
  /** Milliseconds spent reading and indexing at load. */
  readonly loadMs: number;

  private readonly communes = new Map<string, CommuneRef>();
  private readonly provinces = new Map<string, ProvinceRef>();
  private readonly names = new Map<string, NameEntry[]>();
  private readonly fuzzyIndex: MiniSearch<{ id: number; key: string }>;
  private readonly fuzzyKeys: string[] = [];
  /** Folded province name (with and without its type word, short forms, pre-2025 names) → current codes. */
  private readonly provinceNames = new Map<string, { codes: Set<string>; oldCodes?: Set<string> }>();
  /** Folded pre-2025 district name → district ids. */
  private readonly districtNames = new Map<string, Set<string>>();
  /** Pre-2025 district id → current communes that received part of it. */
  private readonly districtCommunes = new Map<string, Set<string>>();
  /** Pre-2025 province code → current communes that received part of it. */
  private readonly oldProvinceCommunes = new Map<string, Set<string>>();

  constructor(units: UnitsFile, legacy: LegacyRow[], startedAt = performance.now()) {
    for (const p of units.provinces) {
      this.provinces.set(p.code, { code: p.code, name: p.name });
      for (const n of [p.name, p.short_name, ...(p.aliases ?? [])]) this.addProvinceName(n, p.code);
    }
    for (const [form, code] of Object.entries(PROVINCE_SHORT_FORMS)) this.addProvinceName(form, code);

    for (const c of units.communes) {
      const province = this.provinces.get(c.province_code);
      if (!province) throw new Error(`commune ${c.code}: unknown province ${c.province_code}`);
      this.communes.set(c.code, { code: c.code, name: c.name, provinceCode: c.province_code, provinceName: province.name });
      const types = [c.type, ...(c.as_of_2025_07_01 ? [c.as_of_2025_07_01.type] : [])];
      this.addName(c.short_name, { tone: toneKey(c.short_name), types, code: c.code });
      for (const alias of c.aliases ?? []) {
        const short = stripTypeWord(alias);
        this.addName(short, { tone: toneKey(short), types, code: c.code, via: "alias" });
      }
      // "Xuân Hương - Đà Lạt", "Văn Miếu - Quốc Tử Giám": each part alone is a usual short form.
      const parts = c.short_name.split(/\s+[-–]\s+/);
      if (parts.length > 1) for (const part of parts) this.addName(part, { tone: toneKey(part), types, code: c.code, via: "alias" });
    }

    const oldProvinceTargets = new Map<string, { name: string; codes: Set<string> }>();
    const seenDistricts = new Set<string>();
    for (const row of legacy) {
      const targets = row.new.filter((t) => this.communes.has(t.code)).map((t) => ({ code: t.code, whole: t.whole }));
      if (targets.length === 0) continue;
      const district = `${row.old_province_code}:${row.old_district_code}`;
      const oldType = row.old_level === "huyện" ? "huyện" : (/^(Phường|Xã|Thị trấn)\s/iu.exec(row.old_name)?.[1] ?? "").toLowerCase();
      const short = stripTypeWord(row.old_name);
      this.addName(short, { tone: toneKey(short), types: [oldType], legacy: { district, oldProvinceCode: row.old_province_code, targets } });

      for (const [map, id] of [[this.districtCommunes, district], [this.oldProvinceCommunes, row.old_province_code]] as const) {
        const received = map.get(id) ?? new Set<string>();
        for (const t of targets) received.add(t.code);
        map.set(id, received);
      }
      if (!seenDistricts.has(district)) {
        seenDistricts.add(district);
        for (const form of districtForms(row.old_district)) {
          const ids = this.districtNames.get(form) ?? new Set<string>();
          ids.add(district);
          this.districtNames.set(form, ids);
        }
      }
      const op = oldProvinceTargets.get(row.old_province_code) ?? { name: row.old_province, codes: new Set<string>() };
      for (const t of targets) op.codes.add((this.communes.get(t.code) as CommuneRef).provinceCode);
      oldProvinceTargets.set(row.old_province_code, op);
    }
    for (const [oldCode, { name, codes }] of oldProvinceTargets) {
      for (const form of [name, stripProvinceWord(normalizeKey(name))]) {
        const key = normalizeKey(form);
        if (this.provinceNames.has(key)) continue;
        const newCodes = new Set([...codes].filter((code) => this.provinces.has(code)));
        this.provinceNames.set(key, { codes: newCodes, oldCodes: new Set([oldCode]) });
      }
    }

    this.fuzzyIndex = new MiniSearch({
      fields: ["key"],
      tokenize: searchTerms,
      processTerm: (term) => term,
    });
    this.fuzzyKeys = [...this.names.keys()];
    this.fuzzyIndex.addAll(this.fuzzyKeys.map((key, id) => ({ id, key })));
    this.loadMs = performance.now() - startedAt;
  }

  /** Reads data/vn-admin/units.json and legacy_to_new.json.gz and builds the index (about 0.3 s, 15 MB). */
  static load(files: { units?: string; legacy?: string } = {}): PlaceSearch {
    const startedAt = performance.now();
    const units = JSON.parse(fs.readFileSync(files.units ?? UNITS_FILE, "utf8")) as UnitsFile;
    const legacy = JSON.parse(zlib.gunzipSync(fs.readFileSync(files.legacy ?? LEGACY_FILE)).toString("utf8")) as LegacyRow[];
    return new PlaceSearch(units, legacy, startedAt);
  }

  /** The commune with this code, as offered to residents. */
  commune(code: string): CommuneRef | undefined {
    return this.communes.get(code);
  }

  /** The province with this code. */
  province(code: string): ProvinceRef | undefined {
    return this.provinces.get(code);
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

  private addName(name: string, entry: NameEntry): void {
    const key = normalizeKey(name);
    if (!key) return;
    const list = this.names.get(key) ?? [];
    if (!list.some((e) => e.code !== undefined && e.code === entry.code && e.tone === entry.tone)) list.push(entry);
    this.names.set(key, list);
  }

  private addProvinceName(name: string, code: string): void {
    const key = normalizeKey(name);
    for (const form of [key, stripProvinceWord(key)]) {
      const entry = this.provinceNames.get(form) ?? { codes: new Set<string>() };
      entry.codes.add(code);
      this.provinceNames.set(form, entry);
    }
  }

  private provinceRefs(codes: Iterable<string>): ProvinceRef[] {
    return [...new Set(codes)].sort().flatMap((c) => this.provinces.get(c) ?? []);
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
  }
}

/**
 * Folded comparison key: {@link fold}, punctuation and dashes as spaces, apostrophes dropped
 * ("Ea H'Leo" = "ea hleo"), leading zeros of numbers dropped ("Phường 01" = "phuong 1").
 */
export function normalizeKey(text: string): string {
  return fold(text)
    .replace(/'/g, "")
    .replace(/[^a-z0-9]+/g, " ")
    .replace(/\b0+(\d)/g, "$1")
    .trim();
}

/**
 * Key that keeps diacritics but not where the tone mark sits: each syllable's tone mark moves to
 * its end, so "Hoà" = "Hòa" and "Thuỷ" = "Thủy", while "Thành" ≠ "Thạnh".
 */
export function toneKey(text: string): string {
  return text
    .normalize("NFD")
    .toLowerCase()
    .replace(/['’‘`´]/g, "")
    .replace(/[^\p{L}\p{M}0-9]+/gu, " ")
    .trim()
    .split(" ")
    .map((syllable) => {
      const tones = syllable.match(/[\u0300\u0301\u0303\u0309\u0323]/g);
      const digits = syllable.replace(/^0+(\d)/, "$1");
      return tones ? digits.replace(/[\u0300\u0301\u0303\u0309\u0323]/g, "") + tones.join("") : digits;
    })
    .join(" ");
}

/**
 * Whether every diacritic typed is present in the same syllable of the name: "Tân Thanh" fits both
 * "Tân Thành" and "Tân Thạnh", "Tan Thạnh" only the latter. Both arguments are {@link toneKey}s.
 */
export function marksCompatible(typed: string, name: string): boolean {
  const a = typed.replace(/đ/g, "d\u0335").split(" ");
  const b = name.replace(/đ/g, "d\u0335").split(" ");
  if (a.length !== b.length) return false;
  return a.every((syllable, i) => {
    const other = b[i] as string;
    if (syllable.replace(MARKS, "") !== other.replace(MARKS, "")) return false;
    return (syllable.match(MARKS) ?? []).every((mark) => other.includes(mark));
  });
}

const MARKS = /[\u0300-\u036f]/g;

/** Optimal-string-alignment distance (Damerau: a swap of neighbours is one edit); stops early above `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  if (rows[0].length <= n) for (let r = 0; r < 3; r++) rows[r] = new Uint16Array(2 * n + 2);
  let [prev2, prev, cur] = rows;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        d = Math.min(d, (prev2[j - 2] as number) + 1);
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] as number;
}

/** Scratch rows of {@link editDistance}, grown on demand. */
const rows: [Uint16Array, Uint16Array, Uint16Array] = [new Uint16Array(64), new Uint16Array(64), new Uint16Array(64)];

/** Index and query terms: each word, plus the whole name without spaces (always last), the term that gets fuzzy matching. */
function searchTerms(key: string): string[] {
  const words = key.split(" ").filter(Boolean);
  return words.length > 1 ? [...words, words.join("")] : words;
}

function intersect(a: Set<string> | undefined, b: Set<string>): Set<string> {
  return a ? new Set([...b].filter((x) => a.has(x))) : b;
}

function stripTypeWord(name: string): string {
  return name.replace(/^(Phường|Xã|Đặc khu|Thị trấn|Huyện)\s+/iu, "");
}

function stripProvinceWord(key: string): string {
  return PROVINCE_PREFIX.exec(key)?.[1] ?? key;
}

/** Drops the first `n` words of a tone key (the type word the folded reading stripped). */
function dropWords(tone: string, n: number): string {
  return tone.split(" ").slice(n).join(" ");
}

/** Folded forms under which a pre-2025 district may be named: "quận 3", "q3", "q.3", "huyện Tân Thạnh", "Tân Thạnh"… */
function districtForms(district: string): string[] {
  const key = normalizeKey(district);
  const forms = new Set([key]);
  for (const [word, short] of DISTRICT_WORDS) {
    if (!key.startsWith(`${word} `)) continue;
    const bare = key.slice(word.length + 1);
    const numbered = /^\d+$/.test(bare);
    if (!numbered) forms.add(bare);
    forms.add(`${short} ${bare}`);
    if (numbered) forms.add(`${short}${bare}`);
  }
  return [...forms];
}
