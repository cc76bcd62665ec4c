/**
 * Reference kernel of `svd`: `A = U diag(s) V^T` by one-sided Jacobi (Hestenes) in float64,
 * which orthogonalises the columns of `A` by plane rotations and finds every singular value to
 * high relative accuracy. `s` descends; with `fullMatrices` `U` is `m x m` and `V^T` `n x n`
 * (the extra columns completed to an orthonormal basis), else `m x k` and `k x n`,
 * `k = min(m, n)`. Outputs are `s` and, with `computeUv`, `U` and `V^T`.
 * @module
 */
import { allocTyped } from "../../../core/dtype.ts";
import type { RefImpl } from "../impl.ts";
import {
  batchCount,
  completeOrthonormal,
  identity,
  jacobiRotation,
  readItem,
  rotateColumns,
  transposed,
  writeItem,
} from "./matrices.ts";

/** Sweeps after which Jacobi stops even if not converged (it converges quadratically). */
const MAX_SWEEPS = 100;
/** Columns count as orthogonal when `|w_p . w_q| <= TOL |w_p| |w_q|`. */
const TOL = 1e-15;

/** A tall (`m >= n`) SVD of one matrix: `u` (`m x cu`), `s` (`n`), `v` (`n x n`, not transposed). */
function tallSvd(
  a: Float64Array,
  m: number,
  n: number,
  cu: number,
): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const w = a.slice(), v = identity(n);
  const column = (p: number, q: number) => {
    let d = 0;
    for (let k = 0; k < m; k++) d += w[k * n + p] * w[k * n + q];
    return d;
  };
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const alpha = column(p, p), beta = column(q, q), gamma = column(p, q);
        if (gamma === 0 || Math.abs(gamma) <= TOL * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const [c, s] = jacobiRotation(alpha, beta, gamma);
        rotateColumns(w, m, n, p, q, c, s);
        rotateColumns(v, n, n, p, q, c, s);
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: n }, (_, j) => Math.sqrt(column(j, j)));
  const order = norms.map((_, j) => j).sort((i, j) => norms[j] - norms[i]);
  const s = Float64Array.from(order, (j) => norms[j]);
  const small = m * Number.EPSILON * (s[0] ?? 0);
  const u = new Float64Array(m * cu), vs = new Float64Array(n * n);
  const known = Array.from({ length: cu }, () => false);
  order.forEach((j, col) => {
    for (let k = 0; k < n; k++) vs[k * n + col] = v[k * n + j];
    if (!(s[col] > small)) return;
    known[col] = true;
    for (let k = 0; k < m; k++) u[k * cu + col] = w[k * n + j] / s[col];
  });
  completeOrthonormal(u, m, cu, known);
  return { u, s, v: vs };
}

/** `svd` over a batch `[..., m, n]`: `s` and, with `computeUv`, `U` and `V^T`. */
export const svd: RefImpl = ([x], [aval], { fullMatrices, computeUv }, outAvals) => {
  const [m, n] = aval.shape.slice(-2), k = Math.min(m, n);
  const outs = outAvals.map((a) => allocTyped(a.dtype, a.size));
  const wide = m < n;
  for (let b = 0; b < batchCount(aval.shape); b++) {
    let a = readItem(x, b, m * n);
    if (wide) a = transposed(a, m, n);
    const [tm, tn] = wide ? [n, m] : [m, n];
    const cu = fullMatrices ? tm : k;
    const { u, s, v } = tallSvd(a, tm, tn, cu);
    writeItem(outs[0], b, s);
    if (!computeUv) continue;
    // A = U S V^T; for a wide A, A^T = U' S V'^T gives U = V', V^T = U'^T.
    writeItem(outs[1], b, wide ? v : u);
    writeItem(outs[2], b, wide ? transposed(u, tm, cu) : transposed(v, tn, tn));
  }
  return outs;
};
