/**
 * The performance targets of the wasm backend (issue 3) and of compiled loops (issue 15),
 * evaluated on a run's results. Reported,
 * never asserted: a benchmark on a shared machine is evidence, not a test.
 * @module
 */
import type { BenchCase } from "./cases.ts";
import { type CaseResult, type CellResult, wasmPeakGflops } from "./report.ts";

/** One target: a measured quantity of a case and the bound it should meet. */
interface Target {
  /** What is measured. */
  label: string;
  /** Which case it is measured on. */
  on: (c: BenchCase) => boolean;
  /** The measured quantity from the case's cells by host id, or undefined if missing. */
  measure: (cell: (id: string) => CellResult | undefined) => number | undefined;
  /** The bound. */
  goal: number;
  /** Whether larger is better (`>=`) or smaller (`<=`). */
  atLeast: boolean;
  /** How to print the measured value. */
  unit: "x" | "%";
}

const gemm1024 = (c: BenchCase) => c.kind === "gemm" && c.n === 1024;

/** Median of a host's cell, if it ran. */
function median(cell: CellResult | undefined): number | undefined {
  return cell?.stats?.median;
}

/** `median(num) / median(den)` when both ran. */
function ratio(num?: CellResult, den?: CellResult): number | undefined {
  const a = median(num), b = median(den);
  return a !== undefined && b !== undefined ? a / b : undefined;
}

/** The rows the LSTM step with `scan` should beat, by host id. */
const LSTM_RIVALS = {
  "adjoint-wasm-1-unrolled": "Adjoint unrolled",
  "tfjs-wasm": "TF.js wasm",
  "jaxjs-1": "jax-js (1 worker)",
};

const targets: Target[] = [
  {
    label: "gemm 1024, 1 thread: Adjoint speedup over TF.js wasm",
    on: gemm1024,
    measure: (cell) => ratio(cell("tfjs-wasm"), cell("adjoint-wasm-1")),
    goal: 1.5,
    atLeast: true,
    unit: "x",
  },
  {
    label: "gemm 1024, 1 thread: Adjoint speedup over jax-js (1 worker)",
    on: gemm1024,
    measure: (cell) => ratio(cell("jaxjs-1"), cell("adjoint-wasm-1")),
    goal: 1.5,
    atLeast: true,
    unit: "x",
  },
  {
    label: "gemm 1024, 1 thread: Adjoint % of WASM-SIMD peak",
    on: gemm1024,
    measure: (cell) => {
      const m = median(cell("adjoint-wasm-1"));
      return m === undefined ? undefined : 100 * 2 * 1024 ** 3 / (m * 1e6) / wasmPeakGflops;
    },
    goal: 80,
    atLeast: true,
    unit: "%",
  },
  {
    label: "gemm 1024: Adjoint all threads speedup over 1 thread",
    on: gemm1024,
    measure: (cell) => ratio(cell("adjoint-wasm-1"), cell("adjoint-wasm-all")),
    goal: 1.7,
    atLeast: true,
    unit: "x",
  },
  {
    label: "MLP step, 1 thread: Adjoint time / jax-js jitted grad (1 worker)",
    on: (c) => c.kind === "mlp",
    measure: (cell) => ratio(cell("adjoint-wasm-1"), cell("jaxjs-1")),
    goal: 0.5,
    atLeast: false,
    unit: "x",
  },
  {
    label: "convnet step, 1 thread: Adjoint time / TF.js wasm",
    on: (c) => c.kind === "convnet",
    measure: (cell) => ratio(cell("adjoint-wasm-1"), cell("tfjs-wasm")),
    goal: 0.25,
    atLeast: false,
    unit: "x",
  },
  ...Object.entries(LSTM_RIVALS).map(([id, name]): Target => ({
    label: `LSTM step, 1 thread: Adjoint scan speedup over ${name} (issue 15)`,
    on: (c) => c.kind === "lstm",
    measure: (cell) => ratio(cell(id), cell("adjoint-wasm-1")),
    goal: 3,
    atLeast: true,
    unit: "x",
  })),
];

/** Lines saying, for each target, what was measured and whether it meets its goal. */
export function checkTargets(results: CaseResult[]): string {
  const lines = [
    "## targets (issues 3 and 15; Adjoint = wasm backend; ratios of this run's medians, whose spreads " +
    "are in the tables above: confirm a verdict near its goal on a quiet machine)",
  ];
  for (const t of targets) {
    const r = results.find((r) => t.on(r.case));
    const v = r && t.measure((id) => r.cells.find((c) => c.id === id));
    const goal = `${t.atLeast ? ">=" : "<="} ${t.goal}${t.unit}`;
    if (v === undefined) {
      lines.push(`- ${t.label}: not measured (goal ${goal})`);
      continue;
    }
    const met = t.atLeast ? v >= t.goal : v <= t.goal;
    const shown = t.unit === "%" ? `${v.toFixed(0)}%` : `${v.toFixed(2)}x`;
    lines.push(`- ${t.label}: ${shown} (goal ${goal}) ${met ? "met" : "NOT met"}`);
  }
  return lines.join("\n");
}
