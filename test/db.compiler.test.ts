import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compactParameterSchema, openDb } from "../src/db/client.ts";
import { createTestDatabase, PROVIDER, type TestDatabase } from "./helpers/db.ts";

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
    // The build for size (prisma/schema.prisma's compilerBuild): ~6 MB less resident than "fast".
    expect((tdb.db as unknown as { _engineConfig: { compilerWasm: { importName: string } } })._engineConfig.compilerWasm.importName).toBe("./query_compiler_small_bg.js");
    // Queries compile and run (a write and a read back).
    const chat = await tdb.db.chat.create({ data: { channel: "web", platformChatId: "compiler-check", kind: "private" } });
    expect(await tdb.db.chat.findUnique({ where: { id: chat.id } })).toMatchObject({ platformChatId: "compiler-check" });
    // Nothing keeps the base64 text: it is in no module cache once decoded.
    const require = createRequire(import.meta.url);
    expect(Object.keys(require.cache).filter((f) => f.includes("wasm-base64"))).toEqual([]);
  });
});

// src/db/client.ts gives each client Prisma's parameterization graph with 1,024 unused strings
// first: every edge's key is then past V8's element gap and the ~2,200 edge objects are small hash
// tables instead of arrays sized past the largest key (5–7 MB of the idle heap). The graph must
// stay the same graph: every edge found by the same name, with the same child, enum and flags.

interface Edge {
  name: string;
  rest: (number | string | undefined)[];
}
interface Graph {
  inputs: Edge[][];
  outputs: Edge[][];
  roots: Edge[];
}

/** Decodes a parameterization graph the way Prisma's runtime does, with names resolved; `smallest`: the smallest string index used. */
function decodeGraph(schema: { strings: string[]; graph: string }): { graph: Graph; smallest: number } {
  let smallest = Infinity;
  const bytes = Buffer.from(schema.graph, "base64url");
  let at = 0;
  const read = () => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = bytes[at++]!;
      value |= (byte & 127) << shift;
      shift += 7;
    } while (byte >= 128);
    return value;
  };
  const optional = () => {
    const v = read();
    return v === 0 ? undefined : v - 1;
  };
  const str = (i: number | undefined) => {
    if (i === undefined) return undefined;
    expect(i).toBeLessThan(schema.strings.length);
    smallest = Math.min(smallest, i);
    return schema.strings[i]!;
  };
  const inputCount = read();
  const outputCount = read();
  const rootCount = read();
  const inputs: Edge[][] = [];
  for (let n = 0; n < inputCount; n++) {
    const edges: Edge[] = [];
    for (let e = read(); e > 0; e--) {
      const name = str(read())!;
      const mask = bytes.readUInt16LE(at);
      at += 2;
      const child = optional();
      const enumName = str(optional());
      edges.push({ name, rest: [mask, child, enumName, bytes[at++]] });
    }
    inputs.push(edges);
  }
  const outputs: Edge[][] = [];
  for (let n = 0; n < outputCount; n++) {
    const edges: Edge[] = [];
    for (let e = read(); e > 0; e--) edges.push({ name: str(read())!, rest: [optional(), optional()] });
    outputs.push(edges);
  }
  const roots: Edge[] = [];
  for (let r = 0; r < rootCount; r++) roots.push({ name: str(read())!, rest: [optional(), optional()] });
  expect(at).toBe(bytes.length);
  return { graph: { inputs, outputs, roots }, smallest };
}

describe("Prisma's parameterization graph", () => {
  it("reaches the client with every name past V8's element gap, the same graph by name", async () => {
    const given = (tdb.db as unknown as { _engineConfig: { parameterizationSchema: { strings: string[]; graph: string } } })._engineConfig.parameterizationSchema;
    // The schema as the generator wrote it (the client's own copy was replaced by the constructor's hook).
    const source = fs.readFileSync(path.join(import.meta.dirname, "..", "generated", PROVIDER, "internal", "class.ts"), "utf8");
    const literal = /config\.parameterizationSchema = \{\s*strings: JSON\.parse\(("(?:[^"\\]|\\.)*")\),\s*graph: "([A-Za-z0-9_-]*)"/.exec(source);
    expect(literal).not.toBeNull();
    const generated = { strings: JSON.parse(JSON.parse(literal![1]!) as string) as string[], graph: literal![2]! };
    expect(generated.strings.length).toBeGreaterThan(100);
    const before = decodeGraph(generated);
    expect(before.smallest).toBeLessThan(1_024); // what the generated client would have used
    expect(before.graph.inputs.length).toBeGreaterThan(100);
    expect(given.strings.length).toBe(generated.strings.length + 1_024);
    const after = decodeGraph(given);
    expect(after.smallest).toBeGreaterThanOrEqual(1_024);
    expect(after.graph).toEqual(before.graph);
  });

  it("is compacted once, however many clients are opened", async () => {
    const again = await openDb(tdb.url);
    try {
      const strings = (c: unknown) => (c as { _engineConfig: { parameterizationSchema: { strings: string[] } } })._engineConfig.parameterizationSchema.strings;
      expect(strings(again)).toBe(strings(tdb.db));
    } finally {
      await again.$disconnect();
    }
  });

  it("is left as it is when it does not read as expected", () => {
    const schema = { strings: ["a", "b"], graph: Buffer.from([1, 0, 0, 1, 5]).toString("base64url") }; // an edge naming string 5 of 2
    expect(compactParameterSchema(schema)).toBe(schema);
    const truncated = { strings: ["a"], graph: Buffer.from([1, 0, 0, 1, 0, 0]).toString("base64url") };
    expect(compactParameterSchema(truncated)).toBe(truncated);
  });

  it("serves queries whose arguments walk it (filters, relations, ordering, updates)", async () => {
    const a = await tdb.db.chat.create({ data: { channel: "telegram", platformChatId: "graph-a", kind: "private", locale: "vi" } });
    await tdb.db.chat.create({ data: { channel: "telegram", platformChatId: "graph-b", kind: "group" } });
    const found = await tdb.db.chat.findMany({
      where: { channel: "telegram", platformChatId: { in: ["graph-a", "graph-b"] }, OR: [{ locale: "vi" }, { kind: "group" }] },
      orderBy: { platformChatId: "desc" },
      select: { platformChatId: true, kind: true, _count: { select: { outbox: true } } },
    });
    expect(found).toEqual([
      { platformChatId: "graph-b", kind: "group", _count: { outbox: 0 } },
      { platformChatId: "graph-a", kind: "private", _count: { outbox: 0 } },
    ]);
    await tdb.db.chat.update({ where: { id: a.id }, data: { locale: "en", outbox: { create: { channel: "telegram", method: "sendMessage", payload: "{}" } } } });
    expect(await tdb.db.chat.findUnique({ where: { channel_platformChatId: { channel: "telegram", platformChatId: "graph-a" } }, include: { outbox: { select: { method: true } } } })).toMatchObject({
      locale: "en",
      outbox: [{ method: "sendMessage" }],
    });
  });
});
