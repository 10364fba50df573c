import type { Tx } from "../../db/client.ts";
import { hotSqlOf, sqlList } from "../../db/hot.ts";

/** A commune as shown to a resident: its full name and its province's. */
export interface CommuneName {
  code: string;
  /** e.g. "Phường Hoàn Kiếm". */
  name: string;
  provinceCode: string;
  /** e.g. "Thành phố Hà Nội". */
  provinceName: string;
}

/** A province as shown to a resident. */
export interface ProvinceName {
  code: string;
  /** e.g. "Thành phố Hà Nội". */
  name: string;
  /** e.g. "Hà Nội" (the province buttons). */
  shortName: string;
}

/**
 * The communes of `codes` that exist, by code, with their province's name: one statement — a raw
 * one inside the inbox worker's transaction (db/hot.ts), Prisma anywhere else.
 */
export async function communesByCode(tx: Tx, codes: readonly string[]): Promise<Map<string, CommuneName>> {
  const wanted = [...new Set(codes)];
  if (wanted.length === 0) return new Map();
  const hot = hotSqlOf(tx);
  const rows: CommuneName[] = hot
    ? await hot.all<CommuneName>(
        `SELECT c."code", c."name", c."provinceCode", p."name" AS "provinceName" FROM "Commune" c JOIN "Province" p ON p."code" = c."provinceCode" WHERE c."code" IN (${sqlList(wanted.length)})`,
        ...wanted,
      )
    : (await tx.commune.findMany({ where: { code: { in: wanted } }, include: { province: true } })).map((c) => ({
        code: c.code,
        name: c.name,
        provinceCode: c.provinceCode,
        provinceName: c.province.name,
      }));
  return new Map(rows.map((c) => [c.code, c]));
}

/** The provinces of `codes` that exist, by code (as `communesByCode`). */
export async function provincesByCode(tx: Tx, codes: readonly string[]): Promise<Map<string, ProvinceName>> {
  const wanted = [...new Set(codes)];
  if (wanted.length === 0) return new Map();
  const hot = hotSqlOf(tx);
  const rows: ProvinceName[] = hot
    ? await hot.all<ProvinceName>(`SELECT "code", "name", "shortName" FROM "Province" WHERE "code" IN (${sqlList(wanted.length)})`, ...wanted)
    : await tx.province.findMany({ where: { code: { in: wanted } }, select: { code: true, name: true, shortName: true } });
  return new Map(rows.map((p) => [p.code, p]));
}

/** "Phường Hoàn Kiếm, Thành phố Hà Nội". */
export function communeLabel(c: CommuneName): string {
  return `${c.name}, ${c.provinceName}`;
}
