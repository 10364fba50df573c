import crypto from "node:crypto";
import type { Db, Prisma } from "../../src/db/client.ts";
import { computeDeadlines } from "../../src/core/deadlines/tipDeadlines.ts";
import { CATEGORIES } from "../../src/core/tips/categories.ts";
import { vnReceipt } from "../../src/core/vnTime.ts";
import { mulberry32 } from "./random.ts";

/** One seeded tip, as the statistics see it (and as the tests recompute their figures from). */
export interface SeedTip {
  code: string;
  category: string;
  channel: string;
  queueId: string;
  provinceCode: string;
  communeCode: string | null;
  receivedAt: Date;
  claimedAt: Date | null;
  receiptNoticeSentAt: Date | null;
  closedAt: Date | null;
  receiptNoticeDueAt: Date;
  decisionDueAt: Date;
}

/** The units the seed spreads tips over: three Hà Nội queues and two of Hồ Chí Minh City (place province / commune of each). */
export const SEED_UNITS = [
  { queueId: "commune:00070", provinceCode: "01", communeCode: "00070" },
  { queueId: "commune:00004", provinceCode: "01", communeCode: "00004" },
  { queueId: "province:01", provinceCode: "01", communeCode: null },
  { queueId: "commune:25747", provinceCode: "79", communeCode: "25747" },
  { queueId: "province:79", provinceCode: "79", communeCode: null },
] as const;

const MIN = 60_000;
const DAY = 86_400_000;

/**
 * `count` tips received over the last ~300 days before `now` (plus a few outside the default
 * 12-month window), each with realistic deadlines, and claim / notice / close times chosen so that
 * every legal-clock state occurs: met, late, missed and still open. Deterministic for a seed.
 */
export function makeSeedTips(now: Date, count: number, seed = 14): SeedTip[] {
  const rnd = mulberry32(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const tips: SeedTip[] = [];
  for (let i = 0; i < count; i++) {
    const unit = pick(SEED_UNITS);
    // Mostly within the last 300 days; every 25th 400–500 days ago (outside the default period).
    const ageDays = i % 25 === 24 ? 400 + rnd() * 100 : rnd() * 300;
    const receivedAt = new Date(Math.floor((now.getTime() - ageDays * DAY) / 1000) * 1000);
    const d = computeDeadlines({ receivedAt });
    const claimed = rnd() < 0.85;
    const claimedAt = claimed ? new Date(receivedAt.getTime() + Math.floor(rnd() * 59) * MIN + 30_000) : null;
    let closedAt: Date | null = null;
    if (claimedAt && rnd() < 0.7) {
      // On time (within 20 days) or late (25–40 days), never in the future.
      const after = rnd() < 0.8 ? rnd() * 19 * DAY : (25 + rnd() * 15) * DAY;
      const at = new Date(receivedAt.getTime() + after);
      closedAt = at < now ? at : null;
    }
    // The receipt notice goes with the claim; some claims come too late for it (5 days).
    const lateNotice = claimedAt && rnd() < 0.1;
    const noticeAt = claimedAt ? (lateNotice ? new Date(receivedAt.getTime() + 5 * DAY) : claimedAt) : null;
    tips.push({
      code: `TM-S${String(i).padStart(5, "0")}`,
      category: pick(CATEGORIES),
      channel: pick(["telegram", "zalo", "web"] as const),
      queueId: unit.queueId,
      provinceCode: unit.provinceCode,
      communeCode: unit.communeCode,
      receivedAt,
      claimedAt: lateNotice ? new Date(receivedAt.getTime() + 5 * DAY) : claimedAt,
      receiptNoticeSentAt: noticeAt && noticeAt < now ? noticeAt : null,
      closedAt,
      receiptNoticeDueAt: d.receiptNoticeDue,
      decisionDueAt: d.decisionDue,
    });
  }
  return tips;
}

/** Writes seed tips to the database with the columns the service would have set (Vietnam month, hour, weekday of receipt). */
export async function insertSeedTips(db: Db, tips: SeedTip[]): Promise<void> {
  const rows: Prisma.TipCreateManyInput[] = tips.map((s) => {
    const vn = vnReceipt(s.receivedAt);
    return {
      code: s.code,
      pinHash: "x",
      category: s.category,
      status: s.closedAt ? "closed" : s.claimedAt ? "claimed" : "new",
      claimedAt: s.claimedAt,
      closedAt: s.closedAt,
      outcome: s.closedAt ? "khong_khoi_to" : null,
      receiptNoticeDueAt: s.receiptNoticeDueAt,
      receiptNoticeSentAt: s.receiptNoticeSentAt,
      decisionDueAt: s.decisionDueAt,
      channel: s.channel,
      queueId: s.queueId,
      provinceCode: s.provinceCode,
      communeCode: s.communeCode,
      placeSource: s.communeCode ? "location" : "unknown",
      occurredWhen: "today",
      description: "seeded for the statistics tests",
      identityMode: "anonymous",
      replyRefSealed: crypto.randomBytes(8).toString("hex"),
      locale: "vi",
      receivedAt: s.receivedAt,
      receivedMonth: vn.month,
      receivedHour: vn.hour,
      receivedWeekday: vn.weekday,
    };
  });
  for (let i = 0; i < rows.length; i += 200) await db.tip.createMany({ data: rows.slice(i, i + 200) });
}
