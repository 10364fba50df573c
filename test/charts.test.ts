import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { barChart } from "../src/charts/bar.ts";
import { renderChart } from "../src/charts/render.ts";
import { createTranslator } from "../src/i18n.ts";

/*
 * Charts drawn on the server: ECharts' SVG with the texts in the chart's language (Vietnamese with
 * its diacritics, Khmer), a PNG drawn by resvg with the bundled fonts only, the same bytes every time.
 */

const t = createTranslator().t;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk. */
const pngSize = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

/** Pixels of an image darker than light grey (ink: text, bars, axes). */
async function inkPixels(png: Buffer, region?: { left: number; top: number; width: number; height: number }): Promise<number> {
  const img = region ? sharp(png).extract(region) : sharp(png);
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let ink = 0;
  for (let i = 0; i < data.length; i += info.channels) if (data[i]! + data[i + 1]! + data[i + 2]! < 3 * 160) ink++;
  return ink;
}

const input = (locale: string) => ({
  t,
  locale,
  title: { key: "reports:chart.title", params: { unit: "Công an phường Hoàn Kiếm", month: "05/2026" } },
  categories: [{ key: "tip:category.drugs" }, { key: "tip:category.online_fraud" }, { key: "tip:category.theft" }],
  series: [
    { name: { key: "reports:chart.this_month", params: { month: "05/2026" } }, values: [12, { value: 0, label: "<3" }, 4] },
    { name: { key: "reports:chart.previous_month", params: { month: "04/2026" } }, values: [9, 3, 0] },
  ],
});

describe("bar charts rendered on the server", () => {
  it("the SVG carries the Vietnamese labels with their diacritics, the values and the held-back label", () => {
    const { svg } = barChart(input("vi"));
    expect(svg.startsWith("<svg")).toBe(true);
    for (const label of ["Ma tuý", "Lừa đảo qua mạng", "Trộm cắp", "Tin báo tháng 05/2026 — Công an phường Hoàn Kiếm", "Tháng 04/2026", "&lt;3", ">12<"]) {
      expect(svg, label).toContain(label);
    }
  });

  it("the SVG carries the Khmer labels in Khmer script", () => {
    const { svg } = barChart(input("km"));
    for (const key of ["tip:category.drugs", "tip:category.online_fraud", "tip:category.theft"]) {
      const label = t("km", key);
      expect(label).toMatch(/[\u1780-\u17FF]/);
      expect(svg, label).toContain(label);
    }
    expect(svg).toContain("ខែ 05/2026");
  });

  it("the PNG is a real image of the asked width, with ink where the text and bars are", async () => {
    const { png } = barChart({ ...input("vi"), width: 720 });
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(pngSize(png).width).toBe(720);
    expect(png.length).toBeGreaterThan(5_000);
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe("png");
    expect(await inkPixels(png)).toBeGreaterThan(2_000);
  });

  it("the bundled fonts draw Vietnamese and Khmer text (no system font is read: a text the fonts lack would draw nothing)", async () => {
    const text = (s: string) => renderChart({ title: { text: s, left: 10, top: 10, textStyle: { fontSize: 28, color: "#000" } } }, { width: 400, height: 60 }).png;
    const area = { left: 0, top: 0, width: 400, height: 60 };
    const blank = await inkPixels(text(""), area);
    expect(blank).toBe(0);
    expect(await inkPixels(text("Tiếp nhận đúng hạn"), area)).toBeGreaterThan(300);
    expect(await inkPixels(text(t("km", "tip:category.drugs")), area)).toBeGreaterThan(300);
    // A script in none of the bundled fonts (Hebrew, which the machine's DejaVu Sans has) draws the
    // same "missing glyph" boxes whatever the letters: nothing comes from the machine's fonts.
    const [a, b] = [text("אבג"), text("דהו")];
    expect(b.equals(a)).toBe(true);
    expect(text("Abc").equals(text("Abd"))).toBe(false);
  });

  it("the same chart gives the same bytes twice (SVG and PNG)", () => {
    const a = barChart(input("km"));
    const b = barChart(input("km"));
    expect(b.svg).toBe(a.svg);
    expect(b.png.equals(a.png)).toBe(true);
  });

  it("a chart with nothing to show says so in its language", () => {
    const { svg, png } = barChart({ t, locale: "en", title: "Empty", categories: [], series: [{ name: "x", values: [] }] });
    expect(svg).toContain("No figures for this period");
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  });
});
