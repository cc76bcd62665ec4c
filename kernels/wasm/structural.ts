/**
 * Structural primitives on the wasm runtime. Reshape (and converting to the same dtype) views
 * the input's block without copying; the others are one strided copy each, as in the reference
 * backend: broadcast (stride 0), transpose (permuted strides), slice (offset and scaled strides),
 * rev (negative strides), concatenate (a copy into a view of the output per input) and pad (a
 * fill, then a copy of the kept input region into a strided view of the output).
 * @module
 */
import type { DType } from "../../core/dtype.ts";
import type { Params } from "../../core/primitive.ts";
import { sizeOf, stridesOf } from "../../core/shape.ts";
import { STRIDED_VIEWS, type StridedViewName, type ViewRule } from "../../core/strided_views.ts";
import type { WasmBuffer } from "./memory.ts";
import type { ParamsOf } from "../rule_table.ts";
import type { WasmRule, WasmRuleTable } from "./rule.ts";
import type { WasmRuntime } from "./runtime.ts";
import { fill, gather, stridedCopy } from "./strided.ts";

/** broadcast_in_dim, transpose, slice and rev: one strided copy each, through their view. */
function gatherThrough<P extends Params>(view: ViewRule<P>): WasmRule<P> {
  return (rt, [x], [a], params, [out]) => {
    const { strides, offset } = view(a, params, out);
    return [gather(rt, x, out.dtype, out.shape, strides, offset)];
  };
}

const viewRules: Pick<WasmRuleTable, StridedViewName> = {
  broadcast_in_dim: gatherThrough(STRIDED_VIEWS.broadcast_in_dim),
  transpose: gatherThrough(STRIDED_VIEWS.transpose),
  slice: gatherThrough(STRIDED_VIEWS.slice),
  rev: gatherThrough(STRIDED_VIEWS.rev),
};

const reshape: WasmRule = (rt, [x]) => [rt.share(x)];

const concatenate: WasmRule<ParamsOf<"concatenate">> = (rt, xs, avals, { dimension }, [out]) => {
  const o = rt.allocFor(out);
  const os = stridesOf(out.shape);
  let offset = 0;
  xs.forEach((x, k) => {
    const shape = avals[k].shape;
    stridedCopy(rt, out.dtype, shape, { buffer: x, offset: 0, strides: stridesOf(shape) }, {
      buffer: o,
      offset,
      strides: os,
    });
    offset += shape[dimension] * os[dimension];
  });
  return [o];
};

/**
 * `out = pad(x)` with `lo`/`hi` edge padding (negative amounts crop) and `interior` padding
 * between elements, every padded position holding `value`.
 */
export function padInto(
  rt: WasmRuntime,
  x: WasmBuffer,
  dtype: DType,
  inShape: readonly number[],
  outShape: readonly number[],
  lo: readonly number[],
  interior: readonly number[],
  value: number,
): WasmBuffer {
  const o = rt.alloc(dtype, sizeOf(outShape));
  const n = sizeOf(outShape);
  const xs = stridesOf(inShape), os = stridesOf(outShape);
  const shape: number[] = [], src: number[] = [], dst: number[] = [];
  let srcOffset = 0, dstOffset = 0, covers = true;
  for (let d = 0; d < inShape.length; d++) {
    const step = interior[d] + 1;
    const first = Math.max(0, Math.ceil(-lo[d] / step));
    const last = Math.min(inShape[d] - 1, Math.floor((outShape[d] - 1 - lo[d]) / step));
    const count = Math.max(0, last - first + 1);
    if (count !== outShape[d]) covers = false;
    shape.push(count);
    src.push(xs[d]);
    dst.push(step * os[d]);
    srcOffset += first * xs[d];
    dstOffset += (lo[d] + first * step) * os[d];
  }
  if (!covers) fill(rt, dtype, o, value, n);
  stridedCopy(rt, dtype, shape, { buffer: x, offset: srcOffset, strides: src }, {
    buffer: o,
    offset: dstOffset,
    strides: dst,
  });
  return o;
}

const pad: WasmRule<ParamsOf<"pad">> = (rt, [x], [a], { lo, interior, value }, [out]) => [
  padInto(
    rt,
    x,
    out.dtype,
    a.shape,
    out.shape,
    lo,
    interior,
    value,
  ),
];

/** Rules of the structural primitives. */
export const structuralRules: Pick<
  WasmRuleTable,
  StridedViewName | "reshape" | "concatenate" | "pad"
> = {
  ...viewRules,
  reshape,
  concatenate,
  pad,
};
