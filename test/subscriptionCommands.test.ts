import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db, Tx } from "../src/db/client.ts";
import { actorKey } from "../src/core/events/recordEvent.ts";
import { SubscriptionError, type SubscriberActor } from "../src/core/subscriptions/commands/authorizeSubscriber.ts";
import { changeSubscription } from "../src/core/subscriptions/commands/changeSubscription.ts";
import { eraseSubscription } from "../src/core/subscriptions/commands/eraseSubscription.ts";
import { stopSubscription } from "../src/core/subscriptions/commands/stopSubscription.ts";
import { subscribe } from "../src/core/subscriptions/commands/subscribe.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

/**
 * Every subscription command called directly against the database: the resident acting on their own
 * chat (and the system for a block, an administrator for an erasure) changes the state and leaves
 * exactly one event, which never names the chat; anyone else — another chat's resident, an officer,
 * the system or an administrator where they have no say — changes nothing and leaves exactly one
 * `auth.refused` event.
 */
let tdb: TestDatabase;
let db: Db;
let run = 0;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
});
afterAll(() => tdb.drop());

/** A fresh private chat (and its platform id, which must never reach the log). */
async function newChat() {
  const platformChatId = String(880_000 + ++run);
  const chat = await db.chat.create({ data: { channel: "telegram", platformChatId, kind: "private", locale: "vi" } });
  return { id: chat.id, platformChatId, resident: { kind: "resident", chatId: chat.id } as SubscriberActor };
}

/** A chat subscribed to fraud news, with one campaign message still pending. */
async function subscribedChat() {
  const chat = await newChat();
  await db.$transaction((tx) => subscribe(tx, { actor: chat.resident, chatId: chat.id, choice: { topics: ["fraud"], provinceCode: "01" } }));
  const content = await db.content.create({ data: { title: "t", bodies: "{}", source: "{}", topics: "[]", createdBy: "test" } });
  const campaign = await db.campaign.create({ data: { contentId: content.id, schedule: "{}", createdBy: "test" } });
  const campaignRun = await db.campaignRun.create({ data: { campaignId: campaign.id, status: "sending" } });
  await db.delivery.create({ data: { runId: campaignRun.id, chatId: chat.id, status: "pending" } });
  return chat;
}

/** Everything the subscription commands can change for a chat, as one comparable value. */
async function state(chatId: string): Promise<string> {
  const [subscription, consent, deliveries] = await Promise.all([
    db.subscription.findUnique({ where: { chatId } }),
    db.consentRecord.findMany({ where: { chatId }, orderBy: { id: "asc" } }),
    db.delivery.findMany({ where: { chatId }, orderBy: { id: "asc" } }),
  ]);
  return JSON.stringify({ subscription, consent, deliveries });
}

/** Runs a command in its own transaction; returns its result (or error), whether the chat's data changed, and the events it left. */
async function attempt<T>(chat: { id: string; platformChatId: string }, command: (tx: Tx) => Promise<T>) {
  const before = await state(chat.id);
  const lastId = (await db.auditEvent.findFirst({ orderBy: { id: "desc" } }))?.id ?? 0;
  let result: T | undefined;
  let error: unknown;
  try {
    result = await db.$transaction(command);
  } catch (err) {
    error = err;
  }
  const raw = await db.auditEvent.findMany({ where: { id: { gt: lastId } }, orderBy: { id: "asc" } });
  // No event may name the chat or its platform id.
  for (const e of raw) expect(JSON.stringify(e)).not.toMatch(new RegExp(`${chat.id}|${chat.platformChatId}`));
  const events = raw.map((e) => ({ ...e, data: JSON.parse(e.data) as Record<string, unknown> }));
  return { result, error, changed: (await state(chat.id)) !== before, events };
}

function expectRefused(r: Awaited<ReturnType<typeof attempt>>, actor: SubscriberActor, action: string, reason: string) {
  expect(r.error).toBeUndefined();
  expect(r.result).toEqual({ ok: false, reason });
  expect(r.changed).toBe(false);
  expect(r.events).toHaveLength(1);
  expect(r.events[0]).toMatchObject({ action: "auth.refused", actor: actorKey(actor), data: { action: `subscription.${action}`, reason } });
}

