import { describe, expect, it } from "vitest";
import type { Update } from "grammy/types";
import type { z } from "zod";
import { fitsTelegramUpdate, telegramUpdateSchema } from "../src/channels/telegram/updateSchema.ts";
import { telegramIncoming } from "../src/channels/telegram/inbound.ts";
import { rejection } from "../src/inbox/boundary.ts";
import { tgCallback, tgCommand, tgContact, tgGroupText, tgLocation, tgPrivateText, tgUser } from "./fakes/telegramApi.ts";
import { generateCases } from "./helpers/fuzz.ts";

/**
 * The precompiled Telegram check (`fitsTelegramUpdate`) lets the webhook skip zod for well-formed
 * updates. It must never accept what the schema refuses (that would store an update the handlers
 * are promised never to see), and should accept what the schema accepts (else every update pays
 * for both). Proven here on every field of the schema, walked from the schema itself (a field added
 * to the schema and not to the check makes this fail), with values of every kind at and past the
 * limits, and on the fuzzer's generated updates; and the webhook's verdicts (reason, field) are
 * the schema's own.
 */

type Json = Record<string, unknown>;
type Path = Array<string | number>;
type Schema = z.core.$ZodType;

const defOf = (s: Schema) => s._zod.def as unknown as { type: string; innerType?: Schema; shape?: Record<string, Schema>; element?: Schema };

/** Every path the schema describes (array elements as index 0), with its schema. */
function schemaPaths(schema: Schema, at: Path = [], out: Array<{ path: Path; schema: Schema }> = []): Array<{ path: Path; schema: Schema }> {
  const def = defOf(schema);
  if (def.type === "optional") return schemaPaths(def.innerType!, at, out);
  if (def.type === "object") {
    for (const [key, child] of Object.entries(def.shape!)) {
      out.push({ path: [...at, key], schema: child });
      schemaPaths(child, [...at, key], out);
    }
  } else if (def.type === "array") {
    out.push({ path: [...at, 0], schema: def.element! });
    schemaPaths(def.element!, [...at, 0], out);
  }
  return out;
}

/** A small value the schema accepts at that node, refinements aside (required fields only). */
function minimal(schema: Schema): unknown {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
      return minimal(def.innerType!);
    case "object":
      return Object.fromEntries(Object.entries(def.shape!).flatMap(([k, v]) => (defOf(v).type === "optional" ? [] : [[k, minimal(v)]])));
    case "array":
      return [minimal(def.element!)];
    case "string":
      return "private";
    default:
      return 1;
  }
}

const ASTRAL = "😀"; // two UTF-16 units, one code point
/** Values of every kind, at and past every limit the schema has. */
const VALUES: unknown[] = [
  null,
  true,
  0,
  1,
  -1,
  1.5,
  91,
  -181,
  Number.MAX_SAFE_INTEGER,
  2 ** 53,
  -(2 ** 53),
  Number.NaN,
  Number.POSITIVE_INFINITY,
  "",
  "x",
  "channel",
  "private",
  "a".repeat(32),
  "a".repeat(33),
  "a".repeat(64),
  "a".repeat(65),
  "ệ".repeat(22), // 22 characters, 66 UTF-8 bytes
  "a".repeat(128),
  "a".repeat(129),
  "a".repeat(256),
  "a".repeat(257),
  "a".repeat(1024),
  "a".repeat(1025),
  "a".repeat(16_384),
  "a".repeat(16_385),
  ASTRAL.repeat(200), // 400 units, 200 code points
  [],
  [{}],
  [1],
  [{ file_id: "f" }],
  Array.from({ length: 101 }, () => ({ file_id: "f" })),
  [{ type: "bot_command", offset: 0, length: 6 }],
  [{ type: "bold", offset: -1, length: 1 }],
  {},
  { id: 5 },
  { id: 5, type: "private" },
  { id: 5, first_name: "An" },
  { file_id: "f" },
  { message_id: 1, chat: { id: 5, type: "private" } },
  { status: "member" },
  { latitude: 21, longitude: 105 },
  { phone_number: "+84901234567" },
];

