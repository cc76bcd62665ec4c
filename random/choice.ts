/**
 * `choice`: samples from `0 .. n-1` or from the slices of an array, with or without
 * replacement, uniformly or with probabilities `p`, as JAX's `random.choice`.
 * @module
 */
import { Array, ConcreteArray } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { isFloat } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import { sort } from "../core/primitives/sort.ts";
import { normalizeAxis, range } from "../core/shape.ts";
import * as np from "../numpy.ts";
import { categorical, gumbel } from "./categorical.ts";
import { checkFloatDType } from "./floats.ts";
import { permutation } from "./permutation.ts";
import { randint } from "./randint.ts";
import { checkSampleShape } from "./sample_shape.ts";

/** Options of `choice`: JAX's keywords. */
export interface ChoiceOptions {
  /** The sample shape (default `[]`: one draw). */
  shape?: readonly number[];
  /** Whether an item may be drawn more than once (default true). */
  replace?: boolean;
  /** Probabilities of the `n` items, shape `[n]` (default uniform); need not sum to 1. */
  p?: Array;
  /** The axis of `a` whose slices are drawn (default 0). */
  axis?: number;
}

/** Int32 indices of `shape` drawn from `0 .. n-1`. */
function indices(op: string, key: Array, n: number, shape: readonly number[], o: ChoiceOptions) {
  const size = shape.reduce((x, y) => x * y, 1);
  const replace = o.replace ?? true;
  if (!replace && size > n) {
    throw new AdjointError(
      op,
      `cannot draw ${size} items without replacement from a population of ${n}`,
    );
  }
  if (size > 0 && n === 0) throw new AdjointError(op, "cannot draw from an empty population");
  if (o.p === undefined) {
    if (replace) return randint(key, shape, 0, Math.max(n, 1));
    return np.reshape(np.take(permutation(key, n), np.arange(size)), shape);
  }
  if (!(o.p instanceof Array) || o.p.ndim !== 1 || o.p.shape[0] !== n || !isFloat(o.p.dtype)) {
    throw new AdjointError(
      op,
      `p must be a float array of shape [${n}] (one probability per item), got ${
        o.p instanceof Array ? o.p.aval : describeValue(o.p)
      }`,
    );
  }
  const logits = np.log(o.p);
  if (replace) return categorical(key, logits, { shape });
  // Without replacement: the `size` largest of log p + Gumbel noise (the Gumbel-top-k trick).
  const noisy = np.add(logits, gumbel(key, [n], { dtype: checkFloatDType(op, o.p.dtype) }));
  const order = ConcreteArray.fromHost(Int32Array.from(range(n)), [n], "int32");
  const [, ranked] = sort([np.negative(noisy), order], 0, 1);
  return np.reshape(np.take(ranked, np.arange(size)), shape);
}

/**
 * Random draws from `0 .. a-1` (int32) when `a` is a number, or of the slices of `a` along
 * `axis`, giving `[...a.shape[:axis], ...shape, ...a.shape[axis+1:]]`. With `replace: false`
 * no item is drawn twice; `p` weights the items.
 *
 * ```ts
 * import { numpy as np, random } from "../mod.ts";
 * random.choice(random.key(0), 5, { shape: [3], replace: false }).shape; // [3], distinct
 * random.choice(random.key(0), np.eye(4), { shape: [2], p: np.array([0.1, 0.2, 0.3, 0.4]) });
 * ```
 */
export function choice(key: Array, a: number | Array, options: ChoiceOptions = {}): Array {
  const op = "random.choice";
  checkOptions(op, options, ["shape", "replace", "p", "axis"]);
  const shape = checkSampleShape(op, options.shape ?? []);
  if (typeof a === "number") {
    if (!Number.isInteger(a) || a < 0) {
      throw new AdjointError(op, `expected a non-negative integer or an array, got ${a}`);
    }
    return indices(op, key, a, shape, options);
  }
  if (!(a instanceof Array) || a.ndim === 0) {
    throw new AdjointError(
      op,
      `expected an integer or an array of rank >= 1, got ${
        a instanceof Array ? a.aval : describeValue(a)
      }`,
    );
  }
  const ax = normalizeAxis(op, options.axis ?? 0, a.ndim);
  const idx = indices(op, key, a.shape[ax], shape, options);
  const picked = np.take(a, np.reshape(idx, [-1]), ax);
  const outShape = [...a.shape.slice(0, ax), ...shape, ...a.shape.slice(ax + 1)];
  return np.reshape(picked, outShape);
}
