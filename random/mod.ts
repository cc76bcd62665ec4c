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
export { foldIn, key, split, splitBatch } from "./key.ts";
export { bits } from "./bits.ts";
export { type FloatDType, uniform, type UniformOptions } from "./uniform.ts";
export { normal, type NormalOptions, truncatedNormal } from "./normal.ts";
export { bernoulli } from "./bernoulli.ts";
export { randint } from "./randint.ts";
export { categorical, type CategoricalOptions, gumbel } from "./categorical.ts";
export { permutation } from "./permutation.ts";
export { threefry2x32 } from "./threefry.ts";
