/**
 * A seeded fuzzer of platform updates: mutations of valid Telegram and Zalo updates (type swaps,
 * removed fields, huge strings, deep nesting, unicode junk, numbers at and past their limits,
 * unknown fields), each with the outcome an independent oracle expects. The oracle is written from
 * the platforms' documented shapes and limits (telegram-notes.md, zalo-bot-api.md), not from the
 * service's schemas, so a schema that refuses something valid (or lets through something it
 * should not) makes the test fail.
 */
import { mulberry32 } from "./random.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
type Path = Array<string | number>;

/** What the service must answer: stored (valid) or refused with one of `reasons`. */
export type Expected = { valid: true; key: string } | { valid: false; reasons: string[] };

/** One generated webhook delivery. */
export interface FuzzCase {
  channel: "telegram" | "zalo";
  body: string;
  expected: Expected;
  /** The mutations applied, for failure messages. */
  mutations: string[];
}

/** A small, fast, seeded PRNG (mulberry32). */
export const prng = mulberry32;

// ---- The oracle's view of the fields the platforms define -------------------------------------

/** The kind of a field, as the platform documents it, and its limits (with the service's stated margins). */
type Kind =
  | { t: "updateId" }
  | { t: "id" }
  | { t: "str"; max: number; min?: number; maxBytes?: number }
  | { t: "num"; min: number; max: number }
  | { t: "zid" }
  | { t: "int"; min?: number }
  | { t: "obj" }
  | { t: "list"; min: number; max: number };

