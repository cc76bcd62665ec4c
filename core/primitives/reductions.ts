/**
 * Reductions over a set of axes (sum, max, min, prod) and index reductions (argmax, argmin).
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { AdjointError } from "../errors.ts";
import {
  type BatchRule,
  Primitive,
  type PrimitiveProperties,
  type UndefPrimal,
} from "../primitive.ts";
import { range, shapeStr, sizeOf } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { convert, div, eq, mul } from "./elementwise.ts";
import { broadcastInDim, pad, reshape, rev, slice, transpose } from "./structural.ts";

function checkAxes(op: string, x: ShapedArray, axes: number[]): void {
  if (
    !axes.every((a, i) =>
      Number.isInteger(a) && a >= 0 && a < x.ndim && (i === 0 || a > axes[i - 1])
    )
  ) {
    throw new AdjointError(op, `axes ${shapeStr(axes)} are not sorted distinct axes of ${x}`);
  }
}

function reducedShape(shape: readonly number[], axes: number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

/** Output keeps the axes not reduced; broadcasting back needs them as broadcast dims. */
function keptDims(ndim: number, axes: number[]): number[] {
  return range(ndim).filter((i) => !axes.includes(i));
}

/** The batching rule of a reduction over `axes`: the same reduction, its axes moved past `b`. */
function batchReduce(prim: Primitive<string, ReduceParams>): BatchRule<ReduceParams> {
  return (_, [x], [bd], { axes }) => {
    const b = bd!;
    const moved = axes.map((a) => (a >= b ? a + 1 : a));
    const out = bind1(prim, [x], { axes: moved });
    return [[out], [b - moved.filter((a) => a < b).length]];
  };
}

/** The batching rule of an argmax or argmin along `axis`: the same, its axis moved past `b`. */
function batchArgReduce(prim: Primitive<string, ArgReduceParams>): BatchRule<ArgReduceParams> {
  return (_, [x], [bd], { axis }) => {
    const b = bd!;
    const moved = axis >= b ? axis + 1 : axis;
    return [[bind1(prim, [x], { axis: moved })], [moved < b ? b - 1 : b]];
  };
}

/** Params of the reductions over axes: the axes reduced. */
export type ReduceParams = { axes: number[] };
/** Params of argmax and argmin: the axis searched. */
export type ArgReduceParams = { axis: number };

function reduction<N extends string>(
  name: N,
  properties: PrimitiveProperties = {},
): Primitive<N, ReduceParams> {
  const p = new Primitive<N, ReduceParams>(name, properties);
  p.shape = ([x], { axes }) => {
    checkAxes(name, x, axes);
    if (x.dtype === "bool" && (name === "reduce_sum" || name === "reduce_prod")) {
      throw new AdjointError(name, `expected a numeric array, got ${x}`);
    }
    return [new ShapedArray(reducedShape(x.shape, axes), x.dtype)];
  };
  p.batch = batchReduce(p);
  return p;
}

/** Sum over axes. */
export const reduceSumP: Primitive<"reduce_sum", ReduceParams> = reduction("reduce_sum", {
  fusibleReduction: true,
});
/** Maximum over axes. */
export const reduceMaxP: Primitive<"reduce_max", ReduceParams> = reduction("reduce_max", {
  fusibleReduction: true,
});
/** Minimum over axes. */
export const reduceMinP: Primitive<"reduce_min", ReduceParams> = reduction("reduce_min", {
  fusibleReduction: true,
});
/** Product over axes. */
export const reduceProdP: Primitive<"reduce_prod", ReduceParams> = reduction("reduce_prod", {
  fusibleReduction: true,
});

reduceSumP.jvp = ([x], [t], params) => [
  [bind1(reduceSumP, [x], params)],
  [t && bind1(reduceSumP, [t], params)],
];
reduceSumP.transpose = ([ct], [x], { axes }) => {
  if (ct === null) return [null];
  const shape = (x as UndefPrimal).aval.shape;
  return [broadcastInDim(ct, shape, keptDims(shape.length, axes))];
};

/** Jvp of max/min: the tangent averaged over the positions that attain the extreme. */
function defChooserJvp(p: Primitive<string, ReduceParams>): void {
  p.jvp = ([x], [t], params) => {
    const ans = bind1(p, [x], params);
    if (t === null) return [[ans], [null]];
    const axes = params.axes;
    const where = convert(eq(x, broadcastInDim(ans, x.shape, keptDims(x.ndim, axes))), x.dtype);
    const counts = reduceSum(where, axes);
    return [[ans], [div(reduceSum(mul(t, where), axes), counts)]];
  };
}
defChooserJvp(reduceMaxP);
defChooserJvp(reduceMinP);

