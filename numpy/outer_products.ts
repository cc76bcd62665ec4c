/**
 * Products of every element with every element: `outer` (of two flattened arrays) and `kron`
 * (the Kronecker product, block by block), as broadcast multiplies.
 * @module
 */
import type { Array } from "../core/array.ts";
import { reshape } from "../core/primitives/structural.ts";
import { range } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { multiply } from "./elementwise.ts";

/** `out[i, j] = a[i] * b[j]` over the flattened `a` and `b`. */
export function outer(a: ArrayInput, b: ArrayInput): Array {
  const x = asArray(a), y = asArray(b);
  return multiply(reshape(x, [x.size, 1]), reshape(y, [1, y.size]));
}

/**
 * Kronecker product: block `i` of the result is `a[i] * b` (the shorter shape padded with
 * leading 1s), so the result's shape is the product of the two shapes.
 */
export function kron(a: ArrayInput, b: ArrayInput): Array {
  const x = asArray(a), y = asArray(b);
  const ndim = Math.max(x.ndim, y.ndim);
  const pad = (s: readonly number[]) => [...range(ndim - s.length).map(() => 1), ...s];
  const sa = pad(x.shape), sb = pad(y.shape);
  const xa = reshape(x, sa.flatMap((d) => [d, 1]));
  const yb = reshape(y, sb.flatMap((d) => [1, d]));
  return reshape(multiply(xa, yb), sa.map((d, i) => d * sb[i]));
}
