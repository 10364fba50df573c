import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tx } from "../src/db/client.ts";
import { offTransaction } from "../src/core/offTransaction.ts";
import { RetryLater } from "../src/core/retryLater.ts";
import { storedUpdateProcessor, type UpdateRoute } from "../src/inbox/process.ts";
import { enqueueCalls, type OutboxRef } from "../src/outbox/outbound.ts";
import { createTestDatabase, PROVIDER, type TestDatabase } from "./helpers/db.ts";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

let seq = 1000n;
async function stored(text: string): Promise<number> {
  seq++;
  const row = await tdb.db.inboxUpdate.create({ data: { channel: "web", updateKey: `k${seq}`, chatKey: `c${seq}`, seq, payload: JSON.stringify({ text }) } });
  return row.id;
}

const textOf = (row: { payload: string }) => (JSON.parse(row.payload) as { text: string }).text;

describe("processing stored updates taken together", () => {
  it("rolls back only the failing update: its neighbours are committed with their replies, it stays pending with none", async () => {
    await tdb.db.chat.create({ data: { channel: "web", platformChatId: "process-test", kind: "private" } });
    const notified: OutboxRef[][] = [];
    // The chat is read before the processor's transaction opens (top-level reads wait for it on SQLite).
    const chatId = (await tdb.db.chat.findFirstOrThrow({ where: { platformChatId: "process-test" } })).id;
    const routeIn: UpdateRoute = async (tx, row) => {
      const refs = await enqueueCalls(tx, { chatId, channel: "web" }, [{ method: "sendMessage", payload: { text: textOf(row) } }], { sourceUpdateId: row.id });
      if (textOf(row) === "fail") throw new Error("this step failed");
      return refs;
    };
    const process = storedUpdateProcessor({ db: tdb.db, route: routeIn, notify: (refs) => notified.push(refs) });
    const [a, b, c] = [await stored("first"), await stored("fail"), await stored("third")];
    const results = await Promise.allSettled([process(a), process(b), process(c)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toContain("this step failed");

    const rows = await tdb.db.inboxUpdate.findMany({ where: { id: { in: [a, b, c] } }, orderBy: { id: "asc" } });
    expect(rows.map((r) => r.status)).toEqual(["done", "pending", "done"]);
    expect(rows[1]!.payload).toContain("fail"); // kept for the retry
    const replies = await tdb.db.outboxMessage.findMany({ where: { sourceUpdateId: { in: [a, b, c] } }, orderBy: { id: "asc" } });
    expect(replies.map((r) => [r.sourceUpdateId, JSON.parse(r.payload).text])).toEqual([
      [a, "first"],
      [c, "third"],
    ]);
    // The outbox is told about exactly the rows committed.
    expect(notified.flat().map((r) => r.id).sort()).toEqual(replies.map((r) => r.id).sort());
  });

  it("runs a step that needs Prisma in the group, once — on SQLite also one whose Prisma query failed and was caught", async () => {
    const chatId = (await tdb.db.chat.findFirstOrThrow({ where: { platformChatId: "process-test" } })).id;
    const route: UpdateRoute = async (tx, row) => {
      const refs = await enqueueCalls(tx, { chatId, channel: "web" }, [{ method: "sendMessage", payload: { text: textOf(row) } }], { sourceUpdateId: row.id });
      if (textOf(row) === "first contact") await tx.chat.create({ data: { channel: "web", platformChatId: `first-contact-${row.id}`, kind: "private" } });
      // (On PostgreSQL a failed statement aborts the whole transaction: no step goes on after one there.)
      if (textOf(row) === "already known" && PROVIDER === "sqlite") {
        try {
          // The same chat again: the unique key refuses it, the step goes on.
          await tx.chat.create({ data: { channel: "web", platformChatId: "process-test", kind: "private" } });
        } catch {
          // a step that handles a refused write
        }
      }
      return refs;
    };
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: () => undefined });
    const [a, b, c, d] = [await stored("plain"), await stored("first contact"), await stored("already known"), await stored("plain")];
    await Promise.all([process(a), process(b), process(c), process(d)]);
    const rows = await tdb.db.inboxUpdate.findMany({ where: { id: { in: [a, b, c, d] } }, orderBy: { id: "asc" } });
    expect(rows.map((r) => r.status)).toEqual(["done", "done", "done", "done"]);
    expect(rows.map((r) => r.attempts)).toEqual([1, 1, 1, 1]);
    const replies = await tdb.db.outboxMessage.findMany({ where: { sourceUpdateId: { in: [a, b, c, d] } }, orderBy: { id: "asc" } });
    expect(replies.map((r) => r.sourceUpdateId).sort()).toEqual([a, b, c, d].sort());
    expect(await tdb.db.chat.count({ where: { platformChatId: `first-contact-${b}` } })).toBe(1);
    expect(await tdb.db.chat.count({ where: { platformChatId: "process-test" } })).toBe(1);
  });

  it("does not hold the group's transaction open for slow work (a PIN's scrypt): the neighbours commit meanwhile; the update is put off until the work is done, then processed once", async () => {
    const chatId = (await tdb.db.chat.findFirstOrThrow({ where: { platformChatId: "process-test" } })).id;
    let release!: (v: string) => void;
    const slow = new Promise<string>((r) => (release = r));
    let computed = 0;
    const route: UpdateRoute = async (tx, row) => {
      let text = textOf(row);
      if (text === "slow") {
        try {
          text = await offTransaction(tx, "the slow work", () => (computed++, slow));
        } catch {
          // a step that turns errors into an apology must not commit one here
          text = "sorry";
        }
      }
      return enqueueCalls(tx, { chatId, channel: "web" }, [{ method: "sendMessage", payload: { text } }], { sourceUpdateId: row.id });
    };
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: () => undefined });
    const [a, b] = [await stored("slow"), await stored("quick")];
    const first = process(a).then(
      () => "processed",
      (err: unknown) => err,
    );
    // The neighbour in the same group commits while the slow work is still running…
    await process(b);
    expect((await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id: b } })).status).toBe("done");
    expect((await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id: a } })).status).toBe("pending");
    // …the slow one is handed back to the worker, to run again once its work is done…
    const putOff = (await first) as RetryLater;
    expect(putOff).toBeInstanceOf(RetryLater);
    expect(putOff.until).toBeInstanceOf(Promise);
    // …and another update can be stored and processed meanwhile.
    const c = await stored("quick");
    await process(c);
    release("made slowly");
    await putOff.until;
    await process(a);
    const row = await tdb.db.inboxUpdate.findUniqueOrThrow({ where: { id: a } });
    expect([row.status, row.attempts]).toEqual(["done", 1]);
    expect(computed).toBe(1);
    const replies = await tdb.db.outboxMessage.findMany({ where: { sourceUpdateId: a } });
    expect(replies.map((r) => JSON.parse(r.payload).text)).toEqual(["made slowly"]);
  });

  it("processes an update already done as nothing", async () => {
    const chatId = (await tdb.db.chat.findFirstOrThrow({ where: { platformChatId: "process-test" } })).id;
    let routed = 0;
    const route: UpdateRoute = async (tx, row) => {
      routed++;
      return enqueueCalls(tx, { chatId, channel: "web" }, [{ method: "sendMessage", payload: { text: textOf(row) } }], { sourceUpdateId: row.id });
    };
    const process = storedUpdateProcessor({ db: tdb.db, route, notify: () => undefined });
    const a = await stored("once");
    await process(a);
    await process(a);
    expect(routed).toBe(1);
    expect(await tdb.db.outboxMessage.count({ where: { sourceUpdateId: a } })).toBe(1);
  });
});
