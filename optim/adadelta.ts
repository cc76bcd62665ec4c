/**
 * Adadelta (Zeiler, 2012): Adagrad's per-weight scaling with decaying averages, and units
 * restored by the average of past updates.
 * @module
 */
import type { Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import type { GradientTransformation } from "./base.ts";
import { mapLeaves, zerosLikeTree } from "./leafwise.ts";
import { checkHyperparameters } from "./hyperparameters.ts";

/** State of `scaleByAdadelta`: decaying averages of squared gradients and squared updates. */
export interface AdadeltaState {
  /** `E[g^2]`. */
  gradSq: Tree;
  /** `E[dx^2]`. */
  updateSq: Tree;
}

/**
 * `E[g^2]_t = rho E[g^2]_{t-1} + (1 - rho) g_t^2`,
 * `u_t = sqrt(E[dx^2]_{t-1} + eps) / sqrt(E[g^2]_t + eps) * g_t`,
 * `E[dx^2]_t = rho E[dx^2]_{t-1} + (1 - rho) u_t^2` (both averages start at 0).
 */
export function scaleByAdadelta(rho = 0.9, eps = 1e-6): GradientTransformation<AdadeltaState> {
  checkHyperparameters("optim.scaleByAdadelta", { rho, eps });
  return {
    init: (params) => ({ gradSq: zerosLikeTree(params), updateSq: zerosLikeTree(params) }),
    update<U extends Tree>(updates: U, state: AdadeltaState): [U, AdadeltaState] {
      const [u, gradSq, updateSq] = mapLeaves(
        "optim.scaleByAdadelta",
        3,
        (g, eg, edx) => {
          const eg2 = np.add(np.multiply(eg, rho), np.multiply(np.square(g), 1 - rho));
          const step = np.multiply(
            np.divide(np.sqrt(np.add(edx, eps)), np.sqrt(np.add(eg2, eps))),
            g,
          );
          const edx2 = np.add(np.multiply(edx, rho), np.multiply(np.square(step), 1 - rho));
          return [step, eg2, edx2];
        },
        updates,
        state.gradSq,
        state.updateSq,
      );
      return [u as U, { gradSq, updateSq }];
    },
  };
}