interface Field {
  path: Path;
  kind: Kind;
  required: boolean;
  /** A problem with this field means the body is not an update at all. */
  key?: boolean;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Limits the README states: Telegram text/captions 16,384 (4× 4096), names 256, file ids 1,024, callback data 64 bytes; Zalo ids 128, text 8,000, urls 4,096. */
const TG = { text: 16_384, name: 256, fileId: 1_024, key: 128, phone: 64, kind: 32 };
const ZL = { id: 128, kind: 128, text: 8_000, url: 4_096, sticker: 256, name: 256 };

/** Why a value does not fit `kind`; undefined when it fits. */
function misfit(kind: Kind, v: Json): string | undefined {
  const isInt = typeof v === "number" && Number.isInteger(v);
  switch (kind.t) {
    case "updateId":
      return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? undefined : "not_an_update";
    case "id":
    case "int":
      if (typeof v !== "number" || !isInt) return "wrong_type";
      return Number.isSafeInteger(v) && (kind.t === "id" || v >= (kind.min ?? -Infinity)) ? undefined : "out_of_range";
    case "str":
      if (typeof v !== "string") return "wrong_type";
      if (v.length > kind.max || (kind.maxBytes !== undefined && Buffer.byteLength(v) > kind.maxBytes)) return "too_long";
      if (v.length < (kind.min ?? 0)) return "invalid_value";
      return undefined;
    case "num":
      if (typeof v !== "number") return "wrong_type";
      return v < kind.min || v > kind.max ? "out_of_range" : undefined;
    case "zid":
      // Zalo's ids are hexadecimal: visible ASCII is the documented shape with room to spare.
      if (typeof v === "string") return v.length === 0 ? "invalid_value" : v.length > ZL.id ? "too_long" : /^[\x21-\x7e]+$/.test(v) ? undefined : "invalid_value";
      if (typeof v === "number" && isInt) return Number.isSafeInteger(v) ? undefined : "out_of_range";
      return "wrong_type";
    case "obj":
      return v !== null && typeof v === "object" && !Array.isArray(v) ? undefined : "wrong_type";
    case "list":
      if (!Array.isArray(v)) return "wrong_type";
      return v.length < kind.min ? "invalid_value" : v.length > kind.max ? "too_long" : undefined;
  }
}

const f = (path: Path, kind: Kind, required = false, key = false): Field => ({ path, kind, required, key });
const user = (p: Path): Field[] => [f([...p, "id"], { t: "id" }, true), f([...p, "first_name"], { t: "str", max: TG.name }), f([...p, "last_name"], { t: "str", max: TG.name })];
const chat = (p: Path): Field[] => [f([...p, "id"], { t: "id" }, true), f([...p, "type"], { t: "str", max: TG.kind, min: 1 }, true)];
const fileRef = (p: Path): Field[] => [f([...p, "file_id"], { t: "str", max: TG.fileId, min: 1 }, true)];
const entities = (p: Path): Field[] => [
  f(p, { t: "list", min: 0, max: 10_000 }),
  f([...p, 0], { t: "obj" }),
  f([...p, 0, "type"], { t: "str", max: TG.kind }, true),
  f([...p, 0, "offset"], { t: "int", min: 0 }, true),
  f([...p, 0, "length"], { t: "int", min: 0 }, true),
];

/** The fields of a Telegram message the oracle knows (what a bot reads). */
function messageFields(p: Path): Field[] {
  return [
    f([...p, "message_id"], { t: "id" }, true),
    f([...p, "chat"], { t: "obj" }, true),
    ...chat([...p, "chat"]),
    f([...p, "from"], { t: "obj" }), // required outside channels: see `rules`
    ...user([...p, "from"]),
    f([...p, "text"], { t: "str", max: TG.text }),
    f([...p, "caption"], { t: "str", max: TG.text }),
    ...entities([...p, "entities"]),
    f([...p, "photo"], { t: "list", min: 1, max: 100 }),
    f([...p, "photo", 0], { t: "obj" }),
    ...fileRef([...p, "photo", 0]),
    ...(["video", "voice", "audio", "document", "sticker"] as const).flatMap((k) => [f([...p, k], { t: "obj" }), ...fileRef([...p, k])]),
    f([...p, "location"], { t: "obj" }),
    f([...p, "location", "latitude"], { t: "num", min: -90, max: 90 }, true),
    f([...p, "location", "longitude"], { t: "num", min: -180, max: 180 }, true),
    f([...p, "contact"], { t: "obj" }),
    f([...p, "contact", "phone_number"], { t: "str", max: TG.phone }, true),
    f([...p, "migrate_to_chat_id"], { t: "id" }),
    f([...p, "reply_to_message"], { t: "obj" }),
    f([...p, "reply_to_message", "message_id"], { t: "id" }, true),
  ];
}

const TELEGRAM_FIELDS: Field[] = [
  f(["update_id"], { t: "updateId" }, true, true),
  ...["message", "edited_message", "channel_post", "edited_channel_post"].flatMap((k) => [f([k], { t: "obj" }), ...messageFields([k])]),
  f(["callback_query"], { t: "obj" }),
  f(["callback_query", "id"], { t: "str", max: TG.key, min: 1 }, true),
  f(["callback_query", "from"], { t: "obj" }, true),
  ...user(["callback_query", "from"]),
  f(["callback_query", "data"], { t: "str", max: 64, maxBytes: 64 }),
  f(["callback_query", "message"], { t: "obj" }),
  f(["callback_query", "message", "message_id"], { t: "id" }, true),
  f(["callback_query", "message", "chat"], { t: "obj" }, true),
  ...chat(["callback_query", "message", "chat"]),
  f(["my_chat_member"], { t: "obj" }),
  f(["my_chat_member", "chat"], { t: "obj" }, true),
  ...chat(["my_chat_member", "chat"]),
  f(["my_chat_member", "from"], { t: "obj" }, true),
  ...user(["my_chat_member", "from"]),
  f(["my_chat_member", "new_chat_member"], { t: "obj" }, true),
  f(["my_chat_member", "new_chat_member", "status"], { t: "str", max: TG.kind, min: 1 }, true),
  f(["inline_query"], { t: "obj" }),
  f(["inline_query", "from"], { t: "obj" }),
  ...user(["inline_query", "from"]),
  f(["chat_join_request"], { t: "obj" }),
  f(["chat_join_request", "chat"], { t: "obj" }),
  ...chat(["chat_join_request", "chat"]),
  f(["chat_join_request", "from"], { t: "obj" }),
  ...user(["chat_join_request", "from"]),
];

const party = (p: Path): Field[] => [f([...p, "id"], { t: "zid" }, true), f([...p, "display_name"], { t: "str", max: ZL.name })];
const ZALO_FIELDS: Field[] = [
  f(["event_name"], { t: "str", max: ZL.kind, min: 1 }, true, true),
  f(["message"], { t: "obj" }, true, true),
  f(["message", "message_id"], { t: "zid" }, true),
  f(["message", "date"], { t: "int" }),
  f(["message", "chat"], { t: "obj" }),
  ...party(["message", "chat"]),
  f(["message", "chat", "chat_type"], { t: "str", max: ZL.kind }),
  f(["message", "from"], { t: "obj" }),
  ...party(["message", "from"]),
  f(["message", "text"], { t: "str", max: ZL.text }),
  f(["message", "caption"], { t: "str", max: ZL.text }),
  f(["message", "photo_url"], { t: "str", max: ZL.url }),
  f(["message", "photo"], { t: "str", max: ZL.url }),
  f(["message", "sticker"], { t: "str", max: ZL.sticker }),
  f(["message", "voice_url"], { t: "str", max: ZL.url }),
  f(["message", "url"], { t: "str", max: ZL.url }),
];

function get(root: Json, path: Path): Json | undefined {
  let v: Json | undefined = root;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, Json>)[k];
  }
  return v;
}
const isObj = (v: Json | undefined): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** Nesting depth of a value (iterative), counting `extra` levels spliced in at placeholders. */
function depthOf(root: Json, spliced: Map<string, number>): number {
  let max = 0;
  const stack: Array<[Json, number]> = [[root, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v === "string" && spliced.has(v)) max = Math.max(max, d + spliced.get(v)!);
    if (v === null || typeof v !== "object") continue;
    max = Math.max(max, d + 1);
    for (const c of Array.isArray(v) ? v : Object.values(v)) stack.push([c, d + 1]);
  }
  return max;
}

