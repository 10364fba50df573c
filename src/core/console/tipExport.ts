import type { Db, Prisma, Tx } from "../../db/client.ts";
import { recordEvent } from "../events/recordEvent.ts";
import type { OfficerRecord } from "../officers/authorize.ts";
import { vnParts } from "../vnTime.ts";
import { LIST_ORDER, afterCursor, andWhere, type ListCursor } from "./tipFilter.ts";

/**
 * The CSV export of a filtered tip list: one row per tip, read in keyset pages so a million rows
 * never sit in memory. Columns hold the tip's handling and legal clock only — never the tipster's
 * identity, contact, chat, place text or coordinates, nor the description (free text that can name
 * or identify the tipster).
 */

/** The export's columns, in order (their headers are translated: `console_tips:csv.<column>`). */
export const EXPORT_COLUMNS = [
  "code",
  "received",
  "category",
  "life_safety",
  "priority",
  "status",
  "unit",
  "commune",
  "province",
  "channel",
  "claimed_at",
  "closed_at",
  "outcome",
  "classification",
  "receipt_notice_due",
  "receipt_notice_sent",
  "decision_due",
  "extension",
] as const;

/** Tips read per database query while exporting. */
export const EXPORT_BATCH = 1_000;

/**
 * A cell a spreadsheet will not run as a formula: text starting with `=`, `+`, `-`, `@`, a tab or
 * a carriage return gets a leading apostrophe (OWASP's CSV injection advice).
 */
export const safeCell = (value: string): string => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

const pad = (n: number) => String(n).padStart(2, "0");
/** "2026-11-22 08:05": an instant in Vietnam's time, sortable. */
export function vnStamp(at: Date | null): string {
  if (!at) return "";
  const p = vnParts(at);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** Names of the units, communes and provinces, read once per export. */
export interface ExportNames {
  queues: Map<string, string>;
  communes: Map<string, string>;
  provinces: Map<string, string>;
}

/** Loads the names an export writes (a few thousand small rows). */
export async function exportNames(db: Db | Tx): Promise<ExportNames> {
  const [queues, communes, provinces] = await Promise.all([
    db.queue.findMany({ select: { id: true, name: true } }),
    db.commune.findMany({ select: { code: true, name: true } }),
    db.province.findMany({ select: { code: true, name: true } }),
  ]);
  return {
    queues: new Map(queues.map((q) => [q.id, q.name])),
    communes: new Map(communes.map((c) => [c.code, c.name])),
    provinces: new Map(provinces.map((p) => [p.code, p.name])),
  };
}

const SELECT = {
  id: true,
  code: true,
  receivedAt: true,
  category: true,
  lifeSafety: true,
  priority: true,
  status: true,
  queueId: true,
  communeCode: true,
  provinceCode: true,
  channel: true,
  claimedAt: true,
  closedAt: true,
  outcome: true,
  classification: true,
  receiptNoticeDueAt: true,
  receiptNoticeSentAt: true,
  decisionDueAt: true,
  extension: true,
} as const satisfies Prisma.TipSelect;

/**
 * The export's rows (cells already injection-safe), a batch at a time, newest first: each batch is
 * one keyset query, so memory holds one batch whatever the total. The consumer pulls (a stream
 * with back-pressure).
 */
export async function* exportBatches(db: Db | Tx, where: Prisma.TipWhereInput, names: ExportNames, batch = EXPORT_BATCH): AsyncGenerator<string[][]> {
  let cursor: ListCursor | undefined;
  for (;;) {
    const tips = await db.tip.findMany({ where: andWhere(where, afterCursor(cursor)), orderBy: LIST_ORDER, take: batch, select: SELECT });
    if (tips.length === 0) return;
    yield tips.map((tip) =>
      [
        tip.code,
        vnStamp(tip.receivedAt),
        tip.category,
        tip.lifeSafety ? "1" : "0",
        tip.priority,
        tip.status,
        names.queues.get(tip.queueId) ?? tip.queueId,
        tip.communeCode ? (names.communes.get(tip.communeCode) ?? tip.communeCode) : "",
        names.provinces.get(tip.provinceCode) ?? tip.provinceCode,
        tip.channel,
        vnStamp(tip.claimedAt),
        vnStamp(tip.closedAt),
        tip.outcome ?? "",
        tip.classification ?? "",
        vnStamp(tip.receiptNoticeDueAt),
        vnStamp(tip.receiptNoticeSentAt),
        vnStamp(tip.decisionDueAt),
        tip.extension,
      ].map(safeCell),
    );
    if (tips.length < batch) return;
    const last = tips.at(-1)!;
    cursor = { at: last.receivedAt, id: last.id };
  }
}

/**
 * Records an export (`console.export`): who, the filter (its canonical query string), how many rows
 * were written and whether the download finished (a client that hung up leaves `complete: false`).
 */
export async function recordExport(tx: Tx, officer: Pick<OfficerRecord, "id" | "role" | "scopeKind" | "scopeCode">, props: { query: string; rows: number; complete: boolean }): Promise<void> {
  await recordEvent(tx, {
    action: "console.export",
    actor: { kind: "officer", officerId: officer.id },
    data: { filter: props.query, rows: props.rows, complete: props.complete, role: officer.role, scope: `${officer.scopeKind}:${officer.scopeCode}` },
  });
}
