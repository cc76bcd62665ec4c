/**
 * `orthogonal`: Haar-distributed (uniformly random) orthogonal matrices, as JAX's
 * `random.orthogonal`: the `Q` of the QR decomposition of a standard normal matrix, its columns'
 * signs flipped to make `R`'s diagonal positive (without that correction `Q` is not uniform;
 * Mezzadri 2007).
 * @module
 */
import type { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { diagonal, mT } from "../core/primitives/linalg/matrix.ts";
import * as np from "../numpy.ts";
import { checkFloatDType } from "./floats.ts";
import { normal } from "./normal.ts";
import { checkSampleShape } from "./sample_shape.ts";
import type { FloatDType } from "./uniform.ts";

/** Options of `orthogonal`: JAX's keywords `shape`, `dtype` and `m`. */
export interface OrthogonalOptions {
  /** The batch shape (default `[]`: one matrix). */
  shape?: readonly number[];
  /** float32 (default) or float64. */
  dtype?: FloatDType;
  /** The number of columns (default `n`): an `n x m` matrix with orthonormal columns (`n > m`) or rows (`n < m`). */
  m?: number;
}

/** Checks that `what` is a positive integer. */
function checkSize(op: string, what: string, x: unknown): number {
  if (!Number.isInteger(x) || (x as number) < 1) {
    throw new AdjointError(op, `expected ${what} as a positive integer, got ${describeValue(x)}`);
  }
  return x as number;
}

/**
 * Random orthogonal `n x n` matrices (uniform over the orthogonal group), of shape
 * `[...shape, n, n]`: `Q^T Q = I`. With `m`, `n x m` matrices whose columns (`n > m`) or rows
 * (`n < m`) are orthonormal.
 *
 * ```ts
 * import { random } from "../mod.ts";
 * const q = random.orthogonal(random.key(0), 3, { dtype: "float64" });
 * q.T.matmul(q); // the 3 x 3 identity, to rounding
 * ```
 */
export function orthogonal(key: Array, n: number, options: OrthogonalOptions = {}): Array {
  const op = "random.orthogonal";
  checkOptions(op, options, ["shape", "dtype", "m"]);
  checkSize(op, "n", n);
  const m = options.m === undefined ? n : checkSize(op, "m", options.m);
  const shape = checkSampleShape(op, options.shape ?? []);
  const dtype = checkFloatDType(op, options.dtype ?? "float32");
  const z = normal(key, [...shape, Math.max(n, m), Math.min(n, m)], { dtype });
  const [q, r] = np.linalg.qr(z);
  const x = np.multiply(q, np.expandDims(np.sign(diagonal(r)), -2));
  return n < m ? mT(x) : x;
}
