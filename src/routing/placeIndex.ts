/**
 * The typed-place index: current communes and provinces, their aliases, pre-2025 units and districts,
 * built once from data/vn-admin (see its README). Queries and decisions are in placeSearch.ts.
 */
import fs from "node:fs";
import zlib from "node:zlib";
import MiniSearch from "minisearch";
import type { CommuneRef, ProvinceRef } from "../core/tips/places.ts";
import { UNITS_FILE } from "../db/referenceData.ts";
import { fromRoot } from "../paths.ts";
import { markedKey, toneKey } from "../core/text.ts";
import { districtForms, letterHistogram, normalizeKey, stripProvinceWord, stripTypeWord } from "./placeText.ts";

/** Pre-2025 communes → new commune(s), gzip JSON copied from shared/data/vn-admin (see its README). */
export const LEGACY_FILE = fromRoot("data", "vn-admin", "legacy_to_new.json.gz");

/** The parts of units.json the index reads. */
export interface UnitsFile {
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
export interface NameEntry {
  /** Diacritics kept, tone-mark placement normalised (see {@link toneKey}). */
  tone: string;
  /** Diacritics kept as written (see {@link markedKey}), for ranking typos. */
  text: string;
  /** Commune types the name was used with ("xã", "phường", "đặc khu", "thị trấn", "huyện"). */
  types: string[];
  /** Current commune, for current names and aliases. */
  code?: string;
  via?: "alias";
  /** Pre-2025 unit, for legacy names. */
  legacy?: LegacyUnit;
}

export interface LegacyUnit {
  /** `${old_province_code}:${old_district_code}`. */
  district: string;
  oldProvinceCode: string;
  targets: Array<{ code: string; whole: boolean }>;
}

/** Everyday names of provinces that the official names, aliases and pre-2025 names do not cover (folded). */
const PROVINCE_SHORT_FORMS: Record<string, string> = {
  hcm: "79", tphcm: "79", "tp hcm": "79", hcmc: "79", "sai gon": "79", saigon: "79", sg: "79", brvt: "79",
  hn: "01", hanoi: "01",
  tth: "46", "thua thien hue": "46",
  danang: "48",
  hp: "31", haiphong: "31",
  cantho: "92",
};

/** Reads data/vn-admin/units.json and legacy_to_new.json.gz. */
export function readPlaceData(files: { units?: string; legacy?: string } = {}): { units: UnitsFile; legacy: LegacyRow[] } {
  const units = JSON.parse(fs.readFileSync(files.units ?? UNITS_FILE, "utf8")) as UnitsFile;
  const legacy = JSON.parse(zlib.gunzipSync(fs.readFileSync(files.legacy ?? LEGACY_FILE)).toString("utf8")) as LegacyRow[];
  return { units, legacy };
}

/** Every name under which a commune can be found, with the province and pre-2025 district names that narrow a search. */
export class PlaceIndex {
  /** Milliseconds spent reading and indexing at load. */
  readonly loadMs: number;

  /** Current communes by code. */
  protected readonly communes = new Map<string, CommuneRef>();
  /** Current provinces by code. */
  protected readonly provinces = new Map<string, ProvinceRef>();
  /** Folded name ({@link normalizeKey}) → everything found under it. */
  protected readonly names = new Map<string, NameEntry[]>();
  /** MiniSearch over the folded names, which proposes candidates for typos. */
  protected readonly fuzzyIndex: MiniSearch<{ id: number; key: string }>;
  /**
   * Current province code → the folded names found in it (current, aliases and pre-2025), by the
   * number of letters (spaces left out), for scanning all of them nearest length first.
   */
  protected readonly provinceKeys = new Map<string, string[][]>();
  /** Folded name → its {@link letterHistogram}. */
  protected readonly histograms = new Map<string, Uint8Array>();
  /** Letters in the longest folded name (spaces left out). */
  protected longestName = 0;
  /** The folded names in MiniSearch id order. */
  protected readonly fuzzyKeys: string[] = [];
  /** Folded province name (with and without its type word, short forms, pre-2025 names) → current codes. */
  protected readonly provinceNames = new Map<string, { codes: Set<string>; oldCodes?: Set<string> }>();
  /** Folded pre-2025 district name → district ids. */
  protected readonly districtNames = new Map<string, Set<string>>();
  /** Pre-2025 district id → its name without the type word, as a {@link toneKey}. */
  protected readonly districtTones = new Map<string, string>();
  /** Pre-2025 district id → current communes that received part of it. */
  protected readonly districtCommunes = new Map<string, Set<string>>();
  /** Pre-2025 province code → current communes that received part of it. */
  protected readonly oldProvinceCommunes = new Map<string, Set<string>>();

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
      this.addName(c.short_name, { tone: toneKey(c.short_name), text: markedKey(c.short_name), types, code: c.code });
      for (const alias of c.aliases ?? []) {
        const short = stripTypeWord(alias);
        this.addName(short, { tone: toneKey(short), text: markedKey(short), types, code: c.code, via: "alias" });
      }
      // "Xuân Hương - Đà Lạt", "Văn Miếu - Quốc Tử Giám": each part alone is a usual short form.
      const parts = c.short_name.split(/\s+[-–]\s+/);
      if (parts.length > 1) for (const part of parts) this.addName(part, { tone: toneKey(part), text: markedKey(part), types, code: c.code, via: "alias" });
    }

