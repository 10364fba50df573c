/**
 * Typed-place evaluation set, generated from data/vn-admin (units.json, legacy_to_new.json.gz) with
 * a seeded PRNG, so it holds no hand-written query and any seed gives a fresh set. Each query is a
 * commune's current or pre-2025 name with one error class applied, sometimes with a type word
 * and/or a province. Used by bench/routing.ts (report) and test/routing.test.ts (a sample).
 *
 * Thresholds in src/routing/placeSearch.ts were tuned on seed 1 only; the bench reports seed 2.
 */
import { toneKey } from "../src/core/text.ts";
import { normalizeKey } from "../src/routing/placeText.ts";
import type { LegacyRow, PlaceSearch, PlaceSearchResult } from "../src/routing/placeSearch.ts";
import { mulberry32 } from "../test/helpers/random.ts";

/** The error classes of the evaluation set. */
export const ERROR_CLASSES = [
  "one edit",
  "two edits",
  "dropped letter",
  "doubled letter",
  "missing tone marks",
  "wrong tone marks",
  "Telex leftovers",
  "VNI leftovers",
  "word breaks",
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** One generated query and the communes it means (several for a pre-2025 unit that was split). */
export interface PlaceQuery {
  text: string;
  errorClass: ErrorClass;
  /** The name was a pre-2025 unit's. */
  old: boolean;
  withProvince: boolean;
  expect: string[];
}

interface Units {
  provinces: Array<{ code: string; short_name: string }>;
  communes: Array<{ code: string; short_name: string; type: string; province_code: string; aliases?: string[] }>;
}

const TONES = ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323"];
const TELEX_TONE: Record<string, string> = { "\u0300": "f", "\u0301": "s", "\u0303": "x", "\u0309": "r", "\u0323": "j" };
const VNI_TONE: Record<string, string> = { "\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5" };
/** QWERTY neighbours, for substituted letters. */
const NEAR: Record<string, string> = {
  q: "wa", w: "qes", e: "wrd", r: "etf", t: "ryg", y: "tuh", u: "yij", i: "uok", o: "ipl", p: "o",
  a: "qsz", s: "adwx", d: "sfe", f: "dgr", g: "fht", h: "gjy", j: "hku", k: "jli", l: "ko",
  z: "ax", x: "zcs", c: "xvd", v: "cbf", b: "vng", n: "bmh", m: "nj",
};

/** Generates `count` queries, the same for the same seed. */
export function generatePlaceQueries(units: Units, legacy: LegacyRow[], seed: number, count: number): PlaceQuery[] {
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const provinceName = new Map(units.provinces.map((p) => [p.code, p.short_name]));

  // Every name the search knows, folded, and the diacritic forms under each: a typo that lands on
  // another real name is not a typo the search could see, so such queries are drawn again.
  const tonesByKey = new Map<string, Set<string>>();
  const know = (name: string) => {
    const key = normalizeKey(name);
    const set = tonesByKey.get(key) ?? new Set<string>();
    set.add(toneKey(name));
    tonesByKey.set(key, set);
  };
  const strip = (name: string) => name.replace(/^(Phường|Xã|Đặc khu|Thị trấn|Huyện)\s+/iu, "");
  for (const c of units.communes) {
    know(c.short_name);
    for (const a of c.aliases ?? []) know(strip(a));
    for (const part of c.short_name.split(/\s+[-–]\s+/)) know(part);
  }
  for (const r of legacy) know(strip(r.old_name));

  const letters = (s: string) => [...s].filter((ch) => /\p{L}/u.test(ch)).length;
  const source = (minLetters: number, needMarks = false, needWords = 1): { name: string; type: string; province: string; old: boolean; expect: string[] } => {
    for (;;) {
      const old = random() < 0.25;
      if (old) {
        const r = pick(legacy);
        if (r.old_level !== "xã") continue;
        const name = strip(r.old_name);
        const type = (/^(Phường|Xã|Thị trấn)\s/iu.exec(r.old_name)?.[1] ?? "xã").toLowerCase();
        const targets = r.new.map((n) => n.code).filter((code) => units.communes.some((c) => c.code === code));
        if (!targets.length || letters(name) < minLetters || (needMarks && normalizeKey(name) === name.toLowerCase()) || name.split(" ").length < needWords) continue;
        const province = random() < 0.5 ? r.old_province.replace(/^(Tỉnh|Thành phố)\s+/u, "") : (provinceName.get(units.communes.find((c) => c.code === targets[0])?.province_code ?? "") ?? "");
        return { name, type, province, old: true, expect: targets };
      }
      const c = pick(units.communes);
      if (letters(c.short_name) < minLetters || (needMarks && normalizeKey(c.short_name) === c.short_name.toLowerCase()) || c.short_name.split(" ").length < needWords) continue;
      return { name: c.short_name, type: c.type, province: provinceName.get(c.province_code) ?? "", old: false, expect: [c.code] };
    }
  };

  const letterPositions = (s: string) => [...s].map((ch, i) => (/\p{L}/u.test(ch) ? i : -1)).filter((i) => i >= 0);
  const edit = (s: string, op: "delete" | "insert" | "double" | "substitute" | "transpose"): string => {
    const chars = [...s];
    const i = pick(letterPositions(s));
    const ch = chars[i] as string;
    const base = ch.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D");
    if (op === "delete") chars.splice(i, 1);
    else if (op === "double") chars.splice(i, 0, ch);
    else if (op === "insert") chars.splice(i, 0, pick([..."aeiouynhgtcm"]));
    else if (op === "substitute") chars[i] = pick([...(NEAR[base.toLowerCase()] ?? "aeiou")]);
    else if (i + 1 < chars.length && /\p{L}/u.test(chars[i + 1] as string) && chars[i + 1] !== ch) [chars[i], chars[i + 1]] = [chars[i + 1] as string, ch];
    else chars.splice(i, 1);
    return chars.join("");
  };
  const anyEdit = (s: string) => edit(s, pick(["delete", "insert", "double", "substitute", "transpose"] as const));

  /** Syllables with their tone and the letters that carry diacritics. */
  const syllableTone = (syllable: string) => syllable.normalize("NFD").match(/[\u0300\u0301\u0303\u0309\u0323]/)?.[0];
  const telex = (syllable: string) => {
    const tone = syllableTone(syllable);
    let out = "";
    for (const ch of syllable.normalize("NFD").replace(/[\u0300\u0301\u0303\u0309\u0323]/g, "").normalize("NFC")) {
      const d = ch.normalize("NFD");
      const b = d[0] as string;
      if (ch === "đ" || ch === "Đ") out += ch === "Đ" ? "Dd" : "dd";
      else if (d.includes("\u0302")) out += b + b.toLowerCase();
      else if (d.includes("\u0306") || d.includes("\u031b")) out += `${b}w`;
      else out += ch;
    }
    return tone ? out + TELEX_TONE[tone] : out;
  };
  const vni = (syllable: string) => {
    let out = "";
    for (const ch of syllable.normalize("NFC")) {
      const d = ch.normalize("NFD");
      const b = d[0] as string;
      if (ch === "đ" || ch === "Đ") out += `${ch === "Đ" ? "D" : "d"}9`;
      else {
        out += b;
        if (d.includes("\u0302")) out += "6";
        if (d.includes("\u031b")) out += "7";
        if (d.includes("\u0306")) out += "8";
        const tone = d.match(/[\u0300\u0301\u0303\u0309\u0323]/)?.[0];
        if (tone) out += VNI_TONE[tone];
      }
    }
    return out;
  };
  const fold = (s: string) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D");
  const marked = (w: string) => fold(w) !== w;

  const apply = (cls: ErrorClass): { name: string; src: ReturnType<typeof source> } | undefined => {
    switch (cls) {
      case "one edit": {
        const src = source(4);
        return { src, name: anyEdit(src.name) };
      }
      case "two edits": {
        const src = source(7);
        return { src, name: anyEdit(anyEdit(src.name)) };
      }
      case "dropped letter": {
        const src = source(4);
        return { src, name: edit(src.name, "delete") };
      }
      case "doubled letter": {
        const src = source(4);
        return { src, name: edit(src.name, "double") };
      }
      case "missing tone marks": {
        const src = source(3, true);
        if (random() < 0.5) return { src, name: fold(src.name) };
        // Some marks dropped, some kept.
        const name = [...src.name.normalize("NFC")].map((ch) => (marked(ch) && random() < 0.5 ? fold(ch) : ch)).join("");
        return { src, name };
      }
      case "wrong tone marks": {
        const src = source(3, true);
        const words = src.name.split(" ");
        const toned = words.map((w, i) => (syllableTone(w) ? i : -1)).filter((i) => i >= 0);
        if (!toned.length) return undefined;
        const times = random() < 0.7 ? 1 : 2;
        for (let k = 0; k < times; k++) {
          const i = pick(toned);
          const w = (words[i] as string).normalize("NFD");
          const tone = syllableTone(words[i] as string) as string;
          words[i] = w.replace(tone, pick(TONES.filter((t) => t !== tone))).normalize("NFC");
        }
        return { src, name: words.join(" ") };
      }
      case "Telex leftovers":
      case "VNI leftovers": {
        const src = source(3, true);
        const words = src.name.split(" ");
        const withMarks = words.map((w, i) => (marked(w) ? i : -1)).filter((i) => i >= 0);
        const i = pick(withMarks);
        const name = words.map((w, k) => (k === i ? (cls === "Telex leftovers" ? telex(w) : vni(w)) : random() < 0.5 ? w : fold(w))).join(" ");
        return { src, name };
      }
      case "word breaks": {
        const src = source(4, false, 1);
        const words = src.name.split(" ");
        const r = random();
        if (words.length > 1 && r < 0.5) {
          const i = Math.floor(random() * (words.length - 1));
          return { src, name: [...words.slice(0, i), `${words[i]}${words[i + 1]}`, ...words.slice(i + 2)].join(" ") };
        }
        // A space inside a word, sometimes with the space before it doubled.
        const i = Math.floor(random() * words.length);
        const w = [...(words[i] as string)];
        if (w.length < 3) return undefined;
        const at = 1 + Math.floor(random() * (w.length - 1));
        words[i] = `${w.slice(0, at).join("")} ${w.slice(at).join("")}`;
        return { src, name: words.join(random() < 0.3 ? "  " : " ") };
      }
    }
  };

  const queries: PlaceQuery[] = [];
  for (let n = 0; queries.length < count; n++) {
    const cls = ERROR_CLASSES[n % ERROR_CLASSES.length] as ErrorClass;
    let made: ReturnType<typeof apply>;
    for (let tries = 0; tries < 50; tries++) {
      made = apply(cls);
      if (!made) continue;
      const key = normalizeKey(made.name);
      const srcKey = normalizeKey(made.src.name);
      const tones = tonesByKey.get(key);
      const keepsKey = cls === "missing tone marks" || cls === "wrong tone marks";
      if (keepsKey) {
        // Wrong marks that spell another real name (Tân Thành → Tân Thạnh) are that name, not an error.
        if (cls === "wrong tone marks" && tones?.has(toneKey(made.name))) continue;
        break;
      }
      if (key === srcKey && cls !== "word breaks") continue;
      if (tones) continue;
      break;
    }
    if (!made) continue;
    const { src, name } = made;
    let text = name;
    const withType = random() < 0.3;
    if (withType) text = `${pick(src.type === "phường" ? ["phường", "P."] : src.type === "thị trấn" ? ["thị trấn", "TT"] : ["xã", "X."])} ${text}`;
    const withProvince = random() < 0.5 && src.province !== "";
    if (withProvince) text = random() < 0.5 ? `${text}, ${src.province}` : `${text} ${fold(src.province).toLowerCase()}`;
    queries.push({ text, errorClass: cls, old: src.old, withProvince, expect: src.expect });
  }
  return queries;
}

/** How the search answered one query, as a resident would live it (answering a province question right). */
export interface PlaceOutcome {
  /** Position of an intended commune in what was offered (0 = first or accepted); -1 when not offered. */
  rank: number;
  /** Asked the province first. */
  askedProvince: boolean;
  /** Asked to confirm or choose a commune. */
  askedConfirm: boolean;
  /** Accepted without any question as a commune that is not the intended one. */
  silentlyWrong: boolean;
}

/** Runs one query; a province question is answered with the intended commune's province. */
export function evaluatePlaceQuery(search: Pick<PlaceSearch, "search" | "commune">, q: Pick<PlaceQuery, "text" | "expect">): PlaceOutcome {
  let r: PlaceSearchResult = search.search(q.text);
  let askedProvince = false;
  if (r.kind === "province") {
    askedProvince = true;
    const wanted = new Set(q.expect.map((code) => search.commune(code)?.provinceCode));
    const answer = r.provinces.find((p) => wanted.has(p.code));
    if (!answer) return { rank: -1, askedProvince, askedConfirm: false, silentlyWrong: false };
    r = search.search(q.text, { provinceCode: answer.code });
  }
  if (r.kind === "match") {
    const offered = [r.commune, ...(r.otherSpellings ?? []), ...(r.legacyAlternatives ?? [])].map((c) => c.code);
    const asked = offered.length > 1;
    const rank = offered.findIndex((code) => q.expect.includes(code));
    return { rank, askedProvince, askedConfirm: asked, silentlyWrong: !asked && rank !== 0 };
  }
  if (r.kind === "choose") return { rank: r.candidates.findIndex((c) => q.expect.includes(c.code)), askedProvince, askedConfirm: true, silentlyWrong: false };
  return { rank: -1, askedProvince, askedConfirm: false, silentlyWrong: false };
}
