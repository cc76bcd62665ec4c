/**
 * Diagonals: `diagonal` (read one out of two axes), `diag` (read one out of a matrix, or build a
 * matrix around a vector) and `trace`. A diagonal is a strided slice of the flattened pair of
 * axes, and building one is the matching interior padding, so both are linear and transpose
 * into each other.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { full } from "../core/primitives/constants.ts";
import { convert } from "../core/primitives/elementwise.ts";
import { reduceSum } from "../core/primitives/reductions.ts";
import * as st from "../core/primitives/structural.ts";
import { normalizeAxis, range } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";

/** Start (flat index) and length of diagonal `k` of an `n x m` matrix. */
function diagonalSpan(n: number, m: number, k: number): [number, number] {
  const length = Math.max(0, k >= 0 ? Math.min(n, m - k) : Math.min(n + k, m));
  return [length === 0 ? 0 : k >= 0 ? k : -k * m, length];
}

/**
 * Diagonal `offset` (0 the main, positive above) of the matrices formed by `axis1` and `axis2`:
 * those axes are removed and the diagonal becomes the last axis, as np.diagonal.
 */
export function diagonal(a: ArrayInput, offset = 0, axis1 = 0, axis2 = 1): Array {
  const x = asArray(a);
  const op = "np.diagonal";
  const a1 = normalizeAxis(op, axis1, x.ndim), a2 = normalizeAxis(op, axis2, x.ndim);
  if (a1 === a2 || !Number.isInteger(offset)) {
    throw new AdjointError(
      op,
      `expected two different axes of ${x.aval} and an integer offset, got axes ${axis1}, ` +
        `${axis2} and offset ${offset}`,
    );
  }
  const rest = range(x.ndim).filter((i) => i !== a1 && i !== a2);
  const t = st.transpose(x, [...rest, a1, a2]);
  const lead = rest.map((i) => x.shape[i]);
  const [n, m] = [x.shape[a1], x.shape[a2]];
  const flat = st.reshape(t, [...lead, n * m]);
  const [start, length] = diagonalSpan(n, m, offset);
  const limit = length === 0 ? 0 : start + (length - 1) * (m + 1) + 1;
  return st.slice(flat, [...lead.map(() => 0), start], [...lead, limit], [
    ...lead.map(() => 1),
    m + 1,
  ]);
}

/**
 * For a 1-D `v`, the square matrix with `v` on diagonal `k` and zeros elsewhere; for a 2-D `v`,
 * its diagonal `k`, as np.diag.
 */
export function diag(v: ArrayInput, k = 0): Array {
  const x = asArray(v);
  if (x.ndim === 2) return diagonal(x, k);
  if (x.ndim !== 1 || !Number.isInteger(k)) {
    throw new AdjointError(
      "np.diag",
      `expected a 1-D or 2-D array and an integer k, got ${x.aval} and k ${k}`,
    );
  }
  const n = x.shape[0], size = n + Math.abs(k);
  const [start, length] = diagonalSpan(size, size, k);
  if (length === 0) return full([size, size], 0, x.dtype);
  const hi = size * size - start - ((n - 1) * (size + 1) + 1);
  return st.reshape(st.pad(x, [start], [hi], [size]), [size, size]);
}

/**
 * Sum along diagonal `offset` of the matrices formed by `axis1` and `axis2` (bool counts as
 * int32), as np.trace.
 */
export function trace(a: ArrayInput, offset = 0, axis1 = 0, axis2 = 1): Array {
  let x = asArray(a);
  if (x.dtype === "bool") x = convert(x, "int32");
  const d = diagonal(x, offset, axis1, axis2);
  return reduceSum(d, [d.ndim - 1]);
}
