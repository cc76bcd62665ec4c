/**
 * Cumulative reductions along an axis, as lax.cumsum, cumprod, cummax and cummin: associative
 * scans of add, mul, max and min (as JAX lowers them off TPU), so O(n log n) work and exact
 * derivatives from the combine's rules.
 * @module
 */
import type { Array } from "../core/array.ts";
import { add, max, min, mul } from "../core/primitives/elementwise.ts";
import { associativeScan } from "./associative_scan.ts";

/** Running sums along `axis` (default 0), from the end with `reverse`. */
export function cumsum(operand: Array, axis = 0, reverse = false): Array {
  return associativeScan(add, operand, reverse, axis);
}

/** Running products along `axis` (default 0), from the end with `reverse`. */
export function cumprod(operand: Array, axis = 0, reverse = false): Array {
  return associativeScan(mul, operand, reverse, axis);
}

/** Running maxima along `axis` (default 0), from the end with `reverse`; NaN propagates. */
export function cummax(operand: Array, axis = 0, reverse = false): Array {
  return associativeScan(max, operand, reverse, axis);
}

/** Running minima along `axis` (default 0), from the end with `reverse`; NaN propagates. */
export function cummin(operand: Array, axis = 0, reverse = false): Array {
  return associativeScan(min, operand, reverse, axis);
}
