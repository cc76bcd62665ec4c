/**
 * Products: matmul (NumPy semantics, batch broadcasting) and dot, lowered to dot_general
 * (einsum is in einsum.ts).
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { dotGeneral } from "../core/primitives/dot_general.ts";
import * as st from "../core/primitives/structural.ts";
import { broadcastShapes, range } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { promoteArgs } from "./promotion.ts";
import { multiply } from "./elementwise.ts";

/** Matrix product: 1-D operands are vectors, leading axes are broadcast batch axes. */
export function matmul(x: ArrayInput, y: ArrayInput): Array {
  let [a, b] = promoteArgs("np.matmul", [asArray(x), asArray(y)]);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new AdjointError(
      "np.matmul",
      `operands must be at least 1-D, got ${a.aval} and ${b.aval}`,
    );
  }
  const vecA = a.ndim === 1, vecB = b.ndim === 1;
  if (vecA) a = st.reshape(a, [1, a.shape[0]]);
  if (vecB) b = st.reshape(b, [b.shape[0], 1]);
  const k = a.shape[a.ndim - 1];
  if (k !== b.shape[b.ndim - 2]) {
    throw new AdjointError(
      "np.matmul",
      `inner dimensions differ: ${a.aval} @ ${b.aval} (${k} vs ${b.shape[b.ndim - 2]})`,
    );
  }
  const batch = broadcastShapes("np.matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = batch.length;
  // A matrix on the right applies to every row of `a`: one product over all of them, without
  // broadcasting it (whose transpose would then sum one product per batch element).
  const rowsTimesMatrix = b.ndim === 2;
  a = st.broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
  if (!rowsTimesMatrix) b = st.broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
  let out = rowsTimesMatrix
    ? dotGeneral(a, b, [[[nb + 1], [0]], [[], []]])
    : dotGeneral(a, b, [[[nb + 1], [nb]], [range(nb), range(nb)]]);
  if (vecA || vecB) {
    const shape = [...batch];
    if (!vecA) shape.push(a.shape[nb]);
    if (!vecB) shape.push(b.shape[b.ndim - 1]);
    out = st.reshape(out, shape);
  }
  return out;
}

/** NumPy's dot: inner product for vectors, matmul for matrices, sum over a's last axis otherwise. */
export function dot(x: ArrayInput, y: ArrayInput): Array {
  const [a, b] = promoteArgs("np.dot", [asArray(x), asArray(y)]);
  if (a.ndim === 0 || b.ndim === 0) return multiply(a, b);
  const bAxis = b.ndim === 1 ? 0 : b.ndim - 2;
  if (a.shape[a.ndim - 1] !== b.shape[bAxis]) {
    throw new AdjointError(
      "np.dot",
      `shapes ${a.aval} and ${b.aval} are not aligned (${a.shape[a.ndim - 1]} vs ${
        b.shape[bAxis]
      })`,
    );
  }
  return dotGeneral(a, b, [[[a.ndim - 1], [bAxis]], [[], []]]);
}
