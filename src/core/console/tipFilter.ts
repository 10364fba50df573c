/**
 * The tip-list filter shared by the console's list (`GET /console/tips?<query>`), its CSV export
 * (`GET /console/tips.csv?<query>`), saved views and every drill-down link (the contract in the
 * README, "Tip list, saved views and CSV export"). Parameters are combined with AND and always
 * intersected with the person's scope: the unit now handling a tip (its queue) must lie inside it.
 *
 * Definitions (`now` is the moment of the request):
 * - `province`, `commune`: where the tip happened (the tip's own province and commune), as the
 *   statistics count them (their map and commune table link here); `queue`: the unit *now
 *   handling* the tip (the queue id), the same notion as the scope; a transfer moves the tip.
 * - `status=awaiting`: an open tip (new or claimed) with an officer's question to the tipster not
 *   answered yet, in any form (`AWAITING_TIPSTER_WHERE` of src/core/tips/awaiting.ts, the same
 *   definition as the live queue's and the tip page's; an "add information" message is not an answer).
 * - `status=overdue`: an open tip with a legal deadline passed and not met: the decision deadline
 *   passed, or the receipt notice not sent and its deadline passed (the same rule as `/overdue`).
 * - `ontime=receipt_met`: the receipt notice was sent by its deadline; `receipt_breached`: sent
 *   after it, or not sent and the deadline passed. `decision_met`: closed (the decision) by the
 *   decision deadline, extensions included; `decision_breached`: closed after it, or open with the
 *   deadline passed. Tips whose deadline is still running are in neither.
 * - `from`, `to`, `month`, `hour`, `weekday`: the Vietnam date, month, hour and weekday of receipt.
 */
import { z } from "zod";
import type { Db, Prisma, Tx } from "../../db/client.ts";
import { AWAITING_TIPSTER_WHERE } from "../tips/awaiting.ts";
import { CATEGORIES } from "../tips/categories.ts";
import type { OfficerRecord } from "../officers/authorize.ts";
import { dayNumberOfIso, startOfDayNumber } from "../vnTime.ts";

/** The list's statuses: the stored ones plus two derived ones (see the module comment). */
export const LIST_STATUSES = ["new", "claimed", "closed", "awaiting", "overdue"] as const;
/** The legal-clock drill-downs. */
export const ONTIME_VALUES = ["receipt_met", "receipt_breached", "decision_met", "decision_breached"] as const;
/** The channels a tip can arrive on. */
export const TIP_CHANNELS = ["telegram", "zalo", "web"] as const;

/** Every filter parameter, in the order a canonical query string lists them. */
export const FILTER_KEYS = ["province", "commune", "queue", "category", "status", "life", "channel", "from", "to", "month", "hour", "weekday", "claimedBy", "ontime"] as const;
/** One filter parameter's name. */
export type FilterKey = (typeof FILTER_KEYS)[number];

const realDate = (s: string) => {
  try {
    dayNumberOfIso(s);
    return true;
  } catch {
    return false;
  }
};

const FIELDS = {
  province: z.string().regex(/^\d{2}$/),
  commune: z.string().regex(/^\d{5}$/),
  queue: z.string().regex(/^[a-z]{1,16}:[A-Za-z0-9]{1,10}$/),
  category: z.enum(CATEGORIES),
  status: z.enum(LIST_STATUSES),
  life: z.literal("1"),
  channel: z.enum(TIP_CHANNELS),
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine(realDate),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine(realDate),
  month: z.string().regex(/^(19[7-9]\d|[2-9]\d{3})-(0[1-9]|1[0-2])$/),
  hour: z.string().regex(/^\d{1,2}$/).transform(Number).pipe(z.number().int().min(0).max(23)),
  weekday: z.string().regex(/^[1-7]$/).transform(Number),
  claimedBy: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  ontime: z.enum(ONTIME_VALUES),
} satisfies Record<FilterKey, z.ZodType>;

const FILTER_SCHEMA = z
  .object(Object.fromEntries(FILTER_KEYS.map((k) => [k, FIELDS[k].optional()])) as { [K in FilterKey]: z.ZodOptional<(typeof FIELDS)[K]> })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { path: ["to"], message: "before_from" });

/** A validated filter: each parameter present only when given. */
export type TipFilter = z.output<typeof FILTER_SCHEMA>;

/** Why a filter was refused: the parameter and the problem (`invalid`, `repeated`, `before_from`, `too_long`). */
export interface FilterProblem {
  param: FilterKey | "query";
  problem: "invalid" | "repeated" | "before_from" | "too_long";
}

