import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "../src/db/client.ts";
import { storedUpdateProcessor, type UpdateRoute } from "../src/inbox/process.ts";
import { enqueueCalls, type OutboxRef } from "../src/outbox/outbound.ts";
import { takeRate } from "../src/core/rateLimit.ts";
import { loadDraft, newDraft, saveDraft } from "../src/core/tips/draft.ts";
import { CHAT_WITH_DRAFT, chatStateWrite, findOrCreateChat, primeChat, updateChatState, type RawChatWithDraft } from "../src/core/chats/findOrCreateChat.ts";
import { hotSqlOf } from "../src/db/hot.ts";
import { createTestDatabase, PROVIDER, type TestDatabase } from "./helpers/db.ts";
import { eventually } from "./helpers/app.ts";

// The group commit of stored updates on both databases (process.ts, processPg.ts): hot statements
// inside the shared transaction write what Prisma would, a caught database error does not let a
// half-done update commit, and (PostgreSQL, several instances) one update taken by two at once is
// processed once.

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

let seq = 5000n;
async function stored(text: string, db: Db = tdb.db): Promise<number> {
  seq++;
  const row = await db.inboxUpdate.create({ data: { channel: "web", updateKey: `g${seq}`, chatKey: `gc${seq}`, seq, payload: JSON.stringify({ text }) } });
  return row.id;
}
const textOf = (row: { payload: string }) => (JSON.parse(row.payload) as { text: string }).text;

