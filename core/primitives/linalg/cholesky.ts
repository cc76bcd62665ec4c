/**
 * `cholesky`: the lower triangular `L` with `A = L L^T` for a symmetric positive definite `A`
 * (only its lower triangle is read; not positive definite gives NaNs). Its jvp is JAX's:
 * `dL = L Φ(L^{-1} dA L^{-T})`, `Φ` taking the lower triangle with the diagonal halved.
 * @module
 */
import type { Array } from "../../array.ts";
import { type NoParams, Primitive } from "../../primitive.ts";
import { bind1 } from "../../trace.ts";
import { batchSameShape } from "../batching.ts";
import { add, div } from "../elementwise.ts";
import { full } from "../constants.ts";
import { matrixDims, mm, mT, scaleEntries } from "./matrix.ts";
import { triangularSolve } from "./triangular_solve.ts";
import { checkOptions } from "../../options.ts";

/** The lower Cholesky factor of each matrix of `[..., n, n]`. */
export const choleskyP: Primitive<"cholesky", NoParams> = new Primitive("cholesky");
choleskyP.shape = ([x]) => {
  matrixDims("cholesky", x, true);
  return [x];
};
choleskyP.batch = batchSameShape(choleskyP);
choleskyP.jvp = ([x], [dx]) => {
  const l = bind1(choleskyP, [x]);
  if (dx === null) return [[l], [null]];
  // tmp = dA L^{-T}, then L^{-1} tmp = L^{-1} dA L^{-T}.
  const tmp = triangularSolve(l, dx, { leftSide: false, lower: true, transposeA: true });
  const inner = triangularSolve(l, tmp, { leftSide: true, lower: true });
  const phi = scaleEntries(inner, (i, j) => (i > j ? 1 : i === j ? 0.5 : 0));
  return [[l], [mm(l, phi)]];
};

/** Options of `lax.linalg.cholesky`. */
export interface CholeskyOptions {
  /** Use `(x + x^T) / 2` rather than `x`'s lower triangle (default true, as JAX). */
  symmetrizeInput?: boolean;
}

/** `(x + x^T) / 2`. */
export function symmetrize(x: Array): Array {
  return div(add(x, mT(x)), full(x.shape, 2, x.dtype));
}

/**
 * lax.linalg.cholesky: the lower triangular factor `L` of `x = L L^T` for each symmetric
 * positive definite matrix of `x` (`[..., n, n]`, float32 or float64); NaNs where `x` is not
 * positive definite.
 *
 * ```ts
 * import { lax, numpy as np } from "../../../mod.ts";
 * lax.linalg.cholesky(np.array([[4, 2], [2, 5]], "float64")).toArray(); // [[2, 0], [1, 2]]
 * ```
 */
export function cholesky(x: Array, options: CholeskyOptions = {}): Array {
  checkOptions("lax.linalg.cholesky", options, ["symmetrizeInput"]);
  const { symmetrizeInput = true } = options;
  matrixDims("lax.linalg.cholesky", x.aval, true);
  return bind1(choleskyP, [symmetrizeInput ? symmetrize(x) : x]);
}
