/**
 * Linear systems through the LU decomposition: `solve` (`P a = L U`, then two triangular
 * solves) and `inv`, batched with NumPy broadcasting of the leading axes and differentiable
 * through the rules of `lu` and `triangular_solve`.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";
import { lu, triangularSolve } from "../../core/primitives/linalg/mod.ts";
import { eye, permuteRows } from "../../core/primitives/linalg/matrix.ts";
import { broadcastTo, reshape } from "../../core/primitives/structural.ts";
import { broadcastShapes } from "../../core/shape.ts";
import { type ArrayInput, asArray } from "../convert.ts";
import { promoteArgs } from "../promotion.ts";
import { floatMatrix } from "./operand.ts";

/** Solves `a x = b` for square `a` of shape `[..., n, n]` by LU: `x = U^{-1} L^{-1} P b`. */
function luSolve(a: Array, b: Array): Array {
  const [factors, , permutation] = lu(a);
  const y = triangularSolve(factors, permuteRows(b, permutation), {
    leftSide: true,
    lower: true,
    unitDiagonal: true,
  });
  return triangularSolve(factors, y, { leftSide: true, lower: false });
}

/**
 * The solution `x` of `a x = b` for each square matrix of `a` (`[..., n, n]`): `b` is a vector
 * `[..., n]` (when `b.ndim` is 1 or `a.ndim - 1`, as in JAX) or a matrix `[..., n, k]`; leading
 * axes broadcast. LU with partial pivoting; a singular `a` gives infinities or NaNs.
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * np.linalg.solve(np.array([[2, 1], [1, 3]], "float64"), np.array([3, 5], "float64")).toArray(); // [0.8, 1.4]
 * ```
 */
export function solve(a: ArrayInput, b: ArrayInput): Array {
  const op = "np.linalg.solve";
  const [pa, pb] = promoteArgs(op, [floatMatrix(op, a, true), asArray(b)]);
  const n = pa.shape[pa.ndim - 1];
  const vector = pb.ndim === 1 || pb.ndim === pa.ndim - 1;
  if (pb.ndim === 0 || pb.shape[pb.ndim - (vector ? 1 : 2)] !== n) {
    throw new AdjointError(
      op,
      `a is ${pa.aval}, so b must be [..., ${n}] or [..., ${n}, k], got ${pb.aval}`,
    );
  }
  const bm = vector ? reshape(pb, [...pb.shape, 1]) : pb;
  const batch = broadcastShapes(op, pa.shape.slice(0, -2), bm.shape.slice(0, -2));
  const x = luSolve(
    broadcastTo(pa, [...batch, n, n]),
    broadcastTo(bm, [...batch, ...bm.shape.slice(-2)]),
  );
  return vector ? reshape(x, x.shape.slice(0, -1)) : x;
}

/**
 * The inverse of each square matrix of `a` (`[..., n, n]`), by LU; a singular matrix gives
 * infinities or NaNs.
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * np.linalg.inv(np.array([[2, 0], [0, 4]], "float64")).toArray(); // [[0.5, 0], [0, 0.25]]
 * ```
 */
export function inv(a: ArrayInput): Array {
  const x = floatMatrix("np.linalg.inv", a, true);
  const n = x.shape[x.ndim - 1];
  return luSolve(x, eye(n, x.dtype, x.shape.slice(0, -2)));
}
