import type { ChannelCaps } from "../intents.ts";
import type { Tx } from "../../db/client.ts";
import type { Sealer } from "../../security/sealing.ts";
import type { Channel, InboundInput } from "../inbound.ts";
import type { Choice, Reply, TextBlock } from "../reply.ts";
import { CATEGORIES, DETAIL_CATEGORIES, WHEN_CODES, isCategory, normalisePhone, type Category } from "./categories.ts";
import type { DraftPlace, PlacePick, Step, TipDraftData } from "./draft.ts";
import type { PlaceFinder } from "./places.ts";
import { communeLabel, communesByCode, provincesByCode } from "./unitNames.ts";
import { isControlWord } from "../resident/controlWords.ts";


/** Limits on what one tip may hold. */
export const TIP_LIMITS = { descriptionChars: 4000, attachments: 10, whenChars: 200, detailsChars: 1000 } as const;

export interface TipFlowContext {
  tx: Tx;
  channel: Channel;
  /** What the person's channel can ask for and carry (from its renderer), so each step offers only what works there. */
  caps: ChannelCaps;
  places: PlaceFinder;
  sealer: Sealer;
}

/** The outcome of one input: replies, the updated draft (null: dropped), and whether to submit it. */
export interface TipTurn {
  replies: Reply[];
  draft: TipDraftData | null;
  submit?: boolean;
}

const BACK: Choice = { id: "flow:back", labelKey: "tip:flow.back" };
const CANCEL: Choice = { id: "flow:cancel", labelKey: "tip:flow.cancel" };


/** The question for the draft's current step. */
export async function promptFor(ctx: TipFlowContext, draft: TipDraftData): Promise<Reply> {
  const caps = ctx.caps;
  const nav = draft.trail.length ? [BACK, CANCEL] : [CANCEL];
  switch (draft.step) {
    case "category":
      return { key: "tip:category.prompt", choices: [...CATEGORIES.map((c) => ({ id: `cat:${c}`, labelKey: `tip:category.${c}` })), CANCEL] };
    case "danger":
      return { key: "tip:danger.prompt", choices: [{ id: "danger:yes", labelKey: "tip:danger.yes" }, { id: "danger:no", labelKey: "tip:danger.no" }, ...nav] };
    case "place":
      return caps.location
        ? { key: "tip:place.prompt", ask: "location", choices: [{ id: "place:unknown", labelKey: "tip:place.dont_know" }, ...nav] }
        : { key: "tip:place.prompt_no_location", choices: [{ id: "place:unknown", labelKey: "tip:place.dont_know" }, ...nav] };
    case "place_pick":
      return pickPrompt(ctx, draft.pick!, nav);
    case "province": {
      const provinces = await ctx.tx.province.findMany({ orderBy: { name: "asc" } });
      return {
        key: "tip:place.province_prompt",
        columns: 2,
        choices: [...provinces.map((p) => ({ id: `prov:${p.code}`, labelKey: "common:raw", labelParams: { text: p.shortName } })), ...nav],
      };
    }
    case "when":
      return { key: "tip:when.prompt", choices: [...WHEN_CODES.map((w) => ({ id: `when:${w}`, labelKey: `tip:when.${w}` })), ...nav] };
    case "details":
      return { key: `tip:details.${draft.category}`, choices: [{ id: "details:skip", labelKey: "tip:details.skip" }, ...nav] };
    case "what": {
      const media = caps.media === "all" ? { $t: "tip:what.media_all" } : caps.media === "photo" ? { $t: "tip:what.media_photo" } : "";
      return { key: "tip:what.prompt", params: { media }, choices: [{ id: "what:done", labelKey: "tip:what.done" }, ...nav] };
    }
    case "identity":
      return {
        key: "tip:identity.prompt",
        choices: [
          { id: "id:anonymous", labelKey: "tip:identity.anonymous" },
          { id: "id:confidential", labelKey: "tip:identity.confidential" },
          { id: "id:named", labelKey: "tip:identity.named" },
          ...nav,
        ],
      };
    case "contact_name":
      return { key: "tip:identity.ask_name", choices: nav };
    case "contact_phone":
      return caps.contact
        ? { key: "tip:identity.ask_phone", params: { contact: { $t: "tip:identity.ask_phone_contact" } }, ask: "contact", choices: nav }
        : { key: "tip:identity.ask_phone", params: { contact: "" }, choices: nav };
    case "review":
      return {
        key: "tip:review.prompt",
        params: { summary: await summary(ctx, draft) },
        choices: [{ id: "review:send", labelKey: "tip:review.send" }, { id: "review:restart", labelKey: "tip:review.restart" }, ...nav],
      };
  }
}