/** What the service must do with `body` (after splicing), per the oracle. */
function judge(channel: "telegram" | "zalo", body: Json, spliced: Map<string, number>): Expected {
  if (depthOf(body, spliced) > 64) return { valid: false, reasons: ["too_deep"] };
  let event: Json | undefined = body;
  if (channel === "zalo" && isObj(body) && isObj(body.result)) event = body.result;
  if (!isObj(event)) return { valid: false, reasons: ["not_an_update"] };
  if (channel === "zalo" && (!("event_name" in event) || !isObj(event.message))) return { valid: false, reasons: ["not_an_update"] };
  const fields = channel === "telegram" ? TELEGRAM_FIELDS : ZALO_FIELDS;
  const reasons = new Set<string>();
  for (const field of fields) {
    const parent = get(event, field.path.slice(0, -1));
    const last = field.path.at(-1)!;
    // Only fields whose parent is there in the expected shape are judged (the parent's own problem is counted already).
    if (typeof last === "number" ? !Array.isArray(parent) : !isObj(parent)) continue;
    const v = (parent as Record<string | number, Json>)[last];
    if (v === undefined) {
      if (field.required) {
        if (field.key) return { valid: false, reasons: ["not_an_update"] };
        reasons.add("missing_field");
      }
      continue;
    }
    const why = misfit(field.kind, v);
    if (why === "not_an_update") return { valid: false, reasons: [why] };
    if (why) reasons.add(why);
  }
  // Rules across fields.
  if (channel === "telegram") {
    for (const k of ["message", "edited_message", "channel_post", "edited_channel_post"]) {
      const m = event[k];
      if (isObj(m) && m.from === undefined && !(isObj(m.chat) && m.chat.type === "channel")) reasons.add("missing_field");
      // Entities are parts of a text (or caption): none without it.
      if (isObj(m) && m.entities !== undefined && m.text === undefined) reasons.add("missing_field");
      if (isObj(m) && m.caption_entities !== undefined && m.caption === undefined) reasons.add("missing_field");
    }
  } else {
    const m = event.message as Obj;
    if (m.chat === undefined && m.from === undefined) reasons.add("missing_field");
    if (event.event_name === "message.text.received" && m.text === undefined) reasons.add("missing_field");
  }
  if (reasons.size) return { valid: false, reasons: [...reasons] };
  const key = channel === "telegram" ? String(event.update_id) : String((event.message as Obj).message_id);
  return { valid: true, key };
}

// ---- Valid updates to start from -----------------------------------------------------------------

const TG_USERS = 40;
const TG_GROUPS = [-1_009_000_000_001, -1_009_000_000_002, -4_000_001];
const NAMES = ["Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng", "Phạm Minh Đức", "Đặng Thu Hà"];

