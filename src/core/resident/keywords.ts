import { LOCALES, type Translate } from "../../i18n.ts";
import { listKeys, typedKey } from "../text.ts";

/** Commands a person can type as a word in any language (menu, help, language, emergency). */
export type KeywordIntent = "menu" | "help" | "language" | "emergency";
const INTENTS: KeywordIntent[] = ["emergency", "help", "language", "menu"];

/** Recognises typed keywords from every locale's `keywords.*` lists, diacritics optional (compared under `typedKey`). */
export class Keywords {
  private readonly table = new Map<string, KeywordIntent>();

  constructor(t: Translate) {
    for (const intent of INTENTS) {
      for (const locale of LOCALES) {
        for (const key of listKeys(t(locale, `keywords.${intent}`))) {
          if (!this.table.has(key)) this.table.set(key, intent);
        }
      }
    }
  }

  /** The intent of a text that is exactly a keyword (used while a tip is being written). */
  matchExact(text: string): KeywordIntent | undefined {
    return this.table.get(typedKey(text));
  }

  /** The intent of a short typed text: the whole text, or one of its first words, is a keyword. */
  match(text: string): KeywordIntent | undefined {
    const folded = typedKey(text);
    const whole = this.table.get(folded);
    if (whole) return whole;
    const words = folded.split(" ");
    if (words.length > 4) return undefined;
    for (let n = words.length; n >= 1; n--) {
      for (let i = 0; i + n <= words.length; i++) {
        const hit = this.table.get(words.slice(i, i + n).join(" "));
        if (hit) return hit;
      }
    }
    return undefined;
  }
}
