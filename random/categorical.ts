/**
 * Sampling classes from logits with the Gumbel-max trick: `argmax(logits + g)` with `g` standard
 * Gumbel noise is distributed as `softmax(logits)`, without normalising or a cumulative sum.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { normalizeAxis, shapeStr } from "../core/shape.ts";
import * as np from "../numpy.ts";
import { checkFloatDType, type FloatDType, uniform } from "./uniform.ts";

/** The smallest positive normal float of each dtype, keeping `-log(u)` finite. */
const TINY: Record<FloatDType, number> = { float32: 2 ** -126, float64: 2 ** -1022 };

/**
 * Standard Gumbel samples of `shape`: `-log(-log(u))` for `u` uniform in (0, 1).
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.gumbel(random.key(0), [3]).shape; // [3]
 * ```
 */
export function gumbel(
  key: Array,
  shape: readonly number[] = [],
  options: { dtype?: FloatDType } = {},
): Array {
  const dtype = checkFloatDType("random.gumbel", options.dtype ?? "float32");
  const u = uniform(key, shape, { dtype, minval: TINY[dtype], maxval: 1 });
  return np.negative(np.log(np.negative(np.log(u))));
}

/**
 * Class indices (int32) drawn from the categorical distributions `softmax(logits)` along `axis`
 * (default -1). The samples have `shape`, by default the batch shape of `logits` (its shape
 * without `axis`); a longer shape ending in the batch shape draws several samples per
 * distribution.
 *
 * ```ts
 * import { numpy as np, random } from "../mod.ts";
 * random.categorical(random.key(0), np.log(np.array([0.2, 0.8])), -1, [10]).shape; // [10]
 * ```
 */
export function categorical(
  key: Array,
  logits: Array,
  axis = -1,
  shape?: readonly number[],
): Array {
  const ax = normalizeAxis("random.categorical", axis, logits.ndim);
  const classesLast = np.moveaxis(logits, ax, -1);
  const batch = classesLast.shape.slice(0, -1);
  const sampleShape = shape ?? batch;
  const tail = sampleShape.slice(sampleShape.length - batch.length);
  if (sampleShape.length < batch.length || tail.some((d, i) => d !== batch[i])) {
    throw new AdjointError(
      "random.categorical",
      `sample shape ${shapeStr(sampleShape)} must end with the batch shape ${
        shapeStr(batch)
      } of logits ${logits.aval} (classes on axis ${ax})`,
    );
  }
  const n = logits.shape[ax];
  const dtype = checkFloatDType("random.categorical", logits.dtype);
  const noisy = np.add(classesLast, gumbel(key, [...sampleShape, n], { dtype }));
  return np.argmax(noisy, -1);
}
