/**
 * `qr`: Householder QR decomposition `A = Q R`, `Q` with orthonormal columns and `R` upper
 * triangular, as lax.linalg.qr. Its jvp is JAX's (for `m >= n` and reduced factors, or square
 * matrices): with `C = Q^T dA R^{-1}` and `Ω = tril(C, -1) - tril(C, -1)^T`,
 * `dQ = Q (Ω - C) + dA R^{-1}`, `dR = (C - Ω) R`.
 * @module
 */
import type { Array } from "../../array.ts";
import { AdjointError } from "../../errors.ts";
import { Primitive } from "../../primitive.ts";
import { bind } from "../../trace.ts";
import { batchSameShape } from "../batching.ts";
import { add, sub } from "../elementwise.ts";
import { batched, matrixDims, mm, mT, tril } from "./matrix.ts";
import { triangularSolve } from "./triangular_solve.ts";
import { checkOptions } from "../../options.ts";

/** Params of qr: whether q is square (complete) or has min(m, n) columns. */
export type QrParams = { fullMatrices: boolean };

/** QR decomposition of each matrix of `[..., m, n]`; params `{ fullMatrices }`. */
export const qrP: Primitive<"qr", QrParams> = new Primitive("qr");
qrP.shape = ([x], { fullMatrices }) => {
  const [m, n] = matrixDims("qr", x, false);
  const k = fullMatrices ? m : Math.min(m, n);
  const batch = x.shape.slice(0, -2);
  return [batched(batch, [m, k], x.dtype), batched(batch, [k, n], x.dtype)];
};
qrP.batch = batchSameShape(qrP);
qrP.jvp = ([x], [dx], params) => {
  const [m, n] = x.shape.slice(-2);
  if (dx === null) return [bind(qrP, [x], params), [null, null]];
  if (m < n || (params.fullMatrices && m !== n)) {
    throw new AdjointError(
      "qr",
      `the derivative needs m >= n and reduced factors (fullMatrices false) or a square ` +
        `matrix, as in JAX; got ${x.aval} with fullMatrices ${params.fullMatrices}`,
    );
  }
  const [q, r] = bind(qrP, [x], { fullMatrices: false });
  const dxRinv = triangularSolve(r, dx, { leftSide: false, lower: false });
  const c = mm(mT(q), dxRinv);
  const lowerC = tril(c, -1);
  const omega = sub(lowerC, mT(lowerC));
  return [[q, r], [add(mm(q, sub(omega, c)), dxRinv), mm(sub(c, omega), r)]];
};

/** Options of `lax.linalg.qr`. */
export interface QrOptions {
  /** `Q` is `m x m` and `R` `m x n` (true, the default, as JAX), or `m x k` and `k x n`, `k = min(m, n)`. */
  fullMatrices?: boolean;
}

/**
 * lax.linalg.qr: `[q, r]` with `x = q r` for each matrix of `x` (`[..., m, n]`, float32 or
 * float64), `q` with orthonormal columns and `r` upper triangular (Householder; `r`'s diagonal
 * may be negative). Differentiable for `m >= n` with reduced factors, and for square matrices.
 *
 * ```ts
 * import { lax, numpy as np } from "../../../mod.ts";
 * const [q, r] = lax.linalg.qr(np.array([[3, 1], [4, 2]], "float64"));
 * q.matmul(r).toArray(); // [[3, 1], [4, 2]]
 * ```
 */
export function qr(x: Array, options: QrOptions = {}): [Array, Array] {
  checkOptions("lax.linalg.qr", options, ["fullMatrices"]);
  const { fullMatrices = true } = options;
  matrixDims("lax.linalg.qr", x.aval, false);
  const [q, r] = bind(qrP, [x], { fullMatrices });
  return [q, r];
}
