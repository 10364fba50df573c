import type { Db, Tx } from "../../db/client.ts";
import { ACTIONS } from "../actions/catalog.ts";
import { computeDeadlines, deadlineStatus, type DeadlineKind, type DeadlineState, type TipExtension } from "../deadlines/tipDeadlines.ts";
import { recordRefusal, type OfficerRecord } from "../officers/authorize.ts";
import { isAwaitingTipster } from "../tips/awaiting.ts";
import { startOfVnDay } from "../vnTime.ts";

/** Where the queue's "closed today" group starts: 00:00 in Vietnam (Asia/Ho_Chi_Minh, UTC+7, no daylight saving) of the day `now` falls on. */
export const closedTodaySince = (now: Date): Date => startOfVnDay(now);
/** The most tips each group of the queue shows (the oldest open ones first). */
export const QUEUE_GROUP_LIMIT = 200;

/** How long an unclaimed tip counts as "new" before it moves to "unclaimed" (minutes since receipt). */
export const NEW_FOR_MINUTES = 60;

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
  /** A question to the tipster is still unanswered (`isAwaitingTipster`, as the tip list says). */
  awaiting: boolean;
  /** The pending legal deadlines, soonest first, with their state (approaching: at risk; overdue: breached). */
  deadlines: Array<{ kind: DeadlineKind; due: Date; state: DeadlineState }>;
}

/** The queue's groups, in display order. */
export const QUEUE_GROUPS = ["new", "unclaimed", "claimed", "awaiting", "overdue", "closed"] as const;
export type QueueGroup = (typeof QUEUE_GROUPS)[number];

/**
 * The queue in an officer's scope, each tip in one group: overdue (a legal deadline breached),
 * else awaiting the tipster's answer, else new (unclaimed, received within NEW_FOR_MINUTES),
 * unclaimed (waiting longer) or claimed; and closed today (since 00:00 Vietnam time).
 */
export type ConsoleQueue = Record<QueueGroup, QueueRow[]>;

/** What the queue shows: one unit (a queue in the scope) and/or one officer's tips. */
export interface QueueFilter {
  queueId?: string;
  claimedById?: string;
}

/** Whether a person may see the tip queue: an active officer, commander or administrator (outreach and legal staff may not). */
export const mayViewQueue = (officer: Pick<OfficerRecord, "role" | "revokedAt">): boolean =>
  !officer.revokedAt && (ACTIONS["group.queue"].roles as readonly string[]).includes(officer.role);

/** Records a refused look at a console area (`auth.refused`, action `console.<area>`, e.g. `console.queue`). */
export async function refuseConsoleArea(tx: Tx, officer: Pick<OfficerRecord, "id" | "role">, area: string): Promise<void> {
  await recordRefusal(tx, { actor: `officer:${officer.id}`, action: `console.${area}`, reason: officer.role === "outreach" || officer.role === "legal" ? "staff_role" : "role", data: { role: officer.role } });
}

/** A unit (queue) the console shows tips of: its id and name. */
interface ScopeUnit {
  id: string;
  name: string;
}

/**
 * The queues (units) a scope covers, resolved before any tip is read so every tip query is an
 * index range per queue (`Tip(status, queueId, closedAt)`), never a join over the tips: a
 * commune's queues (its own; a unit is in a commune scope when its commune is), a province's (its
 * communes', its duty and cyber queues), or `"all"` nationally. An unknown scope covers nothing.
 */
async function scopeUnits(db: Db | Tx, officer: Pick<OfficerRecord, "scopeKind" | "scopeCode">): Promise<ScopeUnit[] | "all"> {
  switch (officer.scopeKind) {
    case "national":
      return "all";
    case "province":
      return db.queue.findMany({ where: { provinceCode: officer.scopeCode }, select: { id: true, name: true } });
    case "commune":
      return db.queue.findMany({ where: { communeCode: officer.scopeCode }, select: { id: true, name: true } });
    default:
      return [];
  }
}

/** The tips' filter for a scope's units: the unit now handling each tip (its queue) must be one of them. */
const unitsWhere = (units: ScopeUnit[] | "all") => (units === "all" ? {} : { queueId: { in: units.map((u) => u.id) } });

