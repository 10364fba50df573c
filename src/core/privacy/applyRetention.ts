import type { Db } from "../../db/client.ts";
import { expireUploads, UPLOAD_TTL_MS } from "../../channels/web/uploads.ts";
import { RETENTION_RULES, type RetentionPeriods, type RetentionRuleName } from "./retentionRules.ts";

/** Rows handled per statement: the job never holds a long transaction nor loads a table. */
export const RETENTION_BATCH = 500;

/** What one run removed or erased, per rule. */
export interface RetentionReport {
  at: Date;
  counts: Record<RetentionRuleName, number>;
  /** Each rule's cut-off: records older than this were concerned. */
  cutoffs: Record<RetentionRuleName, string>;
}

/** Repeats `step` (which handles one batch and says how many rows it touched) until a batch comes back short. */
async function inBatches(step: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await step();
    total += n;
    if (n < RETENTION_BATCH) return total;
  }
}

/**
 * Applies every retention rule (see retentionRules.ts) in batches and records the report as an
 * audit event. Police records are never touched: a submitted tip, its attachments, notes, relays
 * and audit trail stay; of a closed tip only the sealed contact details go once the rule's period
 * after closure has passed.
 */
export async function applyRetention(db: Db, periods: RetentionPeriods, now = new Date()): Promise<RetentionReport> {
  const cutoff = (rule: RetentionRuleName) => new Date(now.getTime() - periods[rule]);
  const counts = {} as Record<RetentionRuleName, number>;

  counts.drafts = await inBatches(async () => {
    const rows = await db.tipDraft.findMany({ where: { updatedAt: { lt: cutoff("drafts") } }, select: { chatId: true }, take: RETENTION_BATCH });
    if (!rows.length) return 0;
    await db.tipDraft.deleteMany({ where: { chatId: { in: rows.map((r) => r.chatId) }, updatedAt: { lt: cutoff("drafts") } } });
    return rows.length;
  });

  const inboxRule = (rule: RetentionRuleName, status: string) =>
    inBatches(async () => {
      const rows = await db.inboxUpdate.findMany({ where: { status, receivedAt: { lt: cutoff(rule) } }, select: { id: true }, take: RETENTION_BATCH });
      if (!rows.length) return 0;
      await db.inboxUpdate.deleteMany({ where: { id: { in: rows.map((r) => r.id) }, status } });
      return rows.length;
    });
  counts.inbox = await inboxRule("inbox", "done");
  counts.inbox_parked = await inboxRule("inbox_parked", "parked");

  // expireUploads keeps its own reference checks (tip attachments, drafts, pending updates); it
  // deletes what is older than UPLOAD_TTL_MS before the instant given, so shift that instant.
  counts.uploads = await expireUploads(db, new Date(cutoff("uploads").getTime() + UPLOAD_TTL_MS));

  counts.closed_tip_contacts = await inBatches(async () => {
    const where = { status: "closed", closedAt: { lt: cutoff("closed_tip_contacts") }, contactSealed: { not: null } };
    const tips = await db.tip.findMany({ where, select: { id: true }, take: RETENTION_BATCH });
    if (!tips.length) return 0;
    const ids = tips.map((t) => t.id);
    await db.$transaction(async (tx) => {
      await tx.tip.updateMany({ where: { ...where, id: { in: ids } }, data: { contactSealed: null } });
      // Every change to a tip is an audit event, in the same transaction.
      await tx.auditEvent.createMany({ data: ids.map((tipId) => ({ tipId, actor: "system", action: "contact_erased", data: JSON.stringify({ rule: "closed_tip_contacts" }), at: now })) });
    });
    return ids.length;
  });

  counts.ended_subscriptions = await inBatches(async () => {
    const where = { active: false, stoppedAt: { lt: cutoff("ended_subscriptions") } };
    const subs = await db.subscription.findMany({ where, select: { chatId: true }, take: RETENTION_BATCH });
    if (!subs.length) return 0;
    const chatIds = subs.map((s) => s.chatId);
    await db.$transaction(async (tx) => {
      const removed = await tx.subscription.deleteMany({ where: { ...where, chatId: { in: chatIds } } });
      if (removed.count) await tx.consentRecord.deleteMany({ where: { chatId: { in: chatIds } } });
    });
    return subs.length;
  });

  counts.audit = await inBatches(async () => {
    const rows = await db.auditEvent.findMany({ where: { tipId: null, at: { lt: cutoff("audit") } }, select: { id: true }, take: RETENTION_BATCH });
    if (!rows.length) return 0;
    await db.auditEvent.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
    return rows.length;
  });

  counts.legal_questions = await inBatches(async () => {
    const rows = await db.legalQuestion.findMany({ where: { createdAt: { lt: cutoff("legal_questions") } }, select: { id: true }, take: RETENTION_BATCH });
    if (!rows.length) return 0;
    await db.legalQuestion.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
    return rows.length;
  });

  // Only finished messages to private chats: group messages (tip cards, prompts) are police records
  // and are referenced by their cards; pending ones are still to be sent.
  counts.outbox = await inBatches(async () => {
    const where = { status: { in: ["sent", "failed", "blocked", "skipped"] }, createdAt: { lt: cutoff("outbox") }, chat: { kind: "private" } };
    const rows = await db.outboxMessage.findMany({ where, select: { id: true }, take: RETENTION_BATCH });
    if (!rows.length) return 0;
    await db.outboxMessage.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
    return rows.length;
  });

  // Codes and console sessions that can no longer open anything (used, or past their expiry).
  counts.one_time_codes = await inBatches(async () => {
    const before = cutoff("one_time_codes");
    const where = { OR: [{ usedAt: { lt: before } }, { expiresAt: { lt: before } }] };
    const rows = await db.oneTimeCode.findMany({ where, select: { id: true }, take: RETENTION_BATCH });
    if (!rows.length) return 0;
    await db.oneTimeCode.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
    return rows.length;
  });

  const cutoffs = Object.fromEntries(RETENTION_RULES.map((r) => [r.name, cutoff(r.name).toISOString()])) as Record<RetentionRuleName, string>;
  await db.auditEvent.create({ data: { actor: "system", action: "retention.run", data: JSON.stringify({ counts, cutoffs }), at: now } });
  return { at: now, counts, cutoffs };
}
