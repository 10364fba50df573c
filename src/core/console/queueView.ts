import type { Db, Tx } from "../../db/client.ts";
import { ACTIONS } from "../actions/catalog.ts";
import { computeDeadlines, deadlineStatus, type DeadlineKind, type DeadlineState, type TipExtension } from "../deadlines/tipDeadlines.ts";
import { recordRefusal, type OfficerRecord } from "../officers/authorize.ts";

/** How long a closed tip stays in the console's "closed recently" group. */
export const CLOSED_RECENTLY_MS = 24 * 3600_000;
/** The most tips each group of the queue shows (the oldest open ones first). */
export const QUEUE_GROUP_LIMIT = 200;

/** One tip as the console's queue shows it: never the tipster's identity, contact or chat. */
export interface QueueRow {
  id: string;
  code: string;
  category: string;
  lifeSafety: boolean;
  priority: string;
  status: string;
  unit: string;
  receivedAt: Date;
  /** Minutes since receipt (waiting, while new). */
  minutesWaiting: number;
  /** Who holds it (their display name or short id), when claimed. */
  holder: string | null;
  outcome: string | null;
  closedAt: Date | null;
  /** The pending legal deadlines, soonest first, with their state (approaching: at risk; overdue: breached). */
  deadlines: Array<{ kind: DeadlineKind; due: Date; state: DeadlineState }>;
}

/** The queue in an officer's scope: new, claimed, closed within the last day. */
export interface ConsoleQueue {
  new: QueueRow[];
  claimed: QueueRow[];
  closed: QueueRow[];
}

/** Whether a person may see the tip queue: an active officer, commander or administrator (outreach and legal staff may not). */
export const mayViewQueue = (officer: Pick<OfficerRecord, "role" | "revokedAt">): boolean =>
  !officer.revokedAt && (ACTIONS["group.queue"].roles as readonly string[]).includes(officer.role);

/** Records a refused look at a console area (`auth.refused`, action `console.<area>`, e.g. `console.queue`). */
export async function refuseConsoleArea(tx: Tx, officer: Pick<OfficerRecord, "id" | "role">, area: string): Promise<void> {
  await recordRefusal(tx, { actor: `officer:${officer.id}`, action: `console.${area}`, reason: officer.role === "outreach" || officer.role === "legal" ? "staff_role" : "role", data: { role: officer.role } });
}

/** The tips' filter for a scope: the unit now handling each tip (its queue) must be inside it. */
function scopeWhere(officer: Pick<OfficerRecord, "scopeKind" | "scopeCode">) {
  switch (officer.scopeKind) {
    case "national":
      return {};
    case "province":
      return { queue: { provinceCode: officer.scopeCode } };
    case "commune":
      return { queue: { communeCode: officer.scopeCode } };
    default:
      return { id: "" };
  }
}

/**
 * The tips an officer's scope covers, grouped new / claimed / closed recently, life-safety first
 * then the longest waiting, each with its minutes waiting and pending legal deadlines. Read-only:
 * the caller has checked `mayViewQueue`.
 */
export async function consoleQueue(db: Db | Tx, officer: Pick<OfficerRecord, "scopeKind" | "scopeCode">, now = new Date()): Promise<ConsoleQueue> {
  const scope = scopeWhere(officer);
  const select = {
    id: true,
    code: true,
    category: true,
    lifeSafety: true,
    priority: true,
    status: true,
    receivedAt: true,
    extension: true,
    receiptNoticeSentAt: true,
    outcome: true,
    closedAt: true,
    queue: { select: { name: true } },
    claimedBy: { select: { id: true, displayName: true } },
  } as const;
  const order = [{ lifeSafety: "desc" as const }, { receivedAt: "asc" as const }, { id: "asc" as const }];
  const [fresh, claimed, closed] = await Promise.all([
    db.tip.findMany({ where: { ...scope, status: "new" }, select, orderBy: order, take: QUEUE_GROUP_LIMIT }),
    db.tip.findMany({ where: { ...scope, status: "claimed" }, select, orderBy: order, take: QUEUE_GROUP_LIMIT }),
    db.tip.findMany({
      where: { ...scope, status: "closed", closedAt: { gte: new Date(now.getTime() - CLOSED_RECENTLY_MS) } },
      select,
      orderBy: [{ closedAt: "desc" }, { id: "asc" }],
      take: QUEUE_GROUP_LIMIT,
    }),
  ]);
  const row = (tip: (typeof fresh)[number]): QueueRow => {
    const deadlines =
      tip.status === "closed"
        ? []
        : deadlineStatus(computeDeadlines({ receivedAt: tip.receivedAt, extension: tip.extension as TipExtension }), now, { receiptNoticeSentAt: tip.receiptNoticeSentAt });
    return {
      id: tip.id,
      code: tip.code,
      category: tip.category,
      lifeSafety: tip.lifeSafety,
      priority: tip.priority,
      status: tip.status,
      unit: tip.queue.name,
      receivedAt: tip.receivedAt,
      minutesWaiting: Math.max(0, Math.floor((now.getTime() - tip.receivedAt.getTime()) / 60_000)),
      holder: tip.claimedBy ? (tip.claimedBy.displayName ?? tip.claimedBy.id.slice(-5)) : null,
      outcome: tip.outcome,
      closedAt: tip.closedAt,
      deadlines: deadlines.map((d) => ({ kind: d.kind, due: d.due, state: d.state })),
    };
  };
  return { new: fresh.map(row), claimed: claimed.map(row), closed: closed.map(row) };
}
