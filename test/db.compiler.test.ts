import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

// src/db/client.ts makes the generated client read its query compiler from a copy that is released
// once decoded (the idle service's heap otherwise keeps 2 × 4.4 MB of base64 text for its whole life).
// A Prisma upgrade that changes the generated loader makes this fail instead of silently regaining them.

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb.drop();
});

describe("Prisma's query compiler", () => {
  it("is loaded from a source released once decoded, and the client works with it", async () => {
    const loader = (tdb.db as unknown as { _engineConfig: { compilerWasm: { getQueryCompilerWasmModule: { releasable?: true } } } })._engineConfig.compilerWasm
      .getQueryCompilerWasmModule;
    expect(loader.releasable).toBe(true);
    // Queries compile and run (a write and a read back).
    const chat = await tdb.db.chat.create({ data: { channel: "web", platformChatId: "compiler-check", kind: "private" } });
    expect(await tdb.db.chat.findUnique({ where: { id: chat.id } })).toMatchObject({ platformChatId: "compiler-check" });
    // Nothing keeps the base64 text: it is in no module cache once decoded.
    const require = createRequire(import.meta.url);
    expect(Object.keys(require.cache).filter((f) => f.includes("wasm-base64"))).toEqual([]);
  });
});
