/**
 * Eager execution of a reduction over axes as a one-op program of the kernel IR, over the
 * operand's own shape (for a backend that renders every shape at run time, as WebGPU does): a
 * dense load of the operand accumulated into the output at the strides of a fused reduction
 * (lower_kernel.ts), 0 along the reduced axes.
 * @module
 */
import { config } from "../../core/config.ts";
import type { DType } from "../../core/dtype.ts";
import { stridesOf } from "../../core/shape.ts";
import type { LoopKernel, ReduceOp } from "./kernel_ir.ts";
import { reductionStrides } from "./lower_kernel.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/**
 * The loop kernel reducing by `op` the `axes` of an operand of `dtype` and `shape`; verified
 * when `config.verifyPrograms`.
 *
 * @example
 * ```ts
 * loopKernelToString(reduceAxesKernel("add", "float32", [2, 3, 4], [1]));
 * // loop [2,3,4] in (float32) out (float32)
 * //   t0: float32 = in0[12,4,1]
 * //   out0[4,0,1] add= t0
 * ```
 */
export function reduceAxesKernel(
  op: ReduceOp,
  dtype: DType,
  shape: readonly number[],
  axes: readonly number[],
): LoopKernel {
  const k: LoopKernel = {
    space: shape,
    inputs: [dtype],
    outputs: [dtype],
    loads: [{ input: 0, strides: stridesOf(shape) }],
    stores: [{
      output: 0,
      value: { kind: "load", dtype, load: 0 },
      strides: reductionStrides(axes, shape).strides,
      reduce: op,
    }],
  };
  if (config.verifyPrograms) verifyLoopKernel(k);
  return k;
}
