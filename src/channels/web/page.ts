import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Translate } from "../../i18n.ts";
import { LOCALES, readLocaleFiles } from "../../i18n.ts";
import { fromRoot } from "../../paths.ts";

/** The page's files, under src/channels/web/public/. */
export const PUBLIC_DIR = fromRoot("src", "channels", "web", "public");

/** A static file of the page, read once at start. */
export interface StaticAsset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Every key of a nested strings object, dotted. */
function keysOf(obj: unknown, prefix = ""): string[] {
  if (typeof obj !== "object" || obj === null) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => keysOf(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * The web chat page: its HTML template and static files (read once at start, no build step, nothing
 * fetched from elsewhere at run time) and its labels in each language, from locales/<lang>/web.json.
 */
export class WebPage {
  private readonly template: string;
  readonly assets = new Map<string, StaticAsset>();
  private readonly keys: string[];
  private readonly strings = new Map<string, Record<string, string>>();

  constructor(
    private readonly t: Translate,
    private readonly limits: { uploadLimitBytes: number },
    dir = PUBLIC_DIR,
  ) {
    this.template = fs.readFileSync(path.join(dir, "index.html"), "utf8");
    for (const file of fs.readdirSync(dir)) {
      const type = TYPES[path.extname(file)];
      if (!type) continue;
      const body = fs.readFileSync(path.join(dir, file));
      this.assets.set(file, { body, type, etag: `"${crypto.createHash("sha256").update(body).digest("base64url").slice(0, 16)}"` });
    }
    this.keys = keysOf(readLocaleFiles().vi?.web ?? {});
  }

  /** The page's labels in `locale` (flat, dotted keys), falling back to Vietnamese. */
  stringsFor(locale: string): Record<string, string> {
    const lang = (LOCALES as readonly string[]).includes(locale) ? locale : "vi";
    let out = this.strings.get(lang);
    if (!out) {
      out = {};
      for (const key of this.keys) out[key] = this.t(lang, `web:${key}`);
      for (const l of LOCALES) out[`lang.${l}`] = this.t(l, `language.name.${l}`);
      this.strings.set(lang, out);
    }
    return out;
  }

  /** The page in `locale`: labels filled in, and all of them (with the limits) for the script. */
  html(locale: string): string {
    const strings = this.stringsFor(locale);
    const lang = (LOCALES as readonly string[]).includes(locale) ? locale : "vi";
    return this.template
      .replaceAll("{{lang}}", lang)
      .replaceAll("{{maxBytes}}", String(this.limits.uploadLimitBytes))
      .replaceAll("{{strings}}", escapeHtml(JSON.stringify(strings)))
      .replace(/\{\{t:([a-z0-9_.]+)\}\}/g, (_, key: string) => escapeHtml(strings[key] ?? key));
  }
}
