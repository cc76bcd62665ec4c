/**
 * Bernoulli samples: `u < p` for `u` uniform in [0, 1).
 * @module
 */
import { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { isFloat } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import * as np from "../numpy.ts";
import { checkSampleShape } from "./sample_shape.ts";
import { uniform } from "./uniform.ts";

/**
 * Bool samples that are true with probability `p` (a number or an array broadcasting against
 * `shape`; `shape` defaults to the shape of `p`).
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.bernoulli(random.key(0), 0.3, [5]).dtype; // "bool"
 * ```
 */
export function bernoulli(
  key: Array,
  p: number | Array = 0.5,
  shape?: readonly number[],
): Array {
  const op = "random.bernoulli";
  if (shape !== undefined) checkSampleShape(op, shape);
  if (!(p instanceof Array) && !(typeof p === "number" && p >= 0 && p <= 1)) {
    throw new AdjointError(
      op,
      `p must be a probability in [0, 1] or an array of them, got ${describeValue(p)}`,
    );
  }
  const prob = typeof p === "number" ? p : isFloat(p.dtype) ? p : np.astype(p, "float32");
  const dtype = typeof prob === "number" ? "float32" : prob.dtype as "float32" | "float64";
  const s = shape ?? (typeof prob === "number" ? [] : prob.shape);
  return np.less(uniform(key, s, { dtype }), prob);
}
