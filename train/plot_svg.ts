/**
 * Line charts as standalone SVG files, for loss and accuracy curves: axes with nicely spaced
 * ticks, grid, axis labels, a legend, several series per chart, several charts side by side, and
 * an optional logarithmic y axis. No dependencies; any browser or image viewer shows the file.
 *
 * ```ts
 * import { plotSvg } from "./plot_svg.ts";
 * const svg = plotSvg([
 *   { title: "loss", xLabel: "epoch", series: [{ name: "train", y: [0.9, 0.5, 0.3] }] },
 *   { title: "accuracy", xLabel: "epoch", series: [{ name: "test", y: [0.8, 0.9, 0.95] }] },
 * ]);
 * svg.startsWith("<svg"); // true
 * ```
 * @module
 */

/** One curve: `y[i]` is drawn at `x[i]` (default `i + 1`); non-finite values leave a gap. */
export interface Series {
  /** The name shown in the legend. */
  name: string;
  /** The values. */
  y: ArrayLike<number>;
  /** The positions along the x axis (default 1, 2, 3, ...: epochs). */
  x?: ArrayLike<number>;
  /** A CSS colour (default: the i-th colour of a colour-blind-friendly palette for series i). */
  color?: string;
}

/** One panel: a set of axes with its series. */
export interface Chart {
  /** The curves. */
  series: Series[];
  /** The heading above the panel. */
  title?: string;
  /** The x axis label. */
  xLabel?: string;
  /** The y axis label. */
  yLabel?: string;
  /** A logarithmic y axis (values <= 0 leave gaps). */
  logY?: boolean;
}

/** The size of each panel, in pixels. */
export interface PlotOptions {
  /** Panel width (default 560). */
  width?: number;
  /** Panel height (default 380). */
  height?: number;
}

const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#59a14f",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#9c755f",
  "#ff9da7",
  "#bab0ac",
];
const MARGIN = { left: 72, right: 32, top: 40, bottom: 52 };
const FONT = `font-family="Helvetica, Arial, sans-serif"`;
const CHAR_WIDTH = 7.5;
const MARKER_LIMIT = 30;
const INSET = 6;

interface Scale {
  ticks: number[];
  map: (v: number) => number;
  format: (v: number) => string;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function niceStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/** A tick label: fixed-point with `decimals`, or exponent notation for very small or big values. */
function formatNumber(v: number, decimals: number, exponent: boolean): string {
  if (exponent) return v === 0 ? "0" : v.toExponential(2).replace(/\.?0+e/, "e");
  const text = v.toFixed(Math.min(decimals, 6));
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
}

/** A linear scale over [min, max], widened to round tick values when `widen` is set. */
function linearScale(min: number, max: number, count: number, widen: boolean): Scale {
  if (min === max) {
    [min, max] = min === 0 ? [-1, 1] : [min - Math.abs(min) / 10, max + Math.abs(max) / 10];
  }
  const step = niceStep(max - min, count);
  const [lo, hi] = widen
    ? [Math.floor(min / step + 1e-9) * step, Math.ceil(max / step - 1e-9) * step]
    : [min, max];
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k <= Math.floor(hi / step + 1e-9); k++) {
    ticks.push(k * step);
  }
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  const exponent = step < 1e-4 || Math.max(Math.abs(lo), Math.abs(hi)) >= 1e6;
  return {
    ticks,
    map: (v) => (v - lo) / (hi - lo),
    // A tick within rounding error of zero is labelled 0.
    format: (v) => formatNumber(Math.abs(v) < step / 2 ? 0 : v, decimals, exponent),
  };
}

/** A base-10 logarithmic scale over whole decades, with 2 and 5 ticks when it spans few. */
function logScale(min: number, max: number): Scale {
  const a = Math.floor(Math.log10(min));
  const b = Math.max(a + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  const mantissas = b - a <= 2 ? [1, 2, 5] : [1];
  for (let e = a; e <= b; e++) {
    for (const m of mantissas) if (e < b || m === 1) ticks.push(m * 10 ** e);
  }
  return {
    ticks,
    map: (v) => (Math.log10(v) - a) / (b - a),
    format: (v) =>
      formatNumber(v, Math.max(0, -Math.floor(Math.log10(v) + 1e-9)), v < 1e-4 || v >= 1e6),
  };
}

type Point = [number, number];

function points(s: Series, logY: boolean): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < s.y.length; i++) {
    const x = s.x ? s.x[i] : i + 1;
    out.push([x, Number.isFinite(s.y[i]) && (!logY || s.y[i] > 0) ? s.y[i] : NaN]);
  }
  return out;
}

const finite = ([x, y]: Point) => Number.isFinite(x) && Number.isFinite(y);

