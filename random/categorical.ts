/**
 * Sampling classes from logits with the Gumbel-max trick: `argmax(logits + g)` with `g` standard
 * Gumbel noise is distributed as `softmax(logits)`, without normalising or a cumulative sum.
 * @module
 */
import { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { normalizeAxis, shapeStr } from "../core/shape.ts";
import * as np from "../numpy.ts";
import { checkSampleShape } from "./sample_shape.ts";
import { checkFloatDType } from "./floats.ts";
import { type FloatDType, uniform } from "./uniform.ts";

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
  checkSampleShape("random.gumbel", shape);
  checkOptions("random.gumbel", options, ["dtype"]);
  const dtype = checkFloatDType("random.gumbel", options.dtype ?? "float32");
  const u = uniform(key, shape, { dtype, minval: TINY[dtype], maxval: 1 });
  return np.negative(np.log(np.negative(np.log(u))));
}

/** Options of `categorical`: JAX's keyword arguments `axis` and `shape`. */
export interface CategoricalOptions {
  /** The axis of the classes (default -1). */
  axis?: number;
  /** The sample shape (default: the batch shape of `logits`). */
  shape?: readonly number[];
}

/** The class axis and sample shape, given positionally or as JAX's keywords in one object. */
function axisAndShape(
  op: string,
  axisOrOptions: number | CategoricalOptions,
  shape: readonly number[] | undefined,
): [number, readonly number[] | undefined] {
  let axis = axisOrOptions;
  if (typeof axisOrOptions === "object" && axisOrOptions !== null) {
    checkOptions(op, axisOrOptions, ["axis", "shape"]);
    if (shape !== undefined && axisOrOptions.shape !== undefined) {
      throw new AdjointError(
        op,
        `the shape is given twice, as the fourth argument and in the options; give it once`,
      );
    }
    axis = axisOrOptions.axis ?? -1;
    shape = shape ?? axisOrOptions.shape;
  }
  if (typeof axis !== "number") {
    throw new AdjointError(
      op,
      `axis must be an integer or the options { axis, shape }, got ${describeValue(axis)}`,
    );
  }
  if (shape !== undefined) checkSampleShape(op, shape);
  return [axis, shape];
}

/**
 * Class indices (int32) drawn from the categorical distributions `softmax(logits)` along `axis`
 * (default -1). The samples have `shape`, by default the batch shape of `logits` (its shape
 * without `axis`); a longer shape ending in the batch shape draws several samples per
 * distribution. `axis` and `shape` may also be given as one options object, as JAX's keywords.
 *
 * ```ts
 * import { numpy as np, random } from "../mod.ts";
 * const logits = np.log(np.array([0.2, 0.8]));
 * random.categorical(random.key(0), logits, -1, [10]).shape; // [10]
 * random.categorical(random.key(0), logits, { shape: [10] }).shape; // [10]
 * ```
 */
export function categorical(
  key: Array,
  logits: Array,
  axisOrOptions: number | CategoricalOptions = -1,
  shape?: readonly number[],
): Array {
  const op = "random.categorical";
  if (!(logits instanceof Array)) {
    throw new AdjointError(op, `expected logits as an array, got ${describeValue(logits)}`);
  }
  const [axis, given] = axisAndShape(op, axisOrOptions, shape);
  const ax = normalizeAxis(op, axis, logits.ndim);
  const classesLast = np.moveaxis(logits, ax, -1);
  const batch = classesLast.shape.slice(0, -1);
  const sampleShape = given ?? batch;
  const tail = sampleShape.slice(sampleShape.length - batch.length);
  if (sampleShape.length < batch.length || tail.some((d, i) => d !== batch[i])) {
    throw new AdjointError(
      op,
      `sample shape ${shapeStr(sampleShape)} must end with the batch shape ${
        shapeStr(batch)
      } of logits ${logits.aval} (classes on axis ${ax})`,
    );
  }
  const n = logits.shape[ax];
  const dtype = checkFloatDType(op, logits.dtype);
  const noisy = np.add(classesLast, gumbel(key, [...sampleShape, n], { dtype }));
  return np.argmax(noisy, -1);
}
