/**
 * Floats from random bits, shared by the float samplers. For float32, the top 23 bits of a word
 * become the mantissa of a float in [1, 2) (exponent bits of 1.0 or-ed in, then the bits read as
 * a float), and 1 is subtracted: every one of the 2^23 values in [0, 1) is equally likely, as in
 * JAX. float64 takes 52 bits from two words the same way, computed exactly in float64 arithmetic.
 * @module
 */
import type { Array } from "../core/array.ts";
import { type DType, isFloat } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { bitcastConvertType, shiftRightLogical } from "../core/primitives/bits.ts";
import { full } from "../core/primitives/constants.ts";
import { add, and, convert, mul, or, sub } from "../core/primitives/elementwise.ts";
import * as np from "../numpy.ts";
import { bits } from "./bits.ts";
import type { FloatDType } from "./uniform.ts";
import { bitPairs } from "./words.ts";

/** Bits of the float32 1.0: exponent 127, mantissa 0. */
const ONE_F32_BITS = 0x3f800000;

/** Checks that `dtype` is a float dtype random floats can take. */
export function checkFloatDType(op: string, dtype: DType): FloatDType {
  if (!isFloat(dtype)) {
    throw new AdjointError(op, `expected a float dtype (float32 or float64), got ${dtype}`);
  }
  return dtype as FloatDType;
}

/** `x >>> s` on int32 words. */
function srl(x: Array, s: number): Array {
  return shiftRightLogical(x, full(x.shape, s, "int32"));
}

/** Uniform floats in [0, 1) of `shape`: 23 random mantissa bits (float32) or 52 (float64). */
export function unitInterval(
  op: string,
  key: Array,
  shape: readonly number[],
  dtype: FloatDType,
): Array {
  if (dtype === "float32") {
    const word = bits(key, shape);
    const oneToTwo = or(srl(word, 9), full(shape, ONE_F32_BITS, "int32"));
    return sub(bitcastConvertType(oneToTwo, "float32"), full(shape, 1, "float32"));
  }
  // u = hi * 2^-32 + (lo >>> 12) * 2^-52, with hi read as unsigned: (hi >>> 1) * 2 + (hi & 1).
  const [hi, lo] = bitPairs(op, key, shape);
  const term = (w: Array, scale: number) => mul(convert(w, "float64"), full(shape, scale, dtype));
  const hiOdd = and(hi, full(shape, 1, "int32"));
  return add(add(term(srl(hi, 1), 2 ** -31), term(hiOdd, 2 ** -32)), term(srl(lo, 12), 2 ** -52));
}

/** A bound as an array of `dtype`. */
export function boundOf(x: number | Array, dtype: FloatDType): Array {
  return typeof x === "number" ? np.array(x, dtype) : np.astype(x, dtype);
}
