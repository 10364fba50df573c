import { localeResources } from "../../i18n.ts";
import { listKeys, typedKey } from "../text.ts";

/**
 * Words that steer an exchange, typed instead of pressing a button: cancel, go back, done, skip,
 * stop receiving messages. One list per language in `locales/<lang>/common.json` (`keywords.*`);
 * every language's words count everywhere, compared under `typedKey` (case, diacritics, trailing
 * punctuation ignored), as keywords and data-request phrases are.
 */
export type ControlWord = "cancel" | "back" | "done" | "skip" | "stop";
const KINDS: ControlWord[] = ["cancel", "back", "done", "skip", "stop"];

let table: Map<string, Set<ControlWord>> | undefined;

function load(): Map<string, Set<ControlWord>> {
  const out = new Map<string, Set<ControlWord>>();
  for (const lang of Object.values(localeResources())) {
    const keywords = (lang as { common?: { keywords?: Record<string, string> } }).common?.keywords ?? {};
    for (const kind of KINDS) {
      for (const key of listKeys(keywords[kind] ?? "")) {
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
  return table.get(typedKey(text))?.has(kind) ?? false;
}
