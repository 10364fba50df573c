import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadReferenceData, UNITS_FILE } from "../src/db/referenceData.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

describe("administrative reference data", () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
  });
  afterAll(async () => {
    await tdb.drop();
  });

  it("loads the 34 provinces and 3,321 communes with names and codes", async () => {
    const r = await loadReferenceData(tdb.db);
    expect(r).toMatchObject({ skipped: false, provinces: { created: 34 }, communes: { created: 3321 } });
    expect(await tdb.db.province.count()).toBe(34);
    expect(await tdb.db.commune.count()).toBe(3321);
    const baDinh = await tdb.db.commune.findUniqueOrThrow({ where: { code: "00004" } });
    expect(baDinh).toMatchObject({ name: "Phường Ba Đình", provinceCode: "01", type: "phường" });
    const baChe = await tdb.db.commune.findUniqueOrThrow({ where: { code: "06970" } });
    expect(baChe.name).toBe("Xã Ba Chẽ");
  });

  it("a second load of the same file changes nothing", async () => {
    const before = await tdb.db.commune.findUniqueOrThrow({ where: { code: "00004" } });
    const r = await loadReferenceData(tdb.db);
    expect(r.skipped).toBe(true);
    const after = await tdb.db.commune.findUniqueOrThrow({ where: { code: "00004" } });
    expect(after.updatedAt.getTime()).toBe(before.updatedAt.getTime());
  });

  it("a newer file renames units in place and adds new ones without breaking references", async () => {
    const chat = await tdb.db.chat.create({ data: { channel: "web", platformChatId: "ref-test", kind: "private" } });
    const units = JSON.parse(fs.readFileSync(UNITS_FILE, "utf8"));
    units.communes.find((c: { code: string }) => c.code === "00004").name = "Phường Ba Đình Mới";
    units.communes.push({ ...units.communes[0], code: "99999", name: "Xã Thử Nghiệm", short_name: "Thử Nghiệm" });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "units-")), "units.json");
    fs.writeFileSync(file, JSON.stringify(units));
    const r = await loadReferenceData(tdb.db, file);
    expect(r).toMatchObject({ skipped: false, communes: { created: 1, updated: 1 }, provinces: { created: 0, updated: 0 } });
    expect((await tdb.db.commune.findUniqueOrThrow({ where: { code: "00004" } })).name).toBe("Phường Ba Đình Mới");
    expect(await tdb.db.commune.count()).toBe(3322);
    expect(await tdb.db.chat.findUnique({ where: { id: chat.id } })).not.toBeNull();
  });
});