function template(r: () => number, n: number, channel: "telegram" | "zalo"): Obj {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
  if (channel === "zalo") {
    const userId = `zf${String(Math.floor(r() * 40)).padStart(18, "0")}`;
    const message: Obj = {
      message_id: Math.floor(r() * 2 ** 52).toString(16).padStart(20, "0"),
      date: 1_767_000_000_000 + n,
      from: { id: userId, display_name: pick(NAMES), is_bot: false },
      chat: { id: userId, chat_type: "PRIVATE" },
    };
    const kind = pick(["text", "text", "text", "image", "sticker", "unsupported", "voice"]);
    if (kind === "text") return { event_name: "message.text.received", message: { ...message, text: pick(["xin chào", "1", "113", "lừa đảo qua mạng", "/start", "hi"]) } };
    if (kind === "image") return { event_name: "message.image.received", message: { ...message, photo_url: "https://photo.zdn.vn/a.jpg", caption: "", message_type: "CHAT_PHOTO" } };
    if (kind === "sticker") return { event_name: "message.sticker.received", message: { ...message, sticker: "abc123", url: "https://zalo.me/s.webp" } };
    if (kind === "voice") return { event_name: "message.voice.received", message: { ...message, voice_url: "https://voice.zdn.vn/a.aac" } };
    return { event_name: "message.unsupported.received", message };
  }
  const updateId = 7_000_000_000 + n;
  const uid = 880_000 + Math.floor(r() * TG_USERS);
  const from: Obj = { id: uid, is_bot: false, first_name: pick(NAMES), username: `fz${uid}`, language_code: "vi" };
  const priv: Obj = { id: uid, type: "private", first_name: from.first_name as string };
  const group = pick(TG_GROUPS);
  const groupChat: Obj = { id: group, type: group < -1_000_000_000_000 ? "supergroup" : "group", title: "Công an xã" };
  const msg = (extra: Obj, c: Obj = priv): Obj => ({ message_id: 1 + Math.floor(r() * 1e6), date: 1_767_000_000, chat: c, from, ...extra });
  switch (pick(["text", "text", "command", "photo", "document", "video", "voice", "location", "contact", "callback", "groupText", "groupReply", "groupCallback", "myChatMember", "edited", "channelPost", "inline", "joinRequest", "migrate"])) {
    case "text":
      return { update_id: updateId, message: msg({ text: pick(["xin chào", "113", "khẩn cấp", "tôi muốn báo tin", "hello"]) }) };
    case "command":
      return { update_id: updateId, message: msg({ text: "/start", entities: [{ type: "bot_command", offset: 0, length: 6 }] }) };
    case "photo":
      return { update_id: updateId, message: msg({ photo: [{ file_id: "AgAC-small", file_unique_id: "u1", width: 90, height: 90 }, { file_id: "AgAC-big", file_unique_id: "u2", width: 800, height: 800 }], caption: "ảnh hiện trường" }) };
    case "document":
      return { update_id: updateId, message: msg({ document: { file_id: "BQAC-doc", file_unique_id: "d1", file_name: "a.pdf" } }) };
    case "video":
      return { update_id: updateId, message: msg({ video: { file_id: "BAAC-vid", file_unique_id: "v1", width: 1, height: 1, duration: 3 }, caption: "video" }) };
    case "voice":
      return { update_id: updateId, message: msg({ voice: { file_id: "AwAC-voice", file_unique_id: "o1", duration: 2 } }) };
    case "location":
      return { update_id: updateId, message: msg({ location: { latitude: 21.0285, longitude: 105.8542 } }) };
    case "contact":
      return { update_id: updateId, message: msg({ contact: { phone_number: "+84912345678", first_name: "An", user_id: uid } }) };
    case "callback":
      return { update_id: updateId, callback_query: { id: String(Math.floor(r() * 2 ** 50)), from, chat_instance: "-1", data: pick(["lang:vi", "lang:en", "menu:help", "menu:emergency", "x"]), message: { message_id: 1, date: 1, chat: priv, from: { id: 123456, is_bot: true, first_name: "Tai Mắt" } } } };
    case "groupText":
      return { update_id: updateId, message: msg({ text: pick(["/queue", "/mine", "/overdue", "chào", "/tip TM-AAAAAA"]) }, groupChat) };
    case "groupReply":
      return { update_id: updateId, message: msg({ text: "đã xử lý", reply_to_message: { message_id: 5, date: 1, chat: groupChat, from: { id: 123456, is_bot: true, first_name: "Tai Mắt" } } }, groupChat) };
    case "groupCallback":
      return { update_id: updateId, callback_query: { id: String(Math.floor(r() * 2 ** 50)), from, chat_instance: "-2", data: pick(["t:claim:1", "t:close:2", "junk"]), message: { message_id: 9, date: 1, chat: groupChat } } };
    case "myChatMember":
      return { update_id: updateId, my_chat_member: { chat: priv, from, date: 1, old_chat_member: { status: "member", user: from }, new_chat_member: { status: pick(["kicked", "member"]), user: from } } };
    case "edited":
      return { update_id: updateId, edited_message: { ...msg({ text: "sửa lại" }), edit_date: 2 } };
    case "channelPost":
      return { update_id: updateId, channel_post: { message_id: 3, date: 1, chat: { id: -1_005_555_555_555, type: "channel", title: "Kênh" }, text: "tin" } };
    case "inline":
      return { update_id: updateId, inline_query: { id: "1", from, query: "luật", offset: "" } };
    case "joinRequest":
      return { update_id: updateId, chat_join_request: { chat: groupChat, from, user_chat_id: uid, date: 1 } };
    default:
      return { update_id: updateId, message: msg({ migrate_to_chat_id: group - 1 }, groupChat) };
  }
}

