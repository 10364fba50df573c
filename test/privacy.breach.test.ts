import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BREACH_RECIPIENTS_CONTEXT, authorityNoticeMarkdown, breachReport, breachReportMarkdown } from "../src/core/privacy/breachReport.ts";
import { parseSchemaModels } from "../src/db/schemaModels.ts";
import { fromRoot } from "../src/paths.ts";
import { Sealer } from "../src/security/sealing.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.drop());

const key = crypto.randomBytes(32);
const sealer = new Sealer([key]);
const inside = new Date("2026-03-10T05:00:00Z");
const outside = new Date("2026-02-01T05:00:00Z");

async function seed(db: TestDatabase["db"]) {
  await db.queue.create({ data: { id: "province:01", kind: "province", name: "Công an TP Hà Nội", provinceCode: "01" } });
  const chats = [];
  for (const [channel, id, at] of [
    ["telegram", "777000111", inside],
    ["telegram", "777000222", inside],
    ["zalo", "zalo-user-333", inside],
    ["web", "w:old-session", outside],
  ] as const) {
    chats.push(await db.chat.create({ data: { channel, platformChatId: id, kind: "private", locale: "vi", createdAt: at, updatedAt: at } }));
  }
  await db.chat.create({ data: { channel: "telegram", platformChatId: "-1009999", kind: "group", createdAt: inside, updatedAt: inside } });
  // An anonymous tip from the web chat (its chat was last active before the window), received inside it.
  await db.tip.create({
    data: {
      code: "TM-BRE001",
      pinHash: "x",
      category: "fraud",
      channel: "web",
      queueId: "province:01",
      provinceCode: "01",
      placeSource: "unknown",
      occurredWhen: "today",
      description: "…",
      identityMode: "anonymous",
      replyRefSealed: sealer.seal(chats[3]!.id, "tip-reply-ref"),
      locale: "vi",
      receivedAt: inside,
    },
  });
  await db.auditEvent.create({ data: { actor: "officer:o1", action: "contact_opened", at: inside } });
  await db.auditEvent.create({ data: { actor: "officer:o1", action: "claimed", at: outside } });
  return chats;
}

describe("breach kit", () => {
  it("lists the data and residents concerned by channel and finds anonymous tipsters to notify, without printing any identity", async () => {
    const chats = await seed(t.db);
    const report = await breachReport(t.db, sealer, parseSchemaModels(), { from: new Date("2026-03-01T00:00:00Z"), to: new Date("2026-03-31T00:00:00Z") });
    expect(report.residents).toEqual({ telegram: 2, zalo: 1, web: 1 });
    expect(report.tips).toEqual({ web: { anonymous: 1 } });
    expect(report.audit).toEqual([{ action: "contact_opened", count: 1 }]);
    expect(report.tables.map((x) => x.model)).toEqual(expect.arrayContaining(["Chat", "Tip"]));
    expect(report.tables.find((x) => x.model === "Tip")!.classes).toContain("s");
    expect(report.recipients.sort()).toEqual(chats.map((c) => c.id).sort());

    const md = breachReportMarkdown(report) + authorityNoticeMarkdown(report);
    for (const c of chats) {
      expect(md).not.toContain(c.id);
      expect(md).not.toContain(c.platformChatId);
    }
    expect(md).not.toContain("TM-BRE001");
    expect(md).toContain("Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (A05)");
    expect(md).toContain("Department of Cyber Security and High-Tech Crime Prevention (A05)");
    expect(md).toContain("Số chủ thể dữ liệu ước tính: 4");

    const onlyTips = await breachReport(t.db, sealer, parseSchemaModels(), { from: new Date("2026-03-01T00:00:00Z"), to: new Date("2026-03-31T00:00:00Z"), tables: ["Tip"] });
    expect(onlyTips.residents).toEqual({ web: 1 });
  });

  it("npm run admin -- breach:report writes the notices and a sealed recipients file; stdout names nobody", async () => {
    const chats = await seed(t.db);
    await t.db.$disconnect();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "taimat-breach-"));
    const { stdout } = await promisify(execFile)(
      "npx",
      ["tsx", "src/cli/admin.ts", "breach:report", "--from", "2026-03-01T00:00:00Z", "--to", "2026-03-31T00:00:00Z", "--out", out],
      { cwd: fromRoot(), env: { ...process.env, DATABASE_URL: t.url, ENCRYPTION_KEYS: key.toString("hex"), LOG_LEVEL: "silent" } },
    );
    expect(stdout).toContain("- telegram: 2");
    expect(stdout).toContain("recipients.sealed (4 chat(s), sealed)");
    for (const c of chats) {
      expect(stdout).not.toContain(c.id);
      expect(stdout).not.toContain(c.platformChatId);
    }
    expect(fs.readdirSync(out).sort()).toEqual(["notice-a05.md", "notice-residents.md", "recipients.sealed", "report.md"]);
    const sealed = fs.readFileSync(path.join(out, "recipients.sealed"), "utf8").trim();
    expect(sealed).not.toContain(chats[0]!.id);
    expect((JSON.parse(sealer.open(sealed, BREACH_RECIPIENTS_CONTEXT)) as string[]).sort()).toEqual(chats.map((c) => c.id).sort());
    expect(fs.statSync(path.join(out, "recipients.sealed")).mode & 0o077).toBe(0);
    fs.rmSync(out, { recursive: true, force: true });
  });
});
