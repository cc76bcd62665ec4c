/**
 * Reference kernels for structural primitives and reductions.
 * @module
 */
import { allocTyped } from "../../core/dtype.ts";
import { AdjointError } from "../../core/errors.ts";
import type { Params } from "../../core/primitive.ts";
import { type MonoidReduction, reductionIdentity } from "../../core/reduction_identity.ts";
import { sizeOf, stridesOf } from "../../core/shape.ts";
import { STRIDED_VIEWS, type StridedViewName, type ViewRule } from "../../core/strided_views.ts";
import type { RefImpl, RefKernelTable } from "./impl.ts";
import { gatherStrided } from "./strided.ts";

/** broadcast_in_dim, transpose, slice and rev: one strided gather each, through their view. */
function gatherThrough<P extends Params>(view: ViewRule<P>): RefImpl<P> {
  return ([x], [a], params, [out]) => {
    const { strides, offset } = view(a, params, out);
    return [gatherStrided(x, out.dtype, out.shape, strides, offset)];
  };
}

const viewImpls: Pick<RefKernelTable, StridedViewName> = {
  broadcast_in_dim: gatherThrough(STRIDED_VIEWS.broadcast_in_dim),
  transpose: gatherThrough(STRIDED_VIEWS.transpose),
  slice: gatherThrough(STRIDED_VIEWS.slice),
  rev: gatherThrough(STRIDED_VIEWS.rev),
};

const reshape: RefImpl = ([x]) => [x.slice()];

const concatenate: RefImpl = (xs, avals, { dimension }, [out]) => {
  const d = dimension as number;
  const outer = sizeOf(out.shape.slice(0, d));
  const r = allocTyped(out.dtype, sizeOf(out.shape));
  const rowOut = sizeOf(out.shape.slice(d));
  let col = 0;
  xs.forEach((x, k) => {
    const row = sizeOf(avals[k].shape.slice(d));
    for (let o = 0; o < outer; o++) r.set(x.subarray(o * row, (o + 1) * row), o * rowOut + col);
    col += row;
  });
  return [r];
};

const pad: RefImpl = ([x], [a], { lo, hi: _hi, interior, value }, [out]) => {
  const l = lo as number[], it = interior as number[];
  const r = allocTyped(out.dtype, sizeOf(out.shape)).fill(value as number);
  const os = stridesOf(out.shape);
  const nd = a.shape.length;
  const idx = new Array<number>(nd).fill(0);
  for (let i = 0; i < x.length; i++) {
    let p = 0, inside = true;
    for (let d = 0; d < nd; d++) {
      const o = l[d] + idx[d] * (it[d] + 1);
      if (o < 0 || o >= out.shape[d]) inside = false;
      p += o * os[d];
    }
    if (inside) r[p] = x[i];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < a.shape[d]) break;
      idx[d] = 0;
    }
  }
  return [r];
};

type Combine = (acc: number, v: number) => number;

/** A reduction over axes, combining from the identity in the dtype. */
function reduce(name: MonoidReduction, combine: Combine, wrapping: Combine = combine): RefImpl {
  return ([x], [a], { axes }, [out]) => {
    const ax = axes as number[];
    // int32 wraps at every step, as the primitive says; in float64 a product of int32s would
    // lose its low bits past 2^53 before the final wrap.
    const step = a.dtype === "int32" ? wrapping : combine;
    // Starting from the identity in the dtype, an empty reduction gives it (JAX's result).
    const acc = new Float64Array(sizeOf(out.shape)).fill(reductionIdentity(name, a.dtype));
    const keptStrides = stridesOf(out.shape);
    const nd = a.shape.length;
    const outStride = new Array<number>(nd).fill(0);
    let k = 0;
    for (let d = 0; d < nd; d++) if (!ax.includes(d)) outStride[d] = keptStrides[k++];
    const idx = new Array<number>(nd).fill(0);
    let p = 0;
    for (let i = 0; i < x.length; i++) {
      acc[p] = step(acc[p], x[i]);
      for (let d = nd - 1; d >= 0; d--) {
        p += outStride[d];
        if (++idx[d] < a.shape[d]) break;
        p -= outStride[d] * a.shape[d];
        idx[d] = 0;
      }
    }
    const r = allocTyped(out.dtype, acc.length);
    r.set(acc as unknown as ArrayLike<number>);
    return [r];
  };
}

const nanMax: Combine = (acc, v) => (Number.isNaN(v) || Number.isNaN(acc) ? NaN : Math.max(acc, v));
const nanMin: Combine = (acc, v) => (Number.isNaN(v) || Number.isNaN(acc) ? NaN : Math.min(acc, v));

function argReduce(better: (v: number, best: number) => boolean): RefImpl {
  return ([x], [a], { axis }, [out]) => {
    const ax = axis as number;
    const n = a.shape[ax];
    const inner = sizeOf(a.shape.slice(ax + 1));
    const outer = sizeOf(a.shape.slice(0, ax));
    const r = allocTyped("int32", outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = x[o * n * inner + i], bi = 0;
        for (let j = 1; j < n && !Number.isNaN(best); j++) {
          const v = x[(o * n + j) * inner + i];
          if (better(v, best) || Number.isNaN(v)) [best, bi] = [v, j];
        }
        r[o * inner + i] = bi;
      }
    }
    void out;
    return [r];
  };
}

function checkIndex(op: string, i: number, n: number): void {
  if (!(i >= 0 && i < n)) {
    throw new AdjointError(op, `index ${i} is out of bounds for an axis of size ${n}`);
  }
}

const take: RefImpl = ([x, idx], [a], { axis }, [out]) => {
  const ax = axis as number;
  const n = a.shape[ax];
  const inner = sizeOf(a.shape.slice(ax + 1));
  const outer = sizeOf(a.shape.slice(0, ax));
  const r = allocTyped(out.dtype, sizeOf(out.shape));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j];
      checkIndex("take", i, n);
      const src = (o * n + i) * inner;
      r.set(x.subarray(src, src + inner), (o * idx.length + j) * inner);
    }
  }
  return [r];
};

const scatterAdd: RefImpl = ([u, idx], _, { axis }, [out]) => {
  const ax = axis as number;
  const n = out.shape[ax];
  const inner = sizeOf(out.shape.slice(ax + 1));
  const outer = sizeOf(out.shape.slice(0, ax));
  const r = allocTyped(out.dtype, sizeOf(out.shape));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j];
      checkIndex("scatter_add", i, n);
      const dst = (o * n + i) * inner, src = (o * idx.length + j) * inner;
      for (let k = 0; k < inner; k++) r[dst + k] += u[src + k];
    }
  }
  return [r];
};

/** Reference kernels of the structural, reduction and indexing primitives. */
export const structuralImpls: Pick<
  RefKernelTable,
  | StridedViewName
  | "reshape"
  | "concatenate"
  | "pad"
  | "reduce_sum"
  | "reduce_prod"
  | "reduce_max"
  | "reduce_min"
  | "argmax"
  | "argmin"
  | "take"
  | "scatter_add"
> = {
  ...viewImpls,
  reshape,
  concatenate,
  pad,
  reduce_sum: reduce("reduce_sum", (acc, v) => acc + v, (acc, v) => (acc + v) | 0),
  reduce_prod: reduce("reduce_prod", (acc, v) => acc * v, Math.imul),
  reduce_max: reduce("reduce_max", nanMax),
  reduce_min: reduce("reduce_min", nanMin),
  argmax: argReduce((v, best) => v > best),
  argmin: argReduce((v, best) => v < best),
  take,
  scatter_add: scatterAdd,
};
