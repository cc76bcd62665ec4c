/**
 * Eager execution of a reduction primitive as a one-op program of the kernel IR: a sized loop
 * kernel (sized_kernel.ts) reducing the middle axis of a dense `[outer, r, inner]` operand into
 * `[outer, inner]`, its body the reduction store of a load. The runtime splits any reduction into
 * such passes and chooses one of two shapes of the loop per pass, each rendered at build time:
 * `rows` (inner 1: along the innermost axis, four lanes and several accumulators at a time) and
 * `columns` (inner above 1: four outputs at a time along inner). An index reduction (argmax,
 * argmin) is two such passes: the extreme (a max or min reduction), then `firstPosition`
 * (one_op_arg_reduce.ts `firstIndexKernel` with the run-time sizes).
 * @module
 */
import { config } from "../../core/config.ts";
import type { DType } from "../../core/dtype.ts";
import type { Expr, ReduceOp } from "./kernel_ir.ts";
import { firstIndexKernel } from "./one_op_arg_reduce.ts";
import type { SizedLoopKernel } from "./sized_kernel.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/** The loop shapes of an eager reduction pass. */
export type ReductionShape = "rows" | "columns";

/**
 * The representative size of a run-time axis: only that the vectoriser runs four lanes along
 * it; the loop runs over the sizes each call gives.
 */
const ANY = 1 << 8;

/** Per shape: the space, the run-time sizes, the load's and the store's strides. */
const SHAPES: Readonly<
  Record<ReductionShape, {
    space: number[];
    sizes: (string | null)[];
    load: number[];
    store: number[];
  }>
> = {
  rows: { space: [ANY, ANY], sizes: [null, "r"], load: [ANY, 1], store: [1, 0] },
  columns: {
    space: [ANY, ANY, ANY],
    sizes: [null, "r", "inner"],
    load: [ANY * ANY, ANY, 1],
    store: [ANY, 0, 1],
  },
};

/**
 * The sized loop kernel reducing by `op` the middle axis of an `[outer, r, inner]` operand of
 * `dtype` in loop shape `shape`, accumulating in `accumulator` (each value converted to it, the
 * result converted back once: `Store.accumulator`) where given; verified when
 * `config.verifyPrograms`.
 *
 * @example
 * ```ts
 * loopKernelToString(oneOpReduction("max", "float32", "rows"));
 * // loop [256,256] in (float32) out (float32)
 * //   t0: float32 = in0[256,1]
 * //   out0[1,0] max= t0
 * ```
 */
export function oneOpReduction(
  op: ReduceOp,
  dtype: DType,
  shape: ReductionShape,
  accumulator?: DType,
): SizedLoopKernel {
  const { space, sizes, load, store } = SHAPES[shape];
  const loaded: Expr = { kind: "load", dtype, load: 0 };
  const value: Expr = accumulator ? { kind: "convert", dtype: accumulator, a: loaded } : loaded;
  const k: SizedLoopKernel = {
    space,
    sizes,
    inputs: [dtype],
    outputs: [dtype],
    loads: [{ input: 0, strides: load }],
    stores: [{ output: 0, value, strides: store, reduce: op, ...(accumulator && { accumulator }) }],
  };
  if (config.verifyPrograms) verifyLoopKernel(k);
  return k;
}

/**
 * The second pass of an index reduction (argmax, argmin) of an `[outer, r, inner]` operand of
 * `dtype` in loop shape `shape`: `firstIndexKernel` along `r` over the shape's space (NaN as
 * `x != x`), with its run-time sizes: the least position along `r` whose element equals the
 * extreme there (input 1, `[outer, inner]`: the max or min, NaN where there is one), or is NaN
 * (the first NaN, else the first of ties: -0 and +0 tie), as an int32 min reduction of `index`
 * nodes. Verified when `config.verifyPrograms`.
 */
export function firstPosition(dtype: DType, shape: ReductionShape): SizedLoopKernel {
  const { space, sizes } = SHAPES[shape];
  const k: SizedLoopKernel = { ...firstIndexKernel(dtype, space, 1, "self"), sizes };
  if (config.verifyPrograms) verifyLoopKernel(k);
  return k;
}
