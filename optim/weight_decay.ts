/**
 * Decoupled weight decay (as in AdamW): adds `weightDecay * params` to the updates, so that after
 * the learning-rate scaling each step also shrinks the weights by `lr * weightDecay * w`.
 * @module
 */
import type { Tree } from "../core/tree.ts";
import type { Mask } from "../nn/mask.ts";
import { maskLeaves } from "../nn/mask_leaves.ts";
import * as np from "../numpy.ts";
import type { GradientTransformation } from "./base.ts";
import { mapLeaves, requireParams } from "./leafwise.ts";
import { checkHyperparameters } from "./hyperparameters.ts";
import type { EmptyState } from "./scale.ts";

/** `u = g + weightDecay * w` on the leaves selected by `mask` (all by default), `u = g` elsewhere. */
export function addDecayedWeights(
  weightDecay: number,
  mask?: Mask,
): GradientTransformation<EmptyState> {
  const op = "optim.addDecayedWeights";
  checkHyperparameters(op, { weightDecay });
  return {
    init: () => ({}),
    update<U extends Tree>(updates: U, state: EmptyState, params?: Tree): [U, EmptyState] {
      const p = requireParams(op, params);
      const flags = maskLeaves(op, p, mask);
      let i = 0;
      const u = mapLeaves(
        op,
        1,
        (g, w) => [flags[i++] ? np.add(g, np.multiply(np.astype(w, g.dtype), weightDecay)) : g],
        updates,
        p,
      )[0];
      return [u as U, state];
    },
  };
}
