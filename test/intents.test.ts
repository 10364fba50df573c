import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { loadIntentReader, pastedCode, type Intent } from "../src/core/resident/intents.ts";
import { createTranslator } from "../src/i18n.ts";

const reader = loadIntentReader(createTranslator().t);
const labelled = JSON.parse(fs.readFileSync(new URL("./intents-eval/messages.json", import.meta.url), "utf8")) as Array<{ id: number; text: string; intent: Intent }>;

describe("reading free text", () => {
  it("names of actions, with or without diacritics, emoji or polite words, decide the action", () => {
    const cases: Array<[string, Intent]> = [
      ["báo tin", "report"],
      ["toi muon bao tin", "report"],
      ["Báo tin tội phạm", "report"],
      ["tố giác", "report"],
      ["trình báo", "report"],
      ["report", "report"],
      ["hỏi đáp", "ask"],
      ["hoi dap phap luat", "ask"],
      ["tra cứu", "lookup"],
      ["check my report", "lookup"],
      ["khẩn cấp", "emergency"],
      ["đăng ký nhận tin", "subscribe"],
      ["ភាសាខ្មែរ", "language"],
    ];
    for (const [text, intent] of cases) expect(reader.read(text).intent, text).toBe(intent);
    expect(reader.read("báo tin")).toMatchObject({ bare: true });
  });

  it("an incident is a report and keeps its words; a question is a question", () => {
    expect(reader.read("co nguoi ban ma tuy o hem 12 moi toi")).toEqual({ intent: "report", bare: false });
    expect(reader.read("bi lua dao qua mang thi lam sao")).toMatchObject({ intent: "ask", bare: false });
    expect(reader.read("I was scammed online, they took 20 million").intent).toBe("report");
  });

  it("finds a pasted code and PIN whatever the separator", () => {
    for (const text of ["TM-W3Y2FK 951744", "tm-w3y2fk/951744", "mã TM W3Y2FK pin 951 744", "TM–W3Y2FK#951744", "my code is TM-W3Y2FK and the pin is 951744"]) {
      expect(pastedCode(text), text).toEqual({ code: "TM-W3Y2FK", pin: "951744" });
    }
    expect(pastedCode("TM-W3Y2FK")).toEqual({ code: "TM-W3Y2FK", pin: undefined });
    expect(pastedCode("TM-W3Y2F1 951744")).toBeUndefined(); // 1 is not in the code alphabet
  });

  it("no incident, question, look-up or emergency of the labelled set is read as small talk, insult, spam or left unplaced", () => {
    const idle = new Set<Intent>(["greeting", "chitchat", "insult", "spam", "unknown"]);
    const lost = labelled.filter((m) => ["report", "ask", "lookup", "emergency"].includes(m.intent) && idle.has(reader.read(m.text).intent));
    expect(lost.map((m) => `#${m.id} ${m.text}`)).toEqual([]);
  });
});

describe("control words", () => {
  it("live in one list per language in locales/ and are folded the same way everywhere", async () => {
    const { isControlWord } = await import("../src/core/resident/controlWords.ts");
    for (const w of ["Huỷ", "hủy!", "HUY", "cancel", "បោះបង់"]) expect(isControlWord("cancel", w), w).toBe(true);
    for (const w of ["xong", "Xong rồi.", "done", "រួចរាល់"]) expect(isControlWord("done", w), w).toBe(true);
    for (const w of ["bỏ qua", "bo qua", "skip", "រំលង"]) expect(isControlWord("skip", w), w).toBe(true);
    for (const w of ["dừng", "STOP", "/stop", "ឈប់"]) expect(isControlWord("stop", w), w).toBe(true);
    for (const w of ["quay lại", "back"]) expect(isControlWord("back", w), w).toBe(true);
    expect(isControlWord("cancel", "huỷ đơn hàng của tôi")).toBe(false); // a sentence, not the word
  });
});