async function pickPrompt(ctx: TipFlowContext, pick: PlacePick, nav: Choice[]): Promise<Reply> {
  if (pick.kind === "provinces") {
    const found = await provincesByCode(ctx.tx, pick.codes);
    // In the search's order: where the name is spelt as typed first.
    const provinces = pick.codes.flatMap((code) => found.get(code) ?? []);
    return {
      key: "tip:place.which_province",
      params: { text: pick.text },
      choices: [...provinces.map((p) => ({ id: `pick:${p.code}`, labelKey: "common:raw", labelParams: { text: p.name } })), ...nav],
    };
  }
  const labels = await communeLabels(ctx.tx, pick.codes);
  const options = pick.codes.map((code) => ({ id: `pick:${code}`, labelKey: "common:raw", labelParams: { text: labels.get(code) ?? code } }));
  if (pick.reason === "nearest") {
    return {
      key: "tip:place.confirm_nearest",
      params: { place: labels.get(pick.codes[0]!) ?? "", km: (pick.km ?? 0).toFixed(1) },
      choices: [{ id: `pick:${pick.codes[0]}`, labelKey: "tip:place.confirm_yes" }, { id: "pick:none", labelKey: "tip:place.confirm_no" }, ...nav],
    };
  }
  if (pick.reason === "similar" && pick.codes.length === 1) {
    // A name typed with a mistake is never taken without the tipster saying yes.
    return {
      key: "tip:place.did_you_mean",
      params: { place: labels.get(pick.codes[0]!) ?? "", text: pick.text ?? "" },
      choices: [{ id: `pick:${pick.codes[0]}`, labelKey: "tip:place.confirm_yes" }, { id: "pick:none", labelKey: "tip:place.confirm_no" }, ...nav],
    };
  }
  const key =
    pick.reason === "border"
      ? "tip:place.near_border"
      : pick.reason === "legacy_split"
        ? "tip:place.choose_split"
        : pick.reason === "similar"
          ? "tip:place.choose_similar"
          : "tip:place.choose";
  return { key, params: { text: pick.text ?? "" }, choices: [...options, { id: "pick:none", labelKey: "tip:place.none_of_these" }, ...nav] };
}

/** "Phường Hoàn Kiếm, Thành phố Hà Nội" for each commune code. */
export async function communeLabels(tx: Tx, codes: string[]): Promise<Map<string, string>> {
  return new Map([...(await communesByCode(tx, codes)).values()].map((c) => [c.code, communeLabel(c)]));
}

/** The place as shown to the tipster: a commune label, or the province with "commune unknown". */
export async function placeLabel(tx: Tx, place: DraftPlace): Promise<string | { $t: string; params: Record<string, unknown> }> {
  if (place.communeCode) return (await communeLabels(tx, [place.communeCode])).get(place.communeCode) ?? place.communeCode;
  const province = (await provincesByCode(tx, [place.provinceCode])).get(place.provinceCode);
  return { $t: "tip:place.province_only", params: { province: province?.name ?? place.provinceCode } };
}

