/**
 * Raw random bits: the words every distribution is built from. Element `i` (row-major) of a draw
 * of `shape` encrypts the counter `(0, i)` under the key, so any element can be computed on its
 * own, and the two output words of the cipher are combined as JAX combines them.
 * @module
 */
import type { Array } from "../core/array.ts";
import { xor } from "../core/primitives/bits.ts";
import { counters, keyWords } from "./key.ts";
import { checkSampleShape } from "./sample_shape.ts";
import { threefry2x32 } from "./threefry.ts";

/**
 * Uniformly random 32-bit words of `shape`, as int32 bit patterns (`y0 ^ y1` of the cipher).
 *
 * ```ts
 * import { random } from "../mod.ts";
 * random.bits(random.key(0), [4]).dtype; // "int32"
 * ```
 */
export function bits(key: Array, shape: readonly number[] = []): Array {
  checkSampleShape("random.bits", shape);
  const [hi, lo] = bitPairs("random.bits", key, shape);
  return xor(hi, lo);
}

/** Two random words per element, the high and low halves of a 64-bit draw. */
export function bitPairs(op: string, key: Array, shape: readonly number[]): [Array, Array] {
  const [k0, k1] = keyWords(op, key);
  const [hi, lo] = counters(shape);
  return threefry2x32(k0, k1, hi, lo);
}
