/**
 * Stacking along the first axes, as np.hstack, np.vstack and np.dstack: inputs are first given
 * at least 1, 2 or 3 dimensions, then concatenated.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { reshape } from "../core/primitives/structural.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { concatenate } from "./shape.ts";

/** `x` viewed with `n` dimensions, as np.atleast_1d/2d/3d place the existing axes. */
function atLeast(x: Array, n: 1 | 2 | 3): Array {
  if (x.ndim >= n) return x;
  const s = x.shape;
  const shape = n === 1
    ? [1]
    : n === 2
    ? [1, ...(s.length ? s : [1])]
    : x.ndim === 0
    ? [1, 1, 1]
    : x.ndim === 1
    ? [1, s[0], 1]
    : [...s, 1];
  return reshape(x, shape);
}

function arrays(op: string, xs: ArrayInput[]): Array[] {
  if (xs.length === 0) throw new AdjointError(op, "need at least one array");
  return xs.map(asArray);
}

/** Joins along the second axis (the first for 1-D inputs): columns side by side. */
export function hstack(xs: ArrayInput[]): Array {
  const as = arrays("np.hstack", xs).map((x) => atLeast(x, 1));
  return concatenate(as, as[0].ndim === 1 ? 0 : 1);
}

/** Joins along the first axis after making inputs at least 2-D (1-D inputs become rows). */
export function vstack(xs: ArrayInput[]): Array {
  return concatenate(arrays("np.vstack", xs).map((x) => atLeast(x, 2)), 0);
}

/** Joins along the third axis after making inputs at least 3-D (`[n]` is `[1, n, 1]`). */
export function dstack(xs: ArrayInput[]): Array {
  return concatenate(arrays("np.dstack", xs).map((x) => atLeast(x, 3)), 2);
}
