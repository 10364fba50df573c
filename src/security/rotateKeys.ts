import type { Db } from "../db/client.ts";
import { parseSchemaModels, type SchemaModel } from "../db/schemaModels.ts";
import { SEAL_CONTEXTS, SEALED_VALUE, sealedColumn } from "./sealedColumns.ts";
import type { Sealer } from "./sealing.ts";

/** Rows read per query while scanning a column. */
export const KEY_SCAN_BATCH = 500;

/** What one column holds (and, when rotating, what was done to it). */
export interface SealedColumnReport {
  column: string;
  /** Sealed values per key id. */
  byKey: Record<string, number>;
  /** Not in SEALED_COLUMNS: found by the scan of every text column. */
  unlisted: boolean;
  /** Values re-sealed with the current key (rotation only). */
  resealed: number;
  /** Values that could not be opened with the configured keys and known contexts (left as they are). */
  failed: number;
  /** Rows changed by the service while being rotated (left for the next run). */
  skipped: number;
}

/** A scan (or rotation) of every sealed value in the database. */
export interface SealedScanReport {
  currentKeyId: string;
  columns: SealedColumnReport[];
  /** Sealed values per key id, over all columns (after rotation, when rotating). */
  totals: Record<string, number>;
}

type Delegate = {
  findMany(args: unknown): Promise<Array<Record<string, unknown>>>;
  updateMany(args: unknown): Promise<{ count: number }>;
};

function delegate(db: Db, model: string): Delegate {
  return (db as unknown as Record<string, Delegate>)[model[0]!.toLowerCase() + model.slice(1)]!;
}

/** Every text column of the schema (the sealed ones listed first), with its model. */
function textColumns(models: SchemaModel[]): Array<{ model: SchemaModel; field: string }> {
  const out: Array<{ model: SchemaModel; field: string }> = [];
  for (const model of models) {
    for (const f of model.fields) if (f.type === "String" && !f.isId && model.idField) out.push({ model, field: f.name });
  }
  return out.sort((a, b) => Number(!sealedColumn(a.model.name, a.field)) - Number(!sealedColumn(b.model.name, b.field)));
}

/**
 * Reads every sealed value in the database, in batches, and counts them per key; with `rotate`,
 * re-seals each value not sealed with the current key (same context) and writes it back only if the
 * row still holds what was read (the running service may change rows meanwhile: those are left for
 * the next run). Idempotent: a second run re-seals nothing. Every text column of the schema is
 * scanned, so sealed values in a column missing from SEALED_COLUMNS are found too (reported as unlisted).
 */
export async function scanSealedValues(db: Db, sealer: Sealer, opts: { rotate?: boolean; models?: SchemaModel[] } = {}): Promise<SealedScanReport> {
  const models = opts.models ?? parseSchemaModels();
  const current = sealer.currentKeyId;
  const columns: SealedColumnReport[] = [];
  const totals: Record<string, number> = {};
  for (const { model, field } of textColumns(models)) {
    const listed = sealedColumn(model.name, field);
    const contexts = [...(listed?.contexts ?? []), ...SEAL_CONTEXTS.filter((c) => !listed?.contexts.includes(c))];
    const report: SealedColumnReport = { column: `${model.name}.${field}`, byKey: {}, unlisted: !listed, resealed: 0, failed: 0, skipped: 0 };
    const table = delegate(db, model.name);
    const keepUpdatedAt = model.fields.some((f) => f.name === "updatedAt");
    const id = model.idField;
    let after: unknown;
    for (;;) {
      const rows = await table.findMany({
        where: { [field]: { contains: "v1." }, ...(after === undefined ? {} : { [id]: { gt: after } }) },
        select: { [id]: true, [field]: true, ...(keepUpdatedAt ? { updatedAt: true } : {}) },
        orderBy: { [id]: "asc" },
        take: KEY_SCAN_BATCH,
      });
      for (const row of rows) {
        const value = row[field] as string;
        // Counted per row, so a row left unchanged (changed meanwhile) is counted under its old keys.
        const before: string[] = [];
        const afterKeys: string[] = [];
        let resealed = 0;
        const next = value.replace(SEALED_VALUE, (sealed) => {
          const kid = sealed.split(".")[1]!;
          before.push(kid);
          if (!opts.rotate || kid === current) {
            afterKeys.push(kid);
            return sealed;
          }
          for (const context of contexts) {
            let plain: string;
            try {
              plain = sealer.open(sealed, context);
            } catch {
              continue;
            }
            resealed++;
            afterKeys.push(current);
            return sealer.seal(plain, context);
          }
          report.failed++;
          afterKeys.push(kid);
          return sealed;
        });
        let kept = afterKeys;
        if (resealed) {
          const { count } = await table.updateMany({
            where: { [id]: row[id], [field]: value },
            data: { [field]: next, ...(keepUpdatedAt ? { updatedAt: row.updatedAt } : {}) },
          });
          if (count === 1) report.resealed += resealed;
          else {
            report.skipped++;
            kept = before;
          }
        }
        for (const kid of kept) report.byKey[kid] = (report.byKey[kid] ?? 0) + 1;
      }
      if (rows.length < KEY_SCAN_BATCH) break;
      after = rows[rows.length - 1]![id];
    }
    if (Object.keys(report.byKey).length || listed) {
      columns.push(report);
      for (const [kid, n] of Object.entries(report.byKey)) totals[kid] = (totals[kid] ?? 0) + n;
    }
  }
  return { currentKeyId: current, columns, totals };
}