const OFFICER: SubscriberActor = { kind: "officer", officerId: "o-1" };
const SYSTEM: SubscriberActor = { kind: "system" };
const ADMIN: SubscriberActor = { kind: "admin", name: "cli-test" };
const OTHERS: Array<[string, () => SubscriberActor, string]> = [
  ["another chat's resident", () => ({ kind: "resident", chatId: "someone-else" }), "scope"],
  ["a resident not naming their chat", () => ({ kind: "resident" }), "scope"],
  ["an officer", () => OFFICER, "role"],
  ["a tipster", () => ({ kind: "tipster" }), "role"],
  ["the public", () => ({ kind: "public" }), "role"],
];

describe("subscribe (opt in with consent)", () => {
  it("the resident opts their own chat in: active, consent recorded, one subscription.subscribed event", async () => {
    const chat = await newChat();
    const r = await attempt(chat, (tx) => subscribe(tx, { actor: chat.resident, chatId: chat.id, choice: { topics: ["fraud", "traffic"], communeCode: "00004", provinceCode: "01" } }));
    expect(r.error).toBeUndefined();
    expect(r.result).toMatchObject({ ok: true, subscription: { active: true, topics: '["fraud","traffic"]', communeCode: "00004" } });
    expect(await db.consentRecord.findMany({ where: { chatId: chat.id } })).toMatchObject([{ action: "subscribed" }]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ action: "subscription.subscribed", actor: "resident", data: { topics: ["fraud", "traffic"], provinceCode: "01", communeCode: "00004" } });
  });

  it.each([...OTHERS, ["the system", () => SYSTEM, "role"], ["an administrator", () => ADMIN, "role"]] as Array<[string, () => SubscriberActor, string]>)(
    "%s cannot opt a chat in: nothing changed, one refusal",
    async (_label, actor, reason) => {
      const chat = await newChat();
      const r = await attempt(chat, (tx) => subscribe(tx, { actor: actor(), chatId: chat.id, choice: { topics: ["fraud"] } }));
      expectRefused(r, actor(), "subscribe", reason);
    },
  );

  it("no topic, an unknown topic or a malformed place is rejected; an active subscription is changed, not re-subscribed: nothing changed, no event", async () => {
    const chat = await newChat();
    for (const choice of [{ topics: [] }, { topics: ["gossip"] }, { topics: ["fraud"], provinceCode: "Hà Nội" }]) {
      const r = await attempt(chat, (tx) => subscribe(tx, { actor: chat.resident, chatId: chat.id, choice: choice as never }));
      expect(r.error).toBeInstanceOf(SubscriptionError);
      expect(r.changed).toBe(false);
      expect(r.events).toEqual([]);
    }
    const subscribed = await subscribedChat();
    const r = await attempt(subscribed, (tx) => subscribe(tx, { actor: subscribed.resident, chatId: subscribed.id, choice: { topics: ["drugs"] } }));
    expect(r.error).toMatchObject({ reason: "state" });
    expect(r.changed).toBe(false);
    expect(r.events).toEqual([]);
  });
});

describe("changeSubscription (new topics or place, consented again)", () => {
  it("the resident changes their own subscription: new topics, a 'changed' consent record, one event", async () => {
    const chat = await subscribedChat();
    const r = await attempt(chat, (tx) => changeSubscription(tx, { actor: chat.resident, chatId: chat.id, choice: { topics: ["drugs"] } }));
    expect(r.result).toMatchObject({ ok: true, subscription: { topics: '["drugs"]', provinceCode: null } });
    expect((await db.consentRecord.findMany({ where: { chatId: chat.id }, orderBy: { id: "asc" } })).map((c) => c.action)).toEqual(["subscribed", "changed"]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ action: "subscription.changed", actor: "resident", data: { topics: ["drugs"] } });
  });

  it.each([...OTHERS, ["the system", () => SYSTEM, "role"], ["an administrator", () => ADMIN, "role"]] as Array<[string, () => SubscriberActor, string]>)(
    "%s cannot change it: nothing changed, one refusal",
    async (_label, actor, reason) => {
      const chat = await subscribedChat();
      const r = await attempt(chat, (tx) => changeSubscription(tx, { actor: actor(), chatId: chat.id, choice: { topics: ["drugs"] } }));
      expectRefused(r, actor(), "change", reason);
    },
  );

  it("a chat not subscribed has nothing to change: a state error, no event", async () => {
    const chat = await newChat();
    const r = await attempt(chat, (tx) => changeSubscription(tx, { actor: chat.resident, chatId: chat.id, choice: { topics: ["drugs"] } }));
    expect(r.error).toMatchObject({ reason: "state" });
    expect(r.changed).toBe(false);
    expect(r.events).toEqual([]);
  });
});

