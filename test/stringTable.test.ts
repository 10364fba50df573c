import { describe, expect, it } from "vitest";
import { StringTable } from "../src/core/stringTable.ts";
import { NaiveBayes } from "../src/core/naiveBayes.ts";

/*
 * The compact dictionaries behind the search indexes: every string keeps its number, strings not
 * in the table are not found (prefixes, extensions, other scripts), and a sealed classifier ranks
 * exactly as it did before its training counts were dropped.
 */
describe("string table", () => {
  const strings = ["w:ma", "w:mat", "w:m", "", "c:#ma", "t:bán", "t:bạn", "kសួស", "kសួ", "b:ma_tuy", "w:ma tuý", "z", "Z", "w:mä"];

  it("finds every string with its number, and nothing else", () => {
    const table = new StringTable(strings.map((s, i) => [s, i * 7 + 3]));
    expect(table.size).toBe(strings.length);
    strings.forEach((s, i) => expect(table.get(s), JSON.stringify(s)).toBe(i * 7 + 3));
    for (const absent of ["w:", "w:matt", "w:mb", "t:ban", "kស", "kសួសី", "b:ma", "a", "zz", "w:mä "]) expect(table.get(absent), absent).toBeUndefined();
    expect(table.has("t:bạn")).toBe(true);
    expect(new StringTable([]).get("x")).toBeUndefined();
  });

  it("refuses the same string twice", () => {
    expect(() => new StringTable([["a", 1], ["a", 2]])).toThrow(/twice/);
  });

  it("a sealed classifier ranks exactly as an unsealed one, and takes no more training", () => {
    const train = (nb: NaiveBayes<string>) => {
      nb.add("drugs", ["w:ma", "w:tuy", "b:ma_tuy"]);
      nb.add("drugs", ["w:ma", "w:tuy", "w:ban"], 0.3);
      nb.add("fraud", ["w:lua", "w:dao", "w:ma"]);
      nb.add("theft", ["w:trom", "w:cap"]);
      return nb;
    };
    const open = train(new NaiveBayes({ smoothing: 0.01, priors: true }));
    const sealed = train(new NaiveBayes({ smoothing: 0.01, priors: true })).seal();
    for (const q of [["w:ma"], ["w:ma", "w:tuy"], ["w:lua", "w:unknown"], ["w:cap", "w:ma", "w:ma"], []]) expect(sealed.rank(q)).toEqual(open.rank(q));
    expect(sealed.knows("b:ma_tuy")).toBe(true);
    expect(sealed.knows("b:ma")).toBe(false);
    expect(() => sealed.add("theft", ["w:x"])).toThrow(/sealed/);
  });
});
