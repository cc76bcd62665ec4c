/**
 * The benchmark's result check. Before a contender is timed on a case, what it computed from the
 * case's inputs is compared element by element with the reference (reference.ts: Adjoint's `ref`
 * backend, float64 where the case accumulates); a contender that disagrees is not timed, and its
 * row shows the worst difference instead of a time.
 *
 * A training step is compared through the gradients its update implies, `(p0 - p1) / lr` for every
 * parameter array, and its loss: comparing the updated parameters themselves would hide a wrong
 * gradient behind the learning rate.
 * @module
 */
import { type BenchCase, type Inputs, isTrainingStep, learningRate } from "./cases.ts";

/** A result array on the host: row-major values and dimensions. */
export interface HostArray {
  /** Row-major values. */
  data: ArrayLike<number>;
  /** Dimensions (`[]` for a scalar). */
  shape: number[];
  /**
   * Per-element error this value carries by construction and the check must allow on top of the
   * tolerance (an implied gradient's share of the float32 rounding of the updated parameter).
   */
  slack?: ArrayLike<number>;
}

/** What a case computed: named arrays (`c`, or `loss` and one entry per parameter array). */
export type Outputs = Record<string, HostArray>;

/**
 * How far a value may be from the reference: element i of an array passes when
 * `|got_i - ref_i| <= rel * |ref_i| + scale * max_j |ref_j| + abs + slack_i`. The `scale` term is
 * for sums whose terms cancel, whose float32 error follows the size of the terms, not of the sum.
 */
export interface Tolerance {
  /** Relative to the element's own reference value. */
  rel: number;
  /** Relative to the largest reference magnitude in the same array. */
  scale: number;
  /** Absolute floor. */
  abs: number;
}

/**
 * The tolerance for float32 results against the float64 reference. float32 rounding is 6e-8 per
 * operation; the benchmark's sums (up to 1024 terms, blocked or sequential) stay below 1e-6 of
 * the array's scale in practice, so 1e-5 of the scale leaves a wide margin while a wrong kernel
 * (a wrong element, a wrong tail, an accumulation in half precision) lands far outside it. The
 * floor is float32's smallest normal number: below it kernels may flush to zero.
 */
export const float32Tolerance: Tolerance = { rel: 1e-5, scale: 1e-5, abs: 2 ** -126 };

/** The element that is furthest outside (or closest to) its tolerance. */
export interface WorstElement {
  /** Array name. */
  array: string;
  /** Its multi-index. */
  index: number[];
  /** Contender's value. */
  got: number;
  /** Reference value. */
  want: number;
  /** `|got - want|`. */
  diff: number;
  /** What the tolerance allows there. */
  allowed: number;
}

/** The outcome of comparing a contender's outputs with the reference. */
export interface Comparison {
  /** Whether every element is within tolerance (and every array is present, of the right shape). */
  ok: boolean;
  /** Largest `|diff| / allowed` over all elements (infinite for NaN, or a missing array). */
  ratio: number;
  /** Where that ratio is reached. */
  worst?: WorstElement;
  /** Elements outside the tolerance. */
  outside: number;
  /** Elements compared. */
  total: number;
  /** A structural problem: an array missing, or of another shape. */
  problem?: string;
  /** The tolerance used. */
  tolerance: Tolerance;
}

