/**
 * `np.linalg`: linear algebra after jax.numpy.linalg: `norm`, `solve`, `inv`, `det`,
 * `slogdet`, `cholesky`, `qr`, `eigh`, `svd`, on matrices and batches of matrices
 * (`[..., m, n]`), float32 and float64 (integers promote to float32), differentiable and
 * batchable through the rules of lax.linalg's primitives.
 *
 * ```ts
 * import { numpy as np } from "../../mod.ts";
 * const a = np.array([[2, 1], [1, 3]], "float64");
 * np.linalg.det(a).item(); // 5
 * np.linalg.solve(a, np.array([3, 5], "float64")).toArray(); // [0.8, 1.4]
 * ```
 * @module
 */

export * from "./norm.ts";
export * from "./solve.ts";
export * from "./det.ts";
export * from "./decompositions.ts";
