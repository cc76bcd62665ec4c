/**
 * How NumPy's elementwise functions wrap a lax primitive: operands promoted (JS numbers weakly
 * typed) and broadcast for binary functions, integer inputs made float32 for float functions.
 * Internal to numpy/ (not re-exported by numpy.ts).
 * @module
 */
import type { Array } from "../core/array.ts";
import { type DType, isFloat } from "../core/dtype.ts";
import { convert } from "../core/primitives/elementwise.ts";
import { broadcastTo } from "../core/primitives/structural.ts";
import { broadcastShapes } from "../core/shape.ts";
import { type ArrayInput, asArray } from "./convert.ts";
import { promoteArgs } from "./promotion.ts";

/** An array or a JS scalar. */
export type Operand = Array | number | boolean;

/** `xs` broadcast to their common shape (NumPy's rules), or an error naming `op`. */
export function broadcastAll(op: string, xs: Array[]): Array[] {
  const shape = broadcastShapes(op, ...xs.map((x) => x.shape));
  return xs.map((x) => broadcastTo(x, shape));
}

/** The dtype float functions compute in: floats stay, integers and bools become float32. */
export const toFloat = (d: DType): DType => (isFloat(d) ? d : "float32");

/**
 * `np.<op>(x, y)` from `fn` on promoted, broadcast operands; `dtypeOf` maps the promoted dtype
 * to the one `fn` takes (e.g. `toFloat`).
 */
export function binaryUfunc(
  op: string,
  fn: (x: Array, y: Array) => Array,
  dtypeOf?: (d: DType) => DType,
): (x: Operand, y: Operand) => Array {
  return (x, y) => {
    let [a, b] = promoteArgs(`np.${op}`, [x, y]);
    if (dtypeOf) [a, b] = promoteArgs(`np.${op}`, [a, b], dtypeOf(a.dtype));
    const [bx, by] = broadcastAll(`np.${op}`, [a, b]);
    return fn(bx, by);
  };
}

/** A unary function of arrays or nested numbers; `float` converts integer inputs to float32. */
export function unaryUfunc(fn: (x: Array) => Array, float = true): (x: ArrayInput) => Array {
  return (x) => {
    const a = asArray(x);
    return fn(float && !isFloat(a.dtype) ? convert(a, "float32") : a);
  };
}
