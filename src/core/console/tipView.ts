import type { Db, Tx } from "../../db/client.ts";
import { roleAllows, type ActionId } from "../actions/catalog.ts";
import { TIP_ACTIONS } from "../actions/table.ts";
import { computeDeadlines, deadlineStatus, type DeadlineStatus, type TipExtension } from "../deadlines/tipDeadlines.ts";
import { recordRefusal, scopeCovers, type OfficerRecord } from "../officers/authorize.ts";
import { isAwaitingTipster } from "../tips/awaiting.ts";
import { historyLines, type HistoryLine } from "../tips/history.ts";
import { checkMove } from "../tips/tipStates.ts";

/** A tip id as the console's links carry it (cuid; anything else is refused before any query). */
export const TIP_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** One message of the relay thread between the unit and the tipster (the tipster is never named). */
export interface RelayLine {
  /** to_tipster: an officer's question; from_tipster: the tipster's answer; addition: information the tipster added. */
  direction: string;
  text: string;
  at: Date;
  /** The officer who asked (their display name or short id), for questions. */
  officer: string | null;
}

/**
 * A tip as the console's tip page shows it: content, place, legal clock, relay thread, notes,
 * history and the actions this person may take now. Never the tipster's identity, contact or chat
 * (the sealed fields are not read here; the contact is opened only by the audited command).
 */
export interface TipView {
  id: string;
  code: string;
  category: string;
  lifeSafety: boolean;
  priority: string;
  status: string;
  classification: string | null;
  duplicateOf: string | null;
  outcome: string | null;
  channel: string;
  identityMode: string;
  unit: { id: string; name: string };
  holder: string | null;
  receivedAt: Date;
  claimedAt: Date | null;
  closedAt: Date | null;
  place: { commune: string | null; province: string | null; text: string | null; latitude: number | null; longitude: number | null };
  /** A code of WHEN_CODES, or the tipster's own words. */
  occurredWhen: string;
  description: string;
  details: { text?: string; phones?: string[]; accounts?: string[]; links?: string[] };
  attachments: Array<{ id: number; kind: string; caption: string | null; at: Date }>;
  clock: {
    receiptNoticeDue: Date;
    receiptNoticeSentAt: Date | null;
    decisionDue: Date;
    extension: string;
    extensionRequestBy: Date | null;
    /** Pending deadlines with their state (approaching: at risk; overdue: breached); none once closed. */
    pending: DeadlineStatus[];
  };
  relay: RelayLine[];
  notes: Array<{ text: string; at: Date; officer: string }>;
  history: HistoryLine[];
  /** A question to the tipster is still unanswered. */
  awaiting: boolean;
  /** The actions the action table allows this person on this tip in its state, in the table's order. */
  actions: ActionId[];
}

/** The result of opening a tip: the view, no such tip, or a tip outside the person's scope (refusal audited). */
export type TipViewResult = { ok: true; view: TipView } | { ok: false; reason: "not_found" | "scope" };

const shortName = (o: { displayName: string | null; id: string }) => o.displayName ?? o.id.slice(-5);

/**
 * The actions the action table allows `officer` on a tip now: their role (catalog), the tip's state
 * and who holds it (the transition table), and the action's own conditions (a question only to an
 * open tip; the contact only of a confidential tipster whose contact is still sealed). The command
 * checks all of it again when the action is run.
 */
export function allowedActions(officer: Pick<OfficerRecord, "id" | "role" | "revokedAt">, tip: { status: string; claimedById: string | null; identityMode: string; contactSealed: boolean; lifeSafety: boolean }): ActionId[] {
  if (officer.revokedAt) return [];
  const commander = officer.role === "commander" || officer.role === "admin";
  const facts = { status: tip.status, lifeSafety: tip.lifeSafety, identityMode: tip.identityMode };
  return TIP_ACTIONS.filter((a) => {
    if (!roleAllows(officer.role, a.id)) return false;
    if (checkMove(a.move, tip.status, { holder: tip.claimedById === officer.id, commander })) return false;
    if (a.id === "tip.open_contact") return tip.identityMode === "confidential" && tip.contactSealed;
    if (a.ask.kind === "prompt" && a.ask.prompt.allowed && !a.ask.prompt.allowed(facts)) return false;
    return true;
  }).map((a) => a.id);
}

/** Records a refused look at a tip outside the person's scope (`auth.refused`, action `console.tip`, reason `scope`). */
export async function refuseTipView(tx: Tx, officer: Pick<OfficerRecord, "id">, tipId: string): Promise<void> {
  await recordRefusal(tx, { tipId, actor: `officer:${officer.id}`, action: "console.tip", reason: "scope" });
}

/**
 * Reads a tip for the console's tip page, if the person's scope covers the unit now handling it.
 * Read-only (the caller records a scope refusal with `refuseTipView`); the caller has checked the
 * person's role (`mayViewQueue`).
 */
