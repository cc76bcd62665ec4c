/**
 * Random permutations by sorting on random keys, as JAX shuffles: each round sorts the items by
 * fresh 32-bit random words. Ties between words would bias the order slightly, so the number of
 * rounds grows with the size until ties are negligible (one round up to 1625 items, two up to
 * about 2.6 million).
 * @module
 */
import { Array, ConcreteArray } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { sort } from "../core/primitives/sort.ts";
import { normalizeAxis, range } from "../core/shape.ts";
import * as np from "../numpy.ts";
import { bits } from "./bits.ts";
import { split } from "./key.ts";

/** Sort rounds needed for `n` items: `ceil(3 ln n / ln(2^32 - 1))`, as JAX uses. */
function rounds(n: number): number {
  return Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(2 ** 32 - 1));
}

/** A random order of the int32 indices `0 .. n-1`. */
function shuffledIndices(key: Array, n: number): Array {
  let items: Array = ConcreteArray.fromHost(Int32Array.from(range(n)), [n], "int32");
  let k = key;
  for (let r = 0; r < rounds(n); r++) {
    const [next, sub] = split(k);
    k = next;
    items = sort([bits(sub, [n]), items], 0, 1)[1];
  }
  return items;
}

/**
 * A random permutation: of `0 .. n-1` (int32) when given a number, or of the slices of `x` along
 * `axis` (default 0), each moved whole, when given an array.
 *
 * ```ts
 * import { numpy as np, random } from "../mod.ts";
 * random.permutation(random.key(0), 5).shape; // [5]
 * random.permutation(random.key(0), np.eye(3)).shape; // [3, 3], rows shuffled
 * ```
 */
export function permutation(key: Array, x: number | Array, axis = 0): Array {
  if (typeof x === "number") {
    if (!Number.isInteger(x) || x < 0) {
      throw new AdjointError(
        "random.permutation",
        `expected a non-negative integer or an array, got ${x}`,
      );
    }
    return shuffledIndices(key, x);
  }
  if (!(x instanceof Array) || x.ndim === 0) {
    throw new AdjointError(
      "random.permutation",
      `expected an integer or an array of rank >= 1, got ${x instanceof Array ? x.aval : x}`,
    );
  }
  const ax = normalizeAxis("random.permutation", axis, x.ndim);
  return np.take(x, shuffledIndices(key, x.shape[ax]), ax);
}

/**
 * The slices of `x` along `axis` (default 0) in a random order: JAX's deprecated
 * `random.shuffle`, the same as `permutation(key, x, axis)`.
 */
export function shuffle(key: Array, x: Array, axis = 0): Array {
  if (!(x instanceof Array)) {
    throw new AdjointError("random.shuffle", `expected an array, got ${typeof x}`);
  }
  return permutation(key, x, axis);
}
