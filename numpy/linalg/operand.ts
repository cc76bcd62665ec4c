/**
 * How np.linalg functions take their operands: as arrays of floats (integers and bools promote
 * to float32, as jnp.linalg promotes them) of at least two dimensions.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { isFloat } from "../../core/dtype.ts";
import { convert } from "../../core/primitives/elementwise.ts";
import { matrixDims } from "../../core/primitives/linalg/matrix.ts";
import { type ArrayInput, asArray } from "../convert.ts";

/** `x` as a float array, checked to be a (square, if `square`) matrix or batch of matrices. */
export function floatMatrix(op: string, x: ArrayInput, square: boolean): Array {
  let a = asArray(x);
  if (!isFloat(a.dtype)) a = convert(a, "float32");
  matrixDims(op, a.aval, square);
  return a;
}
