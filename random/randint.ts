/**
 * Uniform integers: `floor(minval + u * (maxval - minval))` for `u` uniform in [0, 1).
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import * as np from "../numpy.ts";
import { checkSampleShape } from "./sample_shape.ts";
import { uniform } from "./uniform.ts";

/**
 * Int32 samples of `shape`, uniform over the integers in `[minval, maxval)` (as JAX's
 * `random.randint`).
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.randint(random.key(0), [4], -2, 3).dtype; // "int32", values in -2..2
 * ```
 */
export function randint(
  key: Array,
  shape: readonly number[],
  minval: number,
  maxval: number,
): Array {
  checkSampleShape("random.randint", shape);
  if (!Number.isInteger(minval) || !Number.isInteger(maxval) || !(minval < maxval)) {
    throw new AdjointError(
      "random.randint",
      `expected integer bounds minval < maxval, got [${minval}, ${maxval})`,
    );
  }
  const u = uniform(key, shape);
  const drawn = np.floor(np.add(np.multiply(u, maxval - minval), minval));
  return np.astype(np.minimum(drawn, maxval - 1), "int32");
}
