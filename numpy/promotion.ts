/**
 * Promotion of mixed operands to one dtype, with JS numbers weakly typed (they take the dtype of
 * the arrays they meet, as Python scalars do in JAX).
 * @module
 */
import { Array } from "../core/array.ts";
import { type DType, promoteTypes, weakDType } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { scalar } from "../core/primitives/constants.ts";
import { convert } from "../core/primitives/elementwise.ts";

/** Result dtype of combining values, with JS numbers weakly typed. */
export function resultDType(xs: readonly (Array | number | boolean)[]): DType {
  let strong: DType | null = null;
  for (const x of xs) {
    if (x instanceof Array) {
      strong = strong ? promoteTypes(strong, x.dtype) : x.dtype;
    }
  }
  let out = strong;
  for (const x of xs) {
    if (!(x instanceof Array)) {
      const w = weakDType(x, strong);
      out = out ? promoteTypes(out, w) : w;
    }
  }
  return out ?? "float32";
}

/** Converts every operand to the common dtype (or `dtype` when given). */
export function promoteArgs(
  op: string,
  xs: readonly (Array | number | boolean)[],
  dtype?: DType,
): Array[] {
  const d = dtype ?? resultDType(xs);
  return xs.map((x) => {
    if (x instanceof Array) return convert(x, d);
    if (typeof x === "number" || typeof x === "boolean") return scalar(x, d);
    throw new AdjointError(op, `expected an array or a number, got ${typeof x}`);
  });
}
