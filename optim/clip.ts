/**
 * Gradient clipping by the global norm: rescales all updates together when their joint L2 norm
 * is too large, keeping their direction (a guard against exploding gradients).
 * @module
 */
import type { Array } from "../core/array.ts";
import { leaves, type Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import type { GradientTransformation } from "./base.ts";
import { mapLeaves } from "./leafwise.ts";
import { checkHyperparameters } from "./hyperparameters.ts";
import type { EmptyState } from "./scale.ts";

/** The L2 norm of all leaves together: `sqrt(sum over leaves of sum g^2)`. */
export function globalNorm(updates: Tree): Array {
  const squares = (leaves(updates) as Array[]).map((g) => np.sum(np.square(g)));
  return np.sqrt(squares.length ? squares.reduce((a, b) => np.add(a, b)) : np.array(0));
}

/** `u = g * min(1, maxNorm / ||g||)`, with `||g||` the global norm over all leaves. */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<EmptyState> {
  checkHyperparameters("optim.clipByGlobalNorm", { maxNorm });
  return {
    init: () => ({}),
    update<U extends Tree>(updates: U, state: EmptyState): [U, EmptyState] {
      const norm = globalNorm(updates);
      const factor = np.divide(maxNorm, np.maximum(norm, maxNorm));
      const u = mapLeaves(
        "optim.clipByGlobalNorm",
        1,
        (g) => [np.multiply(g, np.astype(factor, g.dtype))],
        updates,
      )[0];
      return [u as U, state];
    },
  };
}
