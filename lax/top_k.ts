/**
 * `topK`: the `k` largest entries along the last axis and their indices, as lax.top_k, from one
 * stable sort (so ties keep index order and the values are differentiable).
 * @module
 */
import { type Array, ConcreteArray } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { neg } from "../core/primitives/elementwise.ts";
import { sort } from "../core/primitives/sort.ts";
import { broadcastInDim, rev, slice } from "../core/primitives/structural.ts";
import { range } from "../core/shape.ts";

/**
 * `[values, indices]`: the `k` largest entries along the last axis of `operand` in descending
 * order, and their int32 positions; equal entries come in index order, NaN counts as largest.
 *
 * ```ts
 * import { lax, numpy as np } from "../mod.ts";
 * const [values, indices] = lax.topK(np.array([1, 4, 2, 4]), 2); // [4, 4], [1, 3]
 * ```
 */
export function topK(operand: Array, k: number): [Array, Array] {
  const last = operand.ndim - 1;
  const n = operand.shape[last];
  if (last < 0 || !Number.isInteger(k) || k < 0 || k > n) {
    throw new AdjointError(
      "lax.topK",
      `expected an array of at least 1 dimension and an integer k in [0, ${n ?? 0}], got ` +
        `${operand.aval} and k ${k}`,
    );
  }
  const iota = ConcreteArray.fromHost(Int32Array.from(range(n)), [n], "int32");
  const index = broadcastInDim(iota, operand.shape, [last]);
  // Ascending by value, then by descending index; reversed, that is descending by value with
  // ties in ascending index order, and NaN (sorted last) first.
  const [values, negIndex] = sort([operand, neg(index)], last, 2);
  const start = operand.shape.map(() => 0);
  const limit = operand.shape.map((d, i) => (i === last ? k : d));
  const top = (x: Array) => slice(rev(x, [last]), start, limit);
  return [top(values), neg(top(negIndex))];
}