/** What the queue reads of a tip (no relation: the unit's and holder's names are read once for all rows). */
const ROW_SELECT = {
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
  queueId: true,
  claimedById: true,
  awaitingAnswerSince: true,
} as const;

/** The open tips' order: life-safety first, then the longest waiting, then by id (as the database orders ids: code units). */
const openOrder = (a: { lifeSafety: boolean; receivedAt: Date; id: string }, b: { lifeSafety: boolean; receivedAt: Date; id: string }) =>
  Number(b.lifeSafety) - Number(a.lifeSafety) || a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** The closed tips' order: the latest closed first, then by id. */
const closedOrder = (a: { closedAt: Date | null; id: string }, b: { closedAt: Date | null; id: string }) =>
  (b.closedAt?.getTime() ?? 0) - (a.closedAt?.getTime() ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The whole country: each status is the first QUEUE_GROUP_LIMIT entries of an ordered index range (`Tip(status, lifeSafety desc, receivedAt, id)`, `Tip(status, closedAt)`). */
async function readNational(db: Db | Tx, since: Date) {
  const order = [{ lifeSafety: "desc" as const }, { receivedAt: "asc" as const }, { id: "asc" as const }];
  const [fresh, claimed, closed] = await Promise.all([
    db.tip.findMany({ where: { status: "new" }, select: ROW_SELECT, orderBy: order, take: QUEUE_GROUP_LIMIT }),
    db.tip.findMany({ where: { status: "claimed" }, select: ROW_SELECT, orderBy: order, take: QUEUE_GROUP_LIMIT }),
    db.tip.findMany({ where: { status: "closed", closedAt: { gte: since } }, select: ROW_SELECT, orderBy: [{ closedAt: "desc" }, { id: "asc" }], take: QUEUE_GROUP_LIMIT }),
  ]);
  return { fresh, claimed, closed };
}

/**
 * Some queues, or one officer's tips: the keys of the scope's open tips and of those closed since
 * `since` are read first from covering index ranges (`Tip(status, queueId, closedAt, lifeSafety,
 * receivedAt, id)` per queue, `Tip(claimedById, status, closedAt)` for an officer: a scope's open
 * tips are few next to its closed ones), ordered here, and only the QUEUE_GROUP_LIMIT first of each
 * status are read whole. (Asked for in order with a limit, SQLite's planner would walk the national
 * ordered index and test every open tip of the country against the scope.)
 */
async function readScoped(db: Db | Tx, scope: Record<string, unknown>, since: Date, withNew: boolean) {
  const [open, done] = await Promise.all([
    db.tip.findMany({ where: { status: { in: withNew ? ["new", "claimed"] : ["claimed"] }, ...scope }, select: { id: true, status: true, lifeSafety: true, receivedAt: true } }),
    db.tip.findMany({ where: { status: "closed", closedAt: { gte: since }, ...scope }, select: { id: true, closedAt: true } }),
  ]);
  open.sort(openOrder);
  done.sort(closedOrder);
  const first = (status: string) => open.filter((t) => t.status === status).slice(0, QUEUE_GROUP_LIMIT);
  const wanted = { new: first("new"), claimed: first("claimed"), closed: done.slice(0, QUEUE_GROUP_LIMIT) };
  const ids = [...wanted.new, ...wanted.claimed, ...wanted.closed].map((t) => t.id);
  const rows = new Map((ids.length ? await db.tip.findMany({ where: { id: { in: ids } }, select: ROW_SELECT }) : []).map((t) => [t.id, t]));
  // A tip that changed status between the two reads is left out until the next refresh (never shown in a group it has left).
  const still = (keys: Array<{ id: string }>, ok: (t: NonNullable<ReturnType<typeof rows.get>>) => boolean) =>
    keys.flatMap((k) => {
      const t = rows.get(k.id);
      return t && ok(t) ? [t] : [];
    });
  return {
    fresh: still(wanted.new, (t) => t.status === "new"),
    claimed: still(wanted.claimed, (t) => t.status === "claimed"),
    closed: still(wanted.closed, (t) => t.status === "closed" && t.closedAt !== null && t.closedAt >= since),
  };
}

/**
 * The tips an officer's scope covers (narrowed to one unit or one officer), grouped (see
 * ConsoleQueue), life-safety first then the longest waiting, each with its minutes waiting and
 * pending legal deadlines. Read-only: the caller has checked `mayViewQueue` and the filter
 * (`checkQueueFilter`). Each status reads at most QUEUE_GROUP_LIMIT tips.
 *
 * At a million tips only the open ones and those closed today are read: the scope is
 * resolved to its queues first, then each status is one ordered index range
 * (`Tip(status, lifeSafety desc, receivedAt, id)` nationally, `Tip(status, queueId, closedAt)` per
 * queue, `Tip(claimedById, status, closedAt)` for one officer), and the units' and holders' names
 * are one query each for all rows. "Awaiting the tipster" is the tip's own `awaitingAnswerSince`
 * (src/core/tips/awaiting.ts), read with the row: the relay thread is not read.
 */
export async function consoleQueue(db: Db | Tx, officer: Pick<OfficerRecord, "scopeKind" | "scopeCode">, now = new Date(), filter: QueueFilter = {}): Promise<ConsoleQueue> {
  const queue: ConsoleQueue = { new: [], unclaimed: [], claimed: [], awaiting: [], overdue: [], closed: [] };
  let units = await scopeUnits(db, officer);
  if (filter.queueId) {
    const only = filter.queueId;
    units = units === "all" ? await db.queue.findMany({ where: { id: only }, select: { id: true, name: true } }) : units.filter((u) => u.id === only);
  }
  if (units !== "all" && units.length === 0) return queue;
  const scope = { ...unitsWhere(units), ...(filter.claimedById ? { claimedById: filter.claimedById } : {}) };
  const since = closedTodaySince(now);
  const { fresh, claimed, closed } = units === "all" && !filter.claimedById ? await readNational(db, since) : await readScoped(db, scope, since, !filter.claimedById);
  const open = [...fresh, ...claimed];
  const all = [...open, ...closed];
  const holderIds = [...new Set(all.flatMap((t) => (t.claimedById ? [t.claimedById] : [])))];
  // Nationally the units' names are read for the rows shown only.
  const unitIds = units === "all" ? [...new Set(all.map((t) => t.queueId))] : [];
  const [holders, named] = await Promise.all([
    holderIds.length ? db.officer.findMany({ where: { id: { in: holderIds } }, select: { id: true, displayName: true } }) : Promise.resolve([]),
    unitIds.length ? db.queue.findMany({ where: { id: { in: unitIds } }, select: { id: true, name: true } }) : Promise.resolve([]),
  ]);
  const unitName = new Map((units === "all" ? named : units).map((u) => [u.id, u.name]));
  const holderName = new Map(holders.map((o) => [o.id, o.displayName ?? o.id.slice(-5)]));
  const row = (tip: (typeof claimed)[number]): QueueRow => {
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
      unit: unitName.get(tip.queueId) ?? tip.queueId,
      receivedAt: tip.receivedAt,
      minutesWaiting: Math.max(0, Math.floor((now.getTime() - tip.receivedAt.getTime()) / 60_000)),
      holder: tip.claimedById ? (holderName.get(tip.claimedById) ?? tip.claimedById.slice(-5)) : null,
      outcome: tip.outcome,
      closedAt: tip.closedAt,
      awaiting: isAwaitingTipster(tip),
      deadlines: deadlines.map((d) => ({ kind: d.kind, due: d.due, state: d.state })),
    };
  };
  queue.closed = closed.map(row);
  // Both lists are life-safety first then oldest first; merged back into that order.
  const rows = open.map(row).sort((a, b) => Number(b.lifeSafety) - Number(a.lifeSafety) || a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : 1));
  for (const r of rows) {
    if (r.deadlines.some((d) => d.state === "overdue")) queue.overdue.push(r);
    else if (r.awaiting) queue.awaiting.push(r);
    else if (r.status === "claimed") queue.claimed.push(r);
    else if (r.minutesWaiting < NEW_FOR_MINUTES) queue.new.push(r);
    else queue.unclaimed.push(r);
  }
  return queue;
}

