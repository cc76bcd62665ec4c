/**
 * `lu`: LU decomposition with partial pivoting of square matrices, `P A = L U`, as
 * lax.linalg.lu: the packed factors (`L`'s unit diagonal implied), the pivots (row `i` was
 * swapped with row `pivots[i]`) and the permutation (row `i` of `P A` is row `permutation[i]`
 * of `A`). Its jvp is JAX's (De Hoog, Anderssen and Lukas): with `M = L^{-1} P dA U^{-1}`,
 * `dL = L tril(M, -1)` and `dU = triu(M) U`.
 * @module
 */
import type { Array } from "../../array.ts";
import { type NoParams, Primitive } from "../../primitive.ts";
import { bind } from "../../trace.ts";
import { batchSameShape } from "../batching.ts";
import { add } from "../elementwise.ts";
import { batched, eye, matrixDims, mm, permuteRows, tril, triu } from "./matrix.ts";
import { triangularSolve } from "./triangular_solve.ts";

/** LU decomposition of each matrix of `[..., n, n]`: factors, pivots, permutation. */
export const luP: Primitive<"lu", NoParams> = new Primitive("lu");
luP.shape = ([x]) => {
  const [n] = matrixDims("lu", x, true);
  const batch = x.shape.slice(0, -2);
  return [x, batched(batch, [n], "int32"), batched(batch, [n], "int32")];
};
luP.batch = batchSameShape(luP);
luP.jvp = ([x], [dx]) => {
  const outs = bind(luP, [x]);
  if (dx === null) return [outs, [null, null, null]];
  const [factors, , permutation] = outs;
  const n = x.shape[x.ndim - 1];
  const l = add(tril(factors, -1), eye(n, x.dtype, x.shape.slice(0, -2)));
  const u = triu(factors);
  const la = triangularSolve(l, permuteRows(dx, permutation), {
    leftSide: true,
    lower: true,
    unitDiagonal: true,
  });
  const m = triangularSolve(u, la, { leftSide: false, lower: false });
  return [outs, [add(mm(l, tril(m, -1)), mm(triu(m), u)), null, null]];
};

/**
 * lax.linalg.lu: `[lu, pivots, permutation]` for each square matrix of `x` (`[..., n, n]`,
 * float32 or float64) with `P x = L U`: `L` (unit diagonal) is below `lu`'s diagonal and `U` on
 * and above it; row `i` was swapped with row `pivots[i]`, and row `i` of `P x` is row
 * `permutation[i]` of `x` (both int32). Differentiable in the factors.
 *
 * ```ts
 * import { lax, numpy as np } from "../../../mod.ts";
 * const [lu, pivots, permutation] = lax.linalg.lu(np.array([[1, 2], [3, 4]], "float64"));
 * permutation.toArray(); // [1, 0]
 * ```
 */
export function lu(x: Array): [Array, Array, Array] {
  matrixDims("lax.linalg.lu", x.aval, true);
  const [factors, pivots, permutation] = bind(luP, [x]);
  return [factors, pivots, permutation];
}
