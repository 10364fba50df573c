import type { Db, Prisma, Tx } from "../../db/client.ts";
import { ACTIONS } from "../actions/catalog.ts";
import type { OfficerRecord } from "../officers/authorize.ts";
import { isAwaitingTipster } from "../tips/awaiting.ts";
import { LIST_ORDER, afterCursor, andWhere, type ListCursor } from "./tipFilter.ts";

/** Rows on one page of the console's tip list. */
export const LIST_PAGE_SIZE = 50;
/** The list counts matching tips up to this many; beyond, it shows "more than …" (an exact count of a million rows is not worth its time). */
export const LIST_COUNT_CAP = 10_000;

/** Whether a person may use the tip list, its saved views and its export: an active officer, commander or administrator (never outreach or legal staff). */
export const mayListTips = (officer: Pick<OfficerRecord, "role" | "revokedAt">): boolean =>
  !officer.revokedAt && (ACTIONS["group.queue"].roles as readonly string[]).includes(officer.role);

/** One tip as the list shows it: never the tipster's identity, contact, chat, place or words. */
export interface ListRow {
  id: string;
  code: string;
  receivedAt: Date;
  category: string;
  lifeSafety: boolean;
  priority: string;
  status: string;
  /** An officer's question waits for the tipster's answer (`isAwaitingTipster`, as the live queue says). */
  awaiting: boolean;
  /** A legal deadline passed and not met (open tips). */
  overdue: boolean;
  unit: string;
  channel: string;
  holder: string | null;
  closedAt: Date | null;
  outcome: string | null;
}

/** One page of the list and where the next one starts. */
export interface ListPage {
  rows: ListRow[];
  next?: ListCursor;
}

/** A page of the tips matching `where` (built by `tipWhere`, scope included), newest first, after `cursor`. */
export async function listTips(db: Db | Tx, where: Prisma.TipWhereInput, cursor?: ListCursor, now = new Date(), pageSize = LIST_PAGE_SIZE): Promise<ListPage> {
  const tips = await db.tip.findMany({
    where: andWhere(where, afterCursor(cursor)),
    orderBy: LIST_ORDER,
    take: pageSize + 1,
    select: {
      id: true,
      code: true,
      receivedAt: true,
      category: true,
      lifeSafety: true,
      priority: true,
      status: true,
      awaitingAnswerSince: true,
      receiptNoticeDueAt: true,
      receiptNoticeSentAt: true,
      decisionDueAt: true,
      channel: true,
      closedAt: true,
      outcome: true,
      queue: { select: { name: true } },
      claimedBy: { select: { id: true, displayName: true } },
    },
  });
  const page = tips.slice(0, pageSize);
  const rows = page.map((tip): ListRow => {
    const open = tip.status !== "closed";
    return {
      id: tip.id,
      code: tip.code,
      receivedAt: tip.receivedAt,
      category: tip.category,
      lifeSafety: tip.lifeSafety,
      priority: tip.priority,
      status: tip.status,
      awaiting: isAwaitingTipster(tip),
      overdue:
        open && ((tip.decisionDueAt !== null && tip.decisionDueAt < now) || (tip.receiptNoticeSentAt === null && tip.receiptNoticeDueAt !== null && tip.receiptNoticeDueAt < now)),
      unit: tip.queue.name,
      channel: tip.channel,
      holder: tip.claimedBy ? (tip.claimedBy.displayName ?? tip.claimedBy.id.slice(-5)) : null,
      closedAt: tip.closedAt,
      outcome: tip.outcome,
    };
  });
  const last = page.at(-1);
  return { rows, next: tips.length > pageSize && last ? { at: last.receivedAt, id: last.id } : undefined };
}

/** How many tips match `where`, counted up to `cap` (`capped`: there are more). */
export async function countTips(db: Db | Tx, where: Prisma.TipWhereInput, cap = LIST_COUNT_CAP): Promise<{ count: number; capped: boolean }> {
  const n = await db.tip.count({ where, take: cap + 1 });
  return n > cap ? { count: cap, capped: true } : { count: n, capped: false };
}
