/**
 * `eigh`: eigendecomposition of symmetric matrices, `A V = V diag(w)` with orthonormal `V` and
 * ascending `w`, as lax.linalg.eigh (outputs `[V, w]`; only `A`'s lower triangle is read). Its
 * jvp is JAX's: with `S = V^T dA V` and `F_ij = 1 / (w_j - w_i)` off the diagonal (0 on it),
 * `dw = diag(S)` and `dV = V (F ∘ S)`. For repeated eigenvalues the eigenvectors are not unique
 * and `F` is infinite: `dV` is then NaN or infinite (as in JAX), while `dw` stays correct, as do
 * derivatives of functions invariant to the choice of basis of each eigenspace.
 * @module
 */
import type { Array } from "../../array.ts";
import { type NoParams, Primitive } from "../../primitive.ts";
import { bind } from "../../trace.ts";
import { batchSameShape } from "../batching.ts";
import { add, div, mul, sub } from "../elementwise.ts";
import { full } from "../constants.ts";
import { broadcastInDim } from "../structural.ts";
import { range } from "../../shape.ts";
import { symmetrize } from "./cholesky.ts";
import { batched, diagonal, eye, matrixDims, mm, mT } from "./matrix.ts";
import { checkOptions } from "../../options.ts";

/** Eigenvectors `[..., n, n]` and ascending eigenvalues `[..., n]` of symmetric `[..., n, n]`. */
export const eighP: Primitive<"eigh", NoParams> = new Primitive("eigh");
eighP.shape = ([x]) => {
  const [n] = matrixDims("eigh", x, true);
  return [x, batched(x.shape.slice(0, -2), [n], x.dtype)];
};
eighP.batch = batchSameShape(eighP);
eighP.jvp = ([x], [dx]) => {
  const [v, w] = bind(eighP, [x]);
  if (dx === null) return [[v, w], [null, null]];
  const n = x.shape[x.ndim - 1], batch = x.shape.slice(0, -2), nb = batch.length;
  const shape = [...batch, n, n];
  const i = eye(n, x.dtype, batch);
  // F_ij = 1 / (w_j - w_i), with ones added on the diagonal (then removed) to avoid 1/0 there.
  const wj = broadcastInDim(w, shape, [...range(nb), nb + 1]);
  const wi = broadcastInDim(w, shape, range(nb + 1));
  const f = sub(div(full(shape, 1, x.dtype), add(i, sub(wj, wi))), i);
  const s = mm(mm(mT(v), dx), v);
  return [[v, w], [mm(v, mul(f, s)), diagonal(s)]];
};

/** Options of `lax.linalg.eigh`. */
export interface EighOptions {
  /** Use `(x + x^T) / 2` rather than `x`'s lower triangle (default true, as JAX). */
  symmetrizeInput?: boolean;
}

/**
 * lax.linalg.eigh: `[v, w]` for each symmetric matrix of `x` (`[..., n, n]`, float32 or
 * float64): eigenvalues `w` ascending and eigenvectors the columns of `v`, `x v = v diag(w)`
 * (Jacobi's method). Differentiable; the eigenvectors' derivative is infinite or NaN where
 * eigenvalues repeat (see the module doc).
 *
 * ```ts
 * import { lax, numpy as np } from "../../../mod.ts";
 * const [v, w] = lax.linalg.eigh(np.array([[2, 1], [1, 2]], "float64"));
 * w.toArray(); // [1, 3]
 * ```
 */
export function eigh(x: Array, options: EighOptions = {}): [Array, Array] {
  checkOptions("lax.linalg.eigh", options, ["symmetrizeInput"]);
  const { symmetrizeInput = true } = options;
  matrixDims("lax.linalg.eigh", x.aval, true);
  const [v, w] = bind(eighP, [symmetrizeInput ? symmetrize(x) : x]);
  return [v, w];
}
