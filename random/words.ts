/**
 * The 32-bit words the threefry cipher takes and gives: a key's two words, the counter words
 * numbering the elements of a draw, and the two output words per element.
 * @module
 */
import { Array, ConcreteArray } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { full } from "../core/primitives/constants.ts";
import { reshape, slice } from "../core/primitives/structural.ts";
import { range, sizeOf } from "../core/shape.ts";
import { threefry2x32 } from "../core/primitives/threefry.ts";

/** The two words of a key as int32 scalars, after checking that it is one. */
export function keyWords(op: string, key: Array): [Array, Array] {
  if (!(key instanceof Array) || key.dtype !== "int32" || key.ndim !== 1 || key.shape[0] !== 2) {
    const got = key instanceof Array ? String(key.aval) : typeof key;
    throw new AdjointError(
      op,
      `expected a PRNG key (an int32 array of shape [2], from random.key), got ${got}`,
    );
  }
  return [reshape(slice(key, [0], [1]), []), reshape(slice(key, [1], [2]), [])];
}

/** `[hi, lo]` int32 counter words numbering the elements of `shape` in row-major order. */
export function counters(shape: readonly number[]): [Array, Array] {
  const n = sizeOf(shape);
  if (n >= 2 ** 32) {
    throw new AdjointError("random", `cannot draw ${n} numbers at once; expected fewer than 2^32`);
  }
  const lo = ConcreteArray.fromHost(Int32Array.from(range(n)), [...shape], "int32");
  return [full(shape, 0, "int32"), lo];
}

/** Two random words per element, the high and low halves of a 64-bit draw. */
export function bitPairs(op: string, key: Array, shape: readonly number[]): [Array, Array] {
  const [k0, k1] = keyWords(op, key);
  const [hi, lo] = counters(shape);
  return threefry2x32(k0, k1, hi, lo);
}
