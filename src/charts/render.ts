import fs from "node:fs";
import { createRequire } from "node:module";
import type * as ResvgModule from "@resvg/resvg-js";
import type * as EChartsModule from "echarts";
import { fromRoot } from "../paths.ts";

/**
 * Charts drawn on the server, the same on every machine: ECharts' server-side SVG renderer (no
 * browser, no canvas, no animation), turned into PNG by resvg with the font bundled in `data/fonts/`
 * only (Noto Sans and Noto Sans Khmer merged, regular weight; SIL Open Font License, see the
 * OFL-*.txt files there). The machine's own fonts are never read, so the same
 * chart gives the same bytes everywhere. Channel-neutral: a Telegram photo, a console page, a
 * campaign report.
 */

/** The bundled font: Noto Sans (Latin, Vietnamese) and Noto Sans Khmer merged into one (scripts/build-chart-font.py). */
export const CHART_FONT_FILES = [fromRoot("data", "fonts", "TaiMatSans-Regular.ttf")];
/**
 * The font family every chart's text is set in. One font for both scripts: resvg's fallback
 * between fonts shapes the text once per font and gives up when the glyph counts differ (Khmer's
 * stacked consonants), leaving boxes or dropping spaces in mixed Khmer and Vietnamese texts.
 */
export const CHART_FONT_FAMILY = "Tai Mat Sans";

/** A chart drawn: its SVG (with the text as text) and its PNG. */
export interface RenderedChart {
  svg: string;
  png: Buffer;
}

let checked = false;
/** The bundled font files (a missing one is an installation error: thrown, never drawn without text). */
function fonts(): string[] {
  if (!checked) {
    for (const f of CHART_FONT_FILES) if (!fs.existsSync(f)) throw new Error(`chart font missing: ${f}`);
    checked = true;
  }
  return CHART_FONT_FILES;
}

const ZERO_WIDTH = /[\p{Mn}\p{Me}\u200B-\u200D\uFEFF]/u;
const SPACING_MARK = /\p{Mc}/u;
const KHMER_LETTER = /[\u1780-\u17B3]/;
const KHMER_COENG = "\u17D2";

/**
 * Text widths for ECharts' layout (label overlap, legend and title sizes) without a canvas:
 * ECharts' own table for ASCII, non-spacing marks (Vietnamese tone marks once decomposed, most Khmer
 * vowel signs) as zero width, a Khmer subscript consonant (coeng + consonant) as zero width, Khmer
 * letters at 0.8 em, spacing vowel signs at 0.45 em, other letters at 0.62 em. Deterministic, close enough to the bundled fonts for layout.
 */
function measureText(text: string, font?: string): { width: number } {
  const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? "")?.[1] ?? 12);
  const chars = [...(text ?? "").normalize("NFD")];
  let width = 0;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === KHMER_COENG) {
      i++; // the consonant after it is drawn under the previous one
      continue;
    }
    if (ZERO_WIDTH.test(ch)) continue;
    const known = ch.length === 1 && ch.charCodeAt(0) < 127 ? DEFAULT_WIDTHS.get(ch) : undefined;
    width += (known ?? (KHMER_LETTER.test(ch) ? 0.8 : SPACING_MARK.test(ch) ? 0.45 : 0.62)) * size;
  }
  return { width };
}

/** ECharts' table of ASCII widths (em), as zrender ships it. */
const DEFAULT_WIDTHS: Map<string, number> = (() => {
  const table = "007LLmW'55;N0500LLLLLLLLLL00NNNLzWW\\\\WQb\\0FWLg\\bWb\\WQ\\WrWWQ000CL5LLFLL0LL**F*gLLLL5F0LF\\FFF5.5N";
  return new Map([...table].map((c, i) => [String.fromCharCode(i + 32), (c.charCodeAt(0) - 20) / 100]));
})();

/** What a chart is drawn with: ECharts (its text measure set, see `measureText`) and resvg. */
interface ChartLibraries {
  echarts: typeof EChartsModule;
  Resvg: typeof ResvgModule.Resvg;
}

let libraries: ChartLibraries | undefined;
/**
 * ECharts and resvg, loaded on the first chart rather than at start (ECharts alone is ~20 MB of a
 * process's memory; a service draws a few charts a month: the idle memory goal, bench/idle.ts).
 * Loaded synchronously (charts are drawn synchronously). The text measure is registered here,
 * before anything is drawn: without it ECharts measures text with its own table, which knows no
 * Khmer, and breaks Khmer labels in the wrong places (mid-label, so the SVG no longer carries them whole).
 */
function chartLibraries(): ChartLibraries {
  if (!libraries) {
    const load = createRequire(import.meta.url);
    const echarts = load("echarts") as typeof EChartsModule;
    echarts.setPlatformAPI({ measureText: measureText as never });
    libraries = { echarts, Resvg: (load("@resvg/resvg-js") as typeof ResvgModule).Resvg };
  }
  return libraries;
}

/**
 * zrender names the CSS classes (and gradients, clip paths) of its SVG with process-wide counters:
 * renamed in order of first appearance, so the same chart is the same SVG whatever was drawn before.
 */
function stableNames(svg: string): string {
  const names = new Map<string, string>();
  return svg.replace(/\bzr\d*-(cls|g|c|p|s|f)-?\d+\b/g, (name, kind: string) => {
    let fresh = names.get(name);
    if (!fresh) names.set(name, (fresh = `zr-${kind}${names.size}`));
    return fresh;
  });
}

/** resvg drops a space that follows a Khmer letter: for the PNG it becomes an en space, which it keeps. */
const KHMER_THEN_SPACE = /([\u1780-\u17FF]) /g;

/**
 * Draws an ECharts option as SVG (server-side, animation off, every text in the bundled fonts) and
 * as PNG (resvg, bundled fonts only, white background). Same option, same bytes.
 */
export function renderChart(option: EChartsModule.EChartsOption, size: { width: number; height: number }): RenderedChart {
  const { echarts, Resvg } = chartLibraries();
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: size.width, height: size.height });
  let svg: string;
  try {
    chart.setOption({ animation: false, ...option, textStyle: { fontFamily: CHART_FONT_FAMILY, ...(option.textStyle as object | undefined) } });
    svg = stableNames(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
  const png = new Resvg(svg.replace(KHMER_THEN_SPACE, "$1\u2002"), {
    background: "#ffffff",
    font: { loadSystemFonts: false, fontFiles: fonts(), defaultFontFamily: CHART_FONT_FAMILY, sansSerifFamily: CHART_FONT_FAMILY },
  })
    .render()
    .asPng();
  return { svg, png };
}