/** The multi-index of flat position `flat` in `shape`. */
function unravel(flat: number, shape: number[]): number[] {
  const index = shape.map(() => 0);
  for (let i = shape.length - 1; i >= 0; i--) {
    index[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return index;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Compares every array of `want` with the same-named array of `got`, element by element, within
 * `tol`. NaN anywhere in `got` (where `want` is not NaN) is outside any tolerance.
 */
export function compareOutputs(
  got: Outputs,
  want: Outputs,
  tol: Tolerance = float32Tolerance,
): Comparison {
  const result: Comparison = { ok: true, ratio: 0, outside: 0, total: 0, tolerance: tol };
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (!g || !sameShape(g.shape, w.shape) || g.data.length !== w.data.length) {
      const shown = g ? `shape [${g.shape}]` : "nothing";
      return {
        ...result,
        ok: false,
        ratio: Infinity,
        problem: `${name}: expected shape [${w.shape}], got ${shown}`,
      };
    }
    let max = 0;
    for (let i = 0; i < w.data.length; i++) max = Math.max(max, Math.abs(w.data[i]));
    for (let i = 0; i < w.data.length; i++) {
      const a = g.data[i], b = w.data[i];
      const diff = Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) ? 0 : Math.abs(a - b);
      const allowed = tol.rel * Math.abs(b) + tol.scale * max + tol.abs + (g.slack?.[i] ?? 0);
      const ratio = diff === 0 ? 0 : Number.isNaN(diff) ? Infinity : diff / allowed;
      result.total++;
      if (!(diff <= allowed)) result.outside++;
      if (result.worst === undefined || ratio > result.ratio) {
        result.ratio = ratio;
        result.worst = { array: name, index: unravel(i, w.shape), got: a, want: b, diff, allowed };
      }
    }
  }
  result.ok = result.outside === 0;
  return result;
}

/** ulp of float32 at magnitude `v` (an upper bound on twice its rounding error there). */
function float32Ulp(v: number): number {
  return v === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(v)) - 23);
}

/**
 * A training step's outputs (`loss` and the updated parameters) as the loss and the gradients
 * the update implies, `grad <name> = (p0 - p1) / lr` from the initial parameters in `inputs`.
 * Each implied gradient carries as slack the float32 rounding of `p1` over `lr`.
 */
export function impliedGradients(inputs: Inputs, outputs: Outputs): Outputs {
  const implied: Outputs = {};
  for (const [name, p1] of Object.entries(outputs)) {
    if (name === "loss") {
      implied.loss = p1;
      continue;
    }
    const p0 = inputs[name];
    if (!p0 || p0.data.length !== p1.data.length) {
      implied[`grad ${name}`] = p1;
      continue;
    }
    const data = new Float64Array(p1.data.length);
    const slack = new Float64Array(p1.data.length);
    for (let i = 0; i < data.length; i++) {
      data[i] = (p0.data[i] - p1.data[i]) / learningRate;
      slack[i] = float32Ulp(Math.max(Math.abs(p0.data[i]), Math.abs(p1.data[i]))) / learningRate;
    }
    implied[`grad ${name}`] = { data, shape: p1.shape, slack };
  }
  return implied;
}

/** A number to `digits` significant digits (values: enough to show a small difference). */
function num(v: number, digits = 3): string {
  return Number.isFinite(v) ? v.toPrecision(digits) : String(v);
}

/** The cell text of a comparison: `ok (...)`, or `MISMATCH: ...` with the worst element. */
export function describeComparison(c: Comparison): string {
  if (c.problem) return `MISMATCH: ${c.problem}`;
  const w = c.worst;
  if (!w) return "ok (nothing compared)";
  if (c.ok) return `ok (worst ${c.ratio.toFixed(3)} of tolerance)`;
  const at = w.index.length > 0 ? `${w.array}[${w.index.join(", ")}]` : w.array;
  return `MISMATCH: |diff| = ${num(w.diff)} at ${at} (got ${num(w.got, 7)}, ref ${
    num(w.want, 7)
  }; ` +
    `tolerance ${num(w.allowed)}); ${c.outside} of ${c.total} elements outside`;
}

/**
 * Checks a contender's outputs for case `c` against the reference outputs: training steps through
 * the gradients their updates imply, every other case value by value.
 */
export function checkCase(c: BenchCase, inputs: Inputs, got: Outputs, want: Outputs): Comparison {
  return compareOutputs(isTrainingStep(c) ? impliedGradients(inputs, got) : got, want);
}
