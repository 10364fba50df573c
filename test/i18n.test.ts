import { describe, expect, it } from "vitest";
import type { Resource } from "i18next";
import { Keywords } from "../src/core/resident/keywords.ts";
import { createTranslator, readLocaleFiles } from "../src/i18n.ts";

/** Every leaf of a namespace as `path → value` ("menu.prompt" → "Bạn muốn làm gì?"). */
function leaves(obj: unknown, prefix = ""): Map<string, unknown> {
  if (typeof obj !== "object" || obj === null) return new Map([[prefix, obj]]);
  return new Map(Object.entries(obj).flatMap(([k, v]) => [...leaves(v, prefix ? `${prefix}.${k}` : k)]));
}

/** The i18next placeholders of a text, sorted: {{code}}, nested $t(...). */
function placeholders(text: string): string[] {
  return (text.match(/\{\{\s*[^}]+?\s*\}\}|\$t\([^)]*\)/g) ?? []).map((p) => p.replace(/\s+/g, "")).sort();
}

/** Letters only Vietnamese writes (diacritics and đ): a km text equal to a vi text with one of them is a copy. */
const VIETNAMESE_LETTER = /[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]/i;
const KHMER = /[\u1780-\u17FF]/;
/** Proper names written the same in every language (the product's name, each language's own name). */
const SAME_IN_EVERY_LANGUAGE = new Set(["common:language.name.vi", "common:language.name.en", "common:language.name.km", "web:page.bot"]);

/**
 * What is wrong with the translations, one line per problem: a vi key missing in en or km (or a key
 * they have that vi has not), an empty text, a placeholder set that differs from vi's, a km text
 * copied from vi, a km text with words but no Khmer script.
 */
function translationProblems(resources: Resource): string[] {
  const problems: string[] = [];
  const vi = resources.vi ?? {};
  for (const lang of ["en", "km"]) {
    const target = resources[lang] ?? {};
    for (const ns of new Set([...Object.keys(vi), ...Object.keys(target)])) {
      const source = leaves(vi[ns] ?? {});
      const translated = leaves(target[ns] ?? {});
      for (const key of source.keys()) if (!translated.has(key)) problems.push(`${lang}:${ns}:${key} missing`);
      for (const key of translated.keys()) if (!source.has(key)) problems.push(`${lang}:${ns}:${key} not in vi`);
      for (const [key, value] of translated) {
        const id = `${lang}:${ns}:${key}`;
        if (typeof value !== "string" || value.trim() === "") {
          problems.push(`${id} empty`);
          continue;
        }
        const original = source.get(key);
        if (typeof original !== "string") continue;
        if (placeholders(original).join() !== placeholders(value).join()) {
          problems.push(`${id} placeholders ${placeholders(value).join(" ")} ≠ vi ${placeholders(original).join(" ")}`);
        }
        if (lang !== "km" || SAME_IN_EVERY_LANGUAGE.has(`${ns}:${key}`)) continue;
        if (value === original && VIETNAMESE_LETTER.test(original)) problems.push(`${id} copied from vi`);
        else if (/\p{L}/u.test(value.replace(/\{\{[^}]*\}\}/g, "")) && !KHMER.test(value)) problems.push(`${id} not Khmer`);
      }
    }
  }
  for (const [ns, tree] of Object.entries(vi)) {
    for (const [key, value] of leaves(tree)) if (typeof value !== "string" || value.trim() === "") problems.push(`vi:${ns}:${key} empty`);
  }
  return problems;
}

describe("translations", () => {
  const resources = readLocaleFiles();

  it("English and Khmer have every Vietnamese key, none empty, the same placeholders, Khmer never a copy", () => {
    expect(translationProblems(resources)).toEqual([]);
  });

  it("the check finds each kind of problem", () => {
    const broken: Resource = {
      vi: { common: { a: "Xin chào {{name}}", b: "Bạn muốn làm gì?", c: "Đổi ngôn ngữ", d: "menu", e: "Gửi {{n}} tin" } },
      en: { common: { a: "Hello {{name}}", b: "What would you like to do?", c: "", d: "menu", e: "Send {{count}} messages", extra: "x" } },
      km: { common: { a: "សួស្ដី {{name}}", b: "Bạn muốn làm gì?", c: "Change language", e: "ផ្ញើ {{n}} សារ" } },
    };
    expect(translationProblems(broken).sort()).toEqual(
      [
        "en:common:c empty",
        "en:common:e placeholders {{count}} ≠ vi {{n}}",
        "en:common:extra not in vi",
        "km:common:b copied from vi",
        "km:common:c not Khmer",
        "km:common:d missing",
      ].sort(),
    );
  });

  it("Khmer texts are written in Khmer", () => {
    const { t } = createTranslator();
    for (const key of ["menu.prompt", "language.chosen", "help.text", "tip:menu.report", "tip:receipt.text", "qa:menu.ask", "web:page.title", "officer:card.header_new"]) {
      expect(t("km", key), key).toMatch(KHMER);
      expect(t("km", key), key).not.toBe(t("vi", key));
    }
    expect(t("km", "menu.prompt")).toBe("តើលោកអ្នកចង់ធ្វើអ្វី?");
    expect(t("km", "language.chosen")).not.toMatch(/tiếng Việt/i);
    expect(t("km", "tip:receipt.text", { unit: "Công an phường Sóc Trăng", code: "TM-7K3M9Q", pin: "951744" })).toMatch(/TM-7K3M9Q[\s\S]*951744/);
    expect(t("km", "language.name.km")).toBe("ភាសាខ្មែរ (Khmer)");
    expect(t("xx", "menu.prompt")).toBe("Bạn muốn làm gì?");
  });

  it("the Khmer words the help text tells residents to type are understood", () => {
    const { t } = createTranslator();
    const keywords = new Keywords(t);
    const quoted = [...t("km", "help.text").matchAll(/«([^»]+)»/g)].map((m) => m[1]!);
    expect(quoted.filter((w) => KHMER.test(w)).length).toBeGreaterThanOrEqual(3);
    for (const word of quoted) expect(keywords.match(word), word).toBeDefined();
    expect(keywords.match("ម៉ឺនុយ")).toBe("menu");
    expect(keywords.match("បន្ទាន់")).toBe("emergency");
    expect(keywords.match("ភាសា")).toBe("language");
    expect(keywords.match("ជំនួយ")).toBe("help");
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
