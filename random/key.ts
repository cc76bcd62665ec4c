/**
 * PRNG keys, as in JAX: a key is an int32 array of shape `[2]` (two 32-bit words). Random
 * functions are pure functions of a key, so the same key gives the same numbers; to draw
 * independent numbers, derive new keys with `split` or `foldIn` and never reuse one.
 *
 * Derivation follows JAX's threefry scheme: `split(key, n)[i]` and `foldIn(key, i)` encrypt the
 * counter `(0, i)` under `key`.
 * @module
 */
import { Array, ConcreteArray } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { full, scalar } from "../core/primitives/constants.ts";
import { concatenate, reshape, slice } from "../core/primitives/structural.ts";
import { range } from "../core/shape.ts";
import { threefry2x32 } from "../core/primitives/threefry.ts";
import { counters, keyWords } from "./words.ts";

const TWO_32 = 2 ** 32;

/**
 * A key from an integer seed. A JS number seed may be any integer in [-2^31, 2^53); an int32
 * scalar array seed also works under `jit` and `vmap`.
 *
 * ```ts
 * import { random } from "../mod.ts";
 * const k = random.key(42); // int32 [0, 42]
 * ```
 */
export function key(seed: number | Array): Array {
  if (seed instanceof Array) {
    if (seed.dtype !== "int32" || seed.ndim !== 0) {
      throw new AdjointError("random.key", `expected an int32 scalar seed, got ${seed.aval}`);
    }
    return concatenate([full([1], 0, "int32"), reshape(seed, [1])], 0);
  }
  if (!Number.isInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 53) {
    throw new AdjointError(
      "random.key",
      `expected an integer seed in [-2^31, 2^53), got ${seed}`,
    );
  }
  const hi = seed < 0 ? 0 : Math.floor(seed / TWO_32);
  return ConcreteArray.fromHost(Int32Array.of(hi, seed % TWO_32), [2], "int32");
}

/**
 * Derives `num` new independent keys from `key` (default 2), as a list so that it destructures.
 *
 * ```ts
 * import { random } from "../mod.ts";
 * const [k1, k2] = random.split(random.key(0));
 * ```
 */
export function split(key: Array, num = 2): Array[] {
  const keys = splitBatch(key, num);
  return range(num).map((i) => reshape(slice(keys, [i, 0], [i + 1, 2]), [2]));
}

/**
 * Derives `num` new keys stacked along a leading axis (shape `[num, 2]`): the same keys as
 * `split`, in the form `vmap` maps over.
 */
export function splitBatch(key: Array, num: number): Array {
  if (!Number.isInteger(num) || num < 0) {
    throw new AdjointError("random.split", `expected a non-negative integer count, got ${num}`);
  }
  const [k0, k1] = keyWords("random.split", key);
  const [hi, lo] = counters([num]);
  const [y0, y1] = threefry2x32(k0, k1, hi, lo);
  return concatenate([reshape(y0, [num, 1]), reshape(y1, [num, 1])], 1);
}

/**
 * A new key from `key` and an integer (e.g. a step or example index): different data give
 * independent keys. `data` is a JS integer (its low 32 bits are used) or an int32 scalar array.
 */
export function foldIn(key: Array, data: number | Array): Array {
  const [k0, k1] = keyWords("random.foldIn", key);
  let d: Array;
  if (data instanceof Array) {
    if (data.dtype !== "int32" || data.ndim !== 0) {
      throw new AdjointError("random.foldIn", `expected an int32 scalar, got ${data.aval}`);
    }
    d = data;
  } else {
    if (!Number.isInteger(data)) {
      throw new AdjointError("random.foldIn", `expected an integer, got ${data}`);
    }
    d = scalar(data | 0, "int32");
  }
  const [y0, y1] = threefry2x32(k0, k1, scalar(0, "int32"), d);
  return concatenate([reshape(y0, [1]), reshape(y1, [1])], 0);
}
