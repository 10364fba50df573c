/**
 * Typed place → commune: how a text is read (type word, province and district hints) and the
 * decision (match, choose, ask the province). The index is built in placeIndex.ts; place keys and
 * edit distances are in placeText.ts; folding and tone keys in core/text.ts.
 */
import type { CommuneRef, ProvinceRef } from "../core/tips/places.ts";
import { PlaceIndex, readPlaceData, type LegacyUnit, type NameEntry } from "./placeIndex.ts";
import { markedKey, marksCompatible, toneKey } from "../core/text.ts";
import { TYPE_PREFIXES, dropWords, editDistance, histogramBound, imeCleanup, letterHistogram, normalizeKey, placeDistance, stripProvinceWord } from "./placeText.ts";

// The shapes the core's tip flow expects (src/core/tips/places.ts): this module implements that port.
export type { CommuneRef, ProvinceRef } from "../core/tips/places.ts";
export { LEGACY_FILE, type LegacyRow } from "./placeIndex.ts";
export { editDistance, imeCleanup, normalizeKey, placeDistance } from "./placeText.ts";
export { markedKey, marksCompatible, toneKey } from "../core/text.ts";

/** Why the resident must choose among several communes. */
export type ChooseReason =
  /** Several communes carry the typed name (or names that differ only in diacritics the resident left out). */
  | "same_name"
  /** The typed pre-2025 unit was split across several new communes. */
  | "legacy_split"
  /**
   * The typed name is no commune's name, even with diacritics ignored (a typo, a Telex leftover, a
   * word break, marks that contradict the name's): these are the closest names, best first, to be
   * confirmed. Never answered as a match.
   */
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
      /**
       * Set when the resident typed diacritics and other communes in scope have the same name
       * without them but other marks ("Tân Thành" → also Tân Thạnh, Tân Thanh): offer these after
       * the match, which has the typed marks.
       */
      otherSpellings?: CommuneRef[];
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
/** Most candidates listed for a name typed with mistakes ("similar"), best first. */
export const MAX_SIMILAR = 5;
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
  /** The name as typed, diacritics kept ({@link markedKey}). */
  text: string;
  type?: string;
  scope: Scope;
}

interface Hit {
  entry: NameEntry;
  key: string;
}

/** A commune proposed for a name typed with mistakes, with its distance (lower is closer). */
interface Ranked {
  code: string;
  score: number;
}

