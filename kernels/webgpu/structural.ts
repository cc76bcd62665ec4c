/**
 * Kernels that move elements: broadcast_in_dim, transpose, slice and rev are one strided gather
 * (`out[i] = in[offset + sum_d coord_d * stride_d]`, strides may be 0 or negative), reshape is a
 * buffer copy, pad gathers with a fill value, and concatenate places each operand into its block.
 * @module
 */

import { sizeOf, stridesOf } from "../../core/shape.ts";
import type { Params } from "../../core/primitive.ts";
import { STRIDED_VIEWS, type StridedViewName, type ViewRule } from "../../core/strided_views.ts";
import { allocFor, type GpuRule, type GpuRuleTable } from "./rule.ts";
import type { Kernel } from "./runtime.ts";
import {
  buffer,
  collapseAxes,
  ELEMENT_BYTES,
  type GpuDType,
  grid,
  KernelParams,
  stridedOffset,
} from "./wgsl.ts";

/** `out[i] = in[offset + sum_d coord_d(i) * strides[d]]` over the row-major indices of `shape`. */
export function gatherKernel(
  dtype: GpuDType,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Kernel {
  const c = collapseAxes(shape, strides);
  const p = new KernelParams();
  const g = grid(sizeOf(shape), p);
  const source = `${buffer(0, "src", dtype)}
${buffer(1, "out", dtype, true)}
${p.declare(2)}
${g.prologue}
  var at: i32 = ${p.int(offset)};
  ${stridedOffset("i", "at", c.shape, c.strides, p)}
  out[i] = src[u32(at)];
}`;
  return { source, groups: g.groups, params: p.values };
}

/** A rule that is one strided gather, given the input strides and offset for the output shape. */
function gatherRule<P extends Params>(layout: ViewRule<P>): GpuRule<P> {
  return (rt, [x], [a], params, [out]) => {
    const result = allocFor(rt, out);
    const { strides, offset } = layout(a, params, out);
    rt.run(gatherKernel(out.dtype as GpuDType, out.shape, strides, offset), [x, result]);
    return [result];
  };
}

/** broadcast_in_dim, transpose, slice and rev: one strided gather each, through their view. */
const viewRules: Pick<GpuRuleTable, StridedViewName> = {
  broadcast_in_dim: gatherRule(STRIDED_VIEWS.broadcast_in_dim),
  transpose: gatherRule(STRIDED_VIEWS.transpose),
  slice: gatherRule(STRIDED_VIEWS.slice),
  rev: gatherRule(STRIDED_VIEWS.rev),
};

const reshape: GpuRule = (rt, [x], _, __, [out]) => {
  const result = allocFor(rt, out);
  rt.copy(x, result, out.size * ELEMENT_BYTES);
  return [result];
};

/** Pad: each output element reads its source element, or the fill value outside the operand. */
function padKernel(
  dtype: GpuDType,
  inShape: readonly number[],
  outShape: readonly number[],
  lo: readonly number[],
  interior: readonly number[],
  value: number,
): Kernel {
  const p = new KernelParams();
  const g = grid(sizeOf(outShape), p);
  const inStrides = stridesOf(inShape);
  const axes = outShape.map((size, d) => {
    const step = p.int(interior[d] + 1), n = p.uint(size);
    return `let t${d} = i32(r % ${n}) - ${p.int(lo[d])};
  r = r / ${n};
  if (t${d} < 0 || t${d} % ${step} != 0 || t${d} / ${step} >= ${p.int(inShape[d])}) {
    inside = false;
  } else {
    at += (t${d} / ${step}) * ${p.int(inStrides[d])};
  }`;
  }).reverse();
  const source = `${buffer(0, "src", dtype)}
${buffer(1, "out", dtype, true)}
${p.declare(2)}
${g.prologue}
  var r = i;
  var at: i32 = 0;
  var inside = true;
  ${axes.join("\n  ")}
  if (inside) { out[i] = src[u32(at)]; } else { out[i] = ${p.scalar(value, dtype)}; }
}`;
  return { source, groups: g.groups, params: p.values };
}

const pad: GpuRule = (rt, [x], [a], { lo, interior, value }, [out]) => {
  const result = allocFor(rt, out);
  const kernel = padKernel(
    out.dtype as GpuDType,
    a.shape,
    out.shape,
    lo as number[],
    interior as number[],
    value as number,
  );
  rt.run(kernel, [x, result]);
  return [result];
};

/** Writes an operand of `rows` rows of `row` elements into columns `col..` of rows of `rowOut`. */
function placeKernel(
  dtype: GpuDType,
  rows: number,
  row: number,
  rowOut: number,
  col: number,
): Kernel {
  const p = new KernelParams();
  const g = grid(rows * row, p);
  const r = p.uint(row);
  const source = `${buffer(0, "src", dtype)}
${buffer(1, "out", dtype, true)}
${p.declare(2)}
${g.prologue}
  out[(i / ${r}) * ${p.uint(rowOut)} + ${p.uint(col)} + i % ${r}] = src[i];
}`;
  return { source, groups: g.groups, params: p.values };
}

const concatenate: GpuRule = (rt, xs, avals, { dimension }, [out]) => {
  const d = dimension as number;
  const result = allocFor(rt, out);
  const rows = sizeOf(out.shape.slice(0, d));
  const rowOut = sizeOf(out.shape.slice(d));
  let col = 0;
  xs.forEach((x, k) => {
    const row = sizeOf(avals[k].shape.slice(d));
    rt.run(placeKernel(out.dtype as GpuDType, rows, row, rowOut, col), [x, result]);
    col += row;
  });
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