/** The longest query string accepted (a saved view's too). */
export const MAX_QUERY_CHARS = 1_000;

/**
 * Parses the filter parameters of a query string (other parameters — `after`, `lang` — are the
 * page's and ignored here). An empty value counts as absent (an unset form field); a repeated
 * filter parameter or any invalid value refuses the whole filter.
 */
export function parseTipFilter(query: string | URLSearchParams): { ok: true; filter: TipFilter } | { ok: false; problems: FilterProblem[] } {
  if (typeof query === "string" && query.length > MAX_QUERY_CHARS) return { ok: false, problems: [{ param: "query", problem: "too_long" }] };
  const params = typeof query === "string" ? new URLSearchParams(query.startsWith("?") ? query.slice(1) : query) : query;
  const raw: Record<string, string> = {};
  const problems: FilterProblem[] = [];
  for (const key of FILTER_KEYS) {
    const values = params.getAll(key).filter((v) => v !== "");
    if (values.length > 1) problems.push({ param: key, problem: "repeated" });
    else if (values.length === 1) raw[key] = values[0]!;
  }
  if (problems.length) return { ok: false, problems };
  const parsed = FILTER_SCHEMA.safeParse(raw);
  if (parsed.success) return { ok: true, filter: parsed.data };
  const seen = new Set<string>();
  for (const issue of parsed.error.issues) {
    const param = String(issue.path[0] ?? "query") as FilterKey;
    if (seen.has(param)) continue;
    seen.add(param);
    problems.push({ param, problem: issue.message === "before_from" ? "before_from" : "invalid" });
  }
  return { ok: false, problems };
}

/** The canonical query string of a filter (parameters in `FILTER_KEYS` order; "" when empty). */
export function filterQuery(filter: TipFilter, without?: FilterKey): string {
  const out = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = filter[key];
    if (v !== undefined && key !== without) out.set(key, String(v));
  }
  return out.toString();
}

/** Whether a filter sets nothing. */
export const isEmptyFilter = (filter: TipFilter): boolean => FILTER_KEYS.every((k) => filter[k] === undefined);

/** The scope part of a person: what their list may ever show. */
export type ListScope = Pick<OfficerRecord, "scopeKind" | "scopeCode">;

/** The queues a scope covers, as a queue filter (undefined: every queue, the national scope). */
function scopeQueues(scope: ListScope): Prisma.QueueWhereInput | undefined | null {
  switch (scope.scopeKind) {
    case "national":
      return undefined;
    case "province":
      return { provinceCode: scope.scopeCode };
    case "commune":
      return { communeCode: scope.scopeCode };
    default:
      return null; // an unknown scope covers nothing
  }
}

/**
 * The queue ids a tip's handling queue must be one of: the person's scope intersected with the
 * `queue` parameter; undefined when nothing restricts it (national scope, no queue parameter); an
 * empty list when the intersection is empty. Resolved to ids first (the
 * Queue table is small) so the tip query is an indexed `queueId IN (…)`.
 */
async function allowedQueueIds(db: Db | Tx, scope: ListScope, filter: TipFilter): Promise<string[] | undefined> {
  const inScope = scopeQueues(scope);
  if (inScope === null) return [];
  const parts: Prisma.QueueWhereInput[] = [];
  if (inScope) parts.push(inScope);
  if (filter.queue) parts.push({ id: filter.queue });
  if (parts.length === 0) return undefined;
  const rows = await db.queue.findMany({ where: { AND: parts }, select: { id: true }, orderBy: { id: "asc" } });
  return rows.map((r) => r.id);
}

const OPEN = ["new", "claimed"];

/**
 * The database filter of a list: `filter` intersected with `scope`, evaluated at `now`. Works on
 * SQLite and PostgreSQL (Prisma's where; the deadline comparisons use field references).
 */
