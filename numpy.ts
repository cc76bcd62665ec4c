/**
 * `numpy`: the array API, after jax.numpy. Functions accept arrays and JS numbers (weakly typed),
 * broadcast and promote like NumPy, and work the same under every transformation.
 *
 * ```ts
 * import { numpy as np } from "./mod.ts";
 * const x = np.array([[1, 2], [3, 4]]);
 * np.sum(np.tanh(x).mul(x), 1).toArray();
 * ```
 * @module
 */
import "./kernels/ref/backend.ts";
import "./kernels/wasm/backend.ts";
import "./numpy/array_methods.ts";

// Whole files re-exported: deno doc lists a namespace's members only through `export *`.
export * from "./core/array.ts";
export * from "./core/aval.ts";
export type { DType } from "./core/dtype.ts";
export * from "./numpy/convert.ts";
export * from "./numpy/creation.ts";
export * from "./numpy/elementwise.ts";
export * from "./numpy/reductions.ts";
export * from "./core/reduction_options.ts";
export * from "./numpy/shape.ts";
export * from "./numpy/indexing.ts";
export * from "./numpy/at.ts";
export * from "./core/index_types.ts";
export * from "./numpy/linalg.ts";
export * as linalg from "./numpy/linalg/mod.ts";
export * from "./numpy/einsum.ts";
export * from "./numpy/trig.ts";
export * from "./numpy/division.ts";
export * from "./numpy/nonfinite.ts";
export * from "./numpy/tiling.ts";
export * from "./numpy/joining.ts";
export * from "./numpy/roll.ts";
export * from "./numpy/triangular.ts";
export * from "./numpy/diagonal.ts";
export * from "./numpy/outer_products.ts";
export * from "./numpy/meshgrid.ts";
export * from "./numpy/cumulative.ts";
export * from "./numpy/sorting.ts";
