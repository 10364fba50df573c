import { LOCALES, isLocale, type Locale } from "../../i18n.ts";
import type { InboundInput } from "../inbound.ts";
import type { Choice, Reply } from "../reply.ts";
import type { Keywords } from "./keywords.ts";

/** What the resident conversation knows about the person's chat. */
export interface ResidentState {
  locale: Locale | null;
  /** True on the very first update from this chat. */
  firstContact: boolean;
  /** The person has a tip draft to come back to. */
  hasDraft?: boolean;
}

/** The conversation's answer: replies to send and the chat's new language, if it changed. */
export interface ResidentTurn {
  replies: Reply[];
  setLocale?: Locale;
}

/** Main menu entries. Only features that work are listed; later features add theirs here. */
export function mainMenu(hasDraft = false): Choice[] {
  return [
    { id: "menu:report", labelKey: hasDraft ? "tip:flow.continue_draft" : "tip:menu.report" },
    { id: "menu:lookup", labelKey: "tip:menu.lookup" },
    { id: "menu:ask", labelKey: "qa:menu.ask" },
    { id: "menu:subscribe", labelKey: "campaign:menu.subscribe" },
    { id: "menu:emergency", labelKey: "menu.emergency" },
    { id: "menu:help", labelKey: "menu.help" },
    { id: "menu:language", labelKey: "menu.language" },
  ];
}

/** A reply that ends with the main menu. */
export function menuReply(key: string, opts: { hasDraft?: boolean; prompt?: boolean; params?: Record<string, unknown> } = {}): Reply {
  return {
    key,
    params: opts.params,
    more: opts.prompt === false ? [] : [{ key: "menu.prompt" }],
    choices: mainMenu(opts.hasDraft),
  };
}

/** The languages to choose from, as choices. */
export function languageChoices(): Choice[] {
  return LOCALES.map((l) => ({ id: `lang:${l}`, labelKey: `language.name.${l}` }));
}

/** The emergency numbers, with the main menu (urgent: channels that can offer a one-tap call do). */
export function emergencyReply(hasDraft = false): Reply {
  return { ...menuReply("emergency.text", { hasDraft }), urgent: true };
}

/**
 * One menu-level turn of a resident's private conversation: start, language, menu, help, emergency
 * numbers, and the fallbacks. Tip drafts and look-ups are handled by residentTurn.
 */
export function converse(state: ResidentState, input: InboundInput, keywords: Keywords): ResidentTurn {
  const hasDraft = state.hasDraft === true;
  const menu = (key: string, prompt = false) => ({ replies: [menuReply(key, { hasDraft, prompt })] });
  const start = (): ResidentTurn =>
    state.locale === null ? { replies: [{ key: "greeting.new", choices: languageChoices() }] } : menu("greeting.back");
  const help = () => menu("help.text", true);
  const language = (): ResidentTurn => ({ replies: [{ key: "language.prompt", choices: languageChoices() }] });
  const emergency = (): ResidentTurn => ({ replies: [emergencyReply(hasDraft)] });

  if (input.type === "start" || (state.firstContact && input.type !== "choice")) {
    if (input.type === "text" && keywords.match(input.text) === "emergency") return emergency();
    return start();
  }
  if (input.type === "choice") {
    const lang = /^lang:(\w+)$/.exec(input.choiceId)?.[1];
    if (lang && isLocale(lang)) return { setLocale: lang, replies: [menuReply("language.chosen", { hasDraft })] };
    switch (input.choiceId) {
      case "menu:help":
        return help();
      case "menu:language":
        return language();
      case "menu:emergency":
        return emergency();
      case "menu:main":
        return menu("menu.prompt");
    }
    // A button of an older message whose exchange is over.
    return menu("fallback.expired");
  }
  if (input.type === "command") {
    switch (input.command) {
      case "start":
        return start();
      case "help":
        return help();
      case "language":
      case "lang":
        return language();
      case "emergency":
      case "sos":
        return emergency();
      case "menu":
        return menu("menu.prompt");
    }
    // A command we do not have (a typo, or one from another bot): the ones we have, and the menu.
    return { replies: [menuReply("fallback.command", { hasDraft, prompt: true, params: { command: `/${input.command}` } })] };
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
        return menu("menu.prompt");
    }
    if (state.locale === null) return start();
    return menu("fallback.unknown");
  }
  // A sticker is a greeting or a feeling, not a request: answered warmly, with the menu.
  if (input.type === "media" && input.kind === "sticker") return menu("fallback.sticker");
  return menu("fallback.unsupported");
}
