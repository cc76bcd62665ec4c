/**
 * Normal samples by inverse transform: `sqrt(2) * erfinv(u)` for `u` uniform in (-1, 1) is
 * standard normal, and restricting `u` to `[erf(a / sqrt 2), erf(b / sqrt 2))` gives the normal
 * truncated to `[a, b]`, exactly and without rejection loops (so it jits).
 * @module
 */
import type { Array } from "../core/array.ts";
import { checkOptions } from "../core/options.ts";
import * as np from "../numpy.ts";
import { checkSampleShape } from "./sample_shape.ts";
import { boundOf, checkFloatDType } from "./floats.ts";
import { type FloatDType, uniform } from "./uniform.ts";

/** Options of the normal samplers. */
export interface NormalOptions {
  /** float32 (default) or float64. */
  dtype?: FloatDType;
}

/** The smallest float above -1 in `dtype`, so that `erfinv` stays finite. */
const ABOVE_MINUS_ONE: Record<FloatDType, number> = {
  float32: -1 + 2 ** -24,
  float64: -1 + 2 ** -53,
};

/** The largest finite value of `dtype`. */
const MAX_FINITE: Record<FloatDType, number> = {
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
};

/**
 * Standard normal samples of `shape`.
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.normal(random.key(0), [2, 3]).shape; // [2, 3]
 * ```
 */
export function normal(
  key: Array,
  shape: readonly number[] = [],
  options: NormalOptions = {},
): Array {
  checkSampleShape("random.normal", shape);
  checkOptions("random.normal", options, ["dtype"]);
  const dtype = checkFloatDType("random.normal", options.dtype ?? "float32");
  const u = uniform(key, shape, { dtype, minval: ABOVE_MINUS_ONE[dtype], maxval: 1 });
  return np.multiply(np.erfInv(u), Math.SQRT2);
}

/**
 * Standard normal samples of `shape` truncated to `[lower, upper]` (bounds broadcast against
 * `shape`; infinite bounds leave that side open, and samples are always finite).
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.truncatedNormal(random.key(0), -2, 2, [100]).shape; // [100]
 * ```
 */
export function truncatedNormal(
  key: Array,
  lower: number | Array,
  upper: number | Array,
  shape: readonly number[] = [],
  options: NormalOptions = {},
): Array {
  checkSampleShape("random.truncatedNormal", shape);
  checkOptions("random.truncatedNormal", options, ["dtype"]);
  const dtype = checkFloatDType("random.truncatedNormal", options.dtype ?? "float32");
  const lo = boundOf(lower, dtype), hi = boundOf(upper, dtype);
  const a = np.erf(np.divide(lo, Math.SQRT2)), b = np.erf(np.divide(hi, Math.SQRT2));
  const u = uniform(key, shape, { dtype, minval: a, maxval: b });
  const x = np.multiply(np.erfInv(u), Math.SQRT2);
  const big = MAX_FINITE[dtype];
  return np.clip(x, np.maximum(lo, -big), np.minimum(hi, big));
}
