/**
 * How reductions take their axes: positionally (`np.sum(x, -1, true)`) or as NumPy's keywords in
 * an options object (`np.sum(x, { axis: -1, keepdims: true })`), with `null` for all axes.
 * @module
 */

/** An axis, a list of axes, or all axes (`null`, or omitted). */
export type Axis = number | number[] | undefined | null;

/** Options of a reduction over axes (`sum`, `mean`, `max`, `logsumexp`, ...). */
export interface ReductionOptions {
  /** The axes to reduce (default: all). */
  axis?: Axis;
  /** Keep the reduced axes, with size 1 (default false). */
  keepdims?: boolean;
}

/** Options of `var` and `std`. */
export interface VarianceOptions extends ReductionOptions {
  /** Delta degrees of freedom: the sum of squares is divided by `N - ddof` (default 0). */
  ddof?: number;
}

/** Options of `argmax` and `argmin`. */
export interface ArgReductionOptions {
  /** The axis to search (default `null`: the flattened array). */
  axis?: number | null;
  /** Keep the searched axis (all axes, for the flattened array), with size 1 (default false). */
  keepdims?: boolean;
}
