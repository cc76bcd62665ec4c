/**
 * Eager execution of an elementwise primitive as a one-op program of the kernel IR: a loop over
 * the flat elements whose body is the primitive's lowering (lower_elementwise.ts) over contiguous
 * loads of its operands, so eager and fused kernels render the same expressions.
 * @module
 */
import { config } from "../../core/config.ts";
import type { DType } from "../../core/dtype.ts";
import type { Expr, LoopKernel } from "./kernel_ir.ts";
import { type LoweredName, lowerElementwise } from "./lower_elementwise.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/**
 * The loop kernel applying elementwise primitive `name` to `size` elements of operands of
 * dtypes `inputs`, giving outputs of dtypes `outs` (one, but threefry2x32's two), each stored
 * contiguously; verified when `config.verifyPrograms`.
 *
 * @example
 * ```ts
 * loopKernelToString(oneOpKernel("add", ["float32", "float32"], ["float32"], 8));
 * // loop [8] in (float32, float32) out (float32)
 * //   t0: float32 = in0[1]
 * //   t1: float32 = in1[1]
 * //   t2: float32 = add t0 t1
 * //   out0[1] = t2
 * ```
 */
export function oneOpKernel(
  name: LoweredName,
  inputs: readonly DType[],
  outs: readonly DType[],
  size: number,
): LoopKernel {
  const args = inputs.map((dtype, load): Expr => ({ kind: "load", dtype, load }));
  const k: LoopKernel = {
    space: [size],
    inputs,
    outputs: outs,
    loads: inputs.map((_, input) => ({ input, strides: [1] })),
    stores: lowerElementwise(name, args, outs).map((value, output) => ({
      output,
      value,
      strides: [1],
    })),
  };
  if (config.verifyPrograms) verifyLoopKernel(k);
  return k;
}