// ---- Mutations -----------------------------------------------------------------------------------

/** Code points that break naive text handling: controls, NUL, lone surrogates, RTL and zero-width marks, combining marks, emoji, CJK, Vietnamese. */
const JUNK_POINTS = [0x0, 0x1, 0x7, 0x1b, 0x7f, 0xd800, 0xdfff, 0x200b, 0x200d, 0x202e, 0x2066, 0xfeff, 0x0301, 0x0323, 0x1f600, 0x1f1fb, 0x1f1f3, 0x4e2d, 0x1ec7, 0x111, 0xfffd, 0x10ffff, 0x22, 0x5c, 0x3c, 0x26];

function junk(r: () => number, length: number): string {
  let s = "";
  while (s.length < length) s += r() < 0.5 ? String.fromCodePoint(JUNK_POINTS[Math.floor(r() * JUNK_POINTS.length)]!) : String.fromCharCode(0x20 + Math.floor(r() * 0x5f));
  return s.slice(0, length);
}

function randomJson(r: () => number, depth: number): Json {
  const k = Math.floor(r() * (depth > 0 ? 7 : 5));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return [0, -1, 1.5, MAX_SAFE, -MAX_SAFE, 1e300, Math.floor(r() * 1e6)][Math.floor(r() * 7)]!;
    case 3:
    case 4:
      return junk(r, Math.floor(r() * 40));
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(r, depth - 1));
    default: {
      const o: Obj = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[`zz_${junk(r, 6)}`] = randomJson(r, depth - 1);
      return o;
    }
  }
}

/** Every existing path in `root` to an object (where an unknown field can be added). */
function objectPaths(root: Json, path: Path = [], out: Path[] = []): Path[] {
  if (isObj(root)) {
    out.push(path);
    for (const [k, v] of Object.entries(root)) objectPaths(v, [...path, k], out);
  } else if (Array.isArray(root)) {
    root.forEach((v, i) => objectPaths(v, [...path, i], out));
  }
  return out;
}

function setAt(root: Obj, path: Path, value: Json | undefined): void {
  const parent = get(root, path.slice(0, -1)) as Record<string | number, Json> | undefined;
  if (!parent || typeof parent !== "object") return;
  const last = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
    else delete parent[last];
  } else {
    parent[last] = value;
  }
}

/** A number at or past a limit (as JSON can carry it). */
const LIMIT_NUMBERS = [0, -0, -1, 1, MAX_SAFE, -MAX_SAFE, MAX_SAFE + 1, -(MAX_SAFE + 1), 2 ** 63, 1.5, -0.5, 1e308, -1e308, 90, -90, 90.000001, 180, -180.5, 4294967296];

/**
 * Generates `count` deliveries from `seed`: about 2 % untouched, the rest with one mutation
 * (about a third) or two or three stacked, each judged by the oracle. About 15 % stay valid.
 */
