/**
 * Raw random bits: the words every distribution is built from. Element `i` (row-major) of a draw
 * of `shape` encrypts the counter `(0, i)` under the key, so any element can be computed on its
 * own, and the two output words of the cipher are combined as JAX combines them.
 * @module
 */
import type { Array } from "../core/array.ts";
import { xor } from "../core/primitives/bits.ts";
import { checkSampleShape } from "./sample_shape.ts";
import { bitPairs } from "./words.ts";

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
