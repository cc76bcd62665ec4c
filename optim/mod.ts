/**
 * `optim`: optimisers as optax-style gradient transformations over pytrees. Every optimiser is a
 * pair of pure functions, so a whole training step jits into one program:
 *
 * ```ts
 * import { grad, jit, numpy as np, optim } from "../mod.ts";
 * const loss = (p: { w: np.Array }) => np.sum(np.square(p.w.sub(3)));
 * const opt = optim.adam(0.1);
 * let params = { w: np.zeros([2]) };
 * let state = opt.init(params);
 * const step = jit((p: { w: np.Array }, s: optim.OptState[]) => {
 *   const [updates, next] = opt.update(grad(loss)(p), s, p);
 *   return [optim.applyUpdates(p, updates), next];
 * });
 * [params, state] = step(params, state);
 * ```
 * @module
 */
// Whole files re-exported, as in nn/mod.ts: deno doc lists a namespace's members only so.
export * from "./base.ts";
export * from "./alias.ts";
export * from "./scale.ts";
export * from "./momentum.ts";
export * from "./adagrad.ts";
export * from "./adadelta.ts";
export * from "./rmsprop.ts";
export * from "./adam.ts";
export * from "./clip.ts";
export * from "./weight_decay.ts";
export * from "./proximal.ts";
export * from "./schedules.ts";
