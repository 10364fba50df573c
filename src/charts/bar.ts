import { createTranslator, type Translate } from "../i18n.ts";
import { renderChart, type RenderedChart } from "./render.ts";

/** A text on a chart: already written, or a locale key (with parameters) translated into the chart's language. */
export type ChartText = string | { key: string; params?: Record<string, unknown> };

/**
 * One bar's value: a number (drawn and labelled with it), or a value drawn with another label
 * (e.g. a count held back for privacy, drawn as 0 and labelled "<3").
 */
export type ChartValue = number | { value: number; label: string };

/** One series of bars (e.g. "this month"), one value per category. */
export interface BarSeries {
  name: ChartText;
  values: ChartValue[];
}

/** What a bar chart shows. */
export interface BarChartInput {
  title: ChartText;
  subtitle?: ChartText;
  /** The categories (one group of bars each), in display order. */
  categories: ChartText[];
  series: BarSeries[];
  /** The chart's language (vi, en, km): its texts and numbers. */
  locale: string;
  /** Translator for keys (default: the shipped locale files). */
  t?: Translate;
  /** Bars across (categories down the left: long names stay readable; the default) or upright. */
  orientation?: "horizontal" | "vertical";
  /** Pixels; the height grows with the number of bars when not given. */
  width?: number;
  height?: number;
}

/** Series colours: dark blue, then grey-blue, teal, amber (contrast ≥ 3:1 on white for every bar). */
const PALETTE = ["#1d4e89", "#7a8a9e", "#0f766e", "#b45309"];

let shipped: Translate | undefined;
const defaultTranslate = (): Translate => (shipped ??= createTranslator().t);

/** A chart text in the chart's language. */
export function chartText(t: Translate, locale: string, text: ChartText): string {
  return typeof text === "string" ? text : t(locale, text.key, text.params);
}

/**
 * A bar chart (SVG and PNG, see renderChart): categories against one or more series, each bar
 * labelled with its value in the chart's language (or its own label), a legend when there is more
 * than one series, and a "no data" note when every value is zero.
 */
export function barChart(input: BarChartInput): RenderedChart {
  const t = input.t ?? defaultTranslate();
  const { locale } = input;
  const text = (x: ChartText) => chartText(t, locale, x);
  const number = new Intl.NumberFormat(locale === "km" ? "km-KH" : locale === "en" ? "en-GB" : "vi-VN", { maximumFractionDigits: 1, numberingSystem: "latn" });
  const horizontal = (input.orientation ?? "horizontal") === "horizontal";
  const categories = input.categories.map(text);
  const bars = categories.length * Math.max(1, input.series.length);
  const width = input.width ?? 800;
  const height = input.height ?? (horizontal ? Math.min(2400, 150 + bars * 24 + categories.length * 14) : 480);
  const empty = input.series.every((s) => s.values.every((v) => (typeof v === "number" ? v : v.value) === 0));
  const categoryAxis = { type: "category" as const, data: categories, inverse: horizontal, axisLabel: { fontSize: 13, color: "#1f2933", width: horizontal ? Math.round(width * 0.32) : undefined, overflow: "break" as const, interval: 0 }, axisTick: { show: false } };
  const valueAxis = { type: "value" as const, minInterval: 1, axisLabel: { color: "#3e4c59", formatter: (v: number) => number.format(v) }, splitLine: { lineStyle: { color: "#d9e2ec" } } };
  const option = {
    backgroundColor: "#ffffff",
    color: PALETTE,
    title: {
      text: text(input.title),
      subtext: input.subtitle !== undefined ? text(input.subtitle) : undefined,
      left: 16,
      top: 12,
      textStyle: { fontSize: 20, fontWeight: "normal" as const, color: "#102a43" },
      subtextStyle: { fontSize: 13, color: "#334e68" },
    },
    legend: input.series.length > 1 ? { top: input.subtitle !== undefined ? 66 : 44, left: 16, itemGap: 20, textStyle: { fontSize: 13, color: "#1f2933" } } : undefined,
    grid: { left: 16, right: 48, top: input.series.length > 1 ? 100 : 76, bottom: 20, containLabel: true },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : valueAxis,
    series: input.series.map((s) => ({
      type: "bar" as const,
      name: text(s.name),
      barMaxWidth: 28,
      label: {
        show: true,
        position: horizontal ? ("right" as const) : ("top" as const),
        color: "#1f2933",
        fontSize: 12,
        formatter: (p: { dataIndex: number }) => {
          const v = s.values[p.dataIndex];
          return v === undefined ? "" : typeof v === "number" ? number.format(v) : v.label;
        },
      },
      data: s.values.map((v) => (typeof v === "number" ? v : v.value)),
    })),
    graphic: empty
      ? [{ type: "text" as const, left: "center", top: "middle", style: { text: t(locale, "charts:no_data"), fontSize: 16, fill: "#334e68" } }]
      : undefined,
  };
  return renderChart(option as never, { width, height });
}
