import { LOCALES, isLocale, type Locale } from "../../i18n.ts";
import type { InboundInput } from "../inbound.ts";
import type { Choice, Reply } from "../reply.ts";
import type { Keywords } from "./keywords.ts";

/** What the resident conversation knows about the person's chat. */
export interface ResidentState {
  locale: Locale | null;
  /** True on the very first update from this chat. */
  firstContact: boolean;
}

/** The conversation's answer: replies to send and the chat's new language, if it changed. */
export interface ResidentTurn {
  replies: Reply[];
  setLocale?: Locale;
}

/** Main menu entries. Only features that work are listed; later features add theirs here. */
export function mainMenu(): Choice[] {
  return [
    { id: "menu:emergency", labelKey: "menu.emergency" },
    { id: "menu:help", labelKey: "menu.help" },
    { id: "menu:language", labelKey: "menu.language" },
  ];
}

function languageChoices(): Choice[] {
  return LOCALES.map((l) => ({ id: `lang:${l}`, labelKey: `language.name.${l}` }));
}

const menuReply = (key: string, extraKeys: string[] = ["menu.prompt"]): Reply => ({ key, extraKeys, choices: mainMenu() });

/** One turn of a resident's private conversation: start, language, menu, help, emergency numbers. */
export function converse(state: ResidentState, input: InboundInput, keywords: Keywords): ResidentTurn {
  if (input.type === "start" || (state.firstContact && input.type !== "choice")) {
    if (input.type === "text" && keywords.match(input.text) === "emergency") return emergency();
    return start(state);
  }
  if (input.type === "choice") {
    const lang = /^lang:(\w+)$/.exec(input.choiceId)?.[1];
    if (lang && isLocale(lang)) {
      return { setLocale: lang, replies: [menuReply("language.chosen")] };
    }
    switch (input.choiceId) {
      case "menu:help":
        return help();
      case "menu:language":
        return language();
      case "menu:emergency":
        return emergency();
      case "menu:main":
        return { replies: [menuReply("menu.prompt", [])] };
    }
    return { replies: [menuReply("fallback.unknown", [])] };
  }
  if (input.type === "command") {
    switch (input.command) {
      case "start":
        return start(state);
      case "help":
        return help();
      case "language":
      case "lang":
        return language();
      case "emergency":
      case "sos":
        return emergency();
      case "menu":
        return { replies: [menuReply("menu.prompt", [])] };
    }
    return { replies: [menuReply("fallback.unknown", [])] };
  }
  if (input.type === "text") {
    switch (keywords.match(input.text)) {
      case "emergency":
        return emergency();
      case "help":
        return help();
      case "language":
        return language();
      case "menu":
        return { replies: [menuReply("menu.prompt", [])] };
    }
    if (state.locale === null) return start(state);
    return { replies: [menuReply("fallback.unknown", [])] };
  }
  return { replies: [menuReply("fallback.unsupported", [])] };
}

function start(state: ResidentState): ResidentTurn {
  if (state.locale === null) return { replies: [{ key: "greeting.new", choices: languageChoices() }] };
  return { replies: [menuReply("greeting.back", [])] };
}

const help = (): ResidentTurn => ({ replies: [menuReply("help.text")] });
const language = (): ResidentTurn => ({ replies: [{ key: "language.prompt", choices: languageChoices() }] });
const emergency = (): ResidentTurn => ({ replies: [menuReply("emergency.text")] });