async function summary(ctx: TipFlowContext, draft: TipDraftData): Promise<Array<{ $t: string; params?: Record<string, unknown> }>> {
  // Lines as translations, so the summary is in the tipster's language; the renderer joins them.
  const lines: Array<{ $t: string; params?: Record<string, unknown> }> = [
    { $t: "tip:review.category", params: { value: { $t: `tip:category.${draft.category}` } } },
  ];
  if (draft.lifeSafety) lines.push({ $t: "tip:review.life_safety" });
  if (draft.place) lines.push({ $t: "tip:review.place", params: { value: await placeLabel(ctx.tx, draft.place) } });
  if (draft.when) {
    const when = (WHEN_CODES as readonly string[]).includes(draft.when) ? { $t: `tip:when.${draft.when}` } : draft.when;
    lines.push({ $t: "tip:review.when", params: { value: when } });
  }
  if (draft.details) lines.push({ $t: "tip:review.details", params: { value: clip(draft.details, 300) } });
  lines.push({ $t: "tip:review.description", params: { value: clip(draft.description.join("\n"), 600) } });
  if (draft.attachments.length) lines.push({ $t: "tip:review.attachments", params: { count: draft.attachments.length } });
  lines.push({ $t: "tip:review.identity", params: { value: { $t: `tip:identity.${draft.identity ?? "anonymous"}` } } });
  return lines;
}

const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max - 1) + "…" : text);

/** Moves to `step`, remembering the current one for "back". */
function advance(draft: TipDraftData, step: Step): TipDraftData {
  return { ...draft, trail: [...draft.trail, draft.step], step };
}

async function ask(ctx: TipFlowContext, draft: TipDraftData, notices: TextBlock[] = []): Promise<TipTurn> {
  const prompt = await promptFor(ctx, draft);
  if (notices.length === 0) return { replies: [prompt], draft };
  const [first, ...rest] = notices;
  return { replies: [{ ...prompt, key: first!.key, params: first!.params, more: [...rest, { key: prompt.key, params: prompt.params }, ...(prompt.more ?? [])] }], draft };
}

/** The step after the place is settled (or after "when", etc.), skipping what does not apply. */
function after(step: Step, draft: TipDraftData): Step {
  switch (step) {
    case "category":
      return "danger";
    case "danger":
      return "place";
    case "place":
    case "place_pick":
    case "province":
      return "when";
    case "when":
      return draft.category && DETAIL_CATEGORIES.has(draft.category) ? "details" : "what";
    case "details":
      return "what";
    case "what":
      return "identity";
    case "identity":
      return draft.identity === "anonymous" ? "review" : "contact_name";
    case "contact_name":
      return "contact_phone";
    default:
      return "review";
  }
}

