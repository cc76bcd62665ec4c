/**
 * Bit-level primitives on int32 words: xor, shifts, and reinterpreting bits between int32 and
 * float32. int32 arrays stand in for unsigned 32-bit words (the same bits), which is how random
 * bits become floats: `shift_right_logical` keeps mantissa bits, `bitcast_convert_type` reads
 * them as a float. Integer outputs have no derivative, so every jvp here is a symbolic zero.
 * @module
 */
import type { Array } from "../array.ts";
import { ShapedArray } from "../aval.ts";
import type { DType } from "../dtype.ts";
import { AdjointError } from "../errors.ts";
import { type NoParams, Primitive, type PrimitiveProperties } from "../primitive.ts";
import type { ConvertParams } from "./elementwise.ts";
import { shapeEqual } from "../shape.ts";
import { bind, bind1 } from "../trace.ts";
import { batchSameShape } from "./batching.ts";

/** A binary primitive on int32 words of equal shapes (elementwise: fused into loops). */
function wordBinary<N extends string>(
  name: N,
  properties: PrimitiveProperties = {},
): Primitive<N, NoParams> {
  const p = new Primitive<N, NoParams>(name, { elementwise: true, ...properties });
  p.shape = ([x, y]) => {
    if (x.dtype !== "int32" || y.dtype !== "int32" || !shapeEqual(x.shape, y.shape)) {
      throw new AdjointError(
        name,
        `expected two int32 arrays of equal shape, got ${x} and ${y}`,
      );
    }
    return [x];
  };
  p.batch = batchSameShape(p);
  p.jvp = (primals, _tangents, params) => [bind(p, primals, params), [null]];
  return p;
}

/** Bitwise exclusive or. */
export const xorP: Primitive<"xor", NoParams> = wordBinary("xor", { commutative: true });
/** `x << y`; shifts of 32 or more (or negative) give 0. */
export const shiftLeftP: Primitive<"shift_left", NoParams> = wordBinary("shift_left");
/** `x >>> y` (zero fill); shifts of 32 or more (or negative) give 0. */
export const shiftRightLogicalP: Primitive<"shift_right_logical", NoParams> = wordBinary(
  "shift_right_logical",
);
/** `x >> y` (sign fill); shifts of 32 or more (or negative) give 0 or -1 by sign. */
export const shiftRightArithmeticP: Primitive<"shift_right_arithmetic", NoParams> = wordBinary(
  "shift_right_arithmetic",
);

/** The binary primitives on int32 words. */
export const WORD_BINARY = [
  "xor",
  "shift_left",
  "shift_right_logical",
  "shift_right_arithmetic",
] as const;

/** lax.bitwise_xor on int32 words. */
export function xor(x: Array, y: Array): Array {
  return bind1(xorP, [x, y]);
}
/** lax.shift_left on int32 words. */
export function shiftLeft(x: Array, y: Array): Array {
  return bind1(shiftLeftP, [x, y]);
}
/** lax.shift_right_logical: shifts in zeros, treating the words as unsigned. */
export function shiftRightLogical(x: Array, y: Array): Array {
  return bind1(shiftRightLogicalP, [x, y]);
}
/** lax.shift_right_arithmetic: shifts in copies of the sign bit. */
export function shiftRightArithmetic(x: Array, y: Array): Array {
  return bind1(shiftRightArithmeticP, [x, y]);
}

/** Element widths in bits of the dtypes that can be reinterpreted. */
const BIT_WIDTH: Partial<Record<DType, number>> = { int32: 32, float32: 32 };

/** Reinterprets the bits of each element as another dtype of the same width. */
export const bitcastConvertTypeP: Primitive<"bitcast_convert_type", ConvertParams> = new Primitive(
  "bitcast_convert_type",
  { elementwise: true },
);
bitcastConvertTypeP.shape = ([x], { dtype }) => {
  const to = dtype;
  const from = BIT_WIDTH[x.dtype], width = BIT_WIDTH[to];
  if (from === undefined || from !== width) {
    throw new AdjointError(
      "bitcast_convert_type",
      `cannot reinterpret ${x} as ${to}; expected dtypes of equal bit width ` +
        `(int32 <-> float32)`,
    );
  }
  return [new ShapedArray(x.shape, to)];
};
bitcastConvertTypeP.batch = (_, [x], [bd], params) => [
  [bind1(bitcastConvertTypeP, [x], params)],
  [bd],
];
bitcastConvertTypeP.jvp = ([x], _tangents, params) => [
  [bind1(bitcastConvertTypeP, [x], params)],
  [null],
];

/** lax.bitcast_convert_type: the same bits read as `dtype` (int32 <-> float32). */
export function bitcastConvertType(x: Array, dtype: DType): Array {
  if (x.dtype === dtype) return x;
  return bind1(bitcastConvertTypeP, [x], { dtype });
}
