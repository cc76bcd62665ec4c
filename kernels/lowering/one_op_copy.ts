/**
 * Eager execution of a structural primitive (broadcast, transpose, slice, rev, pad,
 * concatenate) and of the accumulating copies of sliding windows as a one-op program of the
 * kernel IR: a strided loop kernel (sized_kernel.ts) over a rank-3 space `[n0, n1, n2]` (or of a
 * higher rank) whose sizes and the strides of its load and store are run-time parameters,
 * `dst[i·dstStrides] = src[i·srcStrides]`, or with `accumulate`, `dst[..] = dst[..] + src[..]`.
 * The innermost strides pick one of four loop shapes, each rendered at build time: `contiguous`
 * (1 on both sides: four lanes at a time), `short` (1 on both sides, rows of at most two v128
 * steps: 5 to 8 elements, of float64 3 or 4, its representative innermost size that most, which
 * the renderer's `shortRow` moves as two overlapping steps), `splat` (source 0, destination 1: a
 * broadcast row) and `strided` (any: the scalar loop).
 * @module
 */
import { config } from "../../core/config.ts";
import type { DType } from "../../core/dtype.ts";
import type { Expr } from "./kernel_ir.ts";
import type { StridedLoopKernel } from "./sized_kernel.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/** The loop shapes of an eager strided copy, by its innermost strides (and rows' length). */
export type CopyShape = "contiguous" | "splat" | "strided" | "short";

/**
 * The representative size of a run-time axis (the vectoriser only reads that the innermost
 * runs four lanes), and a representative stride with no vector pattern.
 */
const ANY = 1 << 8, SCATTERED = 3;

/** The representative size of the axes of a space of more than 3 (smaller: their product). */
const ANY_OF_MORE = 1 << 4;

/** Per shape, the representative innermost strides of the source and the destination. */
const INNER: Readonly<Record<CopyShape, { src: number; dst: number }>> = {
  contiguous: { src: 1, dst: 1 },
  short: { src: 1, dst: 1 },
  splat: { src: 0, dst: 1 },
  strided: { src: SCATTERED, dst: SCATTERED },
};

/**
 * Stride parameters of a view named `prefix` over `rank` axes: the outer ones, and the innermost
 * unless fixed.
 */
const strideNames = (prefix: string, rank: number, named: boolean): (string | null)[] =>
  Array.from({ length: rank }, (_, d) => (d < rank - 1 || named ? `${prefix}${d}` : null));

/**
 * The strided loop kernel copying (`accumulate`: adding) elements of `dtype` in loop shape
 * `shape` over a space of `rank` axes (3 unless given); verified when `config.verifyPrograms`.
 * Parameters: sizes `n1, .., n{rank-1}`, then the source's strides `s0, s1, ..` (the innermost
 * only when strided), then the destination's `d0, d1, ..`. Accumulating, the destination is
 * input 1, read and written in place (`inPlace`).
 *
 * @example
 * ```ts
 * loopKernelToString(oneOpCopy("float32", "contiguous", false));
 * // loop [256,256,256] in (float32) out (float32)
 * //   t0: float32 = in0[65536,256,1]
 * //   out0[65536,256,1] = t0
 * ```
 */
export function oneOpCopy(
  dtype: DType,
  shape: CopyShape,
  accumulate: boolean,
  rank = 3,
): StridedLoopKernel {
  const inner = INNER[shape];
  const any = rank === 3 ? ANY : ANY_OF_MORE;
  const view = (n: number) =>
    Array.from({ length: rank }, (_, d) => d === rank - 1 ? n : (n || 1) * any ** (rank - 1 - d));
  const src = view(inner.src), dst = view(inner.dst);
  const named = shape === "strided";
  const load = (i: number): Expr => ({ kind: "load", dtype, load: i });
  const value: Expr = accumulate
    ? { kind: "binary", op: "add", dtype, a: load(1), b: load(0) }
    : load(0);
  const last = rank - 1;
  // A short row's most elements: two v128 steps of four (float64: of two).
  const row = shape === "short" ? (dtype === "float64" ? 4 : 8) : any;
  const k: StridedLoopKernel = {
    space: Array.from({ length: rank }, (_, d) => (d === last ? row : any)),
    sizes: Array.from({ length: rank }, (_, d) => (d === 0 ? null : `n${d}`)),
    inputs: accumulate ? [dtype, dtype] : [dtype],
    outputs: [dtype],
    loads: accumulate
      ? [{ input: 0, strides: src }, { input: 1, strides: dst }]
      : [{ input: 0, strides: src }],
    stores: [{ output: 0, value, strides: dst }],
    loadStrides: accumulate
      ? [strideNames("s", rank, named), strideNames("d", rank, named)]
      : [strideNames("s", rank, named)],
    storeStrides: [strideNames("d", rank, named)],
    ...(accumulate ? { inPlace: [1] } : {}),
  };
  if (config.verifyPrograms) verifyLoopKernel(k);
  return k;
}