/** Handles one input for a draft in progress. */
export async function tipTurn(ctx: TipFlowContext, draft: TipDraftData, input: InboundInput): Promise<TipTurn> {
  const text = input.type === "text" ? input.text.trim() : undefined;
  const choice = input.type === "choice" ? input.choiceId : undefined;

  if (choice === "flow:cancel" || (text !== undefined && isControlWord("cancel", text))) {
    return { replies: [], draft: null };
  }
  if (choice === "flow:back" || (text !== undefined && isControlWord("back", text))) {
    const previous = draft.trail.at(-1);
    if (!previous) return ask(ctx, draft);
    return ask(ctx, { ...draft, step: previous, trail: draft.trail.slice(0, -1), pick: previous === "place_pick" ? draft.pick : undefined });
  }

  // A photo, video, voice note or file is kept at whatever step it arrives (the "what" step has its own replies).
  if (draft.step !== "what" && input.type === "media" && input.kind !== "sticker") {
    const added = attachMedia(ctx.caps, draft, input);
    if ("refused" in added) return ask(ctx, draft, [added.refused]);
    return ask(ctx, added.draft, [attachedNotice(input.kind, added.draft)]);
  }
  // A file the channel refused (never stored, never passed on): the person is told; its caption joins the description, at any step.
  if (input.type === "file_refused") {
    const caption = input.caption?.trim() ? clip(input.caption.trim(), 1000) : undefined;
    const next = caption ? { ...draft, description: [...draft.description, caption] } : draft;
    const notice = fileRefusedNotice(input);
    if (draft.step === "what") return { replies: [{ ...notice, choices: [{ id: "what:done", labelKey: "tip:what.done" }] }], draft: next };
    return ask(ctx, next, [notice]);
  }
  if (draft.step !== "what" && input.type === "unsupported") return ask(ctx, draft, [{ key: "tip:what.unsupported_media" }]);

  switch (draft.step) {
    case "category": {
      const code = choice?.startsWith("cat:") ? choice.slice(4) : undefined;
      if (!isCategory(code)) return ask(ctx, draft);
      return ask(ctx, advance({ ...draft, category: code as Category }, "danger"));
    }
    case "danger": {
      if (choice === "danger:yes") {
        // Someone is in danger: "call 113 now" first, then the next question (urgent: a one-tap call where the channel can).
        const turn = await ask(ctx, advance({ ...draft, lifeSafety: true }, "place"), [{ key: "tip:danger.call113" }]);
        return { ...turn, replies: turn.replies.map((r) => ({ ...r, urgent: true })) };
      }
      if (choice === "danger:no") return ask(ctx, advance({ ...draft, lifeSafety: false }, "place"));
      return ask(ctx, draft);
    }
    case "place":
    case "place_pick":
      return placeInput(ctx, draft, input);
    case "province": {
      let code = choice?.startsWith("prov:") ? choice.slice(5) : undefined;
      if (!code && text) {
        const found = ctx.places.findProvince(text);
        if (found.length === 1) code = found[0]!.code;
        else return ask(ctx, draft, [{ key: "tip:place.province_not_found", params: { text: clip(text, 60) } }]);
      }
      if (!code || !(await provincesByCode(ctx.tx, [code])).has(code)) return ask(ctx, draft);
      return settlePlace(ctx, draft, { source: "unknown", provinceCode: code });
    }
    case "when": {
      if (choice?.startsWith("when:") && (WHEN_CODES as readonly string[]).includes(choice.slice(5))) {
        return ask(ctx, advance({ ...draft, when: choice.slice(5) }, after("when", draft)));
      }
      if (text) {
        if (text.length > TIP_LIMITS.whenChars) return ask(ctx, draft, [{ key: "tip:flow.too_long", params: { max: TIP_LIMITS.whenChars } }]);
        return ask(ctx, advance({ ...draft, when: text }, after("when", draft)));
      }
      return ask(ctx, draft);
    }
    case "details": {
      if (choice === "details:skip" || (text !== undefined && isControlWord("skip", text))) return ask(ctx, advance({ ...draft, details: undefined }, "what"));
      if (text) {
        if (text.length > TIP_LIMITS.detailsChars) return ask(ctx, draft, [{ key: "tip:flow.too_long", params: { max: TIP_LIMITS.detailsChars } }]);
        return ask(ctx, advance({ ...draft, details: text }, "what"));
      }
      return ask(ctx, draft);
    }
    case "what":
      return whatInput(ctx, draft, input);
    case "identity": {
      const mode = choice?.startsWith("id:") ? choice.slice(3) : undefined;
      if (mode !== "anonymous" && mode !== "confidential" && mode !== "named") return ask(ctx, draft);
      const next = { ...draft, identity: mode, ...(mode === "anonymous" ? { contactNameSealed: undefined, contactPhoneSealed: undefined } : {}) } as TipDraftData;
      return ask(ctx, advance(next, after("identity", next)));
    }
    case "contact_name": {
      if (!text) return ask(ctx, draft);
      if (text.length < 2 || text.length > 100) return ask(ctx, draft, [{ key: "tip:identity.bad_name" }]);
      return ask(ctx, advance({ ...draft, contactNameSealed: ctx.sealer.seal(text, "draft-contact-name") }, "contact_phone"));
    }
    case "contact_phone": {
      const raw = input.type === "contact" ? input.phone : text;
      const phone = raw ? normalisePhone(raw) : undefined;
      if (!phone) return ask(ctx, draft, raw ? [{ key: "tip:identity.bad_phone" }] : []);
      return ask(ctx, advance({ ...draft, contactPhoneSealed: ctx.sealer.seal(phone, "draft-contact-phone") }, "review"));
    }
    case "review": {
      if (choice === "review:send") return { replies: [], draft, submit: true };
      if (choice === "review:restart") return ask(ctx, { ...draft, step: "category", trail: [] });
      return ask(ctx, draft);
    }
  }
}

