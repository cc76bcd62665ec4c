/**
 * Tables of benchmark results: one per case, with medians, spreads, ratios to a baseline row,
 * throughput where it means something, and each contender's check against the reference. A row
 * whose check failed shows the difference and no time.
 * @module
 */
import { type BenchCase, caseFlops, caseLabel } from "./cases.ts";
import { type Comparison, describeComparison } from "./check.ts";
import { spread, type Stats } from "./timing.ts";

/** The per-core WASM-SIMD f32 peak of this machine's class, GFLOP/s. */
export const wasmPeakGflops = 57;

/** One contender's outcome on one case. */
export interface CellResult {
  /** Host id, e.g. "adjoint-wasm-1". */
  id: string;
  /** Contender name. */
  name: string;
  /** Backend and threads. */
  detail: string;
  /** Timings, or the reason there are none. */
  stats?: Stats;
  /** Why the contender did not run this case. */
  na?: string;
  /** Time of the first call, ms. */
  firstMs?: number;
  /** The most bytes a step holds at once (see `Runner.peakBytes`), where the library counts them. */
  peakBytes?: number;
  /** How the contender computed this case, when it departs from the plain recipe. */
  note?: string;
  /** Its result compared with the reference, before timing. */
  check?: Comparison;
}

/** A case with the outcome of every contender and which row the ratios divide by. */
export interface CaseResult {
  /** The case. */
  case: BenchCase;
  /** One cell per contender, in host order. */
  cells: CellResult[];
  /** Index of the baseline row in `cells`, if any row ran. */
  baseline?: number;
}

/** Formats a duration in ms with a unit that keeps three significant digits. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toPrecision(3)} ms`;
  return `${(ms * 1000).toPrecision(3)} us`;
}

/** Formats a byte count in MiB (KiB below one MiB). */
export function formatBytes(bytes: number): string {
  return bytes >= 1 << 20
    ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
    : `${(bytes / 1024).toFixed(0)} KiB`;
}

/** Pads cells into aligned columns separated by two spaces; numeric-looking cells align right. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const right = (s: string) => /^[-+~]?[\d.]+/.test(s) && !/[a-z]{3,}/i.test(s.slice(0, 4));
  const line = (r: string[]) =>
    r.map((c, i) => (right(c) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** The case-specific column: throughput for gemm, per-op cost for eager, first call for jit. */
function extraColumn(c: BenchCase): [string, (cell: CellResult) => string] {
  const flops = caseFlops(c);
  if (flops !== undefined) {
    return ["GFLOP/s (% of 57 peak)", (cell) => {
      const g = flops / (cell.stats!.median * 1e6);
      return `${g.toFixed(1)} (${(100 * g / wasmPeakGflops).toFixed(0)}%)`;
    }];
  }
  if (c.kind === "eager") {
    return ["per op", (cell) => formatMs(cell.stats!.median / c.ops)];
  }
  if (c.kind === "jitFresh") {
    return ["first call (cold)", (cell) => formatMs(cell.firstMs!)];
  }
  return ["first call", (cell) => formatMs(cell.firstMs!)];
}

/** The table of one case. */
export function formatCase(result: CaseResult): string {
  const [extraName, extra] = extraColumn(result.case);
  const base = result.baseline !== undefined ? result.cells[result.baseline] : undefined;
  const header = [
    "contender",
    "backend, threads",
    "median",
    "spread",
    "n x reps",
    "time / base",
    extraName,
    "memory (peak)",
    "check vs ref",
  ];
  const rows = result.cells.map((cell, i) => {
    const mark = i === result.baseline ? "*" : " ";
    const check = cell.check ? describeComparison(cell.check) : "";
    if (cell.check && !cell.check.ok) {
      return [`${mark}${cell.name}`, cell.detail, "MISMATCH", "", "", "", "", "", check];
    }
    if (!cell.stats) {
      return [`${mark}${cell.name}`, cell.detail, "n/a", "", "", "", "", "", `(${cell.na})`];
    }
    const s = cell.stats;
    const ratio = base?.stats ? `${(s.median / base.stats.median).toFixed(2)}x` : "";
    return [
      `${mark}${cell.name}`,
      cell.note ? `${cell.detail}; ${cell.note}` : cell.detail,
      formatMs(s.median),
      `+-${(100 * spread(s)).toFixed(0)}%`,
      `${s.samples} x ${s.reps}`,
      ratio,
      extra(cell),
      cell.peakBytes === undefined ? "n/a" : formatBytes(cell.peakBytes),
      check,
    ];
  });
  return `## ${caseLabel(result.case)}\n${formatTable(header, rows)}`;
}
