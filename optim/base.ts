/**
 * Gradient transformations, as optax: an optimiser is a pair of pure functions over pytrees.
 * `init(params)` builds the state; `update(updates, state, params)` turns gradients into updates
 * and a new state; `applyUpdates(params, updates)` adds them. Nothing is mutated, so a whole
 * training step (gradient, update, apply) is one function that `jit` compiles into one program.
 * Big optimisers are `chain`s of small transformations (`adam` is `scaleByAdam` followed by
 * `scaleByLearningRate`).
 * @module
 */
import type { Array } from "../core/array.ts";
import type { Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import { mapLeaves } from "./leafwise.ts";

/** Optimiser state: a pytree of arrays (so it passes through `jit`). */
export type OptState = Tree<Array>;

/** A pair of pure functions transforming gradients into parameter updates. */
export interface GradientTransformation<S = OptState> {
  /** The initial state for `params`. */
  init(params: Tree): S;
  /** Updates (same structure as the input updates) and the next state. */
  update<U extends Tree>(updates: U, state: S, params?: Tree): [U, S];
}

/**
 * Transformations applied in sequence; the state is the list of their states.
 *
 * ```ts
 * import { optim } from "../mod.ts";
 * const opt = optim.chain(optim.clipByGlobalNorm(1), optim.scaleByAdam(), optim.scaleByLearningRate(1e-3));
 * ```
 */
export function chain(...transforms: GradientTransformation<any>[]): GradientTransformation<
  OptState[]
> {
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update<U extends Tree>(updates: U, state: OptState[], params?: Tree): [U, OptState[]] {
      let u = updates;
      const next = transforms.map((t, i) => {
        const [nu, s] = t.update(u, state[i], params);
        u = nu;
        return s;
      });
      return [u, next];
    },
  };
}

/** `params + updates`, leaf by leaf (updates cast to each parameter's dtype). */
export function applyUpdates<P extends Tree>(params: P, updates: Tree): P {
  return mapLeaves(
    "optim.applyUpdates",
    1,
    (p, u) => [np.add(p, np.astype(u, p.dtype))],
    params,
    updates,
  )[0] as P;
}
