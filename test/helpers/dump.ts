import type { Db } from "../../src/db/client.ts";
import { providerOf } from "../../src/db/client.ts";

/** One row of one table, every column as text (bytes as latin-1, dates as ISO, null as null). */
export interface DumpedRow {
  table: string;
  /** Primary key column(s) joined with "|". */
  pk: string;
  cells: Record<string, string | null>;
}

/** Every table of the database, with its columns' types and primary key, read from the catalogue. */
export interface DumpedTable {
  name: string;
  primaryKey: string[];
  rows: DumpedRow[];
}

const text = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("latin1");
  if (typeof v === "object") return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x));
  return String(v);
};

/**
 * Reads EVERY table and EVERY column of the database, whatever the schema says (tables listed from
 * sqlite_master / information_schema), so checks over the dump cover tables added later.
 */
export async function dumpDatabase(db: Db, databaseUrl: string): Promise<DumpedTable[]> {
  const pg = providerOf(databaseUrl) === "postgresql";
  const names = pg
    ? (await db.$queryRawUnsafe<Array<{ name: string }>>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)).map((r) => r.name)
    : (await db.$queryRawUnsafe<Array<{ name: string }>>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)).map((r) => r.name);
  const tables: DumpedTable[] = [];
  for (const name of names.sort()) {
    const primaryKey = pg
      ? (
          await db.$queryRawUnsafe<Array<{ col: string }>>(
            `SELECT kcu.column_name AS col FROM information_schema.table_constraints tc
               JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
             WHERE tc.table_schema = current_schema() AND tc.table_name = $1 AND tc.constraint_type = 'PRIMARY KEY' ORDER BY kcu.ordinal_position`,
            name,
          )
        ).map((r) => r.col)
      : (await db.$queryRawUnsafe<Array<{ col: string }>>(`SELECT name AS col FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, name)).map((r) => r.col);
    const raw = await db.$queryRawUnsafe<Array<Record<string, unknown>>>(`SELECT * FROM "${name.replace(/"/g, '""')}"`);
    const rows = raw.map((r): DumpedRow => {
      const cells: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(r)) cells[k] = text(v);
      return { table: name, pk: primaryKey.map((c) => cells[c] ?? "").join("|"), cells };
    });
    tables.push({ name, primaryKey, rows });
  }
  return tables;
}

/** The whole dump as one text (every table, row and column), e.g. to look for a secret anywhere. */
export function dumpText(tables: DumpedTable[]): string {
  return tables.map((t) => t.rows.map((r) => `${t.name} ${JSON.stringify(r.cells)}`).join("\n")).join("\n");
}
