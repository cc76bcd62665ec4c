/**
 * Reference kernel of `cholesky`: the lower factor `L` of `A = L L^T`, from `A`'s lower triangle
 * (Cholesky-Banachiewicz, float64 accumulation). A matrix that is not positive definite gives a
 * factor of NaNs, as LAPACK-backed JAX does.
 * @module
 */
import { allocTyped } from "../../../core/dtype.ts";
import type { RefImpl } from "../impl.ts";
import { batchCount, readItem, writeItem } from "./matrices.ts";

/** The lower Cholesky factor of one `n x n` matrix (NaNs when it is not positive definite). */
export function choleskyFactor(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 0)) return l.fill(NaN);
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** `cholesky` over a batch `[..., n, n]`. */
export const cholesky: RefImpl = ([x], [aval], _params, [outAval]) => {
  const n = aval.shape[aval.ndim - 1];
  const out = allocTyped(outAval.dtype, x.length);
  for (let b = 0; b < batchCount(aval.shape); b++) {
    writeItem(out, b, choleskyFactor(readItem(x, b, n * n), n));
  }
  return [out];
};
