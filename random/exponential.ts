/**
 * Exponential and Laplace samples by inverse transform of uniform draws, as JAX's.
 * @module
 */
import type { Array } from "../core/array.ts";
import { checkOptions } from "../core/options.ts";
import * as np from "../numpy.ts";
import { checkFloatDType } from "./floats.ts";
import type { NormalOptions } from "./normal.ts";
import { checkSampleShape } from "./sample_shape.ts";
import { uniform } from "./uniform.ts";

/** The largest float below 1 in each dtype, keeping `log1p(-u)` finite. */
const BELOW_ONE = { float32: 1 - 2 ** -24, float64: 1 - 2 ** -53 };

/**
 * Standard exponential samples (rate 1) of `shape`: `-log1p(-u)` for `u` uniform in [0, 1).
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.exponential(random.key(0), [3]).shape; // [3]
 * ```
 */
export function exponential(
  key: Array,
  shape: readonly number[] = [],
  options: NormalOptions = {},
): Array {
  checkSampleShape("random.exponential", shape);
  checkOptions("random.exponential", options, ["dtype"]);
  const dtype = checkFloatDType("random.exponential", options.dtype ?? "float32");
  return np.negative(np.log1p(np.negative(uniform(key, shape, { dtype }))));
}

/**
 * Standard Laplace samples (density `exp(-|x|) / 2`) of `shape`:
 * `-sign(u) log1p(-|u|)` for `u` uniform in (-1, 1).
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.laplace(random.key(0), [3]).shape; // [3]
 * ```
 */
export function laplace(
  key: Array,
  shape: readonly number[] = [],
  options: NormalOptions = {},
): Array {
  checkSampleShape("random.laplace", shape);
  checkOptions("random.laplace", options, ["dtype"]);
  const dtype = checkFloatDType("random.laplace", options.dtype ?? "float32");
  const u = uniform(key, shape, { dtype, minval: -BELOW_ONE[dtype], maxval: 1 });
  return np.negative(np.multiply(np.sign(u), np.log1p(np.negative(np.abs(u)))));
}
