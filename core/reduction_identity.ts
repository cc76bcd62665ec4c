/**
 * What each reduction over axes gives over no elements, as JAX: its identity in the dtype. Every
 * backend's empty reductions, and every fused loop's accumulator, start from it.
 * @module
 */
import type { DType } from "./dtype.ts";

/** The reductions over axes with an identity (argmax and argmin have none). */
export type MonoidReduction = "reduce_sum" | "reduce_prod" | "reduce_max" | "reduce_min";

/**
 * The identity of reduction `name` in `dtype`: 0 for sums, 1 for products; for max and min the
 * infinities for floats, the smallest and largest int32 for int32, false and true for bool
 * (`any` and `all`).
 */
export function reductionIdentity(name: MonoidReduction, dtype: DType): number {
  if (name === "reduce_sum") return 0;
  if (name === "reduce_prod") return 1;
  const max = name === "reduce_max";
  if (dtype === "bool") return max ? 0 : 1;
  if (dtype === "int32") return max ? -(2 ** 31) : 2 ** 31 - 1;
  return max ? -Infinity : Infinity;
}
