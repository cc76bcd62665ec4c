/**
 * Reductions over a set of axes (sum, prod, max, min) and index reductions (argmax, argmin),
 * each a one-op program of the kernel IR (one_op_reduce_axes.ts; one_op_arg_reduce.ts: two
 * reductions, the extreme then its first index) rendered as jitted loop kernels are (one_op.ts,
 * loop_shader.ts): short reductions run one invocation per output element, long ones one
 * workgroup per output element whose invocations fold strided shares and combine them as a
 * tree in workgroup memory.
 * @module
 */
import type { ArgReduceParams, ReduceParams } from "../../core/primitives/reductions.ts";
import type { ReduceOp } from "../lowering/kernel_ir.ts";
import { argReduceKernels, type ArgReduction } from "../lowering/one_op_arg_reduce.ts";
import { reduceAxesKernel } from "../lowering/one_op_reduce_axes.ts";
import { runOneOp } from "./one_op.ts";
import { allocFor, type GpuRule, type GpuRuleTable } from "./rule.ts";
import { ELEMENT_BYTES } from "./wgsl.ts";

/** The rule of a reduction over axes accumulating by `op`. */
const reduceRule = (op: ReduceOp): GpuRule<ReduceParams> => (rt, [x], [a], { axes }, [out]) => {
  const result = allocFor(rt, out);
  runOneOp(rt, reduceAxesKernel(op, a.dtype, a.shape, axes), [x], [result]);
  return [result];
};

/**
 * The rule of argmax or argmin: the extreme along the axis into a temporary, then the first
 * index at which the operand equals it (or is NaN), both one-op kernels (one_op_arg_reduce.ts).
 */
const argRule =
  (which: ArgReduction): GpuRule<ArgReduceParams> => (rt, [x], [a], { axis }, [out]) => {
    const [extreme, index] = argReduceKernels(which, a.dtype, a.shape, axis);
    const best = rt.alloc(out.size * ELEMENT_BYTES);
    runOneOp(rt, extreme, [x], [best]);
    const result = allocFor(rt, out);
    runOneOp(rt, index, [x, best], [result]);
    rt.release(best);
    return [result];
  };

/** WebGPU rules of the reduction primitives. */
export const reductionRules: Pick<
  GpuRuleTable,
  "reduce_sum" | "reduce_prod" | "reduce_max" | "reduce_min" | "argmax" | "argmin"
> = {
  reduce_sum: reduceRule("add"),
  reduce_prod: reduceRule("mul"),
  reduce_max: reduceRule("max"),
  reduce_min: reduceRule("min"),
  argmax: argRule("argmax"),
  argmin: argRule("argmin"),
};
