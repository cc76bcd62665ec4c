/**
 * Eager execution of the indexing primitives `take` and `scatter_add` as one-op programs of the
 * kernel IR: sized loop kernels (sized_kernel.ts) over `[outer, m, inner]`, the operand viewed
 * as `[outer, n, inner]` around its indexed axis and `m` int32 positions into it (input 1): a
 * gathered load (`take`, `out[o, j, k] = x[o, idx[j], k]`) or a scattered accumulating store
 * (`scatter_add`, `out[o, idx[j], k] += u[o, j, k]`), the index load at strides `[0, 1, 0]`.
 * Output 1 is the out-of-range flag. Two loop shapes, each rendered at build time: `rows`
 * (inner above 1: four lanes at a time along inner, the position read once per row) and
 * `elements` (inner 1, the space `[outer, m]`: the scalar loop).
 * @module
 */
import { config } from "../../core/config.ts";
import type { DType } from "../../core/dtype.ts";
import type { Expr, IndexedAxis, Load } from "./kernel_ir.ts";
import type { SizedLoopKernel } from "./sized_kernel.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/** The loop shapes of an eager take or scatter-add. */
export type IndexingShape = "rows" | "elements";

/** The representative size of a run-time axis (the vectoriser reads only that inner runs 4). */
const ANY = 1 << 8;

/** Per shape: the space, its run-time sizes, the dense strides of `[outer, m or n, inner]`. */
const SHAPES: Readonly<
  Record<IndexingShape, { space: number[]; sizes: (string | null)[]; dense: number[] }>
> = {
  rows: { space: [ANY, ANY, ANY], sizes: [null, "m", "inner"], dense: [ANY * ANY, ANY, 1] },
  elements: { space: [ANY, ANY], sizes: [null, "m"], dense: [ANY, 1] },
};

/** The parts both primitives share: the index load (load 1) and the indexed axis 1. */
function parts(shape: IndexingShape) {
  const { space, sizes, dense } = SHAPES[shape];
  const index: Load = { input: 1, strides: dense.map((_, d) => (d === 1 ? 1 : 0)) };
  const axis: IndexedAxis = { axis: 1, index: 1, size: ANY };
  return { space, sizes, dense, index, axis, indexedSize: "n" };
}

/**
 * The sized loop kernel of `take` on elements of `dtype` in loop shape `shape`: inputs the
 * operand and the positions, outputs the result and the out-of-range flag; parameters the sizes
 * `m` (and `inner` for rows), then `n`. Verified when `config.verifyPrograms`.
 *
 * @example
 * ```ts
 * loopKernelToString(oneOpTake("float32", "elements"));
 * // loop [256,256] in (float32, int32) out (float32, int32)
 * //   t0: float32 = in0[256,1] at axis 1 by load 1 in 0:256
 * //   out0[256,1] = t0
 * //   out1 = out of range
 * ```
 */
export function oneOpTake(dtype: DType, shape: IndexingShape): SizedLoopKernel {
  const { space, sizes, dense, index, axis, indexedSize } = parts(shape);
  const k: SizedLoopKernel = {
    space,
    sizes,
    indexedSize,
    inputs: [dtype, "int32"],
    outputs: [dtype, "int32"],
    loads: [{ input: 0, strides: dense, gather: axis }, index],
    stores: [{ output: 0, value: { kind: "load", dtype, load: 0 }, strides: dense }],
    outOfRange: 1,
  };
  if (config.verifyPrograms) verifyLoopKernel(k);
  return k;
}

/**
 * The sized loop kernel of `scatter_add` of updates of `dtype` in loop shape `shape`: inputs the
 * updates and the positions, outputs the sums (filled with 0 first) and the out-of-range flag;
 * parameters as `oneOpTake`'s. Verified when `config.verifyPrograms`.
 */
export function oneOpScatterAdd(dtype: DType, shape: IndexingShape): SizedLoopKernel {
  const { space, sizes, dense, index, axis, indexedSize } = parts(shape);
  const value: Expr = { kind: "load", dtype, load: 0 };
  const k: SizedLoopKernel = {
    space,
    sizes,
    indexedSize,
    inputs: [dtype, "int32"],
    outputs: [dtype, "int32"],
    loads: [{ input: 0, strides: dense }, index],
    stores: [{ output: 0, value, strides: dense, reduce: "add", scatter: axis }],
    outOfRange: 1,
  };
  if (config.verifyPrograms) verifyLoopKernel(k);
  return k;
}