async function settlePlace(ctx: TipFlowContext, draft: TipDraftData, place: DraftPlace): Promise<TipTurn> {
  const next = advance({ ...draft, place, pick: undefined }, "when");
  return ask(ctx, next, [{ key: "tip:place.found", params: { place: await placeLabel(ctx.tx, place) } }]);
}

async function placeInput(ctx: TipFlowContext, draft: TipDraftData, input: InboundInput): Promise<TipTurn> {
  const pick = draft.step === "place_pick" ? draft.pick : undefined;
  // Back to the plain place question, keeping where we came from.
  const atPlace: TipDraftData = pick ? { ...draft, step: "place", pick: undefined, trail: draft.trail.slice(0, -1) } : draft;

  if (input.type === "choice") {
    if (input.choiceId === "place:unknown") return ask(ctx, advance(atPlace, "province"));
    if (pick && input.choiceId === "pick:none") return ask(ctx, atPlace);
    if (pick && input.choiceId.startsWith("pick:")) {
      const code = input.choiceId.slice(5);
      if (!pick.codes.includes(code)) return ask(ctx, draft);
      if (pick.kind === "provinces") return typedPlace(ctx, atPlace, pick.text, code);
      const commune = (await communesByCode(ctx.tx, [code])).get(code);
      if (!commune) return ask(ctx, draft);
      const fromLocation = pick.lat !== undefined && pick.lng !== undefined;
      return settlePlace(ctx, atPlace, {
        source: fromLocation ? "location" : "typed",
        provinceCode: commune.provinceCode,
        communeCode: code,
        text: pick.text,
        lat: pick.lat,
        lng: pick.lng,
      });
    }
    return ask(ctx, draft);
  }
  if (input.type === "location") return locatedPlace(ctx, atPlace, input.latitude, input.longitude);
  if (input.type === "text" && input.text.trim()) return typedPlace(ctx, atPlace, input.text.trim());
  return ask(ctx, draft);
}

async function locatedPlace(ctx: TipFlowContext, draft: TipDraftData, lat: number, lng: number): Promise<TipTurn> {
  const found = ctx.places.locate?.(lat, lng) ?? { kind: "outside" as const };
  if (found.kind === "inside" && !found.nearBorder) {
    const commune = (await communesByCode(ctx.tx, [found.code])).get(found.code);
    if (commune) return settlePlace(ctx, draft, { source: "location", provinceCode: commune.provinceCode, communeCode: commune.code, lat, lng });
  }
  if (found.kind === "inside" && found.nearBorder) {
    return ask(ctx, advance({ ...draft, pick: { kind: "communes", codes: [found.code, found.nearBorder.code], reason: "border", lat, lng } }, "place_pick"));
  }
  if (found.kind === "nearest") {
    return ask(ctx, advance({ ...draft, pick: { kind: "communes", codes: [found.code], reason: "nearest", lat, lng, km: found.distanceM / 1000 } }, "place_pick"));
  }
  return ask(ctx, draft, [{ key: "tip:place.outside" }]);
}

async function typedPlace(ctx: TipFlowContext, draft: TipDraftData, text: string, provinceCode?: string): Promise<TipTurn> {
  if (text.length > 200) return ask(ctx, draft, [{ key: "tip:flow.too_long", params: { max: 200 } }]);
  const result = ctx.places.search(text, provinceCode ? { provinceCode } : undefined);
  switch (result.kind) {
    case "match": {
      // The name is current here but was also the name of former units now elsewhere, or other
      // communes have it with other diacritics: ask, the typed spelling first.
      const alternatives = [...(result.otherSpellings ?? []), ...(provinceCode ? [] : (result.legacyAlternatives ?? []))];
      if (alternatives.length) {
        const codes = [...new Set([result.commune.code, ...alternatives.map((a) => a.code)])].slice(0, 8);
        return ask(ctx, advance({ ...draft, pick: { kind: "communes", codes, reason: "same_name", text } }, "place_pick"));
      }
      return settlePlace(ctx, draft, { source: "typed", provinceCode: result.commune.provinceCode, communeCode: result.commune.code, text });
    }
    case "choose":
      return ask(ctx, advance({ ...draft, pick: { kind: "communes", codes: result.candidates.map((c) => c.code), reason: result.reason, text } }, "place_pick"));
    case "province":
      return ask(ctx, advance({ ...draft, pick: { kind: "provinces", codes: result.provinces.map((p) => p.code), text } }, "place_pick"));
    case "none":
      return ask(ctx, draft, [{ key: "tip:place.not_found", params: { text: clip(text, 60) } }]);
  }
}