/** A unit or an officer the queue can be narrowed to. */
export interface QueueChoice {
  id: string;
  name: string;
}

/**
 * What this person may narrow their queue to: the units (queues) of their scope that hold open
 * tips or are their scope's own, and — for commanders and administrators — the officers whose
 * scope lies inside theirs (an officer sees only their own tips: "mine").
 */
export async function queueChoices(db: Db | Tx, officer: OfficerRecord): Promise<{ units: QueueChoice[]; officers: QueueChoice[] }> {
  const inScope = await scopeUnits(db, officer);
  const withTips = inScope === "all" || inScope.length ? await db.tip.groupBy({ by: ["queueId"], where: { status: { in: ["new", "claimed"] }, ...unitsWhere(inScope) }, _count: { _all: true }, orderBy: { queueId: "asc" }, take: 500 }) : [];
  const own =
    officer.scopeKind === "commune"
      ? { communeCode: officer.scopeCode }
      : officer.scopeKind === "province"
        ? { provinceCode: officer.scopeCode, communeCode: null }
        : { kind: "national" };
  const units = await db.queue.findMany({ where: { OR: [{ id: { in: withTips.map((q) => q.queueId) } }, own] }, select: { id: true, name: true }, orderBy: { name: "asc" } });
  const commander = officer.role === "commander" || officer.role === "admin";
  const officers = commander ? await officersInScope(db, officer) : [{ id: officer.id, name: officer.displayName ?? officer.id.slice(-5) }];
  return { units, officers };
}

