/**
 * `associativeScan`: all prefix combinations `x0, x0 + x1, x0 + x1 + x2, ...` of an associative
 * `fn` along an axis, in O(log n) levels of O(n) work (the odd/even recursion of JAX's
 * lax.associative_scan, Blelloch's parallel prefix): pairs are combined, the half-size scan gives
 * the odd prefixes, one more combine the even ones, and the two interleave. Made of slices, pads,
 * concatenations and `fn`, so it is differentiable, batches and jits like them.
 * @module
 */
import type { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import * as st from "../core/primitives/structural.ts";
import { normalizeAxis, shapeEqual } from "../core/shape.ts";

type Combine = (a: Array[], b: Array[]) => Array[];

/** Elements `start, start + step, ...` below `stop` along `axis`. */
function along(x: Array, axis: number, start: number, stop: number, step = 1): Array {
  return st.slice(
    x,
    x.shape.map((_, i) => (i === axis ? start : 0)),
    x.shape.map((d, i) => (i === axis ? stop : d)),
    x.shape.map((_, i) => (i === axis ? step : 1)),
  );
}

/** `even[0], odd[0], even[1], odd[1], ...` along `axis` (even has as many or one more). */
function interleave(even: Array, odd: Array, axis: number): Array {
  const m = even.shape[axis], n = m + odd.shape[axis];
  const zeros = even.shape.map(() => 0);
  const odds = m > odd.shape[axis]
    ? st.pad(odd, zeros, zeros.map((_, i) => (i === axis ? 1 : 0)), zeros)
    : odd;
  const pairShape = [...even.shape.slice(0, axis + 1), 1, ...even.shape.slice(axis + 1)];
  const pairs = st.concatenate(
    [st.reshape(even, pairShape), st.reshape(odds, pairShape)],
    axis + 1,
  );
  const merged = st.reshape(pairs, even.shape.map((d, i) => (i === axis ? 2 * m : d)));
  return n === 2 * m ? merged : along(merged, axis, 0, n);
}

function scan(fn: Combine, elems: Array[], axis: number): Array[] {
  const n = elems[0].shape[axis];
  if (n < 2) return elems;
  const pairs = fn(
    elems.map((e) => along(e, axis, 0, n - 1, 2)),
    elems.map((e) => along(e, axis, 1, n, 2)),
  );
  const odd = scan(fn, pairs, axis);
  const rest = Math.floor((n - 1) / 2);
  const first = elems.map((e) => along(e, axis, 0, 1));
  const even = rest === 0 ? first : fn(
    odd.map((o) => along(o, axis, 0, rest)),
    elems.map((e) => along(e, axis, 2, n, 2)),
  ).map((e, i) => st.concatenate([first[i], e], axis));
  return even.map((e, i) => interleave(e, odd[i], axis));
}

/**
 * The scan of associative `fn` along `axis` of `elems` (one array, or a list of arrays of one
 * size along `axis` that `fn` combines together): element `i` of the result is
 * `fn(...fn(fn(x0, x1), x2)..., xi)`, up to the association order. With `reverse`, prefixes
 * run from the end (`fn` is then applied to later elements first), as lax.associative_scan.
 *
 * ```ts
 * import { lax, numpy as np } from "../mod.ts";
 * lax.associativeScan(lax.add, np.array([1, 2, 3, 4])).toArray(); // [1, 3, 6, 10]
 * ```
 */
export function associativeScan(
  fn: (a: Array, b: Array) => Array,
  elems: Array,
  reverse?: boolean,
  axis?: number,
): Array;
/** The scan of `fn` over several arrays combined together. */
export function associativeScan(
  fn: (a: Array[], b: Array[]) => Array[],
  elems: Array[],
  reverse?: boolean,
  axis?: number,
): Array[];
export function associativeScan(
  fn: ((a: Array, b: Array) => Array) | Combine,
  elems: Array | Array[],
  reverse = false,
  axis = 0,
): Array | Array[] {
  const op = "lax.associativeScan";
  const single = !globalThis.Array.isArray(elems);
  const xs = single ? [elems as Array] : elems as Array[];
  if (xs.length === 0) throw new AdjointError(op, `expected arrays, got ${describeValue(elems)}`);
  const ax = normalizeAxis(op, axis, xs[0].ndim);
  if (!xs.every((x) => x.ndim > ax && x.shape[ax] === xs[0].shape[ax])) {
    throw new AdjointError(
      op,
      `arrays must have one size along axis ${axis}, got ${xs.map((x) => x.aval).join(", ")}`,
    );
  }
  const combine: Combine = (a, b) => {
    const out = single
      ? [(fn as (a: Array, b: Array) => Array)(a[0], b[0])]
      : (fn as Combine)(a, b);
    if (out.length !== a.length || !out.every((o, i) => shapeEqual(o.shape, a[i].shape))) {
      throw new AdjointError(op, `fn must return arrays of its arguments' shapes`);
    }
    return out;
  };
  const flip = (ys: Array[]) => (reverse ? ys.map((y) => st.rev(y, [ax])) : ys);
  const out = flip(scan(combine, flip(xs), ax));
  return single ? out[0] : out;
}
