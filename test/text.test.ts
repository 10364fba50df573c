import { describe, expect, it } from "vitest";
import { isControlWord } from "../src/core/resident/controlWords.ts";
import { Keywords } from "../src/core/resident/keywords.ts";
import { dataRequestIntent } from "../src/core/privacy/dataRequests.ts";
import { createTranslator } from "../src/i18n.ts";
import { fold, foldedWords, listKeys, marksCompatible, toneKey, typedKey } from "../src/core/text.ts";

describe("shared Vietnamese text helpers", () => {
  it("fold ignores case, diacritics, đ, tone-mark placement and composed/decomposed input", () => {
    expect(fold("  Khẩn   Cấp ")).toBe("khan cap");
    expect(fold("ĐÀ NẴNG")).toBe("da nang");
    expect(fold("Hoà")).toBe(fold("Hòa"));
    expect(fold("Thuỷ".normalize("NFD"))).toBe(fold("Thủy"));
    expect(fold("Ea H’Leo")).toBe("ea h'leo");
  });

  it("typedKey drops trailing punctuation the same way for every word list", () => {
    for (const typed of ["Huỷ!", "hủy…", "HUY.", "huy,", "huy ?!"]) expect(typedKey(typed)).toBe("huy");
    expect(listKeys("huỷ|hủy| |Cancel!|/cancel")).toEqual(["huy", "huy", "cancel", "/cancel"]);
  });

  it("control words, keywords and data-request phrases accept the same typed variants", () => {
    const { t } = createTranslator();
    const keywords = new Keywords(t);
    for (const suffix of ["", "!", "?", "…", ".", ",", ";", ":"]) {
      expect(isControlWord("cancel", `Huỷ${suffix}`), suffix).toBe(true);
      expect(keywords.matchExact(`Trợ giúp${suffix}`), suffix).toBe("help");
      expect(dataRequestIntent(`Xoá dữ liệu của tôi${suffix}`), suffix).toBe("delete");
    }
    expect(isControlWord("cancel", "huỷ bỏ đơn")).toBe(false);
  });

  it("toneKey keeps the marks but not where the tone mark sits", () => {
    expect(toneKey("Hoà Bình")).toBe(toneKey("Hòa Bình"));
    expect(toneKey("Thuỷ")).toBe(toneKey("Thủy"));
    expect(toneKey("Thành")).not.toBe(toneKey("Thạnh"));
    expect(marksCompatible(toneKey("Tân Thanh"), toneKey("Tân Thạnh"))).toBe(true);
    expect(marksCompatible(toneKey("Tan Thạnh"), toneKey("Tân Thành"))).toBe(false);
  });

  it("foldedWords keeps letters and digits of Latin script only", () => {
    expect(foldedWords("Bị lừa 5 triệu, phải làm gì?")).toEqual(["bi", "lua", "5", "trieu", "phai", "lam", "gi"]);
    expect(foldedWords("ខ្ញុំ bị lừa")).toEqual(["bi", "lua"]);
  });
});
