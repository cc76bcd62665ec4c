/**
 * Reductions over a set of axes (sum, prod, max, min), each a one-op program of the kernel IR
 * (one_op_reduce_axes.ts) rendered as jitted loop kernels are (one_op.ts, loop_shader.ts):
 * short reductions run one invocation per output element, long ones one workgroup per output
 * element whose invocations fold strided shares and combine them as a tree in workgroup memory.
 * Index reductions (argmax, argmin) are hand-written: one invocation per output element.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import type { ReduceParams } from "../../core/primitives/reductions.ts";
import { sizeOf } from "../../core/shape.ts";
import type { ReduceOp } from "../lowering/kernel_ir.ts";
import { reduceAxesKernel } from "../lowering/one_op_reduce_axes.ts";
import { runOneOp } from "./one_op.ts";
import { allocFor, type GpuRule, type GpuRuleTable } from "./rule.ts";
import type { Kernel } from "./runtime.ts";
import { buffer, type GpuDType, grid, KernelParams } from "./wgsl.ts";
import { withHelpers } from "./wgsl_math.ts";

/** The rule of a reduction over axes accumulating by `op`. */
const reduceRule = (op: ReduceOp): GpuRule<ReduceParams> => (rt, [x], [a], { axes }, [out]) => {
  const result = allocFor(rt, out);
  runOneOp(rt, reduceAxesKernel(op, a.dtype, a.shape, axes), [x], [result]);
  return [result];
};

/** First index of the extreme along `axis`; a NaN wins at once, as in the ref backend. */
function argKernel(name: string, dtype: GpuDType, a: ShapedArray, axis: number): Kernel {
  const n = a.shape[axis];
  const inner = sizeOf(a.shape.slice(axis + 1));
  const p = new KernelParams();
  const g = grid(sizeOf(a.shape) / n, p);
  const better = name === "argmax" ? ">" : "<";
  const nan = dtype === "float32";
  const len = p.uint(n), step = p.uint(inner);
  const source = withHelpers(`${buffer(0, "src", dtype)}
${buffer(1, "out", "int32", true)}
${p.declare(2)}
${g.prologue}
  let base = (i / ${step}) * ${len} * ${step} + i % ${step};
  var best = src[base];
  var at = 0i;
  for (var j = 1u; j < ${len}${nan ? " && !is_nan(best)" : ""}; j++) {
    let v = src[base + j * ${step}];
    if (v ${better} best${nan ? " || is_nan(v)" : ""}) { best = v; at = i32(j); }
  }
  out[i] = at;
}`);
  return { source, groups: g.groups, params: p.values };
}

function argRule(name: string): GpuRule {
  return (rt, [x], [a], { axis }, [out]) => {
    const result = allocFor(rt, out);
    rt.run(argKernel(name, a.dtype as GpuDType, a, axis as number), [x, result]);
    return [result];
  };
}

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
