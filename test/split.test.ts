import { describe, expect, it } from "vitest";
import { splitText } from "../src/outbox/split.ts";

describe("splitting long texts for the platforms", () => {
  it("leaves a text within the limit alone", () => {
    expect(splitText("Xin chào", 4096)).toEqual(["Xin chào"]);
    expect(splitText("", 4096)).toEqual([""]);
  });

  it("prefers paragraph, then line, then sentence, then word boundaries", () => {
    const para = "a".repeat(50) + "\n\n" + "b".repeat(50);
    expect(splitText(para, 80)).toEqual(["a".repeat(50), "b".repeat(50)]);
    const lines = "a".repeat(50) + "\n" + "b".repeat(50);
    expect(splitText(lines, 80)).toEqual(["a".repeat(50), "b".repeat(50)]);
    const sentences = "Câu thứ nhất rất dài về pháp luật. Câu thứ hai cũng dài không kém gì câu đầu.";
    expect(splitText(sentences, 50)).toEqual(["Câu thứ nhất rất dài về pháp luật.", "Câu thứ hai cũng dài không kém gì câu đầu."]);
    const words = "một hai ba bốn năm sáu bảy tám chín mười mười một mười hai";
    for (const part of splitText(words, 20)) {
      expect(part.length).toBeLessThanOrEqual(20);
      expect(part).not.toMatch(/^\s|\s$/);
    }
    expect(splitText(words, 20).join(" ")).toBe(words);
  });

  it("cuts a text with no boundary at the limit, never inside a surrogate pair", () => {
    const emoji = "😀".repeat(30); // 60 UTF-16 units
    const parts = splitText(emoji, 25);
    expect(parts.every((p) => p.length <= 25)).toBe(true);
    expect(parts.join("")).toBe(emoji);
    expect(parts.every((p) => !/[\ud800-\udbff]$/.test(p))).toBe(true);
  });

  it("keeps every character of a long Vietnamese text, each part within the limit", () => {
    const text = Array.from({ length: 200 }, (_, i) => `Điều ${i + 1}. Người tố giác tội phạm được giữ bí mật danh tính.`).join("\n");
    const parts = splitText(text, 4096);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.every((p) => p.length <= 4096)).toBe(true);
    expect(parts.join("\n")).toBe(text);
  });
});
