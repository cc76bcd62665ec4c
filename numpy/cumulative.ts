/**
 * NumPy's cumulative sums and products (`cumsum`, `cumprod`): the flattened array when `axis` is
 * omitted or null, bools counted as int32, an optional result dtype. Built on lax's scans.
 * @module
 */
import type { Array } from "../core/array.ts";
import type { DType } from "../core/dtype.ts";
import { convert } from "../core/primitives/elementwise.ts";
import { reshape } from "../core/primitives/structural.ts";
import { normalizeAxis } from "../core/shape.ts";
import * as lax from "../lax/cumulative.ts";
import { type ArrayInput, asArray } from "./convert.ts";

function cumulative(
  op: string,
  scan: (x: Array, axis: number) => Array,
): (a: ArrayInput, axis?: number | null, dtype?: DType) => Array {
  return (a, axis = null, dtype) => {
    let x = asArray(a);
    if (dtype) x = convert(x, dtype);
    else if (x.dtype === "bool") x = convert(x, "int32");
    if (axis === null) return scan(reshape(x, [x.size]), 0);
    return scan(x, normalizeAxis(`np.${op}`, axis, x.ndim));
  };
}

/** Running sums along `axis` (of the flattened array when omitted or null), in `dtype` if given. */
export const cumsum: (a: ArrayInput, axis?: number | null, dtype?: DType) => Array = cumulative(
  "cumsum",
  (x, axis) => lax.cumsum(x, axis),
);

/** Running products along `axis` (of the flattened array when omitted or null), in `dtype` if given. */
export const cumprod: (a: ArrayInput, axis?: number | null, dtype?: DType) => Array = cumulative(
  "cumprod",
  (x, axis) => lax.cumprod(x, axis),
);
