/**
 * `sort`: sorts several operands of one shape along one dimension by the lexicographic order of
 * the first `numKeys` of them (stable; NaN after every number), as lax.sort does. With random
 * keys and an iota it yields a random permutation; its jvp gathers tangents by the permutation,
 * so sorting floats is differentiable.
 * @module
 */
import { Array, ConcreteArray } from "../array.ts";
import { describeValue } from "../describe.ts";
import { AdjointError } from "../errors.ts";
import { Primitive } from "../primitive.ts";
import { normalizeAxis, range, shapeEqual, sizeOf } from "../shape.ts";
import { bind } from "../trace.ts";
import { moveAxis, moveBatchAxis } from "./batching.ts";
import { add } from "./elementwise.ts";
import { take } from "./indexing.ts";
import { broadcastInDim, reshape } from "./structural.ts";

/** Params of sort: the axis sorted along, and how many leading operands are keys. */
export type SortParams = { dimension: number; numKeys: number };

/** Sorts `operands` along `dimension` by their first `numKeys` operands. */
export const sortP: Primitive<"sort", SortParams> = new Primitive("sort");
sortP.shape = (avals, { dimension, numKeys }) => {
  const d = dimension, k = numKeys;
  const [first] = avals;
  if (
    !avals.every((a) => shapeEqual(a.shape, first.shape)) || !(d >= 0 && d < first.ndim) ||
    !(k >= 1 && k <= avals.length)
  ) {
    throw new AdjointError(
      "sort",
      `expected operands of one shape, a dimension below their rank and 1 to ${avals.length} ` +
        `keys; got ${avals.join(", ")}, dimension ${d}, ${k} key(s)`,
    );
  }
  return avals;
};
sortP.batch = (axisSize, args, dims, params) => {
  const moved = args.map((x, i) => moveBatchAxis(x, dims[i], 0, axisSize));
  const outs = bind(sortP, moved, { ...params, dimension: (params.dimension) + 1 });
  return [outs, outs.map(() => 0)];
};
sortP.jvp = (primals, tangents, params) => {
  const d = params.dimension;
  const shape = primals[0].shape;
  const outs = bind(sortP, [...primals, iota(shape, d)], params);
  const perm = outs.pop()!;
  return [outs, tangents.map((t) => t && gatherAlong(t, perm, d))];
};

/** int32 indices `0..n-1` along `dimension`, broadcast to `shape`. */
function iota(shape: readonly number[], dimension: number): Array {
  const idx = ConcreteArray.fromHost(Int32Array.from(range(shape[dimension])), [
    shape[dimension],
  ], "int32");
  return broadcastInDim(idx, shape, [dimension]);
}

/** `out[..., i, ...] = x[..., perm[..., i, ...], ...]` along `dimension`, as one flat gather. */
function gatherAlong(x: Array, perm: Array, dimension: number): Array {
  const last = x.ndim - 1;
  const xt = moveAxis(x, dimension, last), pt = moveAxis(perm, dimension, last);
  const n = x.shape[dimension], size = sizeOf(x.shape);
  const rows = ConcreteArray.fromHost(
    Int32Array.from(range(size / Math.max(n, 1)), (r) => r * n),
    [size / Math.max(n, 1)],
    "int32",
  );
  const rowStart = broadcastInDim(reshape(rows, xt.shape.slice(0, last)), xt.shape, range(last));
  const flat = take(reshape(xt, [size]), reshape(add(pt, rowStart), [size]), 0);
  return moveAxis(reshape(flat, xt.shape), last, dimension);
}

/**
 * lax.sort: `operand` sorted along `dimension` (default -1, the last axis), or a list of
 * operands of one shape sorted together by the lexicographic order of their first `numKeys`.
 * As in JAX, one array gives one array and a list gives a list.
 *
 * ```ts
 * import { lax, numpy as np } from "../../mod.ts";
 * lax.sort(np.array([3, 1, 2])).toArray(); // [1, 2, 3]
 * const [keys, values] = lax.sort([np.array([2, 1]), np.array([10, 20])]); // [1, 2], [20, 10]
 * ```
 */
export function sort(operand: Array, dimension?: number): Array;
/** The operands sorted together along `dimension` by the first `numKeys` of them. */
export function sort(operands: Array[], dimension?: number, numKeys?: number): Array[];
export function sort(operands: Array | Array[], dimension = -1, numKeys = 1): Array | Array[] {
  const op = "lax.sort";
  if (operands instanceof Array) return sort([operands], dimension)[0];
  if (
    !globalThis.Array.isArray(operands) || operands.length === 0 ||
    !operands.every((x) => x instanceof Array)
  ) {
    throw new AdjointError(
      op,
      `expected an array or a non-empty list of arrays, got ${describeValue(operands)}`,
    );
  }
  if (!(Number.isInteger(numKeys) && numKeys >= 1 && numKeys <= operands.length)) {
    throw new AdjointError(
      op,
      `numKeys must be an integer in [1, ${operands.length}] (the number of operands), got ` +
        describeValue(numKeys),
    );
  }
  const d = normalizeAxis(op, dimension, operands[0].ndim);
  return bind(sortP, operands, { dimension: d, numKeys });
}
