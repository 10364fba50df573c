import crypto from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyRetention } from "../src/core/privacy/applyRetention.ts";
import { defaultRetention } from "../src/core/privacy/retentionRules.ts";
import { Sealer } from "../src/security/sealing.ts";
import { createTestDatabase, type TestDatabase } from "./helpers/db.ts";

const DAY = 86_400_000;
const now = new Date("2026-06-15T03:30:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms);
const sealer = new Sealer([crypto.randomBytes(32)]);

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(() => t.drop());

let n = 0;
async function tip(props: { status?: string; closedAt?: Date | null; contact?: boolean; receivedAt?: Date }) {
  const db = t.db;
  await db.queue.upsert({ where: { id: "commune:00070" }, create: { id: "commune:00070", kind: "commune", name: "Công an phường Hoàn Kiếm", provinceCode: "01", communeCode: "00070" }, update: {} });
  n++;
  return db.tip.create({
    data: {
      code: `TM-RET${String(n).padStart(3, "0")}`,
      pinHash: "x",
      category: "theft",
      channel: "web",
      queueId: "commune:00070",
      provinceCode: "01",
      placeSource: "typed",
      occurredWhen: "today",
      description: "Mất xe máy trước cổng chợ",
      identityMode: props.contact ? "confidential" : "anonymous",
      contactSealed: props.contact ? sealer.seal(JSON.stringify({ name: "Nguyễn Văn A", phone: "0912345678" }), "tip-contact") : null,
      replyRefSealed: sealer.seal("chat-x", "tip-reply-ref"),
      locale: "vi",
      status: props.status ?? "new",
      closedAt: props.closedAt ?? null,
      receivedAt: props.receivedAt ?? ago(400 * DAY),
    },
  });
}

describe("retention rules (daily job)", () => {
  it("removes what is older than each rule, keeps what is newer, and records a report", async () => {
    const db = t.db;
    const periods = defaultRetention();
    const private1 = await db.chat.create({ data: { channel: "telegram", platformChatId: "5001", kind: "private" } });
    const group = await db.chat.create({ data: { channel: "telegram", platformChatId: "-100500", kind: "group" } });

    // drafts: 24 h
    await db.tipDraft.create({ data: { chatId: "old-draft", data: "{}", updatedAt: ago(25 * 3_600_000) } });
    await db.tipDraft.create({ data: { chatId: "new-draft", data: "{}", updatedAt: ago(23 * 3_600_000) } });
    // inbox: done 7 days, parked 30 days, pending never
    const inbox = (key: string, status: string, receivedAt: Date) =>
      db.inboxUpdate.create({ data: { channel: "telegram", updateKey: key, chatKey: "", seq: 1n, payload: status === "done" ? "" : "{}", status, receivedAt } });
    await inbox("done-old", "done", ago(8 * DAY));
    await inbox("done-new", "done", ago(6 * DAY));
    await inbox("parked-old", "parked", ago(31 * DAY));
    await inbox("parked-new", "parked", ago(8 * DAY));
    await inbox("pending-old", "pending", ago(60 * DAY));
    // uploads: 48 h unless attached to a tip
    const bytes = new Uint8Array([1, 2, 3]);
    const loose = await db.upload.create({ data: { chatId: "sealed", mime: "image/jpeg", size: 3, bytes, createdAt: ago(49 * 3_600_000) } });
    const fresh = await db.upload.create({ data: { chatId: "sealed", mime: "image/jpeg", size: 3, bytes, createdAt: ago(47 * 3_600_000) } });
    const evidence = await db.upload.create({ data: { chatId: "sealed", mime: "image/jpeg", size: 3, bytes, createdAt: ago(300 * DAY) } });
    // tips: police records
    const closedLongAgo = await tip({ status: "closed", closedAt: ago(181 * DAY), contact: true });
    const closedRecently = await tip({ status: "closed", closedAt: ago(179 * DAY), contact: true });
    const openOld = await tip({ status: "claimed", contact: true });
    await db.tipAttachment.create({ data: { tipId: closedLongAgo.id, kind: "photo", ref: `upload:${evidence.id}` } });
    await db.auditEvent.create({ data: { tipId: closedLongAgo.id, actor: "system", action: "received", at: ago(1000 * DAY) } });
    await db.relayMessage.create({ data: { tipId: closedLongAgo.id, direction: "from_tipster", text: "thêm chi tiết", createdAt: ago(400 * DAY) } });
    // subscriptions: ended 180 days
    const sub = (chatId: string, active: boolean, stoppedAt: Date | null) =>
      db.subscription.create({ data: { chatId, topics: '["fraud"]', active, consentedAt: ago(500 * DAY), stoppedAt, stoppedReason: active ? null : "stop_word" } });
    await sub("sub-ended-old", false, ago(181 * DAY));
    await sub("sub-ended-new", false, ago(10 * DAY));
    await sub("sub-active", true, null);
    for (const chatId of ["sub-ended-old", "sub-ended-new", "sub-active"]) await db.consentRecord.create({ data: { chatId, action: "subscribed", details: "{}", at: ago(500 * DAY) } });
    // audit: 730 days for events not attached to a tip
    await db.auditEvent.create({ data: { actor: "officer:x", action: "refused", at: ago(731 * DAY) } });
    await db.auditEvent.create({ data: { actor: "officer:x", action: "refused", at: ago(729 * DAY) } });
    // legal questions: 90 days
    await db.legalQuestion.create({ data: { text: "old", locale: "vi", replyRefSealed: "x", createdAt: ago(91 * DAY) } });
    await db.legalQuestion.create({ data: { text: "new", locale: "vi", replyRefSealed: "x", createdAt: ago(89 * DAY) } });
    // outbox: 30 days, finished messages to private chats only
    const out = (chatId: string, status: string, createdAt: Date) => db.outboxMessage.create({ data: { channel: "telegram", chatId, method: "sendMessage", payload: "{}", status, createdAt } });
    const sentOld = await out(private1.id, "sent", ago(31 * DAY));
    const sentNew = await out(private1.id, "sent", ago(29 * DAY));
    const pendingOld = await out(private1.id, "pending", ago(31 * DAY));
    const cardOld = await out(group.id, "sent", ago(400 * DAY));
    // one-time codes: 30 days after use or expiry (a live console session stays)
    const code = (codeHash: string, purpose: string, expiresAt: Date, usedAt: Date | null) => db.oneTimeCode.create({ data: { codeHash, purpose, createdBy: "admin", expiresAt, usedAt } });
    await code("used-old", "officer_invite", ago(20 * DAY), ago(31 * DAY));
    await code("used-new", "console_login", ago(29 * DAY), ago(29 * DAY));
    await code("expired-old", "console_session", ago(31 * DAY), null);
    await code("live-session", "console_session", new Date(now.getTime() + DAY), null);

    const report = await applyRetention(db, periods, now);
    expect(report.counts).toEqual({
      drafts: 1,
      inbox: 1,
      inbox_parked: 1,
      uploads: 1,
      closed_tip_contacts: 1,
      ended_subscriptions: 1,
      audit: 1,
      legal_questions: 1,
      outbox: 1,
      one_time_codes: 2,
    });
    expect((await db.oneTimeCode.findMany({ orderBy: { codeHash: "asc" } })).map((c) => c.codeHash)).toEqual(["live-session", "used-new"]);

    expect((await db.tipDraft.findMany()).map((d) => d.chatId)).toEqual(["new-draft"]);
    expect((await db.inboxUpdate.findMany({ orderBy: { id: "asc" } })).map((u) => u.updateKey)).toEqual(["done-new", "parked-new", "pending-old"]);
    expect((await db.upload.findMany({ orderBy: { createdAt: "asc" } })).map((u) => u.id)).toEqual([evidence.id, fresh.id]);
    expect(await db.upload.findUnique({ where: { id: loose.id } })).toBeNull();
    // Police records: every tip stays; only the closed-long-ago tip loses its sealed contact.
    const tips = await db.tip.findMany({ include: { attachments: true, relays: true }, orderBy: { code: "asc" } });
    expect(tips).toHaveLength(3);
    expect(tips.find((x) => x.id === closedLongAgo.id)).toMatchObject({ contactSealed: null, description: "Mất xe máy trước cổng chợ", status: "closed" });
    expect(tips.find((x) => x.id === closedLongAgo.id)!.attachments).toHaveLength(1);
    expect(tips.find((x) => x.id === closedLongAgo.id)!.relays).toHaveLength(1);
    expect(tips.find((x) => x.id === closedRecently.id)!.contactSealed).not.toBeNull();
    expect(tips.find((x) => x.id === openOld.id)!.contactSealed).not.toBeNull();
    const erased = await db.auditEvent.findMany({ where: { tipId: closedLongAgo.id }, orderBy: { id: "asc" } });
    expect(erased.map((e) => e.action)).toEqual(["received", "contact_erased"]);
    expect((await db.subscription.findMany({ orderBy: { id: "asc" } })).map((s) => s.chatId)).toEqual(["sub-ended-new", "sub-active"]);
    expect((await db.consentRecord.findMany({ orderBy: { id: "asc" } })).map((c) => c.chatId)).toEqual(["sub-ended-new", "sub-active"]);
    expect((await db.legalQuestion.findMany()).map((q) => q.text)).toEqual(["new"]);
    expect((await db.outboxMessage.findMany({ orderBy: { id: "asc" } })).map((m) => m.id)).toEqual([sentNew.id, pendingOld.id, cardOld.id]);
    expect(sentOld.id).toBeLessThan(sentNew.id);
    const audit = await db.auditEvent.findMany({ where: { tipId: null }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["refused", "retention.run"]);
    expect(JSON.parse(audit[1]!.data).counts.outbox).toBe(1);

    // A second run finds nothing more to do.
    const again = await applyRetention(db, periods, now);
    expect(Object.values(again.counts).every((c) => c === 0)).toBe(true);
  });

  it("works in batches: more rows than one batch all go", async () => {
    const db = t.db;
    const chat = await db.chat.create({ data: { channel: "zalo", platformChatId: "z-batch", kind: "private" } });
    await db.outboxMessage.createMany({
      data: Array.from({ length: 1203 }, () => ({ channel: "zalo", chatId: chat.id, method: "sendMessage", payload: "{}", status: "sent", createdAt: ago(40 * DAY) })),
    });
    const report = await applyRetention(db, defaultRetention(), now);
    expect(report.counts.outbox).toBe(1203);
    expect(await db.outboxMessage.count()).toBe(0);
  });

  it("honours configured periods", async () => {
    const db = t.db;
    const chat = await db.chat.create({ data: { channel: "zalo", platformChatId: "z-conf", kind: "private" } });
    await db.outboxMessage.create({ data: { channel: "zalo", chatId: chat.id, method: "sendMessage", payload: "{}", status: "sent", createdAt: ago(3 * DAY) } });
    expect((await applyRetention(db, defaultRetention(), now)).counts.outbox).toBe(0);
    expect((await applyRetention(db, { ...defaultRetention(), outbox: 2 * DAY }, now)).counts.outbox).toBe(1);
  });
});

describe("delete my data: web uploads", () => {
  it("deletes the chat's photos not sent with a tip; photos attached to a submitted tip and other chats' photos stay", async () => {
    const { eraseChatData } = await import("../src/core/privacy/dataRequests.ts");
    const db = t.db;
    const chat = await db.chat.create({ data: { channel: "web", platformChatId: "w:session-a", kind: "private", locale: "vi" } });
    const bytes = new Uint8Array([1]);
    const upload = (key: string) => db.upload.create({ data: { chatId: sealer.seal(key, "upload-chat"), mime: "image/jpeg", size: 1, bytes } });
    const unsent = await upload("w:session-a");
    const attached = await upload("w:session-a");
    const someoneElse = await upload("w:session-b");
    const evidence = await tip({ status: "new" });
    await db.tipAttachment.create({ data: { tipId: evidence.id, kind: "photo", ref: `upload:${attached.id}` } });

    const counts = await db.$transaction((tx) => eraseChatData(tx, chat, sealer));
    expect(counts.uploads).toBe(1);
    expect((await db.upload.findMany()).map((u) => u.id).sort()).toEqual([attached.id, someoneElse.id].sort());
    expect(await db.upload.findUnique({ where: { id: unsent.id } })).toBeNull();
  });
});
