/**
 * `random`: JAX-style pseudo-random numbers with explicit keys. A key is an int32 array of shape
 * `[2]`; every sampler is a pure function of its key, built on the threefry2x32 counter-based
 * cipher, so the same key gives the same numbers on every backend and under `jit` and `vmap`.
 *
 * ```ts
 * import { random } from "../mod.ts";
 * const [k1, k2] = random.split(random.key(0));
 * const x = random.normal(k1, [3]);
 * const order = random.permutation(k2, 10);
 * ```
 * @module
 */
// Whole files re-exported, as in nn/mod.ts: deno doc lists a namespace's members only so.
export * from "./key.ts";
export * from "./bits.ts";
export * from "./uniform.ts";
export * from "./normal.ts";
export * from "./multivariate_normal.ts";
export * from "./bernoulli.ts";
export * from "./randint.ts";
export * from "./categorical.ts";
export * from "./permutation.ts";
export * from "./orthogonal.ts";
export * from "./choice.ts";
export * from "./exponential.ts";
export * from "./gamma.ts";
export * from "./poisson.ts";
export * from "../core/primitives/threefry.ts";
