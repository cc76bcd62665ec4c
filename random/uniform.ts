/**
 * Uniform floats in `[minval, maxval)`: the unit-interval draw of floats.ts, scaled and shifted.
 * @module
 */
import type { Array } from "../core/array.ts";
import { checkOptions } from "../core/options.ts";
import * as np from "../numpy.ts";
import { boundOf, checkFloatDType, unitInterval } from "./floats.ts";
import { checkSampleShape } from "./sample_shape.ts";

/** Float dtypes random floats can be drawn in. */
export type FloatDType = "float32" | "float64";

/** Options of `uniform`. */
export interface UniformOptions {
  /** float32 (default) or float64. */
  dtype?: FloatDType;
  /** Lower bound, included (default 0); broadcasts against `shape`. */
  minval?: number | Array;
  /** Upper bound, excluded (default 1); broadcasts against `shape`. */
  maxval?: number | Array;
}

/**
 * Uniform samples in `[minval, maxval)` of `shape`.
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.uniform(random.key(0), [3], { minval: -1, maxval: 1 }).shape; // [3]
 * ```
 */
export function uniform(
  key: Array,
  shape: readonly number[] = [],
  options: UniformOptions = {},
): Array {
  checkSampleShape("random.uniform", shape);
  checkOptions("random.uniform", options, ["dtype", "minval", "maxval"]);
  const dtype = checkFloatDType("random.uniform", options.dtype ?? "float32");
  const u = unitInterval("random.uniform", key, shape, dtype);
  const { minval = 0, maxval = 1 } = options;
  if (minval === 0 && maxval === 1) return u;
  const lo = boundOf(minval, dtype), hi = boundOf(maxval, dtype);
  const scaled = np.add(np.multiply(u, np.subtract(hi, lo)), lo);
  return np.broadcastTo(np.maximum(scaled, lo), shape);
}
