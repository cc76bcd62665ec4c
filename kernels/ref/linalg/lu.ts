/**
 * Reference kernel of `lu`: LU decomposition with partial pivoting, `P A = L U`, packed as
 * LAPACK's getrf packs it: `L` (unit diagonal) below the diagonal, `U` on and above it; `pivots`
 * (row `i` was swapped with row `pivots[i]`) and the resulting `permutation` (row `i` of `P A`
 * is row `permutation[i]` of `A`). A zero pivot is left in place (the matrix is singular).
 * @module
 */
import { allocTyped } from "../../../core/dtype.ts";
import type { RefImpl } from "../impl.ts";
import { batchCount, readItem, writeItem } from "./matrices.ts";

/** Factors one `n x n` matrix in place; returns its pivots and permutation. */
export function luFactor(a: Float64Array, n: number): { pivots: number[]; permutation: number[] } {
  const pivots: number[] = [], permutation = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[p * n + k])) p = i;
    pivots.push(p);
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = a[k * n + j];
        a[k * n + j] = a[p * n + j];
        a[p * n + j] = t;
      }
      [permutation[k], permutation[p]] = [permutation[p], permutation[k]];
    }
    const d = a[k * n + k];
    if (d === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const f = (a[i * n + k] /= d);
      for (let j = k + 1; j < n; j++) a[i * n + j] -= f * a[k * n + j];
    }
  }
  return { pivots, permutation };
}

/** `lu` over a batch `[..., n, n]`: the packed factors, pivots and permutation. */
export const lu: RefImpl = ([x], [aval], _params, [luAval, pivAval, permAval]) => {
  const n = aval.shape[aval.ndim - 1];
  const factors = allocTyped(luAval.dtype, x.length);
  const pivots = allocTyped(pivAval.dtype, pivAval.size);
  const permutation = allocTyped(permAval.dtype, permAval.size);
  for (let b = 0; b < batchCount(aval.shape); b++) {
    const a = readItem(x, b, n * n);
    const item = luFactor(a, n);
    writeItem(factors, b, a);
    writeItem(pivots, b, item.pivots);
    writeItem(permutation, b, item.permutation);
  }
  return [factors, pivots, permutation];
};
