import type { Db } from "../../src/db/client.ts";
import { computeDeadlines } from "../../src/core/deadlines/tipDeadlines.ts";
import { vnReceipt } from "../../src/core/vnTime.ts";

let seq = 0;
/** A tip as submission stores it (deadlines from its receipt), with its receipt notice and closing as given. */
export async function seedTip(db: Db, p: { queueId: string; category: string; receivedAt: Date; receiptSentAt?: Date; closedAt?: Date }) {
  const queue = await db.queue.findUniqueOrThrow({ where: { id: p.queueId } });
  const d = computeDeadlines({ receivedAt: p.receivedAt });
  const r = vnReceipt(p.receivedAt);
  seq++;
  return db.tip.create({
    data: {
      code: `TM-R${String(seq).padStart(5, "0")}`,
      pinHash: "x",
      category: p.category,
      status: p.closedAt ? "closed" : p.receiptSentAt ? "claimed" : "new",
      outcome: p.closedAt ? "khong_khoi_to" : null,
      closedAt: p.closedAt ?? null,
      receiptNoticeDueAt: d.receiptNoticeDue,
      receiptNoticeSentAt: p.receiptSentAt ?? null,
      decisionDueAt: d.decisionDue,
      channel: "telegram",
      queueId: queue.id,
      provinceCode: queue.provinceCode,
      communeCode: queue.communeCode,
      placeSource: "typed",
      occurredWhen: "today",
      description: "Seeded for the monthly report",
      identityMode: "anonymous",
      replyRefSealed: "sealed",
      locale: "vi",
      receivedAt: p.receivedAt,
      receivedMonth: r.month,
      receivedHour: r.hour,
      receivedWeekday: r.weekday,
    },
  });
}
