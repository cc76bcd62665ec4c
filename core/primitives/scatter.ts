/**
 * Scatters into an operand along one axis: `scatter` (set), `scatter_mul`, `scatter_min` and
 * `scatter_max`, as lax.scatter and its combining variants restricted to one indexed axis.
 * The operand is viewed as `[outer, n, inner]` around `axis`; `updates[o, j, r]` is combined
 * into `operand[o, indices[j], r]`. Repeated indices combine in order: the last update wins for
 * `scatter`, the others multiply, take the minimum or the maximum of all of them. (The add
 * variant, into zeros, is `scatter_add` of core/primitives/indexing.ts.) Indices must lie in
 * `[0, n)`; an index out of range is an error, never dropped.
 *
 * Their jvp rules are written, as JAX's, with `take` and `scatter_add` and constant masks, so the
 * tangents are linear in primitives that already transpose, and none of these needs its own
 * transpose rule.
 * @module
 */
import { type Array, ConcreteArray } from "../array.ts";
import type { ShapedArray } from "../aval.ts";
import { isFloat } from "../dtype.ts";
import { AdjointError } from "../errors.ts";
import { type BatchRule, type JvpRule, Primitive } from "../primitive.ts";
import { range, shapeStr } from "../shape.ts";
import { bind1 } from "../trace.ts";
import { loopBatchRule, moveBatchAxis } from "./batching.ts";
import { full, zerosLike } from "./constants.ts";
import { add, div, eq, gt, mul, select } from "./elementwise.ts";
import { type AxisParams, scatterAdd, take } from "./indexing.ts";
import { broadcastInDim } from "./structural.ts";

/** Writes `updates` into `operand` at `indices` along `axis` (the last repeat wins). */
export const scatterP: Primitive<"scatter", AxisParams> = new Primitive("scatter");
/** Multiplies `operand` at `indices` along `axis` by `updates`. */
export const scatterMulP: Primitive<"scatter_mul", AxisParams> = new Primitive("scatter_mul");
/** The minimum of `operand` and the `updates` at each of `indices` along `axis`. */
export const scatterMinP: Primitive<"scatter_min", AxisParams> = new Primitive("scatter_min");
/** The maximum of `operand` and the `updates` at each of `indices` along `axis`. */
export const scatterMaxP: Primitive<"scatter_max", AxisParams> = new Primitive("scatter_max");

/** The shape the updates must have: the operand's with `axis` replaced by the indices' axes. */
export function scatterUpdatesShape(
  operand: readonly number[],
  indices: readonly number[],
  axis: number,
): number[] {
  return [...operand.slice(0, axis), ...indices, ...operand.slice(axis + 1)];
}

function shapeRule(name: string) {
  return ([x, idx, upd]: ShapedArray[], { axis: a }: AxisParams): ShapedArray[] => {
    const expected = scatterUpdatesShape(x.shape, idx.shape, a);
    if (
      idx.dtype !== "int32" || !(a >= 0 && a < x.ndim) || upd.dtype !== x.dtype ||
      shapeStr(upd.shape) !== shapeStr(expected)
    ) {
      throw new AdjointError(
        name,
        `operand ${x}, indices ${idx} and updates ${upd} along axis ${a} do not match; ` +
          `expected int32 indices, an axis of the operand and updates ${x.dtype}` +
          `${shapeStr(expected)}`,
      );
    }
    return [x];
  };
}

/** Batching: unbatched indices scatter along the moved axis; batched ones loop. */
function batchRule(prim: Primitive<string, AxisParams>): BatchRule<AxisParams> {
  const loop = loopBatchRule(prim);
  return (size, [x, idx, upd], [bx, bi, bu], params) => {
    if (bi !== null) return loop(size, [x, idx, upd], [bx, bi, bu], params);
    const { axis } = params;
    const out = bind1(prim, [
      moveBatchAxis(x, bx, 0, size),
      idx,
      moveBatchAxis(upd, bu, 0, size),
    ], { axis: axis + 1 });
    return [[out], [0]];
  };
}

/** `0, 1, ..., m - 1` over the positions of `idx`, in its shape. */
function positions(idx: Array): Array {
  const data = new Int32Array(idx.size).map((_, i) => i);
  return ConcreteArray.fromHost(data, idx.shape, "int32");
}

/** Broadcasts a mask over the indexed axis (`[n]`) to the operand's shape. */
function alongAxis(mask: Array, shape: readonly number[], axis: number): Array {
  return broadcastInDim(mask, shape, [axis]);
}

/** Broadcasts a mask over the index positions (`idx.shape`) to the updates' shape. */
function alongIndices(mask: Array, shape: readonly number[], axis: number): Array {
  return broadcastInDim(mask, shape, range(mask.ndim).map((d) => axis + d));
}

/** Counts how many indices hit each of the `n` positions of the axis (int32 `[n]`). */
function hitCounts(idx: Array, n: number): Array {
  return scatterAdd(full(idx.shape, 1, "int32"), idx, 0, [n]);
}

