/**
 * The matrix decompositions of jnp.linalg, over lax.linalg: `cholesky`, `qr`, `eigh`, `svd`,
 * each on a matrix or a batch of matrices `[..., m, n]`, differentiable as in JAX.
 * @module
 */
import type { Array } from "../../core/array.ts";
import * as lin from "../../core/primitives/linalg/mod.ts";
import { mT } from "../../core/primitives/linalg/matrix.ts";
import type { ArrayInput } from "../convert.ts";
import { floatMatrix } from "./operand.ts";
import { checkOptions } from "../../core/options.ts";

/** Options of `np.linalg.cholesky`. */
export interface CholeskyOptions {
  /** Return the upper factor `U = L^T` (`x = U^T U`) instead of `L` (default false). */
  upper?: boolean;
  /** Factor `(x + x^T) / 2` rather than reading `x`'s lower triangle (default true). */
  symmetrizeInput?: boolean;
}

/**
 * The Cholesky factor of each symmetric positive definite matrix of `a` (`[..., n, n]`): lower
 * triangular `L` with `a = L L^T` (or, with `upper`, `L^T`); NaNs where `a` is not positive
 * definite.
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * np.linalg.cholesky(np.array([[4, 2], [2, 5]], "float64")).toArray(); // [[2, 0], [1, 2]]
 * ```
 */
export function cholesky(a: ArrayInput, options: CholeskyOptions = {}): Array {
  checkOptions("np.linalg.cholesky", options, ["upper", "symmetrizeInput"]);
  const x = floatMatrix("np.linalg.cholesky", a, true);
  const l = lin.cholesky(x, { symmetrizeInput: options.symmetrizeInput ?? true });
  return options.upper ? mT(l) : l;
}

/** What `np.linalg.qr` returns: `"reduced"` and `"complete"` give `[q, r]`, `"r"` only `r`. */
export type QrMode = "reduced" | "complete" | "r";

/**
 * QR decomposition of each matrix of `a` (`[..., m, n]`): `[q, r]` with `a = q r`, `q`'s
 * columns orthonormal and `r` upper triangular; `mode` `"reduced"` (default: `q` is `m x k`,
 * `r` `k x n`, `k = min(m, n)`), `"complete"` (`q` is `m x m`) or `"r"` (only `r`).
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * const [q, r] = np.linalg.qr(np.array([[3, 1], [4, 2], [0, 1]], "float64")); // q: [3, 2]
 * ```
 */
export function qr(a: ArrayInput, mode?: "reduced" | "complete"): [Array, Array];
/** Only `r` of the QR decomposition. */
export function qr(a: ArrayInput, mode: "r"): Array;
export function qr(a: ArrayInput, mode: QrMode = "reduced"): Array | [Array, Array] {
  const x = floatMatrix("np.linalg.qr", a, false);
  const [q, r] = lin.qr(x, { fullMatrices: mode === "complete" });
  return mode === "r" ? r : [q, r];
}

/** Options of `np.linalg.eigh`. */
export interface EighOptions {
  /** Use `(a + a^T) / 2` rather than `a`'s lower triangle (default true). */
  symmetrizeInput?: boolean;
}

/**
 * Eigenvalues and eigenvectors of each symmetric matrix of `a` (`[..., n, n]`): `[w, v]` with
 * `w` ascending and `a v = v diag(w)` (eigenvectors in the columns of `v`). The eigenvectors'
 * derivative is infinite or NaN where eigenvalues repeat, as in JAX.
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * const [w, v] = np.linalg.eigh(np.array([[2, 1], [1, 2]], "float64"));
 * w.toArray(); // [1, 3]
 * ```
 */
export function eigh(a: ArrayInput, options: EighOptions = {}): [Array, Array] {
  checkOptions("np.linalg.eigh", options, ["symmetrizeInput"]);
  const x = floatMatrix("np.linalg.eigh", a, true);
  const [v, w] = lin.eigh(x, { symmetrizeInput: options.symmetrizeInput ?? true });
  return [w, v];
}

/**
 * Singular value decomposition of each matrix of `a` (`[..., m, n]`): `[u, s, vh]` with
 * `a = u diag(s) vh`, `s` descending; `fullMatrices` (default true) makes `u` `m x m` and `vh`
 * `n x n`, else `m x k` and `k x n`; with `computeUv: false` only `s`. Differentiable for `s`
 * and for `fullMatrices: false`, as in JAX.
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * np.linalg.svd(np.array([[3, 0], [0, -4]], "float64"), { computeUv: false }).toArray(); // [4, 3]
 * ```
 */
export function svd(a: ArrayInput, options: lin.SvdOptions & { computeUv: false }): Array;
/** `[u, s, vh]` with `a = u diag(s) vh`. */
export function svd(a: ArrayInput, options?: lin.SvdOptions): [Array, Array, Array];
export function svd(a: ArrayInput, options: lin.SvdOptions = {}): Array | [Array, Array, Array] {
  checkOptions("np.linalg.svd", options, ["fullMatrices", "computeUv"]);
  const x = floatMatrix("np.linalg.svd", a, false);
  return options.computeUv === false
    ? lin.svd(x, { ...options, computeUv: false })
    : lin.svd(x, { ...options, computeUv: true });
}