export function generateCases(seed: number, count: number): FuzzCase[] {
  const r = prng(seed);
  const out: FuzzCase[] = [];
  for (let n = 0; n < count; n++) {
    const channel = r() < 0.65 ? "telegram" : "zalo";
    // A copy: templates share objects (a user is both `from` and a member), a mutation changes one place.
    const body = JSON.parse(JSON.stringify(template(r, n, channel))) as Obj;
    let huge = false;
    const fields = channel === "telegram" ? TELEGRAM_FIELDS : ZALO_FIELDS;
    const spliced = new Map<string, number>();
    const mutations: string[] = [];
    const rounds = r() < 0.02 ? 0 : r() < 0.35 ? 1 : 2 + Math.floor(r() * 2);
    for (let i = 0; i < rounds; i++) {
      const present = fields.filter((fl) => get(body, fl.path) !== undefined);
      const field = present.length ? present[Math.floor(r() * present.length)]! : undefined;
      const op = Math.floor(r() * 10);
      if (!field || op === 0) {
        const paths = objectPaths(body);
        const at = paths[Math.floor(r() * paths.length)]!;
        setAt(body, [...at, `zz_${junk(r, 5)}`], randomJson(r, 3));
        mutations.push(`add unknown field at ${at.join(".")}`);
      } else if (op === 1) {
        // Deep nesting, spliced into the text after serialising (JSON.stringify would overflow on 10,000 levels).
        const paths = objectPaths(body);
        const at = paths[Math.floor(r() * paths.length)]!;
        const levels = [5, 20, 40, 63, 65, 100, 1_000, 10_000][Math.floor(r() * 8)]!;
        const marker = `@@deep${n}_${i}@@`;
        spliced.set(marker, levels);
        setAt(body, [...at, "zz_deep"], marker);
        mutations.push(`nest ${levels} levels at ${at.join(".")}`);
      } else if (op === 2) {
        setAt(body, field.path, undefined);
        mutations.push(`remove ${field.path.join(".")}`);
      } else if (op === 3 || op === 9) {
        const swaps: Json[] = [42, -7.25, "42", true, null, [], {}, [junk(r, 3)], { v: junk(r, 3) }, ""];
        setAt(body, field.path, swaps[Math.floor(r() * swaps.length)]!);
        mutations.push(`swap type of ${field.path.join(".")}`);
      } else if (op === 4 || op === 5) {
        const limit = field.kind.t === "str" ? field.kind.max : field.kind.t === "zid" ? ZL.id : 64;
        // At most one 900,000-character string per body: bodies stay under the 1 MB webhook limit.
        const length: number = !huge && r() < 0.01 ? 900_000 : limit + 1 + Math.floor(r() * 40);
        huge ||= length === 900_000;
        setAt(body, field.path, "x".repeat(length));
        mutations.push(`huge string (${length}) at ${field.path.join(".")}`);
      } else if (op === 6) {
        const limit = field.kind.t === "str" ? field.kind.max : 64;
        const length = Math.floor(r() * Math.min(limit, 120)) + (r() < 0.1 ? limit - 120 : 0);
        setAt(body, field.path, junk(r, Math.max(0, length)));
        mutations.push(`unicode junk (${length}) at ${field.path.join(".")}`);
      } else if (op === 7) {
        setAt(body, field.path, LIMIT_NUMBERS[Math.floor(r() * LIMIT_NUMBERS.length)]!);
        mutations.push(`limit number at ${field.path.join(".")}`);
      } else {
        // Wrap or unwrap a Zalo body; for Telegram, rename the event kind to an unknown one.
        if (channel === "zalo") {
          if (isObj(body.result)) mutations.push("(already wrapped)");
          else {
            const inner = { ...body };
            for (const k of Object.keys(body)) delete body[k];
            Object.assign(body, { ok: true, result: inner });
            mutations.push("wrap in {ok, result}");
          }
        } else {
          const kind = Object.keys(body).find((k) => k !== "update_id" && !k.startsWith("zz_"));
          if (kind) {
            body[`future_${kind}`] = body[kind]!;
            delete body[kind];
          }
          mutations.push(`rename ${kind} to an unknown kind`);
        }
      }
    }
    // Zalo: the wrapped form keeps the event's fields under `result`; the oracle unwraps it.
    const expected = judge(channel, body, spliced);
    let text = JSON.stringify(body);
    for (const [marker, levels] of spliced) text = text.replace(`"${marker}"`, "[".repeat(levels) + "]".repeat(levels));
    out.push({ channel, body: text, expected, mutations });
  }
  return out;
}
