/**
 * The types of NumPy-style indices (`np.index(x, ...idx)`, `x.at(...idx)`) and of JAX's
 * functional updates, here so that core/array.ts can name them; numpy/indexing.ts and
 * numpy/at.ts implement them.
 * @module
 */
import type { Array, ArrayLike, NestedNumbers } from "./array.ts";
import type { TypedArray } from "./dtype.ts";

/** A basic slice `start:stop:step` for `index` (negative values count from the end). */
export interface Slice {
  /** First index (default: 0, or the end for negative steps). */
  start?: number;
  /** One past the last index (default: the end). */
  stop?: number;
  /** Step (default 1; may be negative). */
  step?: number;
}

/**
 * An advanced index: integer indices (an int32 array, nested JS integers or an integer typed
 * array; negative values count from the end), or a boolean mask (a bool array or nested JS
 * booleans; its values must be known, so not under `jit`).
 */
export type IndexArray = Array | TypedArray | NestedNumbers[];

/**
 * One index entry: an integer, a slice, `null` (a new axis), `"..."` (all remaining axes), or
 * an integer-array / boolean-mask index.
 */
export type Index = number | Slice | null | "..." | IndexArray;

/**
 * JAX's `x.at[idx]`: functional updates of the elements `np.index(x, ...idx)` selects. Each
 * returns a new array of `x`'s shape and dtype (`v` is converted to it and broadcast to the
 * indexed shape); where indices repeat, `add`, `mul`, `min` and `max` combine every update and
 * `set` keeps the last one.
 */
export interface IndexUpdateRef {
  /** The indexed elements: `np.index(x, ...idx)`. */
  get(): Array;
  /** `x` with the indexed elements replaced by `v`. */
  set(v: ArrayLike): Array;
  /** `x` with `v` added at the indexed elements. */
  add(v: ArrayLike): Array;
  /** `x` with the indexed elements multiplied by `v`. */
  mul(v: ArrayLike): Array;
  /** `x` with the indexed elements replaced by their minimum with `v`. */
  min(v: ArrayLike): Array;
  /** `x` with the indexed elements replaced by their maximum with `v`. */
  max(v: ArrayLike): Array;
}