describe("stopSubscription (a stop word, or a block)", () => {
  it.each([
    ["the resident's stop word", "stop_word"],
    ["the system, for a block", "blocked"],
  ] as const)("%s stops it: inactive, pending messages dropped, one subscription.stopped event", async (_label, reason) => {
    const chat = await subscribedChat();
    const actor = reason === "blocked" ? SYSTEM : chat.resident;
    const r = await attempt(chat, (tx) => stopSubscription(tx, { actor, chatId: chat.id, reason }));
    expect(r.result).toEqual({ ok: true, stopped: true });
    expect(await db.subscription.findUniqueOrThrow({ where: { chatId: chat.id } })).toMatchObject({ active: false, stoppedReason: reason });
    expect((await db.delivery.findMany({ where: { chatId: chat.id } })).map((d) => d.status)).toEqual(["skipped"]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ action: "subscription.stopped", actor: actorKey(actor), data: { reason } });
  });

  it.each([...OTHERS, ["an administrator", () => ADMIN, "role"]] as Array<[string, () => SubscriberActor, string]>)(
    "%s cannot stop it: nothing changed, one refusal",
    async (_label, actor, reason) => {
      const chat = await subscribedChat();
      const r = await attempt(chat, (tx) => stopSubscription(tx, { actor: actor(), chatId: chat.id, reason: "stop_word" }));
      expectRefused(r, actor(), "stop", reason);
    },
  );

  it("the system cannot use a resident's stop word (only a block): nothing changed, one refusal", async () => {
    const chat = await subscribedChat();
    const r = await attempt(chat, (tx) => stopSubscription(tx, { actor: SYSTEM, chatId: chat.id, reason: "stop_word" }));
    expectRefused(r, SYSTEM, "stop", "role");
  });

  it("a stop word from a chat not subscribed changes nothing and records nothing", async () => {
    const chat = await newChat();
    const r = await attempt(chat, (tx) => stopSubscription(tx, { actor: chat.resident, chatId: chat.id, reason: "stop_word" }));
    expect(r.result).toEqual({ ok: true, stopped: false });
    expect(r.changed).toBe(false);
    expect(r.events).toEqual([]);
  });
});

describe("eraseSubscription (“delete my data”)", () => {
  it.each(["the resident", "an administrator"])("%s erases the profile and its consent history: one subscription.erased event", async (label) => {
    const chat = await subscribedChat();
    const actor = label === "the resident" ? chat.resident : ADMIN;
    const r = await attempt(chat, (tx) => eraseSubscription(tx, { actor, chatId: chat.id }));
    expect(r.result).toEqual({ ok: true, erased: true });
    expect(await db.subscription.count({ where: { chatId: chat.id } })).toBe(0);
    expect(await db.consentRecord.count({ where: { chatId: chat.id } })).toBe(0);
    expect((await db.delivery.findMany({ where: { chatId: chat.id } })).map((d) => d.status)).toEqual(["skipped"]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ action: "subscription.erased", actor: actorKey(actor) });
  });

  it.each([...OTHERS, ["the system", () => SYSTEM, "role"]] as Array<[string, () => SubscriberActor, string]>)(
    "%s cannot erase it: nothing changed, one refusal",
    async (_label, actor, reason) => {
      const chat = await subscribedChat();
      const r = await attempt(chat, (tx) => eraseSubscription(tx, { actor: actor(), chatId: chat.id }));
      expectRefused(r, actor(), "erase", reason);
    },
  );
});