describe("stored updates processed in a shared transaction", () => {
  it("hot reads and writes inside the group store what Prisma reads back (chat, state, draft, rate counter, replies)", async () => {
    const route: UpdateRoute = async (tx, row) => {
      const text = textOf(row);
      const { chat, created } = await findOrCreateChat(tx, { channel: "web", chat: { platformChatId: `hot-${text}`, kind: "private" } });
      await updateChatState(tx, chat.id, { locale: "vi", menu: `menu-${text}`, flow: null });
      const draft = (await loadDraft(tx, chat.id)) ?? newDraft(text);
      draft.description.push(`seen ${created ? "first" : "again"}`);
      await saveDraft(tx, chat.id, draft);
      const allowed = await takeRate(tx, `test:${text}`, 2, 60_000);
      return enqueueCalls(tx, { chatId: chat.id, channel: "web" }, [{ method: "sendMessage", payload: { text, allowed }, sensitive: true }], { sourceUpdateId: row.id });
    };
    const notified: OutboxRef[][] = [];
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: (refs) => notified.push(refs) });
    // Three updates of chat "a" one after the other (as the worker would), "b" alongside.
    for (let round = 0; round < 3; round++) {
      await Promise.all([process(await stored("a")), process(await stored("b"))]);
    }
    const chat = await tdb.db.chat.findFirstOrThrow({ where: { platformChatId: "hot-a" } });
    expect(chat.menu).toBe("menu-a");
    expect(chat.locale).toBe("vi");
    expect(chat.updatedAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(chat.updatedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    const draft = await tdb.db.tipDraft.findUniqueOrThrow({ where: { chatId: chat.id } });
    expect(JSON.parse(draft.data).description).toEqual(["a", "seen first", "seen again", "seen again"]);
    const counter = await tdb.db.rateCounter.findUniqueOrThrow({ where: { key: "test:a" } });
    expect(counter.count).toBe(2);
    expect(Math.abs(counter.windowStart.getTime() - Date.now())).toBeLessThan(60_000);
    // Once the window has passed, counting starts again.
    await tdb.db.rateCounter.update({ where: { key: "test:a" }, data: { windowStart: new Date(Date.now() - 61_000) } });
    await process(await stored("a"));
    const renewed = await tdb.db.rateCounter.findUniqueOrThrow({ where: { key: "test:a" } });
    expect(renewed.count).toBe(1);
    expect(Math.abs(renewed.windowStart.getTime() - Date.now())).toBeLessThan(30_000);
    const replies = await tdb.db.outboxMessage.findMany({ where: { chatId: chat.id }, orderBy: { id: "asc" } });
    expect(replies.map((r) => JSON.parse(r.payload).allowed)).toEqual([true, true, false, true]);
    expect(replies.every((r) => r.sensitive && r.status === "pending" && !r.bulkPaid)).toBe(true);
    expect(notified.flat().filter((r) => r.chatId === chat.id).map((r) => r.id)).toEqual(replies.map((r) => r.id));
  });

  it("a chat read with its draft (or handed over read ahead) and its state written with the replies store what Prisma reads back", async () => {
    const seen: Array<{ draft: string[] | null | undefined; menu: string | null; fresh: string | null }> = [];
    const route: UpdateRoute = async (tx, row) => {
      const text = textOf(row);
      const event = { channel: "web" as const, chat: { platformChatId: "fused", kind: "private" as const } };
      // Read ahead by a caller (as the Telegram adapter does with its officer check), used once.
      const hot = hotSqlOf(tx)!;
      const ahead = await hot.get<RawChatWithDraft>(`SELECT ${CHAT_WITH_DRAFT} FROM "Chat" c LEFT JOIN "TipDraft" d ON d."chatId" = c."id" WHERE c."channel" = ? AND c."platformChatId" = ?`, "web", "fused");
      if (text !== "plain") primeChat(tx, "web", "fused", ahead ?? null);
      const { chat, draft } = await findOrCreateChat(tx, event, { withDraft: true });
      const before = draft === undefined ? undefined : draft === null ? null : [...draft.description];
      // The row handed over is not used twice: a change made since is read back.
      await updateChatState(tx, chat.id, { locale: "vi", menu: `between-${text}`, flow: null });
      const again = await findOrCreateChat(tx, event, { withDraft: true });
      const next = draft ?? newDraft(text);
      if (draft) next.description.push(text);
      await saveDraft(tx, chat.id, next);
      seen.push({ draft: before, menu: chat.menu, fresh: again.chat.menu });
      return enqueueCalls(tx, { chatId: chat.id, channel: "web" }, [{ method: "sendMessage", payload: { text } }], {
        sourceUpdateId: row.id,
        alongside: chatStateWrite(tx, chat.id, { locale: "en", menu: `menu-${text}`, flow: `flow-${text}` }),
      });
    };
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: () => undefined });
    for (const text of ["one", "two", "plain"]) await process(await stored(text));
    expect(seen).toEqual([
      { draft: null, menu: null, fresh: "between-one" },
      { draft: ["one"], menu: "menu-one", fresh: "between-two" },
      { draft: ["one", "two"], menu: "menu-two", fresh: "between-plain" },
    ]);
    const chat = await tdb.db.chat.findFirstOrThrow({ where: { platformChatId: "fused" } });
    expect([chat.locale, chat.menu, chat.flow]).toEqual(["en", "menu-plain", "flow-plain"]);
    const draft = await tdb.db.tipDraft.findUniqueOrThrow({ where: { chatId: chat.id } });
    expect(JSON.parse(draft.data).description).toEqual(["one", "two", "plain"]);
    const replies = await tdb.db.outboxMessage.findMany({ where: { chatId: chat.id }, orderBy: { id: "asc" } });
    expect(replies.map((r) => JSON.parse(r.payload).text)).toEqual(["one", "two", "plain"]);
  });

  it("several replies of one update are recorded in order, each id told to the outbox with its own call", async () => {
    const chatId = (await tdb.db.chat.create({ data: { channel: "web", platformChatId: "many", kind: "private" } })).id;
    const route: UpdateRoute = async (tx, row) =>
      enqueueCalls(
        tx,
        { chatId, channel: "web" },
        ["one", "two", "three"].map((n) => ({ method: `send_${n}`, payload: { text: `${textOf(row)}-${n}` } })),
        { sourceUpdateId: row.id },
      );
    const notified: OutboxRef[] = [];
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: (refs) => notified.push(...refs) });
    await Promise.all([process(await stored("m1")), process(await stored("m2"))]);
    const rows = await tdb.db.outboxMessage.findMany({ where: { chatId }, orderBy: { id: "asc" } });
    expect(rows.map((r) => JSON.parse(r.payload).text).filter((t: string) => t.startsWith("m1"))).toEqual(["m1-one", "m1-two", "m1-three"]);
    const byId = new Map(rows.map((r) => [r.id, r.method]));
    expect(notified.length).toBe(6);
    for (const ref of notified) expect(ref.method).toBe(byId.get(ref.id));
  });

  it("an update that caught a database error commits nothing half-done; its neighbours commit", async () => {
    const chatId = (await tdb.db.chat.create({ data: { channel: "web", platformChatId: "swallow", kind: "private" } })).id;
    const route: UpdateRoute = async (tx, row) => {
      const refs = await enqueueCalls(tx, { chatId, channel: "web" }, [{ method: "sendMessage", payload: { text: textOf(row) } }], { sourceUpdateId: row.id });
      if (textOf(row) === "swallow") {
        try {
          // A second chat with the same platform id: refused by the unique index.
          await tx.chat.create({ data: { channel: "web", platformChatId: "swallow", kind: "private" } });
        } catch {
          // caught and ignored by a careless step
        }
      }
      return refs;
    };
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: () => undefined });
    const [a, b, c] = [await stored("first"), await stored("swallow"), await stored("third")];
    const results = await Promise.allSettled([process(a), process(b), process(c)]);
    const rows = await tdb.db.inboxUpdate.findMany({ where: { id: { in: [a, b, c] } }, orderBy: { id: "asc" } });
    const replies = await tdb.db.outboxMessage.findMany({ where: { sourceUpdateId: { in: [a, b, c] } }, orderBy: { id: "asc" } });
    if (PROVIDER === "postgresql") {
      // PostgreSQL: the failed statement failed the transaction: that update is rolled back alone and retried later.
      // (each outcome with its reason, so that a failure here says why)
      const outcomes = results.map((r) => (r.status === "rejected" ? `rejected: ${String((r.reason as Error)?.message ?? r.reason)}` : r.status));
      expect(outcomes).toEqual(["fulfilled", expect.stringMatching(/^rejected: .*a statement failed/), "fulfilled"]);
      expect(rows.map((r) => r.status)).toEqual(["done", "pending", "done"]);
      expect(replies.map((r) => r.sourceUpdateId).sort((x, y) => x! - y!)).toEqual([a, c]);
    } else {
      // SQLite: the refused statement changed nothing and the transaction goes on: all three commit, once.
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
      expect(rows.map((r) => r.status)).toEqual(["done", "done", "done"]);
      // (the one that asked for Prisma is redone after the others' commit: its reply comes last)
      expect(replies.map((r) => r.sourceUpdateId).sort((x, y) => x! - y!)).toEqual([a, b, c]);
    }
  });

  it.skipIf(PROVIDER !== "postgresql")("PostgreSQL: an update whose chat has an older one pending is put off untouched, and processed after it", async () => {
    const chatId = (await tdb.db.chat.create({ data: { channel: "web", platformChatId: "order", kind: "private" } })).id;
    const seen: string[] = [];
    const route: UpdateRoute = async (tx, row) => {
      seen.push(textOf(row));
      return enqueueCalls(tx, { chatId, channel: "web" }, [{ method: "sendMessage", payload: { text: textOf(row) } }], { sourceUpdateId: row.id });
    };
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: () => undefined });
    expect(process.refusesOutOfOrder).toBe(true);
    const later = (await tdb.db.inboxUpdate.create({ data: { channel: "web", updateKey: "order-2", chatKey: "order", seq: 2n, payload: JSON.stringify({ text: "second" }) } })).id;
    // The first one, stored (e.g. by another instance) only now.
    const earlier = (await tdb.db.inboxUpdate.create({ data: { channel: "web", updateKey: "order-1", chatKey: "order", seq: 1n, payload: JSON.stringify({ text: "first" }) } })).id;
    const other = await stored("elsewhere");
    const results = await Promise.allSettled([process(later), process(other)]);
    expect(results[0]!.status).toBe("rejected");
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ name: "RetryLater", retryAfterMs: 0 });
    expect(results[1]!.status).toBe("fulfilled");
    const untouched = await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id: later } });
    expect([untouched.status, untouched.attempts, untouched.chatKey]).toEqual(["pending", 0, "order"]);
    await process(earlier);
    await process(later);
    expect(seen.filter((t) => t !== "elsewhere")).toEqual(["first", "second"]);
    const rows = await tdb.db.inboxUpdate.findMany({ where: { id: { in: [earlier, later] } } });
    expect(rows.map((r) => r.status)).toEqual(["done", "done"]);
  });

  it.skipIf(PROVIDER !== "postgresql")("PostgreSQL: a Prisma write that opens a transaction of its own inside a step stays inside the group's: undone with its update", async () => {
    // A chat created with a reply in one call: Prisma runs that as a transaction of its own
    // (BEGIN … COMMIT on an ordinary client), here a savepoint of the group's transaction.
    const route: UpdateRoute = async (tx, row) => {
      const text = textOf(row);
      const chat = await tx.chat.create({
        data: { channel: "web", platformChatId: `nested-${text}`, kind: "private", outbox: { create: [{ channel: "web", method: "sendMessage", payload: JSON.stringify({ text }), sourceUpdateId: row.id }] } },
      });
      if (text === "undone") throw new Error("the step fails after its nested write");
      return [{ id: 0, chatId: chat.id, channel: "web", method: "sendMessage" } as unknown as OutboxRef];
    };
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: () => undefined });
    const ids = [await stored("kept-1"), await stored("undone"), await stored("kept-2")];
    const results = await Promise.allSettled(ids.map((id) => process(id)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const chats = await tdb.db.chat.findMany({ where: { platformChatId: { startsWith: "nested-" } }, include: { outbox: true } });
    expect(chats.map((c) => [c.platformChatId, c.outbox.length]).sort()).toEqual([
      ["nested-kept-1", 1],
      ["nested-kept-2", 1],
    ]);
    const rows = await tdb.db.inboxUpdate.findMany({ where: { id: { in: ids } }, orderBy: { id: "asc" } });
    expect(rows.map((r) => r.status)).toEqual(["done", "pending", "done"]);
  });

  it.skipIf(PROVIDER !== "postgresql")("PostgreSQL: a step that timed out cannot write through Prisma afterwards, not even into the transaction that redoes its group", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let late: unknown = "not tried";
    let redone = 0;
    const route: UpdateRoute = async (tx, row) => {
      const text = textOf(row);
      if (text === "slow") {
        // The delegate taken while the step still had its turn, used once it has timed out.
        const chats = tx.chat;
        await gate;
        late = await chats.create({ data: { channel: "web", platformChatId: "late-write", kind: "private" } }).then(
          () => "written",
          (err: unknown) => String((err as Error).message ?? err),
        );
        return [];
      }
      if (text === "neighbour") {
        redone++;
        // Held until the slow one has timed out and tried its write: the redone group is open meanwhile.
        if (redone === 2) {
          release();
          await eventually(() => late !== "not tried", 10_000, "the late write tried");
        }
      }
      return [];
    };
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: () => undefined, updateTimeoutMs: 300 });
    const [neighbour, slow] = [await stored("neighbour"), await stored("slow")];
    const results = await Promise.allSettled([process(neighbour), process(slow)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/took more than/);
    expect(late).toMatch(/bound to no transaction/);
    expect(await tdb.db.chat.count({ where: { platformChatId: "late-write" } })).toBe(0);
  });

  it.skipIf(PROVIDER !== "postgresql")("PostgreSQL: an update taken by two instances at once is processed once", async () => {
    const second = await openDb(tdb.url);
    // A third connection, only to watch the other two in pg_stat_activity.
    const watcher = await openDb(tdb.url);
    try {
      const chatId = (await tdb.db.chat.create({ data: { channel: "web", platformChatId: "twice", kind: "private" } })).id;
      const ids = [await stored("x"), await stored("y"), await stored("z")];
      let routed = 0;
      const settled = { one: 0, two: 0 };
      // The first update to reach its route, in either instance, is held (its rows taken, its
      // transaction open) until the other instance has come to the same rows: seen waiting for a
      // row lock in this test's database, or done with all three (it did not wait: nothing held
      // it back, so if both process a row, the duplicate shows).
      let held: keyof typeof settled | undefined;
      const otherCaughtUp = async (other: keyof typeof settled): Promise<boolean> => {
        if (settled[other] === ids.length) return true;
        const waiting = await watcher.$queryRawUnsafe<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%"InboxUpdate"%'`,
        );
        return waiting[0]!.n > 0;
      };
      const routeOf =
        (name: keyof typeof settled): UpdateRoute =>
        async (tx, row) => {
          routed++;
          const refs = await enqueueCalls(tx, { chatId, channel: "web" }, [{ method: "sendMessage", payload: { text: textOf(row) } }], { sourceUpdateId: row.id });
          if (!held) {
            held = name;
            await eventually(() => otherCaughtUp(name === "one" ? "two" : "one"), 10_000, "the other instance waiting for the rows (or done)");
          }
          return refs;
        };
      const one = storedUpdateProcessor({ db: tdb.db, route: routeOf("one"), notify: () => undefined });
      const two = storedUpdateProcessor({ db: second, route: routeOf("two"), notify: () => undefined });
      const count = (name: keyof typeof settled, p: Promise<void>) => p.finally(() => settled[name]++);
      await Promise.allSettled(ids.flatMap((id) => [count("one", one(id)), count("two", two(id))]));
      expect(held).toBeDefined();
      const rows = await tdb.db.inboxUpdate.findMany({ where: { id: { in: ids } } });
      expect(rows.map((r) => [r.status, r.attempts])).toEqual(ids.map(() => ["done", 1]));
      const replies = await tdb.db.outboxMessage.findMany({ where: { sourceUpdateId: { in: ids } } });
      expect(replies.map((r) => r.sourceUpdateId).sort()).toEqual([...ids].sort());
      expect(routed).toBeGreaterThanOrEqual(ids.length);
    } finally {
      await watcher.$disconnect();
      await second.$disconnect();
    }
  });
});
