import crypto from "node:crypto";
import fs from "node:fs";
import type { Db } from "./client.ts";
import { fromRoot } from "../paths.ts";

/** The administrative units file shipped in the repo (copied from vn-admin; see its README for licence). */
export const UNITS_FILE = fromRoot("data", "vn-admin", "units.json");

interface UnitsFile {
  provinces: Array<{ code: string; name: string; short_name: string; type: string; name_en: string; aliases?: string[] }>;
  communes: Array<{
    code: string;
    name: string;
    short_name: string;
    type: string;
    province_code: string;
    name_en: string;
    lat: number;
    lng: number;
    aliases?: string[];
  }>;
}

export interface ReferenceLoadResult {
  skipped: boolean;
  provinces: { created: number; updated: number };
  communes: { created: number; updated: number };
}

/**
 * Loads the 34 provinces and 3,321 communes idempotently. A file already loaded (same checksum)
 * is skipped; a newer file inserts new units and updates names in place, never deleting a unit
 * and never changing a code, so every reference to a unit stays valid.
 */
export async function loadReferenceData(db: Db, file = UNITS_FILE): Promise<ReferenceLoadResult> {
  const bytes = fs.readFileSync(file);
  const checksum = crypto.createHash("sha256").update(bytes).digest("hex");
  const name = "vn-admin/units.json";
  const result: ReferenceLoadResult = { skipped: false, provinces: { created: 0, updated: 0 }, communes: { created: 0, updated: 0 } };
  const seen = await db.referenceDataset.findUnique({ where: { name } });
  if (seen?.checksum === checksum) return { ...result, skipped: true };

  const units = JSON.parse(bytes.toString("utf8")) as UnitsFile;
  const provinces = units.provinces.map((p) => ({
    code: p.code,
    name: p.name,
    shortName: p.short_name,
    type: p.type,
    nameEn: p.name_en,
    aliases: JSON.stringify(p.aliases ?? []),
  }));
  const communes = units.communes.map((c) => ({
    code: c.code,
    name: c.name,
    shortName: c.short_name,
    type: c.type,
    provinceCode: c.province_code,
    nameEn: c.name_en,
    aliases: JSON.stringify(c.aliases ?? []),
    lat: c.lat,
    lng: c.lng,
  }));

  await db.$transaction(
    async (tx) => {
      const existingProvinces = new Map((await tx.province.findMany()).map((p) => [p.code, p]));
      const newProvinces = provinces.filter((p) => !existingProvinces.has(p.code));
      if (newProvinces.length) await tx.province.createMany({ data: newProvinces });
      result.provinces.created = newProvinces.length;
      for (const p of provinces) {
        const old = existingProvinces.get(p.code);
        if (old && (old.name !== p.name || old.shortName !== p.shortName || old.type !== p.type || old.nameEn !== p.nameEn || old.aliases !== p.aliases)) {
          await tx.province.update({ where: { code: p.code }, data: p });
          result.provinces.updated++;
        }
      }
      const existingCommunes = new Map((await tx.commune.findMany()).map((c) => [c.code, c]));
      const newCommunes = communes.filter((c) => !existingCommunes.has(c.code));
      for (let i = 0; i < newCommunes.length; i += 100) await tx.commune.createMany({ data: newCommunes.slice(i, i + 100) });
      result.communes.created = newCommunes.length;
      for (const c of communes) {
        const old = existingCommunes.get(c.code);
        if (
          old &&
          (old.name !== c.name || old.shortName !== c.shortName || old.type !== c.type || old.provinceCode !== c.provinceCode ||
            old.nameEn !== c.nameEn || old.aliases !== c.aliases || old.lat !== c.lat || old.lng !== c.lng)
        ) {
          await tx.commune.update({ where: { code: c.code }, data: c });
          result.communes.updated++;
        }
      }
      await tx.referenceDataset.upsert({ where: { name }, create: { name, checksum }, update: { checksum, loadedAt: new Date() } });
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
  return result;
}