/** Shifts `x` by `k` along its last axis, filling with ones: `[1, .., 1, x0, x1, ..]`. */
function shiftInOnes(x: Array, k: number): Array {
  const n = x.shape[x.ndim - 1];
  const lo = x.shape.map(() => 0), hi = x.shape.map(() => 0);
  lo[x.ndim - 1] = Math.min(k, n);
  const limit = [...x.shape];
  limit[x.ndim - 1] = Math.max(n - k, 0);
  return pad(slice(x, lo.map(() => 0), limit), lo, hi, lo.map(() => 0), 1);
}

/** Product of the elements before each one along the last axis (a log-step scan). */
function exclusiveCumprod(x: Array): Array {
  let inclusive = x;
  for (let k = 1; k < x.shape[x.ndim - 1]; k *= 2) {
    inclusive = mul(inclusive, shiftInOnes(inclusive, k));
  }
  return shiftInOnes(inclusive, 1);
}

/**
 * For each element, the product of the other elements of its reduction group, computed from
 * prefix and suffix products so that it is exact (and differentiable) when some are zero.
 */
function productOfOthers(x: Array, axes: number[]): Array {
  const kept = keptDims(x.ndim, axes);
  const perm = [...kept, ...axes];
  const moved = transpose(x, perm);
  const flat = reshape(moved, [
    ...kept.map((d) => x.shape[d]),
    sizeOf(axes.map((d) => x.shape[d])),
  ]);
  const last = [flat.ndim - 1];
  const others = mul(exclusiveCumprod(flat), rev(exclusiveCumprod(rev(flat, last)), last));
  const inverse = range(x.ndim);
  perm.forEach((p, i) => (inverse[p] = i));
  return transpose(reshape(others, moved.shape), inverse);
}

reduceProdP.jvp = ([x], [t], params) => {
  const ans = bind1(reduceProdP, [x], params);
  if (t === null) return [[ans], [null]];
  const axes = params.axes;
  return [[ans], [reduceSum(mul(t, productOfOthers(x, axes)), axes)]];
};

/** lax.reduce_sum. */
export function reduceSum(x: Array, axes: readonly number[]): Array {
  if (axes.length === 0) return x;
  return bind1(reduceSumP, [x], { axes: [...axes] });
}
/** lax.reduce_max. */
export function reduceMax(x: Array, axes: readonly number[]): Array {
  if (axes.length === 0) return x;
  return bind1(reduceMaxP, [x], { axes: [...axes] });
}
/** lax.reduce_min. */
export function reduceMin(x: Array, axes: readonly number[]): Array {
  if (axes.length === 0) return x;
  return bind1(reduceMinP, [x], { axes: [...axes] });
}
/** lax.reduce_prod. */
export function reduceProd(x: Array, axes: readonly number[]): Array {
  if (axes.length === 0) return x;
  return bind1(reduceProdP, [x], { axes: [...axes] });
}

function indexReduction<N extends string>(name: N): Primitive<N, ArgReduceParams> {
  const p = new Primitive<N, ArgReduceParams>(name);
  p.shape = ([x], { axis }) => {
    const a = axis;
    if (!(a >= 0 && a < x.ndim) || x.shape[a] === 0) {
      throw new AdjointError(name, `axis ${a} is not a non-empty axis of ${x}`);
    }
    return [new ShapedArray(reducedShape(x.shape, [a]), "int32")];
  };
  p.jvp = ([x], _, params) => [[bind1(p, [x], params)], [null]];
  p.batch = batchArgReduce(p);
  return p;
}

/** Index of the first maximum along an axis. */
export const argmaxP: Primitive<"argmax", ArgReduceParams> = indexReduction("argmax");
/** Index of the first minimum along an axis. */
export const argminP: Primitive<"argmin", ArgReduceParams> = indexReduction("argmin");

/** lax.argmax (int32 indices). */
export function argmax(x: Array, axis: number): Array {
  return bind1(argmaxP, [x], { axis });
}
/** lax.argmin (int32 indices). */
export function argmin(x: Array, axis: number): Array {
  return bind1(argminP, [x], { axis });
}
