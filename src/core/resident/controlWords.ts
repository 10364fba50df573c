import { localeResources } from "../../i18n.ts";
import { fold } from "../text.ts";

/**
 * Words that steer an exchange, typed instead of pressing a button: cancel, go back, done, skip,
 * stop receiving messages. One list per language in `locales/<lang>/common.json` (`keywords.*`);
 * every language's words count everywhere, folded the same way (case, diacritics, trailing
 * punctuation ignored).
 */
export type ControlWord = "cancel" | "back" | "done" | "skip" | "stop";
const KINDS: ControlWord[] = ["cancel", "back", "done", "skip", "stop"];

let table: Map<string, Set<ControlWord>> | undefined;

/** How a typed word is compared: folded, without trailing punctuation. */
export function controlKey(text: string): string {
  return fold(text).replace(/[.!?…]+$/u, "").trim();
}

function load(): Map<string, Set<ControlWord>> {
  const out = new Map<string, Set<ControlWord>>();
  for (const lang of Object.values(localeResources())) {
    const keywords = (lang as { common?: { keywords?: Record<string, string> } }).common?.keywords ?? {};
    for (const kind of KINDS) {
      for (const w of (keywords[kind] ?? "").split("|")) {
        const key = controlKey(w);
        if (!key) continue;
        if (!out.has(key)) out.set(key, new Set());
        out.get(key)!.add(kind);
      }
    }
  }
  return out;
}

/** Whether the whole text is a control word of this kind ("Huỷ!", "huy", "cancel" are all `cancel`). */
export function isControlWord(kind: ControlWord, text: string): boolean {
  table ??= load();
  return table.get(controlKey(text))?.has(kind) ?? false;
}