/** The plot area of a panel in pixels, and the maps from data to pixels. */
interface Frame {
  left: number;
  right: number;
  top: number;
  bottom: number;
  X: (v: number) => number;
  Y: (v: number) => number;
}

function text(x: number, y: number, s: string, attrs: string): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(s)}</text>`;
}

function axes(chart: Chart, f: Frame, sx: Scale, sy: Scale, ox: number, height: number): string[] {
  const out: string[] = [];
  const small = `font-size="12" fill="#333"`;
  for (const t of sy.ticks) {
    const y = f.Y(t).toFixed(1);
    out.push(`<line x1="${f.left}" y1="${y}" x2="${f.right}" y2="${y}" stroke="#e6e6e6"/>`);
    out.push(`<line x1="${f.left - 5}" y1="${y}" x2="${f.left}" y2="${y}" stroke="#333"/>`);
    out.push(text(f.left - 8, f.Y(t) + 4, sy.format(t), `text-anchor="end" ${small}`));
  }
  for (const t of sx.ticks) {
    const x = f.X(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${f.top}" x2="${x}" y2="${f.bottom}" stroke="#f0f0f0"/>`);
    out.push(`<line x1="${x}" y1="${f.bottom}" x2="${x}" y2="${f.bottom + 5}" stroke="#333"/>`);
    out.push(text(f.X(t), f.bottom + 19, sx.format(t), `text-anchor="middle" ${small}`));
  }
  const [w, h] = [f.right - f.left, f.bottom - f.top];
  out.push(
    `<rect x="${f.left}" y="${f.top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`,
  );
  const cx = (f.left + f.right) / 2, cy = (f.top + f.bottom) / 2;
  if (chart.xLabel) {
    out.push(text(cx, height - 12, chart.xLabel, `text-anchor="middle" font-size="13"`));
  }
  if (chart.yLabel) {
    const rotate = `transform="rotate(-90 ${ox + 18} ${cy.toFixed(1)})"`;
    out.push(text(ox + 18, cy, chart.yLabel, `text-anchor="middle" font-size="13" ${rotate}`));
  }
  return out;
}

function curve(pts: Point[], color: string, f: Frame): string[] {
  let d = "", pen = "M";
  for (const p of pts) {
    if (!finite(p)) {
      pen = "M";
      continue;
    }
    d += `${pen}${f.X(p[0]).toFixed(1)} ${f.Y(p[1]).toFixed(1)} `;
    pen = "L";
  }
  const out = d
    ? [
      `<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"/>`,
    ]
    : [];
  if (pts.length <= MARKER_LIMIT) {
    for (const p of pts.filter(finite)) {
      const [cx, cy] = [f.X(p[0]).toFixed(1), f.Y(p[1]).toFixed(1)];
      out.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    }
  }
  return out;
}

/** How many curve pixels (vertices and points along segments) fall in a box. */
function covered(data: Point[][], f: Frame, box: [number, number, number, number]): number {
  const [x0, y0, x1, y1] = box;
  let n = 0;
  for (const pts of data) {
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i], b = finite(pts[i + 1] ?? [NaN, NaN]) ? pts[i + 1] : a;
      if (!finite(a)) continue;
      for (let t = 0; t < 1; t += 0.125) {
        const x = f.X(a[0] + t * (b[0] - a[0])), y = f.Y(a[1] + t * (b[1] - a[1]));
        if (x >= x0 && x <= x1 && y >= y0 && y <= y1) n++;
      }
    }
  }
  return n;
}

/** The legend, in whichever corner of the plot area hides the fewest curve points. */
function legend(chart: Chart, data: Point[][], f: Frame, colors: string[]): string[] {
  if (chart.series.length === 0) return [];
  const w = 40 + CHAR_WIDTH * Math.max(...chart.series.map((s) => s.name.length));
  const h = 8 + 18 * chart.series.length;
  const corners: [number, number][] = [
    [f.right - w - 8, f.top + 8],
    [f.left + 8, f.top + 8],
    [f.right - w - 8, f.bottom - h - 8],
    [f.left + 8, f.bottom - h - 8],
  ];
  const scores = corners.map(([x, y]) => covered(data, f, [x, y, x + w, y + h]));
  const [lx, ly] = corners[scores.indexOf(Math.min(...scores))];
  const out = [
    `<rect x="${lx}" y="${ly}" width="${w}" height="${h}" fill="white" fill-opacity="0.85" ` +
    `stroke="#ccc"/>`,
  ];
  chart.series.forEach((s, i) => {
    const y = ly + 15 + 18 * i;
    const color = colors[i];
    out.push(
      `<line x1="${lx + 6}" y1="${y - 4}" x2="${lx + 24}" y2="${y - 4}" stroke="${color}" ` +
        `stroke-width="2.5"/>`,
      text(lx + 30, y, s.name, `font-size="12"`),
    );
  });
  return out;
}

