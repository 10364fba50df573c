import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("writes outside a transaction", () => {
  it("are not swept into another task's transaction and rolled back with it", async () => {
    const failing = tdb.db.$transaction(async (tx) => {
      await tx.chat.create({ data: { channel: "web", platformChatId: "inside-tx", kind: "private" } });
      await sleep(80); // real I/O inside a transaction (e.g. hashing a PIN)
      throw new Error("processing failed");
    });
    await sleep(20);
    // Meanwhile a webhook stores an update and acknowledges it.
    const acknowledged = await tdb.db.inboxUpdate.create({
      data: { channel: "telegram", updateKey: "42", chatKey: "1", seq: 42n, payload: "{}" },
    });
    await expect(failing).rejects.toThrow("processing failed");
    expect(await tdb.db.inboxUpdate.findUnique({ where: { id: acknowledged.id } })).not.toBeNull();
    expect(await tdb.db.chat.count({ where: { platformChatId: "inside-tx" } })).toBe(0);
  });
});
