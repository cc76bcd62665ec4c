/**
 * Reference kernel of `qr`: Householder QR, `A = Q R` with `Q` orthogonal and `R` upper
 * triangular. Each reflector maps a column onto `-sign(x_0) |x| e_0` (the stable choice, as
 * LAPACK's geqrf), so `R`'s diagonal may be negative. With `fullMatrices` `Q` is `m x m` and `R`
 * `m x n`, else `Q` is `m x k` and `R` `k x n` for `k = min(m, n)`.
 * @module
 */
import { allocTyped } from "../../../core/dtype.ts";
import type { RefImpl } from "../impl.ts";
import { batchCount, block, identity, readItem, writeItem } from "./matrices.ts";

/** Householder vectors (null: no reflection) and `R`, for one `m x n` matrix overwritten by R. */
function householder(r: Float64Array, m: number, n: number): (Float64Array | null)[] {
  const reflectors: (Float64Array | null)[] = [];
  for (let j = 0; j < Math.min(m, n); j++) {
    const v = new Float64Array(m - j);
    for (let i = j; i < m; i++) v[i - j] = r[i * n + j];
    let norm2 = 0;
    for (const x of v) norm2 += x * x;
    const alpha = (v[0] >= 0 ? -1 : 1) * Math.sqrt(norm2);
    v[0] -= alpha;
    let vv = 0;
    for (const x of v) vv += x * x;
    if (vv === 0) {
      reflectors.push(null);
      continue;
    }
    reflect(r, n, j, v, vv, j);
    reflectors.push(v);
  }
  return reflectors;
}

/** Applies `I - 2 v v^T / (v^T v)` to rows `j..` of `a` (`n` columns), from column `from`. */
function reflect(
  a: Float64Array,
  n: number,
  j: number,
  v: Float64Array,
  vv: number,
  from: number,
): void {
  for (let c = from; c < n; c++) {
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += v[i] * a[(i + j) * n + c];
    const f = (2 * dot) / vv;
    for (let i = 0; i < v.length; i++) a[(i + j) * n + c] -= f * v[i];
  }
}

/** `qr` over a batch `[..., m, n]`: `Q` and `R`. */
export const qr: RefImpl = ([x], [aval], _params, [qAval, rAval]) => {
  const [m, n] = aval.shape.slice(-2);
  const kq = qAval.shape[qAval.ndim - 1];
  const qs = allocTyped(qAval.dtype, qAval.size), rs = allocTyped(rAval.dtype, rAval.size);
  for (let b = 0; b < batchCount(aval.shape); b++) {
    const r = readItem(x, b, m * n);
    const reflectors = householder(r, m, n);
    for (let j = 0; j < Math.min(m, n); j++) {
      for (let i = j + 1; i < m; i++) r[i * n + j] = 0;
    }
    const q = identity(m);
    for (let j = reflectors.length - 1; j >= 0; j--) {
      const v = reflectors[j];
      if (v) reflect(q, m, j, v, v.reduce((s, x) => s + x * x, 0), j);
    }
    writeItem(qs, b, block(q, m, m, kq));
    writeItem(rs, b, block(r, n, kq, n));
  }
  return [qs, rs];
};
