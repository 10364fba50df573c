import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout's root (the folder holding package.json), whether this module runs from `src/`
 * (tsx, tests) or compiled from `dist/src/` (`npm start`). Data files, locales, migrations and the
 * web chat's static files are read from here, never from next to the compiled code.
 */
export const ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** A path under the checkout's root. */
export const fromRoot = (...parts: string[]): string => path.join(ROOT, ...parts);