function panel(
  chart: Chart,
  index: number,
  width: number,
  height: number,
): string {
  const ox = index * width;
  const logY = chart.logY ?? false;
  const data = chart.series.map((s) => points(s, logY));
  const colors = chart.series.map((s, i) => escapeXml(s.color ?? PALETTE[i % PALETTE.length]));
  const shown = data.flat().filter(finite);
  const [left, right] = [ox + MARGIN.left, ox + width - MARGIN.right];
  const [top, bottom] = [MARGIN.top, height - MARGIN.bottom];
  const out: string[] = [];
  if (chart.title) {
    const bold = `text-anchor="middle" font-size="15" font-weight="bold"`;
    out.push(text((left + right) / 2, top - 14, chart.title, bold));
  }
  if (shown.length === 0) {
    const grey = `text-anchor="middle" font-size="13" fill="#888"`;
    out.push(text((left + right) / 2, (top + bottom) / 2, "no data", grey));
    return out.join("\n");
  }
  const xs = shown.map(([x]) => x), ys = shown.map(([, y]) => y);
  const xTicks = Math.max(2, Math.floor((right - left) / 80));
  const sx = linearScale(Math.min(...xs), Math.max(...xs), xTicks, false);
  const sy = logY ? logScale(Math.min(...ys), Math.max(...ys)) : linearScale(
    Math.min(...ys),
    Math.max(...ys),
    Math.max(2, Math.floor((bottom - top) / 50)),
    true,
  );
  // Points stay a few pixels inside the frame so that markers on the extremes are not cut.
  const f: Frame = {
    left,
    right,
    top,
    bottom,
    X: (v) => left + INSET + sx.map(v) * (right - left - 2 * INSET),
    Y: (v) => bottom - INSET - sy.map(v) * (bottom - top - 2 * INSET),
  };
  out.push(...axes(chart, f, sx, sy, ox, height));
  out.push(
    `<clipPath id="plot${index}"><rect x="${left}" y="${top}" width="${right - left}" ` +
      `height="${bottom - top}"/></clipPath>`,
    `<g clip-path="url(#plot${index})">`,
    ...chart.series.flatMap((_, i) => curve(data[i], colors[i], f)),
    `</g>`,
    ...legend(chart, data, f, colors),
  );
  return out.join("\n");
}

/**
 * The SVG text of one chart, or of several charts side by side. The i-th series of every panel
 * gets the same colour, so train and validation curves match across loss and accuracy panels.
 */
export function plotSvg(charts: Chart | Chart[], options: PlotOptions = {}): string {
  const list = Array.isArray(charts) ? charts : [charts];
  const width = options.width ?? 560, height = options.height ?? 380;
  const total = width * list.length;
  const panels = list.map((c, i) => panel(c, i, width, height));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${height}" ` +
    `viewBox="0 0 ${total} ${height}" ${FONT}>`,
    `<rect width="${total}" height="${height}" fill="white"/>`,
    ...panels,
    `</svg>`,
    "",
  ].join("\n");
}

/** Writes `plotSvg(charts)` to `path` and returns the path. Needs `--allow-write` for it. */
export async function writePlotSvg(
  path: string,
  charts: Chart | Chart[],
  options: PlotOptions = {},
): Promise<string> {
  await Deno.writeTextFile(path, plotSvg(charts, options));
  return path;
}

/**
 * Charts of a training history (one record per epoch, as `fit` returns): a "loss" panel with
 * every metric whose name contains "loss", an "accuracy" panel with those containing "acc", and
 * one panel for each other metric; `epoch` is the x axis and `seconds` is left out.
 */
export function historyCharts(history: readonly Record<string, number>[]): Chart[] {
  const names = [...new Set(history.flatMap((h) => Object.keys(h)))]
    .filter((k) => k !== "epoch" && k !== "seconds");
  const x = history.map((h, i) => h.epoch ?? i + 1);
  const series = (ns: string[]) =>
    ns.map((name) => ({ name, x, y: history.map((h) => h[name] ?? NaN) }));
  const losses = names.filter((n) => /loss/i.test(n));
  const accuracies = names.filter((n) => !/loss/i.test(n) && /acc/i.test(n));
  const others = names.filter((n) => !losses.includes(n) && !accuracies.includes(n));
  const chart = (title: string, ns: string[]): Chart => ({
    title,
    xLabel: "epoch",
    yLabel: title,
    series: series(ns),
  });
  return [
    ...(losses.length ? [chart("loss", losses)] : []),
    ...(accuracies.length ? [chart("accuracy", accuracies)] : []),
    ...others.map((n) => chart(n, [n])),
  ];
}