export async function tipWhere(db: Db | Tx, scope: ListScope, filter: TipFilter, now = new Date()): Promise<Prisma.TipWhereInput> {
  const and: Prisma.TipWhereInput[] = [];
  const queues = await allowedQueueIds(db, scope, filter);
  if (queues) and.push(queues.length === 1 ? { queueId: queues[0]! } : { queueId: { in: queues } });
  if (filter.province) and.push({ provinceCode: filter.province });
  if (filter.commune) and.push({ communeCode: filter.commune });
  if (filter.category) and.push({ category: filter.category });
  if (filter.life) and.push({ lifeSafety: true });
  if (filter.channel) and.push({ channel: filter.channel });
  if (filter.claimedBy) and.push({ claimedById: filter.claimedBy });
  if (filter.hour !== undefined) and.push({ receivedHour: filter.hour });
  if (filter.weekday !== undefined) and.push({ receivedWeekday: filter.weekday });
  // Dates and months as ranges of receipt times (the keyset index on receivedAt serves them).
  if (filter.from) and.push({ receivedAt: { gte: startOfDayNumber(dayNumberOfIso(filter.from)) } });
  if (filter.to) and.push({ receivedAt: { lt: startOfDayNumber(dayNumberOfIso(filter.to) + 1) } });
  if (filter.month) and.push({ receivedAt: monthRange(filter.month) });
  const fields = db.tip.fields;
  switch (filter.status) {
    case "new":
    case "claimed":
    case "closed":
      and.push({ status: filter.status });
      break;
    case "awaiting":
      and.push(AWAITING_TIPSTER_WHERE);
      break;
    case "overdue":
      and.push({ status: { in: OPEN }, OR: [{ decisionDueAt: { lt: now } }, { receiptNoticeSentAt: null, receiptNoticeDueAt: { lt: now } }] });
      break;
  }
  // The legal clocks exactly as the statistics count them (src/core/console/stats.ts, clockCases):
  // the receipt notice is done when sent, or at closing when none was sent; the decision at closing.
  switch (filter.ontime) {
    case "receipt_met":
      and.push({
        OR: [
          { receiptNoticeSentAt: { not: null, lte: fields.receiptNoticeDueAt } },
          { receiptNoticeSentAt: null, closedAt: { not: null, lte: fields.receiptNoticeDueAt } },
        ],
      });
      break;
    case "receipt_breached":
      and.push({
        OR: [
          { receiptNoticeSentAt: { gt: fields.receiptNoticeDueAt } },
          { receiptNoticeSentAt: null, closedAt: { gt: fields.receiptNoticeDueAt } },
          { receiptNoticeSentAt: null, closedAt: null, receiptNoticeDueAt: { lt: now } },
        ],
      });
      break;
    case "decision_met":
      and.push({ closedAt: { not: null, lte: fields.decisionDueAt } });
      break;
    case "decision_breached":
      and.push({ OR: [{ closedAt: { gt: fields.decisionDueAt } }, { closedAt: null, decisionDueAt: { lt: now } }] });
      break;
  }
  return and.length === 0 ? {} : and.length === 1 ? and[0]! : { AND: and };
}

/** The receipt times of a Vietnam month "YYYY-MM": from its first midnight to the next month's. */
export function monthRange(month: string): { gte: Date; lt: Date } {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const first = Date.UTC(y, m - 1, 1) / 86_400_000;
  const next = Date.UTC(y, m, 1) / 86_400_000;
  return { gte: startOfDayNumber(first), lt: startOfDayNumber(next) };
}

/** A position in the list (newest first): the last row's receipt time and id. */
export interface ListCursor {
  at: Date;
  id: string;
}

/** The list's order: newest first, ties by id (the keyset). */
export const LIST_ORDER = [{ receivedAt: "desc" as const }, { id: "desc" as const }];

/** The rows after a cursor in the list's order. */
export function afterCursor(cursor: ListCursor | undefined): Prisma.TipWhereInput | undefined {
  if (!cursor) return undefined;
  // The plain upper bound lets the planner range-scan the (receivedAt, id) index; the OR settles ties.
  return { receivedAt: { lte: cursor.at }, OR: [{ receivedAt: { lt: cursor.at } }, { id: { lt: cursor.id } }] };
}

/** A cursor as the `after` parameter ("<ms>.<id>"). */
export const cursorParam = (c: ListCursor): string => `${c.at.getTime()}.${c.id}`;

/** Reads an `after` parameter; undefined when absent or malformed (the first page). */
export function parseCursor(value: string | null | undefined): ListCursor | undefined {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(value ?? "");
  if (!m) return undefined;
  const at = new Date(Number(m[1]));
  return Number.isFinite(at.getTime()) ? { at, id: m[2]! } : undefined;
}

/** Joins a where with an extra condition. */
export const andWhere = (where: Prisma.TipWhereInput, extra: Prisma.TipWhereInput | undefined): Prisma.TipWhereInput =>
  extra ? (Object.keys(where).length ? { AND: [where, extra] } : extra) : where;
