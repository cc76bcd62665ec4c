/**
 * `lax.linalg`: matrix decompositions and triangular solves as primitives, after
 * jax.lax.linalg: `cholesky`, `triangularSolve`, `lu`, `qr`, `eigh`, `svd`. Each works on
 * float32 and float64 matrices and batches of them (`[..., m, n]`), and has JAX's jvp rule
 * (triangular solves their transpose), so everything built on them is differentiable; `vmap`
 * moves the batch axis to the front. The ref backend computes them in plain TypeScript with
 * float64 accumulation; the wasm backend runs those same kernels on copies (there is no wasm
 * kernel of its own), and the webgpu backend has none (an error says so).
 *
 * ```ts
 * import { lax, numpy as np } from "../../../mod.ts";
 * const a = np.array([[4, 2], [2, 5]], "float64");
 * const l = lax.linalg.cholesky(a);
 * l.matmul(l.T).toArray(); // [[4, 2], [2, 5]]
 * ```
 * @module
 */
export * from "./cholesky.ts";
export * from "./triangular_solve.ts";
export * from "./lu.ts";
export * from "./qr.ts";
export * from "./eigh.ts";
export * from "./svd.ts";
