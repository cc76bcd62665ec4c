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
import { AdjointError } from "../core/errors.ts";
import { assertSameStructure, flatten, type Tree, unflatten } from "../core/tree.ts";
import * as np from "../numpy.ts";

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
 * Applies `fn` to corresponding leaves of trees of one structure, where `fn` returns `k` arrays:
 * returns `k` trees with that structure.
 */
export function mapLeaves(
  op: string,
  k: number,
  fn: (...leaves: Array[]) => Array[],
  tree: Tree,
  ...rest: Tree[]
): Tree[] {
  const [first, def] = flatten(tree);
  const others = rest.map((t) => {
    const [ls, d] = flatten(t);
    assertSameStructure(op, def, d, "updates, state and params");
    return ls;
  });
  const results = (first as Array[]).map((leaf, i) =>
    fn(leaf, ...others.map((o) => o[i] as Array))
  );
  return globalThis.Array.from({ length: k }, (_, j) => unflatten(def, results.map((r) => r[j])));
}

/** Zeros shaped like every leaf of `params`. */
export function zerosLikeTree(params: Tree): Tree {
  return mapLeaves("optim.init", 1, (p) => [np.zerosLike(p)], params)[0];
}

/** The step counter every scheduled transformation keeps: an int32 scalar, starting at 0. */
export function initCount(): Array {
  return np.zeros([], "int32");
}

/** The counter after one more step. */
export function nextCount(count: Array): Array {
  return np.add(count, 1);
}

/** The params a transformation needs, or an error naming it. */
export function requireParams(op: string, params: Tree | undefined): Tree {
  if (params === undefined) {
    throw new AdjointError(op, "update needs the current params: update(grads, state, params)");
  }
  return params;
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