scatterP.shape = shapeRule("scatter");
scatterP.batch = batchRule(scatterP);
// The tangent is the tangent of the winning update where an index hit, else the operand's:
// the winner of each position is found by scattering the index positions themselves.
scatterP.jvp = ([x, idx, upd], [tx, , tu], params) => {
  const { axis } = params;
  const out = bind1(scatterP, [x, idx, upd], params);
  if ((tx === null && tu === null) || !isFloat(x.dtype)) return [[out], [null]];
  const n = x.shape[axis];
  const pos = positions(idx);
  const winner = take(bind1(scatterP, [full([n], -1, "int32"), idx, pos], { axis: 0 }), idx, 0);
  const wins = alongIndices(eq(winner, pos), upd.shape, axis);
  const hit = alongAxis(gt(hitCounts(idx, n), full([n], 0, "int32")), x.shape, axis);
  const tUpd = select(wins, tu ?? zerosLike(upd), zerosLike(upd));
  const scattered = scatterAdd(tUpd, idx, axis, x.shape);
  return [[out], [select(hit, scattered, tx ?? zerosLike(x))]];
};

scatterMulP.shape = shapeRule("scatter_mul");
scatterMulP.batch = batchRule(scatterMulP);
// Linear in the operand: out = x * scatter_mul(1, idx, upd). The updates' derivative would need
// the product of the other updates at the same position; like JAX (which has it only for unique
// indices), it is refused rather than computed by division, which fails at zeros.
scatterMulP.jvp = ([x, idx, upd], [tx, , tu], params) => {
  const out = bind1(scatterMulP, [x, idx, upd], params);
  if (tu !== null) {
    throw new AdjointError(
      "scatter_mul",
      "differentiating with respect to the updates is not supported (as in JAX, where it " +
        "needs unique indices); differentiate with respect to the operand only, or write the " +
        "product as an .at(idx).set of the multiplied values when the indices are unique",
    );
  }
  if (tx === null) return [[out], [null]];
  const factor = bind1(scatterMulP, [full(x.shape, 1, x.dtype), idx, upd], params);
  return [[out], [mul(tx, factor)]];
};

/**
 * Min and max: as JAX, the tangent at a position is the average of the tangents of every value
 * equal to the result there (the operand's and the updates'), so ties share the derivative.
 */
function extremalJvp(prim: Primitive<string, AxisParams>): JvpRule<AxisParams> {
  return ([x, idx, upd], [tx, , tu], params) => {
    const { axis } = params;
    const out = bind1(prim, [x, idx, upd], params);
    if ((tx === null && tu === null) || !isFloat(x.dtype)) return [[out], [null]];
    const kept = eq(x, out);
    const won = eq(upd, take(out, idx, axis));
    const one = full(x.shape, 1, x.dtype), zero = zerosLike(x);
    const oneU = full(upd.shape, 1, upd.dtype), zeroU = zerosLike(upd);
    const count = add(
      select(kept, one, zero),
      scatterAdd(select(won, oneU, zeroU), idx, axis, x.shape),
    );
    const fromX = select(kept, tx ?? zero, zero);
    const fromU = scatterAdd(select(won, tu ?? zeroU, zeroU), idx, axis, x.shape);
    return [[out], [div(add(fromX, fromU), count)]];
  };
}

scatterMinP.shape = shapeRule("scatter_min");
scatterMinP.batch = batchRule(scatterMinP);
scatterMinP.jvp = extremalJvp(scatterMinP);

scatterMaxP.shape = shapeRule("scatter_max");
scatterMaxP.batch = batchRule(scatterMaxP);
scatterMaxP.jvp = extremalJvp(scatterMaxP);

/**
 * lax.scatter along one axis: `operand` with `updates[..., j, ...]` written at `indices[j]` of
 * `axis` (updates have the operand's shape with `axis` replaced by the indices' shape). Where
 * indices repeat, the last update wins.
 */
export function scatter(operand: Array, indices: Array, updates: Array, axis: number): Array {
  return bind1(scatterP, [operand, indices, updates], { axis });
}

/** lax.scatter_mul along one axis: `operand` multiplied by every update at its index. */
export function scatterMul(operand: Array, indices: Array, updates: Array, axis: number): Array {
  return bind1(scatterMulP, [operand, indices, updates], { axis });
}

/** lax.scatter_min along one axis: the minimum of `operand` and every update at its index. */
export function scatterMin(operand: Array, indices: Array, updates: Array, axis: number): Array {
  return bind1(scatterMinP, [operand, indices, updates], { axis });
}

/** lax.scatter_max along one axis: the maximum of `operand` and every update at its index. */
export function scatterMax(operand: Array, indices: Array, updates: Array, axis: number): Array {
  return bind1(scatterMaxP, [operand, indices, updates], { axis });
}
