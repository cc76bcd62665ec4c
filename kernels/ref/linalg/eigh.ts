/**
 * Reference kernel of `eigh`: eigenvectors and eigenvalues of a symmetric matrix (its lower
 * triangle is read) by the cyclic Jacobi method in float64, which finds small eigenvalues to high
 * relative accuracy. Eigenvalues ascend; eigenvector `j` is column `j` of `V`, `A V = V diag(w)`.
 * @module
 */
import { allocTyped } from "../../../core/dtype.ts";
import type { RefImpl } from "../impl.ts";
import {
  batchCount,
  identity,
  jacobiRotation,
  readItem,
  rotateColumns,
  rotateRows,
  writeItem,
} from "./matrices.ts";

/** Sweeps after which Jacobi stops even if not converged (it converges quadratically, in ~10). */
const MAX_SWEEPS = 100;

/** Symmetric eigendecomposition of one `n x n` matrix: `[V, w]`, `w` ascending. */
export function symmetricEigen(lowerOf: Float64Array, n: number): [Float64Array, Float64Array] {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = lowerOf[i * n + j];
  }
  const v = identity(n);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        const app = a[p * n + p], aqq = a[q * n + q];
        // Negligible beside both diagonal entries: set to zero (Rutishauser's test).
        if (
          Math.abs(app) + 1e3 * Math.abs(apq) === Math.abs(app) &&
          Math.abs(aqq) + 1e3 * Math.abs(apq) === Math.abs(aqq)
        ) {
          a[p * n + q] = a[q * n + p] = 0;
          continue;
        }
        if (apq === 0) continue;
        rotated = true;
        const [c, s] = jacobiRotation(app, aqq, apq);
        rotateColumns(a, n, n, p, q, c, s);
        rotateRows(a, n, p, q, c, s);
        rotateColumns(v, n, n, p, q, c, s);
      }
    }
    if (!rotated) break;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j]);
  const w = Float64Array.from(order, (i) => a[i * n + i]);
  const vs = new Float64Array(n * n);
  for (let k = 0; k < n; k++) order.forEach((i, j) => (vs[k * n + j] = v[k * n + i]));
  return [vs, w];
}

/** `eigh` over a batch `[..., n, n]`: eigenvectors `[..., n, n]` and eigenvalues `[..., n]`. */
export const eigh: RefImpl = ([x], [aval], _params, [vAval, wAval]) => {
  const n = aval.shape[aval.ndim - 1];
  const vs = allocTyped(vAval.dtype, vAval.size), ws = allocTyped(wAval.dtype, wAval.size);
  for (let b = 0; b < batchCount(aval.shape); b++) {
    const [v, w] = symmetricEigen(readItem(x, b, n * n), n);
    writeItem(vs, b, v);
    writeItem(ws, b, w);
  }
  return [vs, ws];
};