    const oldProvinceTargets = new Map<string, { name: string; codes: Set<string> }>();
    const seenDistricts = new Set<string>();
    for (const row of legacy) {
      const targets = row.new.filter((t) => this.communes.has(t.code)).map((t) => ({ code: t.code, whole: t.whole }));
      if (targets.length === 0) continue;
      const district = `${row.old_province_code}:${row.old_district_code}`;
      const oldType = row.old_level === "huyện" ? "huyện" : (/^(Phường|Xã|Thị trấn)\s/iu.exec(row.old_name)?.[1] ?? "").toLowerCase();
      const short = stripTypeWord(row.old_name);
      this.addName(short, { tone: toneKey(short), text: markedKey(short), types: [oldType], legacy: { district, oldProvinceCode: row.old_province_code, targets } });

      for (const [map, id] of [[this.districtCommunes, district], [this.oldProvinceCommunes, row.old_province_code]] as const) {
        const received = map.get(id) ?? new Set<string>();
        for (const t of targets) received.add(t.code);
        map.set(id, received);
      }
      if (!seenDistricts.has(district)) {
        seenDistricts.add(district);
        this.districtTones.set(district, toneKey(row.old_district.replace(/^(Quận|Huyện|Thị xã|Thành phố)\s+/iu, "")));
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

    const byProvince = new Map<string, Set<string>>();
    for (const [key, entries] of this.names) {
      for (const entry of entries) {
        const codes = entry.code !== undefined ? [entry.code] : (entry.legacy as LegacyUnit).targets.map((t) => t.code);
        for (const code of codes) {
          const province = (this.communes.get(code) as CommuneRef).provinceCode;
          const keys = byProvince.get(province) ?? new Set<string>();
          keys.add(key);
          byProvince.set(province, keys);
        }
      }
    }
    for (const [province, keys] of byProvince) {
      const buckets: string[][] = [];
      for (const key of keys) {
        const length = key.replace(/ /g, "").length;
        while (buckets.length <= length) buckets.push([]);
        (buckets[length] as string[]).push(key);
      }
      this.provinceKeys.set(province, buckets);
    }

    this.fuzzyIndex = new MiniSearch({
      fields: ["key"],
      // One term per name, without spaces: word breaks typed wrongly ("Tânthành") cost nothing here.
      tokenize: spaceless,
      processTerm: (term) => term,
    });
    this.fuzzyKeys = [...this.names.keys()];
    for (const key of this.fuzzyKeys) {
      this.longestName = Math.max(this.longestName, key.replace(/ /g, "").length);
      this.histograms.set(key, letterHistogram(key));
    }
    this.fuzzyIndex.addAll(this.fuzzyKeys.map((key, id) => ({ id, key })));
    this.loadMs = performance.now() - startedAt;
  }

  /** The commune with this code, as offered to residents. */
  commune(code: string): CommuneRef | undefined {
    return this.communes.get(code);
  }

  /** The province with this code. */
  province(code: string): ProvinceRef | undefined {
    return this.provinces.get(code);
  }

  protected addName(name: string, entry: NameEntry): void {
    const key = normalizeKey(name);
    if (!key) return;
    const list = this.names.get(key) ?? [];
    if (!list.some((e) => e.code !== undefined && e.code === entry.code && e.tone === entry.tone)) list.push(entry);
    this.names.set(key, list);
  }

  protected addProvinceName(name: string, code: string): void {
    const key = normalizeKey(name);
    for (const form of [key, stripProvinceWord(key)]) {
      const entry = this.provinceNames.get(form) ?? { codes: new Set<string>() };
      entry.codes.add(code);
      this.provinceNames.set(form, entry);
    }
  }

  protected provinceRefs(codes: Iterable<string>): ProvinceRef[] {
    return [...new Set(codes)].sort().flatMap((c) => this.provinces.get(c) ?? []);
  }

}

/** The one MiniSearch term of a folded name: the name without spaces. */
export function spaceless(key: string): string[] {
  return [key.replace(/ /g, "")];
}
