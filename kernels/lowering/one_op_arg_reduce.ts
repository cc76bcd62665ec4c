/**
 * Argmax and argmin as one-op programs of the kernel IR: two reduction kernels, the extreme
 * along the axis (a max or min reduction, NaN winning as it propagates), then the least index
 * along the axis (an `index` node) at which the operand equals that extreme or is NaN (the
 * largest int32 elsewhere: `firstIndexKernel`). That is the ref backend's first index of the
 * extreme, a NaN winning at once (its first NaN: only NaNs match a NaN extreme), and of ties, 0
 * and -0 among them, the first; the min reduction of indices gives the same in any order of its
 * terms. WebGPU renders both over the operand's own shape (`argReduceKernels`); wasm renders the
 * second at build time over its `[outer, r, inner]` loop shapes (one_op_reduction.ts
 * `firstPosition`), its extreme an eager max or min reduction.
 * @module
 */
import { config } from "../../core/config.ts";
import type { DType } from "../../core/dtype.ts";
import { stridesOf } from "../../core/shape.ts";
import { binaryExpr, compareExpr, constant, select } from "./ir_builders.ts";
import type { Expr, LoopKernel } from "./kernel_ir.ts";
import { reductionStrides } from "./lower_kernel.ts";
import { reduceAxesKernel } from "./one_op_reduce_axes.ts";
import { verifyLoopKernel } from "./verify_ir.ts";

/** The largest int32: the identity of the min reduction of indices (no shape in the source). */
const INT32_MAX = 2 ** 31 - 1;

/**
 * How a kernel tests a float for NaN: `bits`, float32 by its bits (exponent all ones, mantissa
 * nonzero), which no GPU compiler's assumption of ordered comparisons can fold away (WGSL);
 * `self`, `x != x`, one instruction where comparisons are IEEE's (wasm, where the bit test ran
 * float32 argmax 4% slower: bench/builds.ts [1024, 1024], 61 rounds). Float64 (wasm only) is
 * `x != x` in both.
 */
export type NanTest = "bits" | "self";

/** `x != x`: NaN, where comparisons are IEEE's. */
const unordered = (x: Expr): Expr => compareExpr("ne", x, x);

/** Float32 NaN by its bits: `x`'s without the sign above an infinity's. */
const nanBits = (x: Expr): Expr =>
  compareExpr(
    "gt",
    binaryExpr("and", { kind: "bitcast", dtype: "int32", a: x }, constant("int32", 0x7fffffff)),
    constant("int32", 0x7f800000),
  );

/** Per NaN test and float dtype: whether `x` is NaN. */
const NAN_TESTS: Readonly<Record<NanTest, Readonly<Partial<Record<DType, (x: Expr) => Expr>>>>> = {
  bits: { float32: nanBits, float64: unordered },
  self: { float32: unordered, float64: unordered },
};

/** The index reductions. */
export type ArgReduction = "argmax" | "argmin";

/**
 * The second kernel of an argmax or argmin over a dense operand of `dtype` and `shape` along
 * `axis`: the least index along `axis` whose element (input 0) equals the extreme there (input
 * 1, of the kept axes) or is NaN (tested as `nan` says), an int32 of the kept axes; verified
 * when `config.verifyPrograms`.
 *
 * @example
 * ```ts
 * loopKernelToString(firstIndexKernel("float32", [2, 5], 1, "bits"));
 * // loop [2,5] in (float32, float32) out (int32)
 * //   t0: float32 = in0[5,1]
 * //   t1: float32 = in1[1,0]
 * //   t2: bool = eq t0 t1
 * //   t3: int32 = bitcast t0
 * //   t4: int32 = 2147483647
 * //   t5: int32 = and t3 t4
 * //   t6: int32 = 2139095040
 * //   t7: bool = gt t5 t6
 * //   t8: bool = or t2 t7
 * //   t9: int32 = index 1
 * //   t10: int32 = 2147483647
 * //   t11: int32 = select t8 t9 t10
 * //   out0[1,0] min= t11
 * ```
 */
export function firstIndexKernel(
  dtype: DType,
  shape: readonly number[],
  axis: number,
  nan: NanTest,
): LoopKernel {
  const x: Expr = { kind: "load", dtype, load: 0 };
  const best: Expr = { kind: "load", dtype, load: 1 };
  const equal = compareExpr("eq", x, best);
  const isNaN = NAN_TESTS[nan][dtype];
  const hit = isNaN ? binaryExpr("or", equal, isNaN(x)) : equal;
  const at: Expr = { kind: "index", dtype: "int32", axis };
  const kept = reductionStrides([axis], shape).strides;
  const index: LoopKernel = {
    space: shape,
    inputs: [dtype, dtype],
    outputs: ["int32"],
    loads: [{ input: 0, strides: stridesOf(shape) }, { input: 1, strides: kept }],
    stores: [{
      output: 0,
      value: select(hit, at, constant("int32", INT32_MAX)),
      strides: kept,
      reduce: "min",
    }],
  };
  if (config.verifyPrograms) verifyLoopKernel(index);
  return index;
}

/**
 * The two loop kernels of `which` along `axis` of an operand of `dtype` and `shape`: the
 * extreme (its output, of the kept axes, is the second's input 1), then the index
 * (`firstIndexKernel`, NaN by its bits, for WGSL); verified when `config.verifyPrograms`.
 */
export function argReduceKernels(
  which: ArgReduction,
  dtype: DType,
  shape: readonly number[],
  axis: number,
): [LoopKernel, LoopKernel] {
  const extreme = reduceAxesKernel(which === "argmax" ? "max" : "min", dtype, shape, [axis]);
  return [extreme, firstIndexKernel(dtype, shape, axis, "bits")];
}
