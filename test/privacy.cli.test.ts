import { execFile } from "node:child_process";
import crypto from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordDataRequest } from "../src/core/privacy/dataRequests.ts";
import { fromRoot } from "../src/paths.ts";
import { keyId, Sealer } from "../src/security/sealing.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

const A = crypto.randomBytes(32);
const B = crypto.randomBytes(32);
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  const a = new Sealer([A]);
  await t.db.queue.create({ data: { id: "province:01", kind: "province", name: "Công an TP Hà Nội", provinceCode: "01" } });
  await t.db.tip.create({
    data: {
      code: "TM-CLI001",
      pinHash: "x",
      category: "theft",
      channel: "zalo",
      queueId: "province:01",
      provinceCode: "01",
      placeSource: "unknown",
      occurredWhen: "today",
      description: "…",
      identityMode: "confidential",
      contactSealed: a.seal('{"name":"A","phone":"0900000000"}', "tip-contact"),
      replyRefSealed: a.seal("chat-1", "tip-reply-ref"),
      locale: "vi",
    },
  });
  await t.db.$transaction((tx) => recordDataRequest(tx, { ref: "DSR-0000CAFE", kind: "delete", channel: "zalo", status: "awaiting_confirmation" }));
  await t.db.$disconnect();
});
afterAll(() => t.drop());

const admin = async (keys: Buffer[], ...args: string[]) =>
  (
    await promisify(execFile)("npx", ["tsx", "src/cli/admin.ts", ...args], {
      cwd: fromRoot(),
      env: { ...process.env, DATABASE_URL: t.url, ENCRYPTION_KEYS: keys.map((k) => k.toString("hex")).join(","), LOG_LEVEL: "silent" },
    })
  ).stdout;

describe("privacy admin commands", () => {
  it("keys:rotate with ENCRYPTION_KEYS=B,A, then keys:check with B alone: every value under B, A retired", async () => {
    const rotated = await admin([B, A], "keys:rotate");
    expect(rotated).toContain(`resealed 2 value(s) with key ${keyId(B)}`);
    expect(rotated).toContain(`key ${keyId(A)}\t0 value(s)\told: seals nothing, can be retired`);
    const check = await admin([B], "keys:check");
    expect(check).toContain(`key ${keyId(B)}\t2 value(s)\tcurrent`);
    expect(check).not.toContain("NOT CONFIGURED");
    expect(check).not.toContain(keyId(A));
  });

  it("retention:run prints the counts per rule; dsr:list --open shows the unconfirmed deletion with its due dates", async () => {
    const retention = await admin([B], "retention:run");
    expect(retention).toMatch(/^outbox\s+\t0\tolder than /m);
    expect(retention.split("\n").filter(Boolean)).toHaveLength(10);
    const open = await admin([B], "dsr:list", "--open");
    expect(open).toMatch(/^DSR-0000CAFE\tdelete\tzalo\tawaiting_confirmation\treceived \S+\tack due \S+\tdue \S+$/m);
  });
});
