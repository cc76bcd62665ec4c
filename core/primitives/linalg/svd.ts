/**
 * `svd`: singular value decomposition `A = U diag(s) V^T`, `s` descending, as
 * lax.linalg.svd (the primitive's outputs are `[s]` or `[s, U, V^T]`). Its jvp is JAX's, for
 * singular values alone or reduced factors: with `dS = U^T dA V`, `ds = diag(dS)`, and for the
 * vectors `F_ij = 1 / (s_j^2 - s_i^2)` off the diagonal; repeated singular values make the
 * vectors' derivative infinite, as in JAX.
 * @module
 */
import type { Array } from "../../array.ts";
import { AdjointError } from "../../errors.ts";
import { Primitive } from "../../primitive.ts";
import { range } from "../../shape.ts";
import { bind } from "../../trace.ts";
import { batchSameShape } from "../batching.ts";
import { full } from "../constants.ts";
import { add, convert, div, eq, mul, sub } from "../elementwise.ts";
import { broadcastInDim } from "../structural.ts";
import { batched, diagEmbed, diagonal, eye, matrixDims, mm, mT } from "./matrix.ts";
import { checkOptions } from "../../options.ts";

/** Params of svd: square (full) or reduced u and vt, and whether they are computed at all. */
export type SvdParams = { fullMatrices: boolean; computeUv: boolean };

/** SVD of each matrix of `[..., m, n]`; params `{ fullMatrices, computeUv }`. */
export const svdP: Primitive<"svd", SvdParams> = new Primitive("svd");
svdP.shape = ([x], { fullMatrices, computeUv }) => {
  const [m, n] = matrixDims("svd", x, false);
  const k = Math.min(m, n), batch = x.shape.slice(0, -2);
  const s = batched(batch, [k], x.dtype);
  if (!computeUv) return [s];
  const [ku, kv] = fullMatrices ? [m, n] : [k, k];
  return [s, batched(batch, [m, ku], x.dtype), batched(batch, [kv, n], x.dtype)];
};
svdP.batch = batchSameShape(svdP);
svdP.jvp = ([x], [dx], params) => {
  if (dx === null) {
    const outs = bind(svdP, [x], params);
    return [outs, outs.map(() => null)];
  }
  if (params.computeUv && params.fullMatrices) {
    throw new AdjointError(
      "svd",
      "the derivative of the full U and V^T is not defined (as in JAX); use fullMatrices: false",
    );
  }
  const [s, u, vt] = bind(svdP, [x], { fullMatrices: false, computeUv: true });
  const v = mT(vt);
  const ds = mm(mm(mT(u), dx), v);
  const dsDiag = diagonal(ds);
  if (!params.computeUv) return [[s], [dsDiag]];
  const [m, n] = x.shape.slice(-2), k = s.shape[s.ndim - 1];
  const batch = x.shape.slice(0, -2), nb = batch.length, shape = [...batch, k, k];
  const one = (sh: readonly number[]) => full(sh, 1, x.dtype);
  const sj = broadcastInDim(s, shape, [...range(nb), nb + 1]);
  const si = broadcastInDim(s, shape, range(nb + 1));
  const i = eye(k, x.dtype, batch);
  // F_ij = 1 / (s_j^2 - s_i^2) off the diagonal, 0 on it; 1/s where s is not 0, else 0.
  const f = sub(div(one(shape), add(mul(add(sj, si), sub(sj, si)), i)), i);
  const sZero = convert(eq(s, full(s.shape, 0, x.dtype)), x.dtype);
  const sInv = sub(div(one(s.shape), add(s, sZero)), sZero);
  const dss = mul(sj, ds), sds = mul(si, ds);
  const dudvDiag = mul(mul(sub(ds, mT(ds)), full(shape, 0.5, x.dtype)), diagEmbed(sInv));
  let du = mm(u, add(mul(f, add(dss, mT(dss))), dudvDiag));
  let dv = mm(v, mul(f, add(sds, mT(sds))));
  const sRows = (y: Array) => broadcastInDim(s, y.shape, [...range(nb), nb + 1]);
  if (m > n) {
    const dav = mm(dx, v);
    du = add(du, div(sub(dav, mm(u, mm(mT(u), dav))), sRows(dav)));
  }
  if (n > m) {
    const dau = mm(mT(dx), u);
    dv = add(dv, div(sub(dau, mm(v, mm(vt, dau))), sRows(dau)));
  }
  return [[s, u, vt], [dsDiag, du, mT(dv)]];
};

/** Options of `lax.linalg.svd`. */
export interface SvdOptions {
  /** `u` is `m x m` and `vh` `n x n` (true, the default, as JAX), or `m x k` and `k x n`. */
  fullMatrices?: boolean;
  /** Return `[u, s, vh]` (true, the default) or only the singular values `s`. */
  computeUv?: boolean;
}

/**
 * lax.linalg.svd: `[u, s, vh]` with `x = u diag(s) vh` for each matrix of `x` (`[..., m, n]`,
 * float32 or float64), `s` (`[..., k]`, `k = min(m, n)`) descending; with `computeUv: false`
 * only `s`. One-sided Jacobi, accurate to the last digits for small singular values too.
 * Differentiable for `s` alone and for reduced factors (`fullMatrices: false`).
 *
 * ```ts
 * import { lax, numpy as np } from "../../../mod.ts";
 * lax.linalg.svd(np.array([[3, 0], [0, -4]], "float64"), { computeUv: false }).toArray(); // [4, 3]
 * ```
 */
export function svd(x: Array, options: SvdOptions & { computeUv: false }): Array;
/** `[u, s, vh]` with `x = u diag(s) vh`. */
export function svd(x: Array, options?: SvdOptions): [Array, Array, Array];
export function svd(x: Array, options: SvdOptions = {}): Array | [Array, Array, Array] {
  checkOptions("lax.linalg.svd", options, ["fullMatrices", "computeUv"]);
  const { fullMatrices = true, computeUv = true } = options;
  matrixDims("lax.linalg.svd", x.aval, false);
  const outs = bind(svdP, [x], { fullMatrices, computeUv });
  if (!computeUv) return outs[0];
  const [s, u, vt] = outs;
  return [u, s, vt];
}
