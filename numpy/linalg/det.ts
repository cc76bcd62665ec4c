/**
 * Determinants from the LU decomposition `P a = L U`: `det a = ±prod(diag U)`, the sign that of
 * the permutation; `slogdet` gives the sign and `log |det a|` without overflow. Differentiable
 * through `lu`'s rule (`d log|det a| = tr(a^{-1} da)`) where `a` is invertible.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { ConcreteArray } from "../../core/array.ts";
import { full } from "../../core/primitives/constants.ts";
import * as ew from "../../core/primitives/elementwise.ts";
import { lu } from "../../core/primitives/linalg/mod.ts";
import { diagonal } from "../../core/primitives/linalg/matrix.ts";
import { reduceProd, reduceSum } from "../../core/primitives/reductions.ts";
import { broadcastInDim } from "../../core/primitives/structural.ts";
import { range } from "../../core/shape.ts";
import type { ArrayInput } from "../convert.ts";
import { floatMatrix } from "./operand.ts";

/** The LU factors' diagonal and the permutation's sign (`-1` per pivot that swapped rows). */
function luParts(op: string, a: ArrayInput): { diag: Array; parity: Array } {
  const x = floatMatrix(op, a, true);
  const [factors, pivots] = lu(x);
  const n = x.shape[x.ndim - 1];
  const iota = ConcreteArray.fromHost(Int32Array.from(range(n)), [n], "int32");
  const swapped = ew.ne(pivots, broadcastInDim(iota, pivots.shape, [pivots.ndim - 1]));
  const flips = ew.select(swapped, full(pivots.shape, -1, x.dtype), full(pivots.shape, 1, x.dtype));
  return { diag: diagonal(factors), parity: reduceProd(flips, [flips.ndim - 1]) };
}

/**
 * The determinant of each square matrix of `a` (`[..., n, n]`), by LU with partial pivoting.
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * np.linalg.det(np.array([[1, 2], [3, 4]], "float64")).item(); // -2
 * ```
 */
export function det(a: ArrayInput): Array {
  const { diag, parity } = luParts("np.linalg.det", a);
  return ew.mul(parity, reduceProd(diag, [diag.ndim - 1]));
}

/**
 * Sign and natural log of the absolute determinant of each square matrix of `a`
 * (`[..., n, n]`): `[sign, logabsdet]` with `det a = sign * exp(logabsdet)`; a singular
 * matrix gives sign 0 and `-Infinity`.
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * const [sign, logabsdet] = np.linalg.slogdet(np.array([[1, 2], [3, 4]], "float64")); // -1, log 2
 * ```
 */
export function slogdet(a: ArrayInput): [Array, Array] {
  const { diag, parity } = luParts("np.linalg.slogdet", a);
  const last = [diag.ndim - 1];
  const sign = ew.mul(parity, reduceProd(ew.sign(diag), last));
  return [sign, reduceSum(ew.log(ew.abs(diag)), last)];
}
