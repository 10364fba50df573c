import fs from "node:fs";
import path from "node:path";
import i18next, { type i18n, type Resource } from "i18next";
import { fromRoot } from "./paths.ts";

/** Languages a person can choose; Vietnamese is the default and the fallback. */
export const LOCALES = ["vi", "en", "km"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "vi";

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** locales/ at the root of this checkout. */
export const LOCALES_DIR = fromRoot("locales");

/** Reads every locales/<lang>/<namespace>.json into an i18next resource object. */
export function readLocaleFiles(dir = LOCALES_DIR): Resource {
  const resources: Resource = {};
  for (const lang of fs.readdirSync(dir)) {
    const langDir = path.join(dir, lang);
    if (!fs.statSync(langDir).isDirectory()) continue;
    resources[lang] = {};
    for (const file of fs.readdirSync(langDir).filter((f) => f.endsWith(".json"))) {
      resources[lang]![path.basename(file, ".json")] = JSON.parse(fs.readFileSync(path.join(langDir, file), "utf8"));
    }
  }
  return resources;
}

let shipped: Resource | undefined;

/** The shipped locale files, read once per process (for modules that match typed words from every language). */
export function localeResources(): Resource {
  return (shipped ??= readLocaleFiles());
}

/** Translates `key` (`ns:path` or a key in `common`) into `locale`, falling back to Vietnamese. */
export type Translate = (locale: string, key: string, params?: Record<string, unknown>) => string;

/** At most this many parameterless texts are kept per translator (keys are ours; the cap guards against a key built from input). */
const PLAIN_TEXTS_KEPT = 20_000;

/** Creates an isolated i18next instance over the locale files and returns its translate function. */
export function createTranslator(resources: Resource = readLocaleFiles()): { t: Translate; i18n: i18n } {
  const instance = i18next.createInstance();
  void instance.init({
    resources,
    lng: DEFAULT_LOCALE,
    fallbackLng: DEFAULT_LOCALE,
    supportedLngs: [...LOCALES],
    ns: Object.keys(resources[DEFAULT_LOCALE] ?? { common: {} }),
    defaultNS: "common",
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
    showSupportNotice: false,
  } as Parameters<typeof instance.init>[0]);
  const fixed = new Map<string, ReturnType<typeof instance.getFixedT>>();
  // A text without parameters depends only on the language and the key (the resources never
  // change once loaded): kept, so a button label is not looked up again for every reply.
  const plain = new Map<string, string>();
  const t: Translate = (locale, key, params) => {
    const lng = isLocale(locale) ? locale : DEFAULT_LOCALE;
    const memo = params === undefined ? `${lng}\u0000${key}` : undefined;
    if (memo !== undefined) {
      const known = plain.get(memo);
      if (known !== undefined) return known;
    }
    let tr = fixed.get(lng);
    if (!tr) fixed.set(lng, (tr = instance.getFixedT(lng)));
    const text = tr(key, params as Record<string, unknown>) as string;
    if (memo !== undefined && typeof text === "string" && plain.size < PLAIN_TEXTS_KEPT) plain.set(memo, text);
    return text;
  };
  return { t, i18n: instance };
}
