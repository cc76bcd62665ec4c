/**
 * NaN and infinities: `isnan`, `isinf`, `isfinite`, `nanToNum`, and the tolerant comparisons
 * `isclose` and `allclose` that treat them as NumPy does.
 * @module
 */
import type { Array } from "../core/array.ts";
import { type DType, isFloat } from "../core/dtype.ts";
import { checkOptions } from "../core/options.ts";
import * as lax from "../core/primitives/elementwise.ts";
import { full } from "../core/primitives/constants.ts";
import { reduceMin } from "../core/primitives/reductions.ts";
import { range } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { promoteArgs } from "./promotion.ts";
import { broadcastAll, type Operand, toFloat } from "./ufunc.ts";

const c = (x: Array, v: number | boolean, dtype: DType = x.dtype) => full(x.shape, v, dtype);

/** Whether elements are NaN (never, for integers and bools). */
export function isnan(x: ArrayInput): Array {
  const a = asArray(x);
  return isFloat(a.dtype) ? lax.ne(a, a) : c(a, false, "bool");
}

/** Whether elements are +inf or -inf (never, for integers and bools). */
export function isinf(x: ArrayInput): Array {
  const a = asArray(x);
  return isFloat(a.dtype) ? lax.eq(lax.abs(a), c(a, Infinity)) : c(a, false, "bool");
}

/** Whether elements are finite: neither NaN nor infinite (always, for integers and bools). */
export function isfinite(x: ArrayInput): Array {
  const a = asArray(x);
  return isFloat(a.dtype) ? lax.lt(lax.abs(a), c(a, Infinity)) : c(a, true, "bool");
}

/** The largest finite value of each float dtype. */
const FLOAT_MAX: Record<"float32" | "float64", number> = {
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
};

/** Options of `nanToNum`: what replaces NaN (default 0), +inf and -inf (default ± the largest finite). */
export interface NanToNumOptions {
  /** Replaces NaN (default 0). */
  nan?: number;
  /** Replaces +inf (default the dtype's largest finite value). */
  posinf?: number;
  /** Replaces -inf (default minus the dtype's largest finite value). */
  neginf?: number;
}

/** `x` with NaN, +inf and -inf replaced by finite numbers (integer arrays unchanged). */
export function nanToNum(x: ArrayInput, options: NanToNumOptions = {}): Array {
  checkOptions("np.nanToNum", options, ["nan", "posinf", "neginf"]);
  const a = asArray(x);
  if (!isFloat(a.dtype)) return a;
  const big = FLOAT_MAX[a.dtype as "float32" | "float64"];
  const { nan = 0, posinf = big, neginf = -big } = options;
  let out = lax.select(lax.ne(a, a), c(a, nan), a);
  out = lax.select(lax.eq(a, c(a, Infinity)), c(a, posinf), out);
  return lax.select(lax.eq(a, c(a, -Infinity)), c(a, neginf), out);
}

/** Tolerances of `isclose` and `allclose`. */
export interface IsCloseOptions {
  /** Relative tolerance (default 1e-5), times `|b|`. */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Whether two NaNs count as close (default false). */
  equalNan?: boolean;
}

/**
 * Elementwise `|a - b| <= atol + rtol * |b|` (not symmetric, as NumPy), in float: infinities
 * are close only to the same infinity, NaN to nothing (or to NaN with `equalNan`).
 */
export function isclose(a: Operand, b: Operand, options: IsCloseOptions = {}): Array {
  checkOptions("np.isclose", options, ["rtol", "atol", "equalNan"]);
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = options;
  let [x, y] = promoteArgs("np.isclose", [a, b]);
  [x, y] = broadcastAll("np.isclose", promoteArgs("np.isclose", [x, y], toFloat(x.dtype)));
  const tol = lax.add(c(y, atol), lax.mul(c(y, rtol), lax.abs(y)));
  let out = lax.le(lax.abs(lax.sub(x, y)), tol);
  const xInf = isinf(x), yInf = isinf(y);
  out = lax.and(out, lax.not(lax.or(xInf, yInf)));
  out = lax.or(out, lax.and(lax.and(xInf, yInf), lax.eq(x, y)));
  const xNan = isnan(x), yNan = isnan(y);
  out = lax.and(out, lax.not(lax.or(xNan, yNan)));
  return equalNan ? lax.or(out, lax.and(xNan, yNan)) : out;
}

/** Whether `isclose(a, b, options)` holds everywhere: a bool scalar array. */
export function allclose(a: Operand, b: Operand, options: IsCloseOptions = {}): Array {
  const close = isclose(a, b, options);
  return lax.convert(reduceMin(lax.convert(close, "int32"), range(close.ndim)), "bool");
}