/** Extra distance for a typo candidate whose type differs from the type word typed. */
const TYPE_MISMATCH = 0.3;
/** Extra distance for a pre-2025 name, so that an equally close current name comes first; more for a partial split. */
const LEGACY_EXTRA = 0.02;
const PARTIAL_EXTRA = 0.05;
/** Extra distance per word that had Telex/VNI leftovers removed. */
const IME_EXTRA = 0.2;
/** Candidates this much farther than the best are not listed. */
const LIST_SPREAD = 1;
/** Scores this close count as a tie. */
const TIE = 0.05;

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
 * - Diacritics that differ from a same-spelt name's are offered, after it: "Tân Thành" also
 *   offers Tân Thạnh (`otherSpellings`, and their provinces in a province question; when they are
 *   more than {@link MAX_SIMILAR} - 1 in other provinces, the province is asked, the typed one first).
 * - A text that is no name exactly (diacritics ignored) is never a match: typos, Telex/VNI
 *   leftovers ("Hoangf", "Hoa2ng"), word breaks ("Tânthành") and marks that contradict every name
 *   of that spelling ("Hả Tiến" is not Hà Tiên) give a "choose" (reason "similar") of at most
 *   {@link MAX_SIMILAR} communes, best first, to confirm. MiniSearch proposes names (whole name
 *   without spaces, 1–3 edits by length) or, when a province is named, all its names are scanned;
 *   {@link placeDistance} ranks them using the typed diacritics.
 *   When more than {@link MAX_SIMILAR} communes in several provinces are equally close (a name
 *   common across the country), the province is asked first.
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
      const decided = hits.length ? this.decide(hits, reading) : undefined;
      if (decided) return decided;
    }
    const district = this.districtAnswer(text.slice(0, MAX_INPUT), options.provinceCode);
    if (district) return district;
    let best: Ranked[] | undefined;
    const seen = new Set<string>();
    // When the text names a province, typos are looked for there only.
    const narrowed = options.provinceCode ? [] : readings.filter((r) => r.scope.provinces);
    for (const reading of narrowed.length ? narrowed : readings) {
      // Several readings can ask the same (a province after a comma, and peeled off the end).
      const { scope } = reading;
      const id = [reading.text, reading.type, ...[scope.provinces, scope.oldProvinces, scope.districts, scope.communes].map((set) => (set ? [...set].sort().join() : "-"))].join("|");
      if (seen.has(id)) continue;
      seen.add(id);
      const ranked = this.similar(reading, best ? (best[0] as Ranked).score : Infinity);
      if (ranked.length && (!best || (ranked[0] as Ranked).score < (best[0] as Ranked).score - 1e-9)) best = ranked;
    }
    return best ? this.decideSimilar(best) : { kind: "none" };
  }

  /** A text that names only a pre-2025 district ("Quận 3, HCM"): the communes that received part of it. */
  private districtAnswer(text: string, provinceCode: string | undefined): PlaceSearchResult | undefined {
    const base: Scope = provinceCode === undefined ? {} : { provinces: new Set([provinceCode]) };
    const words = normalizeKey(text).split(" ");
    const tones = toneKey(text).split(" ");
    for (let p = 0; p <= Math.min(5, words.length - 1); p++) {
      const scope = p === 0 ? base : this.narrowByProvince(base, words.slice(words.length - p).join(" "));
      // Diacritics typed must fit the district's: "Hả Tiến" does not name the former Thị xã Hà Tiên.
      const tone = tones.length === words.length ? tones.slice(0, words.length - p).join(" ") : undefined;
      const named = scope && this.narrowByDistrict(scope, words.slice(0, words.length - p).join(" "), tone);
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
      const marked = markedKey(nameText);
      for (const [re, type] of TYPE_PREFIXES) {
        const m = re.exec(key);
        if (!m?.[1]) continue;
        const dropped = key.split(" ").length - m[1].split(" ").length;
        readings.push({ key: m[1], tone: dropWords(tone, dropped), text: dropWords(marked, dropped), type, scope });
      }
      readings.push({ key, tone, text: marked, scope });
    };

    const parts = text.normalize("NFC").split(/[,;\n]+/).map((p) => p.trim()).filter(Boolean);
    if (parts.length > 1) {
      let scope: Scope | undefined = base;
      // A hint after a comma is meant as a place: one typo in a province name is forgiven there.
      for (const hint of parts.slice(1)) scope = scope && (this.narrow(scope, normalizeKey(hint)) ?? this.narrowByProvinceTypo(scope, hint));
      if (scope) push(parts[0] as string, scope);
    }
    const whole = parts.join(" ");
    push(whole, base);

    const words = normalizeKey(whole).split(" ");
    const markedWords = markedKey(whole).split(" ");
    const peeled = (n: number) => (markedWords.length === words.length ? markedWords : words).slice(0, words.length - n).join(" ");
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

  /** A comma hint that is a province name with one typo ("Nin Bình"). */
  private narrowByProvinceTypo(scope: Scope, hint: string): Scope | undefined {
    const found = this.findProvince(hint);
    if (found.length === 0) return undefined;
    const codes = new Set(found.map((p) => p.code));
    if (scope.provinces && ![...codes].some((c) => scope.provinces?.has(c))) return scope;
    return { ...scope, provinces: scope.provinces ?? codes };
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

  private narrowByDistrict(scope: Scope, hint: string, tone?: string): Scope | undefined {
    const ids = this.districtNames.get(hint);
    if (!ids) return undefined;
    const districts = new Set<string>();
    const received = new Set<string>();
    const folded = tone === undefined ? undefined : normalizeKey(tone);
    for (const id of ids) {
      if (tone !== undefined && folded !== tone) {
        const name = this.districtTones.get(id) ?? "";
        const typed = tone.split(" ").slice(-name.split(" ").length).join(" ");
        if (!marksCompatible(typed, name)) continue;
      }
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

  /**
   * Communes whose names are close to the reading's, closest first: MiniSearch proposes names up to
   * 2 edits away (folded, without spaces), {@link placeDistance} ranks them on the typed text and on
   * the text with Telex/VNI leftovers removed. The farthest allowed grows with the name's length.
   */
  private similar(reading: Reading, bestElsewhere = Infinity): Ranked[] {
    const scores = new Map<string, number>();
    const cleaned = imeCleanup(reading.text);
    const variants = [{ text: reading.text, extra: 0 }];
    if (cleaned.changed) variants.push({ text: cleaned.text, extra: IME_EXTRA * cleaned.changed });
    // Only names within LIST_SPREAD of the best so far can be listed (and this reading counts only if
    // it does better than another): a bound that lets the distance stop early.
    let best = bestElsewhere;
    const slack = LIST_SPREAD + TYPE_MISMATCH + LEGACY_EXTRA + PARTIAL_EXTRA;
    for (const variant of variants) {
      const folded = normalizeKey(variant.text);
      const spaceless = folded.replace(/ /g, "");
      const length = spaceless.length;
      if (length < 2) continue;
      // Within a named province the list stays short, so farther names may be offered.
      const scoped = reading.scope.provinces !== undefined && reading.scope.provinces.size <= 2;
      const limit = (length <= 3 ? 0.7 : length <= 5 ? 1.7 : 2.7) + (scoped ? 1 : 0) + variant.extra;
      const marked = folded !== variant.text;
      const distances = new Map<string, number>();
      const histogram = letterHistogram(folded);
      const bound = () => Math.min(limit, best + slack) - variant.extra;
      for (const key of this.candidateKeys(spaceless, reading.scope, bound)) {
        if (histogramBound(histogram, this.histograms.get(key) as Uint8Array) > bound()) continue;
        for (const entry of this.names.get(key) ?? []) {
          if (!this.inScope(entry, reading.scope)) continue;
          // Many entries share a spelling (a name and its pre-2025 units): measure each spelling once.
          let distance = distances.get(entry.text);
          if (distance === undefined) {
            distance = placeDistance(variant.text, entry.text, marked, bound());
            distances.set(entry.text, distance);
          }
          let score = distance + variant.extra;
          if (reading.type && !entry.types.includes(reading.type)) score += TYPE_MISMATCH;
          if (score > limit) continue;
          if (score < best) best = score;
          const targets = entry.legacy ? entry.legacy.targets : [{ code: entry.code as string, whole: true }];
          for (const t of targets) {
            if (reading.scope.provinces && !reading.scope.provinces.has((this.communes.get(t.code) as CommuneRef).provinceCode)) continue;
            const s = score + (entry.legacy ? LEGACY_EXTRA : 0) + (t.whole ? 0 : PARTIAL_EXTRA);
            if (s < (scores.get(t.code) ?? Infinity)) scores.set(t.code, s);
          }
        }
      }
    }
    return [...scores].map(([code, score]) => ({ code, score })).sort((a, b) => a.score - b.score || (a.code < b.code ? -1 : 1));
  }

  /**
   * Folded names worth ranking: within a named province (a few hundred names) all of them that the
   * length allows under `bound`, nearest length first; across the country, those MiniSearch finds
   * within 1 edit of the name without spaces (up to 5 letters), 2 (6 letters) or 3 (7 or more).
   */
  private *candidateKeys(spaceless: string, scope: Scope, bound: () => number): Iterable<string> {
    if (scope.provinces && scope.provinces.size <= 2) {
      // Nearest lengths first, so that the best distance, found early, bounds the rest.
      const buckets = [...scope.provinces].map((p) => this.provinceKeys.get(p) ?? []);
      const longest = Math.max(0, ...buckets.map((b) => b.length));
      const n = spaceless.length;
      // A name d letters longer or shorter is at least d × 0.5 away (a letter typed twice costs 0.5).
      for (let d = 0; (n - d >= 0 || n + d < longest) && d * 0.5 <= bound(); d++) {
        for (const b of buckets) {
          yield* b[n - d] ?? [];
          if (d > 0) yield* b[n + d] ?? [];
        }
      }
      return;
    }
    // Longer than any name by more than the edits allowed: nothing to find (a province left in the text).
    if (spaceless.length > this.longestName + 3) return;
    const fuzzy = spaceless.length <= 5 ? 1 : spaceless.length <= 6 ? 2 : 3;
    const keys = new Set<string>();
    // Also with letters typed twice collapsed: Levenshtein in MiniSearch counts them in full.
    for (const term of new Set([spaceless, spaceless.replace(/(.)\1+/g, "$1")])) {
      for (const r of this.fuzzyIndex.search(term, { fuzzy, prefix: false, tokenize: (t) => [t] })) keys.add(this.fuzzyKeys[r.id as number] as string);
    }
    yield* keys;
  }

  /** The answer for names typed with mistakes: never a match; the province first when too many are equally close. */
  private decideSimilar(ranked: Ranked[]): PlaceSearchResult {
    const best = (ranked[0] as Ranked).score;
    const tied = ranked.filter((r) => r.score <= best + TIE);
    const refs = (list: Ranked[]) => list.map((r) => this.communes.get(r.code) as CommuneRef);
    if (tied.length > MAX_SIMILAR) {
      const provinces = [...new Set(refs(tied).map((c) => c.provinceCode))];
      if (provinces.length > 1) return { kind: "province", provinces: provinces.flatMap((c) => this.provinces.get(c) ?? []) };
    }
    const near = ranked.filter((r) => r.score <= best + LIST_SPREAD);
    const shown = refs(near.slice(0, MAX_SIMILAR));
    return near.length > shown.length
      ? { kind: "choose", candidates: shown, reason: "similar", more: near.length - shown.length }
      : { kind: "choose", candidates: shown, reason: "similar" };
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
   * Turns the exact hits (same name, diacritics ignored) of one reading into an answer. Preference:
   * names that fit the typed type word and the typed diacritics, current names before pre-2025
   * ones; then the type word is dropped. Names whose diacritics contradict the typed ones are not
   * an answer (undefined when only those are left: they are ranked as typos), only offered after.
   */
  private decide(all: Hit[], reading: Reading): PlaceSearchResult | undefined {
    const current = all.filter((h) => h.entry.code !== undefined);
    const legacy = all.filter((h) => h.entry.legacy !== undefined);
    const type = reading.type;
    const hasMarks = reading.tone !== reading.key;
    const typed = (list: Hit[]) => (type ? list.filter((h) => h.entry.types.includes(type)) : list);
    const marked = (list: Hit[]) => {
      if (!hasMarks) return list;
      const same = list.filter((h) => h.entry.tone === reading.tone);
      return same.length ? same : list.filter((h) => marksCompatible(reading.tone, h.entry.tone));
    };
    const hits = [marked(typed(current)), marked(typed(legacy)), marked(current), marked(legacy)].find((list) => list.length > 0) ?? [];
    if (hits.length === 0) return undefined;
    const inProvince = (ref: CommuneRef) => !reading.scope.provinces || reading.scope.provinces.has(ref.provinceCode);

    const isLegacy = hits.every((h) => h.entry.legacy !== undefined);
    const candidates: Array<{ code: string; whole: boolean }> = [];
    for (const h of hits) {
      const targets = h.entry.legacy ? h.entry.legacy.targets : [{ code: h.entry.code as string, whole: true }];
      for (const t of targets) {
        if (!inProvince(this.communes.get(t.code) as CommuneRef)) continue;
        if (!candidates.some((c) => c.code === t.code)) candidates.push(t);
      }
    }
    candidates.sort((a, b) => Number(b.whole) - Number(a.whole));
    const refs = candidates.map((c) => this.communes.get(c.code) as CommuneRef);
    if (refs.length === 0) return { kind: "none" };

    // Current communes of the same spelling but other diacritics than typed: offered after the answer.
    const chosenTones = new Set(hits.map((h) => h.entry.tone));
    const spellings = hasMarks
      ? [...new Set(current.filter((h) => !chosenTones.has(h.entry.tone)).map((h) => h.entry.code as string))]
          .filter((code) => !candidates.some((c) => c.code === code))
          .map((code) => this.communes.get(code) as CommuneRef)
          .filter(inProvince)
      : [];

    const provinceCodes = new Set(refs.map((r) => r.provinceCode));
    if (provinceCodes.size > 1) {
      // Also where the name was a pre-2025 unit, so that a resident using the old name finds their province.
      for (const h of marked(typed(legacy))) for (const t of h.entry.legacy?.targets ?? []) provinceCodes.add((this.communes.get(t.code) as CommuneRef).provinceCode);
      const first = this.provinceRefs(provinceCodes);
      const then = this.provinceRefs(spellings.map((c) => c.provinceCode).filter((c) => !provinceCodes.has(c)));
      return { kind: "province", provinces: [...first, ...then] };
    }
    if (refs.length === 1 && spellings.length >= MAX_SIMILAR && spellings.some((c) => c.provinceCode !== (refs[0] as CommuneRef).provinceCode)) {
      // Too many other spellings to list: the province first (the typed spelling's first), as for a name found in several.
      const first = (refs[0] as CommuneRef).provinceCode;
      return { kind: "province", provinces: [...this.provinceRefs([first]), ...this.provinceRefs(spellings.map((c) => c.provinceCode).filter((c) => c !== first))] };
    }
    if (refs.length === 1) {
      const ref = refs[0] as CommuneRef;
      const sameProvinceFirst = spellings.sort((a, b) => Number(b.provinceCode === ref.provinceCode) - Number(a.provinceCode === ref.provinceCode) || (a.code < b.code ? -1 : 1));
      const extra = sameProvinceFirst.length ? { otherSpellings: sameProvinceFirst.slice(0, MAX_SIMILAR - 1) } : {};
      if (isLegacy) return { kind: "match", commune: ref, via: "legacy", ...extra };
      const match: PlaceSearchResult = hits.every((h) => h.entry.via === "alias") ? { kind: "match", commune: ref, via: "alias", ...extra } : { kind: "match", commune: ref, ...extra };
      const others = new Set<string>();
      for (const h of marked(typed(legacy))) for (const t of h.entry.legacy?.targets ?? []) if (t.code !== ref.code) others.add(t.code);
      const alternatives = [...others].map((code) => this.communes.get(code) as CommuneRef).filter(inProvince);
      return alternatives.length ? { ...match, legacyAlternatives: alternatives.slice(0, MAX_CANDIDATES) } : match;
    }
    const reason: ChooseReason = isLegacy && hits.length === 1 ? "legacy_split" : "same_name";
    const all2 = [...refs, ...spellings.filter((c) => c.provinceCode === (refs[0] as CommuneRef).provinceCode)];
    const shown = all2.slice(0, MAX_CANDIDATES);
    return all2.length > shown.length ? { kind: "choose", candidates: shown, reason, more: all2.length - shown.length } : { kind: "choose", candidates: shown, reason };
  }
}

function intersect(a: Set<string> | undefined, b: Set<string>): Set<string> {
  return a ? new Set([...b].filter((x) => a.has(x))) : b;
}
