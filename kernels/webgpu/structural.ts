/**
 * Kernels that move elements, each a one-op program of the kernel IR (one_op_view.ts) rendered
 * as jitted loop kernels are (one_op.ts): broadcast_in_dim, transpose, slice and rev load
 * through their strided view, pad through its padded view (with interior padding: a fill, then
 * the operand placed at strides), and concatenate stores each run of operands of one shape from
 * one kernel; reshape is a buffer copy.
 * @module
 */
import type { ShapedArray } from "../../core/aval.ts";
import { padIsView, padView } from "../../core/padded_view.ts";
import type { Params } from "../../core/primitive.ts";
import type { ConcatenateParams, PadParams } from "../../core/primitives/structural.ts";
import { shapeEqual, sizeOf } from "../../core/shape.ts";
import { STRIDED_VIEWS, type StridedViewName, type ViewRule } from "../../core/strided_views.ts";
import {
  fillKernel,
  padPlacement,
  partsKernel,
  placeKernel,
  viewKernel,
} from "../lowering/one_op_view.ts";
import { runOneOp } from "./one_op.ts";
import { allocFor, type GpuRule, type GpuRuleTable } from "./rule.ts";
import { ELEMENT_BYTES } from "./wgsl.ts";

/** A rule that loads its operand through its view, given the view for the output shape. */
function viewRule<P extends Params>(layout: ViewRule<P>): GpuRule<P> {
  return (rt, [x], [a], params, [out]) => {
    const result = allocFor(rt, out);
    runOneOp(rt, viewKernel(out.dtype, out.shape, layout(a, params, out)), [x], [result]);
    return [result];
  };
}

/** broadcast_in_dim, transpose, slice and rev: one load through their view each. */
const viewRules: Pick<GpuRuleTable, StridedViewName> = {
  broadcast_in_dim: viewRule(STRIDED_VIEWS.broadcast_in_dim),
  transpose: viewRule(STRIDED_VIEWS.transpose),
  slice: viewRule(STRIDED_VIEWS.slice),
  rev: viewRule(STRIDED_VIEWS.rev),
};

const reshape: GpuRule = (rt, [x], _, __, [out]) => {
  const result = allocFor(rt, out);
  rt.copy(x, result, out.size * ELEMENT_BYTES);
  return [result];
};

/** Whether the padded view `v` reads no element of its operand (it is all padding). */
const readsNothing = (bounds: readonly (readonly [number, number])[]) =>
  bounds.some(([from, to]) => from >= to);

/**
 * Pad: without interior padding, a load through its padded view (or a fill where it reads
 * nothing); with it, a fill unless the operand covers the output, then the operand's kept
 * elements placed at strides.
 */
const pad: GpuRule<PadParams> = (rt, [x], [a], params, [out]) => {
  const result = allocFor(rt, out);
  if (padIsView(params)) {
    const view = padView(a, params, out);
    const k = readsNothing(view.bounds)
      ? fillKernel(out.dtype, out.size, params.value)
      : viewKernel(out.dtype, out.shape, view);
    runOneOp(rt, k, k.inputs.length ? [x] : [], [result]);
    return [result];
  }
  const { shape, from, to, covers } = padPlacement(a.shape, out.shape, params);
  if (!covers) runOneOp(rt, fillKernel(out.dtype, out.size, params.value), [], [result]);
  runOneOp(rt, placeKernel(out.dtype, shape, from, to), [x], [result]);
  return [result];
};

/**
 * Splits `avals` into runs of consecutive operands of one shape, each of at most `most`: the
 * index of each run's first operand and its length.
 */
function runsOfOneShape(avals: readonly ShapedArray[], most: number): [number, number][] {
  const runs: [number, number][] = [];
  avals.forEach((a, i) => {
    const last = runs[runs.length - 1];
    if (last && last[1] < most && shapeEqual(avals[last[0]].shape, a.shape)) last[1]++;
    else runs.push([i, 1]);
  });
  return runs;
}

/**
 * Concatenate: one kernel per run of consecutive nonempty operands of one shape, each storing
 * its operands at their offsets, as many as fit the device's storage bindings (the output's and
 * the parameters' included).
 */
const concatenate: GpuRule<ConcatenateParams> = (rt, xs, avals, { dimension }, [out]) => {
  const result = allocFor(rt, out);
  const most = Math.max(1, rt.device.limits.maxStorageBuffersPerShaderStage - 2);
  const starts = avals.map((_, i) =>
    avals.slice(0, i).reduce((at, a) => at + a.shape[dimension], 0)
  );
  for (const [first, parts] of runsOfOneShape(avals, most)) {
    const shape = avals[first].shape;
    if (sizeOf(shape) === 0) continue;
    const k = partsKernel(out.dtype, shape, out.shape, dimension, starts[first], parts);
    runOneOp(rt, k, xs.slice(first, first + parts), [result]);
  }
  return [result];
};

/** WebGPU rules of the structural primitives. */
export const structuralRules: Pick<
  GpuRuleTable,
  StridedViewName | "reshape" | "pad" | "concatenate"
> = {
  ...viewRules,
  reshape,
  pad,
  concatenate,
};