/** The active officers (tip roles) whose scope lies inside `officer`'s, by name (at most 500). */
async function officersInScope(db: Db | Tx, officer: Pick<OfficerRecord, "scopeKind" | "scopeCode">): Promise<QueueChoice[]> {
  const roles = ACTIONS["group.queue"].roles as readonly string[];
  let where: Record<string, unknown>;
  if (officer.scopeKind === "national") where = {};
  else if (officer.scopeKind === "province") {
    const communes = await db.commune.findMany({ where: { provinceCode: officer.scopeCode }, select: { code: true } });
    where = { OR: [{ scopeKind: "province", scopeCode: officer.scopeCode }, { scopeKind: "commune", scopeCode: { in: communes.map((c) => c.code) } }] };
  } else where = { scopeKind: officer.scopeKind, scopeCode: officer.scopeCode };
  const found = await db.officer.findMany({ where: { ...where, revokedAt: null, role: { in: [...roles] } }, select: { id: true, displayName: true }, orderBy: [{ displayName: "asc" }, { id: "asc" }], take: 500 });
  return found.map((o) => ({ id: o.id, name: o.displayName ?? o.id.slice(-5) }));
}

/**
 * Checks a queue filter asked for by `officer`: the unit must be a queue inside their scope; the
 * officer must be themselves, or (commanders and administrators) an active officer whose scope
 * lies inside theirs. Returns the filter, or the name of the refused parameter.
 */
export async function checkQueueFilter(db: Db | Tx, officer: OfficerRecord, asked: { queue?: unknown; claimedBy?: unknown }): Promise<{ ok: true; filter: QueueFilter } | { ok: false; param: "queue" | "claimedBy" }> {
  const filter: QueueFilter = {};
  if (asked.queue !== undefined && asked.queue !== "") {
    if (typeof asked.queue !== "string" || !/^[a-z]{1,12}:[A-Za-z0-9]{1,8}$/.test(asked.queue)) return { ok: false, param: "queue" };
    const queue = await db.queue.findUnique({ where: { id: asked.queue }, select: { id: true, provinceCode: true, communeCode: true } });
    const covered = queue && (officer.scopeKind === "national" || (officer.scopeKind === "province" ? queue.provinceCode === officer.scopeCode : queue.communeCode === officer.scopeCode));
    if (!covered) return { ok: false, param: "queue" };
    filter.queueId = queue.id;
  }
  if (asked.claimedBy !== undefined && asked.claimedBy !== "") {
    if (typeof asked.claimedBy !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(asked.claimedBy)) return { ok: false, param: "claimedBy" };
    if (asked.claimedBy !== officer.id) {
      const commander = officer.role === "commander" || officer.role === "admin";
      if (!commander || !(await officersInScope(db, officer)).some((o) => o.id === asked.claimedBy)) return { ok: false, param: "claimedBy" };
    }
    filter.claimedById = asked.claimedBy;
  }
  return { ok: true, filter };
}