const clone = <T>(v: T): T => structuredClone(v);
const j = (u: Update): Json => u as unknown as Json;
const update = (u: Partial<Update> & Json): Json => ({ update_id: 900_001, ...u });
const member = (chat: Json, from: Json) => ({ chat, from, date: 1, old_chat_member: { status: "left", user: from }, new_chat_member: { status: "member", user: from } });
const privateChat = { id: 6101, type: "private", first_name: "An" };

/** Valid updates of every kind the schema knows. */
function samples(): Json[] {
  const photo = j(clone(tgPrivateText(6102, "x")));
  const pm = photo.message as Json;
  delete pm.text;
  pm.caption = "ảnh";
  pm.caption_entities = [{ type: "bold", offset: 0, length: 3 }];
  pm.photo = [{ file_id: "a", width: 90, height: 90 }, { file_id: "b", width: 800, height: 600 }];
  const media = j(clone(tgPrivateText(6103, "x")));
  Object.assign(media.message as Json, { video: { file_id: "v" }, voice: { file_id: "o" }, audio: { file_id: "u" }, document: { file_id: "d" }, sticker: { file_id: "s" }, reply_to_message: { message_id: 3 }, migrate_to_chat_id: -100123 });
  const channelPost = { message_id: 9, chat: { id: -1001, type: "channel", title: "kênh" }, date: 1, text: "tin", entities: [{ type: "bold", offset: 0, length: 3 }] };
  const user = tgUser(6104) as unknown as Json;
  const ignored = Object.fromEntries(
    ["chat_join_request", "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll_answer", "chat_boost", "removed_chat_boost", "deleted_business_messages", "business_connection"].map(
      (k, i) => [k, i % 2 ? { chat: privateChat, from: user } : { user, extra: [1, 2] }],
    ),
  );
  return [
    j(tgPrivateText(6101, "Xin chào")),
    j(tgCommand(6101, "start", "abc")),
    j(tgCallback(6101, "lang:vi", 4)),
    j(tgLocation(6101, 21.02, 105.85)),
    j(tgContact(6101, "+84901234567", "An")),
    j(tgGroupText(-1_001_234, 6105, "/queue", 7)),
    photo,
    media,
    update({ edited_message: clone(j(tgPrivateText(6106, "sửa")).message) as never }),
    update({ channel_post: channelPost as never, edited_channel_post: channelPost as never }),
    update({ business_message: clone(j(tgPrivateText(6107, "b")).message) as never, edited_business_message: clone(j(tgPrivateText(6107, "c")).message) as never }),
    update({ my_chat_member: member(privateChat, user) as never }),
    update({ chat_member: member({ id: -1002, type: "supergroup" }, user) as never }),
    update({ callback_query: { id: "q1", from: user, chat_instance: "1", message: { message_id: 1, chat: privateChat, date: 0 } } as never }),
    update(ignored),
    update({ unknown_kind: { anything: [1, { deep: true }] } }),
  ];
}

function getAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const key of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

/** Copies of `base` with the value at `path` replaced by each value (or removed), where its parent exists. */
function* mutations(base: Json, path: Path, values: unknown[]): Generator<{ body: Json; what: string }> {
  const parent = getAt(base, path.slice(0, -1));
  if (parent === null || typeof parent !== "object") return;
  const key = path[path.length - 1]!;
  if (Array.isArray(parent) && (parent.length === 0 || key !== 0)) return;
  for (const value of [undefined, ...values]) {
    const body = clone(base);
    const p = getAt(body, path.slice(0, -1)) as Record<PropertyKey, unknown>;
    if (value === undefined) delete p[key];
    else p[key] = clone(value);
    yield { body, what: `${path.join(".")} = ${value === undefined ? "(removed)" : JSON.stringify(value)?.slice(0, 40)}` };
  }
}

