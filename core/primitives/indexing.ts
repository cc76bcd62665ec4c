/**
 * Integer indexing along one axis: `take` gathers, `scatter_add` is its transpose (the other
 * scatters, which combine into an operand, are in scatter.ts).
 * Indices must lie in range; an out-of-range index is an error, never a silent clamp.
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import { AdjointError } from "../errors.ts";
import { Primitive, type UndefPrimal } from "../primitive.ts";
import { shapeStr } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { loopBatchRule, moveAxis } from "./batching.ts";

/** Params of take and the combining scatters: the axis indexed. */
export type AxisParams = { axis: number };
/** Params of scatter_add: the axis indexed and the shape of the result. */
export type ScatterAddParams = { axis: number; shape: number[] };

/** Gathers `x` along `axis` at integer `indices` (output axis replaced by the indices' axes). */
export const takeP: Primitive<"take", AxisParams> = new Primitive("take");
/** Adds `updates` into a zero array of `shape` at `indices` along `axis`. */
export const scatterAddP: Primitive<"scatter_add", ScatterAddParams> = new Primitive(
  "scatter_add",
  { expanding: true },
);

takeP.shape = ([x, idx], { axis }) => {
  const a = axis;
  if (idx.dtype !== "int32" || !(a >= 0 && a < x.ndim)) {
    throw new AdjointError(
      "take",
      `expected int32 indices and an axis of ${x}, got ${idx} and axis ${a}`,
    );
  }
  return [
    new ShapedArray([...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)], x.dtype),
  ];
};
takeP.jvp = ([x, idx], [t], params) => [
  [bind1(takeP, [x, idx], params)],
  [t && bind1(takeP, [t, idx], params)],
];
takeP.transpose = ([ct], [x, idx], { axis }) => [
  ct && scatterAdd(ct, idx as Array, axis, (x as UndefPrimal).aval.shape),
  null,
];
const takeLoop = loopBatchRule(takeP);
takeP.batch = (axisSize, [x, idx], [bx, bi], params) => {
  const axis = params.axis;
  if (bi === null) return [[take(moveAxis(x, bx!, 0), idx, axis + 1)], [0]];
  if (bx === null) return [[take(x, idx, axis)], [axis + bi]];
  return takeLoop(axisSize, [x, idx], [bx, bi], params);
};

scatterAddP.shape = ([upd, idx], { axis, shape }) => {
  const a = axis, s = shape;
  const expected = [...s.slice(0, a), ...idx.shape, ...s.slice(a + 1)];
  if (
    idx.dtype !== "int32" || upd.ndim !== expected.length ||
    upd.shape.some((d, i) => d !== expected[i])
  ) {
    throw new AdjointError(
      "scatter_add",
      `updates ${upd} with indices ${idx} do not match shape ${shapeStr(s)} along axis ${a}; ` +
        `expected updates of shape ${shapeStr(expected)} and int32 indices`,
    );
  }
  return [new ShapedArray(s, upd.dtype)];
};
scatterAddP.jvp = ([u, idx], [t], params) => [
  [bind1(scatterAddP, [u, idx], params)],
  [t && bind1(scatterAddP, [t, idx], params)],
];
scatterAddP.transpose = ([ct], [, idx], { axis }) => [
  ct && take(ct, idx as Array, axis),
  null,
];
const scatterAddLoop = loopBatchRule(scatterAddP);
scatterAddP.batch = (axisSize, [u, idx], [bu, bi], params) => {
  if (bi !== null) return scatterAddLoop(axisSize, [u, idx], [bu, bi], params);
  const axis = params.axis, shape = params.shape;
  return [[scatterAdd(moveAxis(u, bu!, 0), idx, axis + 1, [axisSize, ...shape])], [0]];
};

/** Gathers along one axis. */
export function take(x: Array, indices: Array, axis: number): Array {
  return bind1(takeP, [x, indices], { axis });
}

/** Scatter-adds `updates` into zeros of `shape` along `axis`. */
export function scatterAdd(
  updates: Array,
  indices: Array,
  axis: number,
  shape: readonly number[],
): Array {
  return bind1(scatterAddP, [updates, indices], { axis, shape: [...shape] });
}
