/**
 * Triangles of matrices: `tri` (the mask as numbers), `tril` and `triu` (the lower and upper
 * triangles of the last two axes, the rest zeroed), as a select against a constant mask.
 * @module
 */
import { type Array, ConcreteArray } from "../core/array.ts";
import type { DType } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { select } from "../core/primitives/elementwise.ts";
import { full } from "../core/primitives/constants.ts";
import { broadcastInDim } from "../core/primitives/structural.ts";
import { type ArrayInput, asArray } from "./convert.ts";

/** Bool `[n, m]` mask of the entries at or below diagonal `k` (`j <= i + k`). */
function lowerMask(n: number, m: number, k: number): ConcreteArray {
  const data = new Uint8Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) data[i * m + j] = +(j <= i + k);
  return ConcreteArray.fromHost(data, [n, m], "bool");
}

/** An `n x m` array with ones at and below diagonal `k` (0 the main, positive above), zeros above. */
export function tri(n: number, m = n, k = 0, dtype: DType = "float32"): Array {
  const mask = lowerMask(n, m, k);
  return select(mask, full([n, m], 1, dtype), full([n, m], 0, dtype));
}

/** `x` on one side of diagonal `k` of its last two axes (`lower` says which), 0 elsewhere. */
function triangle(op: string, m: ArrayInput, k: number, lower: boolean): Array {
  const x = asArray(m);
  if (x.ndim < 2 || !Number.isInteger(k)) {
    throw new AdjointError(
      op,
      `expected an array of at least 2 dimensions and an integer k, got ${x.aval} and k ${k}`,
    );
  }
  const [r, c] = x.shape.slice(-2);
  // Upper from k is "not lower from k - 1".
  const mask = broadcastInDim(lowerMask(r, c, lower ? k : k - 1), x.shape, [
    x.ndim - 2,
    x.ndim - 1,
  ]);
  const zeros = full(x.shape, 0, x.dtype);
  return lower ? select(mask, x, zeros) : select(mask, zeros, x);
}

/** The lower triangle of the last two axes: entries with `j <= i + k` kept, the rest 0. */
export function tril(m: ArrayInput, k = 0): Array {
  return triangle("np.tril", m, k, true);
}

/** The upper triangle of the last two axes: entries with `j >= i + k` kept, the rest 0. */
export function triu(m: ArrayInput, k = 0): Array {
  return triangle("np.triu", m, k, false);
}