const zodAccepts = (u: unknown) => telegramUpdateSchema.safeParse(u).success;
/** Strings whose UTF-16 length is more than their code points: the one case the check leaves to zod. */
const hasAstral = (text: string) => /[\uD800-\uDBFF]|\\u[dD][89abAB]/.test(text);

/** The webhook's verdict computed by the schema alone (as before the precompiled check). */
function zodVerdict(raw: string, body: Json) {
  const parsed = telegramUpdateSchema.safeParse(body);
  return parsed.success ? { ok: true } : { ok: false, ...rejection(parsed.error, body) };
}

describe("the precompiled Telegram update check", () => {
  const paths = schemaPaths(telegramUpdateSchema);

  it("walks every field of the schema", () => {
    // Sanity of the walk itself: nested fields of every kind are reached.
    const names = paths.map((p) => p.path.join("."));
    for (const expected of ["update_id", "message.chat.type", "message.photo.0.file_id", "message.location.latitude", "callback_query.data", "my_chat_member.new_chat_member.status", "poll_answer.user.id"]) {
      expect(names).toContain(expected);
    }
  });

  it("agrees with the schema on every field of every kind of update, for values of every kind at and past the limits", () => {
    const looser: string[] = [];
    const stricter: string[] = [];
    const verdicts: string[] = [];
    let checked = 0;
    let accepted = 0;
    for (const base of samples()) {
      expect(fitsTelegramUpdate(base), JSON.stringify(base)).toBe(true);
      for (const { path, schema } of paths) {
        // The values above, and a minimal value of the field's own shape (an object with its required fields).
        for (const { body, what } of mutations(base, path, [...VALUES, minimal(schema)])) {
          checked++;
          const fits = fitsTelegramUpdate(body);
          const zod = zodAccepts(body);
          if (zod) accepted++;
          if (fits && !zod && looser.length < 10) looser.push(what);
          if (!fits && zod && !hasAstral(JSON.stringify(body)) && stricter.length < 10) stricter.push(what);
          if (typeof body.update_id === "number" && Number.isSafeInteger(body.update_id) && body.update_id >= 0) {
            const raw = JSON.stringify(body);
            const got = telegramIncoming(raw, body);
            const want = zodVerdict(raw, body);
            const same = got.ok ? want.ok : !want.ok && got.reason === (want as { reason: string }).reason && got.field === (want as { field?: string }).field;
            if (!same && verdicts.length < 10) verdicts.push(`${what}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
          }
        }
      }
    }
    expect(looser).toEqual([]);
    expect(stricter).toEqual([]);
    expect(verdicts).toEqual([]);
    // The mutations exercised both outcomes in earnest.
    expect(checked).toBeGreaterThan(20_000);
    expect(accepted).toBeGreaterThan(2_000);
    expect(checked - accepted).toBeGreaterThan(10_000);
  });

  it("leaves strings longer in UTF-16 units than their limit to the schema, which counts code points", () => {
    const body = j(clone(tgPrivateText(6108, ASTRAL.repeat(9_000)))); // 18,000 units, 9,000 code points
    expect(fitsTelegramUpdate(body)).toBe(false);
    expect(zodAccepts(body)).toBe(true);
    expect(telegramIncoming(JSON.stringify(body), body).ok).toBe(true);
  });

  it("agrees with the schema on the fuzzer's 5,000 generated updates", () => {
    const cases = generateCases(20_251_204, 5_000).filter((c) => c.channel === "telegram");
    let compared = 0;
    const wrong: string[] = [];
    for (const c of cases) {
      let body: unknown;
      try {
        body = JSON.parse(c.body);
      } catch {
        continue;
      }
      compared++;
      const fits = fitsTelegramUpdate(body);
      const zod = zodAccepts(body);
      if ((fits && !zod) || (!fits && zod && !hasAstral(c.body))) wrong.push(`[${c.mutations.join("; ")}] check ${fits}, schema ${zod}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(2_500);
  });
});
