/**
 * Reference kernel of `triangular_solve`: `op(A) X = B` (left side) or `X op(A) = B` (right
 * side) by substitution, where `op(A)` is `A` or `A^T` and only `A`'s lower or upper triangle is
 * read (its diagonal taken as ones with `unitDiagonal`), as LAPACK's trsm.
 * @module
 */
import { allocTyped } from "../../../core/dtype.ts";
import type { TriangularSolveParams } from "../../../core/primitives/linalg/triangular_solve.ts";
import type { RefImpl } from "../impl.ts";
import { batchCount, readItem, transposed, writeItem } from "./matrices.ts";

/** `op(A)` as a dense triangular matrix; returns it and whether it is lower triangular. */
function effective(a: Float64Array, m: number, p: TriangularSolveParams): [Float64Array, boolean] {
  const t = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const inside = p.lower ? j < i : j > i;
      if (inside) t[i * m + j] = a[i * m + j];
    }
    t[i * m + i] = p.unitDiagonal ? 1 : a[i * m + i];
  }
  return p.transposeA ? [transposed(t, m, m), !p.lower] : [t, p.lower];
}

/** Solves `T X = B` in place for a triangular `m x m` `T` and `m x n` `B`. */
function substitute(t: Float64Array, lower: boolean, b: Float64Array, m: number, n: number): void {
  for (let step = 0; step < m; step++) {
    const i = lower ? step : m - 1 - step;
    const d = t[i * m + i];
    for (let c = 0; c < n; c++) {
      let s = b[i * n + c];
      if (lower) { for (let k = 0; k < i; k++) s -= t[i * m + k] * b[k * n + c]; }
      else for (let k = i + 1; k < m; k++) s -= t[i * m + k] * b[k * n + c];
      b[i * n + c] = s / d;
    }
  }
}

/** `triangular_solve` over batches `a: [..., m, m]`, `b: [..., m, n]` (left) or `[..., n, m]`. */
export const triangularSolve: RefImpl<TriangularSolveParams> = (
  [a, b],
  [aAval, bAval],
  p,
  [outAval],
) => {
  const m = aAval.shape[aAval.ndim - 1];
  const [rows, cols] = bAval.shape.slice(-2);
  const out = allocTyped(outAval.dtype, b.length);
  for (let k = 0; k < batchCount(aAval.shape); k++) {
    const [t, lower] = effective(readItem(a, k, m * m), m, p);
    const rhs = readItem(b, k, rows * cols);
    if (p.leftSide) {
      substitute(t, lower, rhs, m, cols);
      writeItem(out, k, rhs);
    } else {
      // X T = B  <=>  T^T X^T = B^T
      const rhsT = transposed(rhs, rows, cols);
      substitute(transposed(t, m, m), !lower, rhsT, m, rows);
      writeItem(out, k, transposed(rhsT, cols, rows));
    }
  }
  return [out];
};
