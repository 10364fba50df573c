import { describe, expect, it } from "vitest";
import { createTranslator, readLocaleFiles } from "../src/i18n.ts";

function keys(obj: unknown, prefix = ""): string[] {
  if (typeof obj !== "object" || obj === null) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe("translations", () => {
  const resources = readLocaleFiles();

  it("English has every Vietnamese key, and no empty text", () => {
    for (const ns of Object.keys(resources.vi!)) {
      const vi = keys(resources.vi![ns]);
      const en = keys(resources.en?.[ns]);
      expect(en.sort(), `namespace ${ns}`).toEqual(vi.sort());
    }
    for (const lang of ["vi", "en"]) {
      for (const ns of Object.keys(resources[lang]!)) {
        const flat = keys(resources[lang]![ns]);
        for (const k of flat) {
          const value = k.split(".").reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], resources[lang]![ns]);
          expect(typeof value === "string" && value.trim().length > 0, `${lang}:${ns}:${k}`).toBe(true);
        }
      }
    }
  });

  it("Khmer falls back to Vietnamese where it has no translation", () => {
    const { t } = createTranslator();
    expect(t("km", "menu.prompt")).toBe(t("vi", "menu.prompt"));
    expect(t("km", "language.name.km")).toBe("ភាសាខ្មែរ (Khmer)");
    expect(t("xx", "menu.prompt")).toBe("Bạn muốn làm gì?");
  });

  it("Vietnamese texts are written with their diacritics", () => {
    const { t } = createTranslator();
    expect(t("vi", "emergency.text")).toContain("Cứu hỏa");
    expect(t("vi", "greeting.new")).toContain("người dân báo tin về tội phạm");
  });
});

describe("an officer without a display name", () => {
  it("is named in the group's language, never with text fixed in code", async () => {
    const { officerLabel, officerName } = await import("../src/core/officers/authorize.ts");
    const { resolveParams } = await import("../src/channels/compose.ts");
    const { t } = createTranslator();
    const officer = { id: "cm1234567890ABCDE", displayName: null };
    expect(resolveParams(t, "vi", { officer: officerName(officer) })).toEqual({ officer: "Cán bộ ABCDE" });
    expect(resolveParams(t, "en", { officer: officerName(officer) })).toEqual({ officer: "Officer ABCDE" });
    expect(officerLabel(officer, (key, params) => t("en", key, params))).toBe("Officer ABCDE");
    expect(officerName({ ...officer, displayName: "Thiếu úy Lan" })).toBe("Thiếu úy Lan");
  });
});
