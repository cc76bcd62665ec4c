/**
 * NumPy's `sort` and `argsort` along an axis (the last by default, the flattened array with
 * `axis: null`), ascending or `descending`, stable, on lax's sort primitive. NaN sorts after
 * every number (before, descending).
 * @module
 */
import { type Array, ConcreteArray } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { neg } from "../core/primitives/elementwise.ts";
import { sort as laxSort } from "../core/primitives/sort.ts";
import { broadcastInDim, reshape, rev } from "../core/primitives/structural.ts";
import { normalizeAxis, range } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";

/** Options of `sort` and `argsort`. */
export interface SortOptions {
  /** Axis to sort along (default -1); null sorts the flattened array. */
  axis?: number | null;
  /** Largest first (default false); equal elements keep their order either way. */
  descending?: boolean;
  /** Accepted for NumPy compatibility: the sort is always stable. */
  stable?: boolean;
}

function isOptions(v: unknown): v is SortOptions {
  return typeof v === "object" && v !== null;
}

/** The array to sort (flattened for a null axis), the axis, and the order. */
function sortArgs(
  op: string,
  a: ArrayInput,
  axisOrOptions: number | null | SortOptions | undefined,
): [Array, number, boolean] {
  const options: SortOptions = isOptions(axisOrOptions) ? axisOrOptions : { axis: axisOrOptions };
  checkOptions(op, options, ["axis", "descending", "stable"]);
  const { axis = -1, descending = false } = options;
  if (axis !== null && !Number.isInteger(axis)) {
    throw new AdjointError(op, `axis is ${describeValue(axis)}; expected an integer or null`);
  }
  let x = asArray(a);
  if (axis === null) x = reshape(x, [x.size]);
  return [x, normalizeAxis(op, axis ?? 0, x.ndim), descending];
}

/** int32 positions along `axis`, broadcast to `x`'s shape. */
function positions(x: Array, axis: number): Array {
  const n = x.shape[axis];
  const iota = ConcreteArray.fromHost(Int32Array.from(range(n)), [n], "int32");
  return broadcastInDim(iota, x.shape, [axis]);
}

/**
 * `a` sorted along an axis: `sort(a)`, `sort(a, axis)` (null: flattened) or
 * `sort(a, { axis, descending })`. Differentiable for floats.
 */
export function sort(a: ArrayInput, axis?: number | null | SortOptions): Array {
  const [x, ax, descending] = sortArgs("np.sort", a, axis);
  const sorted = laxSort(x, ax);
  return descending ? rev(sorted, [ax]) : sorted;
}

/**
 * The int32 indices that sort `a` along an axis (stable: equal elements in index order, also
 * when `descending`), called as `sort` is.
 */
export function argsort(a: ArrayInput, axis?: number | null | SortOptions): Array {
  const [x, ax, descending] = sortArgs("np.argsort", a, axis);
  const index = positions(x, ax);
  if (!descending) return laxSort([x, index], ax, 1)[1];
  // Ascending by value then by descending index, reversed: descending, ties in index order.
  return neg(rev(laxSort([x, neg(index)], ax, 2)[1], [ax]));
}
