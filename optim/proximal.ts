/**
 * The proximal step of an L1 penalty (soft-thresholding), applied after the gradient step: the
 * way L1 regularisation drives weights to exactly zero, as the lecture says it does. A plain
 * subgradient step on `alpha |w|` only makes weights oscillate around zero; the proximal step
 * `w <- sign(w) max(|w| - threshold, 0)` lands on zero and stays there.
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

/**
 * Turns a step `u` into the proximal L1 step: with `z = w + u`,
 * `u' = sign(z) max(|z| - threshold, 0) - w`, on the leaves selected by `mask`. Put it last in a
 * chain, after the learning rate; for an L1 penalty `alpha ||w||_1` and learning rate `lr`, use
 * `threshold = lr * alpha`.
 */
export function proximalL1(threshold: number, mask?: Mask): GradientTransformation<EmptyState> {
  const op = "optim.proximalL1";
  checkHyperparameters(op, { threshold });
  return {
    init: () => ({}),
    update<U extends Tree>(updates: U, state: EmptyState, params?: Tree): [U, EmptyState] {
      const p = requireParams(op, params);
      const flags = maskLeaves(op, p, mask);
      let i = 0;
      const u = mapLeaves(
        op,
        1,
        (g, w) => {
          if (!flags[i++]) return [g];
          const z = np.add(w, g);
          const shrunk = np.multiply(np.sign(z), np.maximum(np.subtract(np.abs(z), threshold), 0));
          return [np.subtract(shrunk, w)];
        },
        updates,
        p,
      )[0];
      return [u as U, state];
    },
  };
}