type MediaInput = Extract<InboundInput, { type: "media" }>;

/**
 * Adds a photo, video, voice note or file to a draft (its caption joins the description), or says
 * why it cannot be kept: a kind the channel does not carry, or the draft's limit reached.
 */
export function attachMedia(caps: ChannelCaps, draft: TipDraftData, input: MediaInput): { draft: TipDraftData } | { refused: TextBlock } {
  if (input.kind === "sticker" || !(caps.media === "all" || (caps.media === "photo" && input.kind === "photo"))) return { refused: { key: "tip:what.unsupported_media" } };
  if (draft.attachments.length >= TIP_LIMITS.attachments) return { refused: { key: "tip:what.too_many_attachments", params: { max: TIP_LIMITS.attachments } } };
  const caption = input.caption?.trim() ? clip(input.caption.trim(), 1000) : undefined;
  const attachment = { kind: input.kind, ref: input.ref, ...(caption ? { caption } : {}) };
  const description = caption ? [...draft.description, caption] : draft.description;
  return { draft: { ...draft, attachments: [...draft.attachments, attachment], description } };
}

/** "We could not accept this photo …" (and, when it came with words, that they were kept). */
export function fileRefusedNotice(input: Extract<InboundInput, { type: "file_refused" }>): TextBlock {
  return { key: input.caption?.trim() ? "tip:file_refused.words_kept" : "tip:file_refused.alone", params: { what: { $t: `tip:media.${input.kind}` } } };
}

/** "📎 Photo received: it will be sent with your report (2 files so far)." */
export function attachedNotice(kind: string, draft: TipDraftData): TextBlock {
  return { key: "tip:flow.attached", params: { what: { $t: `tip:media.${kind}` }, count: draft.attachments.length } };
}

async function whatInput(ctx: TipFlowContext, draft: TipDraftData, input: InboundInput): Promise<TipTurn> {
  const done = (input.type === "choice" && input.choiceId === "what:done") || (input.type === "text" && isControlWord("done", input.text));
  if (done) {
    if (draft.description.join("").trim() === "" && draft.attachments.length === 0) return ask(ctx, draft, [{ key: "tip:what.empty" }]);
    return ask(ctx, advance(draft, "identity"));
  }
  if (input.type === "text" && input.text.trim()) {
    const used = draft.description.reduce((n, d) => n + d.length, 0);
    if (used + input.text.length > TIP_LIMITS.descriptionChars) {
      return { replies: [{ key: "tip:what.too_long", params: { max: TIP_LIMITS.descriptionChars }, choices: [{ id: "what:done", labelKey: "tip:what.done" }] }], draft };
    }
    return { replies: [{ key: "tip:what.received", choices: [{ id: "what:done", labelKey: "tip:what.done" }] }], draft: { ...draft, description: [...draft.description, input.text.trim()] } };
  }
  if (input.type === "media") {
    const added = attachMedia(ctx.caps, draft, input);
    const choices = [{ id: "what:done", labelKey: "tip:what.done" }];
    if ("refused" in added) return { replies: [{ key: added.refused.key, params: added.refused.params, choices }], draft };
    return { replies: [{ key: "tip:what.received", choices }], draft: added.draft };
  }
  if (input.type === "unsupported") return { replies: [{ key: "tip:what.unsupported_media" }], draft };
  return ask(ctx, draft);
}
