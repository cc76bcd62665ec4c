/**
 * Repeating an array: `tile` (whole copies along each axis) and `repeat` (each element several
 * times along an axis). Both are broadcasts and reshapes (or a gather for per-element counts),
 * so they are differentiable and batch like their parts.
 * @module
 */
import type { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { take } from "../core/primitives/indexing.ts";
import * as st from "../core/primitives/structural.ts";
import { normalizeAxis, range } from "../core/shape.ts";
import { array, type ArrayInput, asArray } from "./convert.ts";

function checkCounts(op: string, what: string, counts: readonly number[]): void {
  if (!counts.every((r) => Number.isInteger(r) && r >= 0)) {
    throw new AdjointError(
      op,
      `${what} must be non-negative integers, got ${describeValue(counts)}`,
    );
  }
}

/**
 * `A` repeated `reps` times along each axis (`reps` one count or one per axis; the shorter of
 * `A.shape` and `reps` is padded with leading 1s), as np.tile.
 */
export function tile(A: ArrayInput, reps: number | readonly number[]): Array {
  const a = asArray(A);
  const r0 = typeof reps === "number" ? [reps] : [...reps];
  checkCounts("np.tile", "reps", r0);
  const ndim = Math.max(a.ndim, r0.length);
  const shape = [...range(ndim - a.ndim).map(() => 1), ...a.shape];
  const r = [...range(ndim - r0.length).map(() => 1), ...r0];
  const x = st.reshape(a, shape);
  const wide = st.broadcastInDim(
    x,
    shape.flatMap((d, i) => [r[i], d]),
    range(ndim).map((i) => 2 * i + 1),
  );
  return st.reshape(wide, shape.map((d, i) => d * r[i]));
}

/**
 * Each element of `a` repeated along `axis` (of the flattened array when omitted or null):
 * `repeats` times, or `repeats[i]` times for element `i` of that axis, as np.repeat.
 */
export function repeat(
  a: ArrayInput,
  repeats: number | readonly number[],
  axis: number | null = null,
): Array {
  let x = asArray(a);
  if (axis === null) {
    x = st.reshape(x, [x.size]);
    axis = 0;
  }
  const ax = normalizeAxis("np.repeat", axis, x.ndim);
  const n = x.shape[ax];
  if (typeof repeats === "number") {
    checkCounts("np.repeat", "repeats", [repeats]);
    const shape = [...x.shape.slice(0, ax + 1), repeats, ...x.shape.slice(ax + 1)];
    const dims = range(x.ndim).map((i) => (i <= ax ? i : i + 1));
    const wide = st.broadcastInDim(x, shape, dims);
    return st.reshape(wide, x.shape.map((d, i) => (i === ax ? d * repeats : d)));
  }
  checkCounts("np.repeat", "repeats", repeats);
  if (repeats.length !== n) {
    throw new AdjointError(
      "np.repeat",
      `expected one repeat count per element of axis ${ax} (${n}), got ${repeats.length}`,
    );
  }
  const idx = repeats.flatMap((r, i) => range(r).map(() => i));
  return take(x, array(idx, "int32"), ax);
}
