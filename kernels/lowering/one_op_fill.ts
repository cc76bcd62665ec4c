/**
 * Eager fills (a pad's background, a reduction's identity, a product's zeroed accumulator) as a
 * one-op program of the kernel IR: a sized loop kernel (sized_kernel.ts) over one axis, the
 * range `[lo, hi)` its caller gives, storing the kernel's one run-time parameter (a `param`
 * node, kernel_ir.ts) at every point: `out[i] = p0`.
 * @module
 */
import { config } from "../../core/config.ts";
import type { DType } from "../../core/dtype.ts";
import type { SizedLoopKernel } from "./sized_kernel.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/** The representative size of the axis (the vectoriser reads only that it runs four lanes). */
const ANY = 1 << 8;

/**
 * The loop kernel filling elements of `dtype` with its parameter 0; verified when
 * `config.verifyPrograms`.
 *
 * @example
 * ```ts
 * loopKernelToString(oneOpFill("float32"));
 * // loop [256] in () out (float32) params (float32)
 * //   t0: float32 = param 0
 * //   out0[1] = t0
 * ```
 */
export function oneOpFill(dtype: DType): SizedLoopKernel {
  const k: SizedLoopKernel = {
    space: [ANY],
    sizes: [null],
    inputs: [],
    outputs: [dtype],
    params: [dtype],
    loads: [],
    stores: [{ output: 0, value: { kind: "param", dtype, param: 0 }, strides: [1] }],
  };
  if (config.verifyPrograms) verifyLoopKernel(k);
  return k;
}