export async function loadTipView(db: Db | Tx, officer: OfficerRecord, tipId: string, now = new Date()): Promise<TipViewResult> {
  if (!TIP_ID.test(tipId)) return { ok: false, reason: "not_found" };
  const tip = await db.tip.findUnique({
    where: { id: tipId },
    include: {
      queue: true,
      claimedBy: { select: { id: true, displayName: true } },
      attachments: { orderBy: { id: "asc" }, select: { id: true, kind: true, caption: true, createdAt: true } },
      relays: { orderBy: { id: "asc" } },
      notes: { orderBy: { id: "asc" }, include: { officer: { select: { id: true, displayName: true } } } },
    },
  });
  if (!tip) return { ok: false, reason: "not_found" };
  if (!scopeCovers(officer, tip.queue)) return { ok: false, reason: "scope" };

  const commune = tip.communeCode ? await db.commune.findUnique({ where: { code: tip.communeCode }, select: { name: true } }) : null;
  const province = await db.province.findUnique({ where: { code: tip.provinceCode }, select: { name: true } });
  const askers = [...new Set(tip.relays.map((r) => r.officerId).filter((id): id is string => !!id))];
  const officers = new Map((await db.officer.findMany({ where: { id: { in: askers } }, select: { id: true, displayName: true } })).map((o) => [o.id, shortName(o)]));
  const deadlines = computeDeadlines({ receivedAt: tip.receivedAt, extension: tip.extension as TipExtension });
  let details: TipView["details"] = {};
  try {
    const parsed = JSON.parse(tip.details) as unknown;
    if (parsed && typeof parsed === "object") details = parsed as TipView["details"];
  } catch {
    details = {};
  }
  const view: TipView = {
    id: tip.id,
    code: tip.code,
    category: tip.category,
    lifeSafety: tip.lifeSafety,
    priority: tip.priority,
    status: tip.status,
    classification: tip.classification,
    duplicateOf: tip.duplicateOf,
    outcome: tip.outcome,
    channel: tip.channel,
    identityMode: tip.identityMode,
    unit: { id: tip.queue.id, name: tip.queue.name },
    holder: tip.claimedBy ? shortName(tip.claimedBy) : null,
    receivedAt: tip.receivedAt,
    claimedAt: tip.claimedAt,
    closedAt: tip.closedAt,
    place: { commune: commune?.name ?? null, province: province?.name ?? null, text: tip.placeText, latitude: tip.latitude, longitude: tip.longitude },
    occurredWhen: tip.occurredWhen,
    description: tip.description,
    details,
    attachments: tip.attachments.map((a) => ({ id: a.id, kind: a.kind, caption: a.caption, at: a.createdAt })),
    clock: {
      receiptNoticeDue: tip.receiptNoticeDueAt ?? deadlines.receiptNoticeDue,
      receiptNoticeSentAt: tip.receiptNoticeSentAt,
      decisionDue: deadlines.decisionDue,
      extension: tip.extension,
      extensionRequestBy: deadlines.extensionRequestBy,
      pending: tip.status === "closed" ? [] : deadlineStatus(deadlines, now, { receiptNoticeSentAt: tip.receiptNoticeSentAt }),
    },
    relay: tip.relays.map((r) => ({ direction: r.direction, text: r.text, at: r.createdAt, officer: r.officerId ? (officers.get(r.officerId) ?? null) : null })),
    notes: tip.notes.map((n) => ({ text: n.text, at: n.createdAt, officer: shortName(n.officer) })),
    history: await historyLines(db, tip),
    awaiting: isAwaitingTipster(tip),
    actions: allowedActions(officer, { status: tip.status, claimedById: tip.claimedById, identityMode: tip.identityMode, contactSealed: !!tip.contactSealed, lifeSafety: tip.lifeSafety }),
  };
  return { ok: true, view };
}

/** The attachment `attachmentId` of a tip the person's scope covers, with the ref its channel knows it by (never shown). */
export async function tipAttachment(db: Db | Tx, officer: OfficerRecord, tipId: string, attachmentId: number): Promise<{ ok: true; kind: string; ref: string } | { ok: false; reason: "not_found" | "scope" }> {
  if (!TIP_ID.test(tipId) || !Number.isSafeInteger(attachmentId) || attachmentId < 1) return { ok: false, reason: "not_found" };
  const file = await db.tipAttachment.findFirst({ where: { id: attachmentId, tipId }, include: { tip: { select: { queue: { select: { provinceCode: true, communeCode: true } } } } } });
  if (!file) return { ok: false, reason: "not_found" };
  if (!scopeCovers(officer, file.tip.queue)) return { ok: false, reason: "scope" };
  return { ok: true, kind: file.kind, ref: file.ref };
}
