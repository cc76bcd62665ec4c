/**
 * RMSprop (Hinton): gradients divided by a decaying root-mean-square of recent gradients, and its
 * centered form, which divides by an estimate of their standard deviation instead.
 * @module
 */
import type { Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import type { GradientTransformation } from "./base.ts";
import { mapLeaves, zerosLikeTree } from "./leafwise.ts";
import { checkHyperparameters } from "./hyperparameters.ts";

/** State of `scaleByRms`: the decaying average of squared gradients. */
export interface RmsState {
  /** `nu`. */
  nu: Tree;
}

/** State of `scaleByStddev`: decaying averages of gradients and squared gradients. */
export interface StddevState {
  /** `mu`. */
  mu: Tree;
  /** `nu`. */
  nu: Tree;
}

/** `nu_t = decay nu_{t-1} + (1 - decay) g_t^2` (`nu_0 = 0`), `u_t = g_t / sqrt(nu_t + eps)`. */
export function scaleByRms(decay = 0.9, eps = 1e-8): GradientTransformation<RmsState> {
  checkHyperparameters("optim.scaleByRms", { decay, eps });
  return {
    init: (params) => ({ nu: zerosLikeTree(params) }),
    update<U extends Tree>(updates: U, state: RmsState): [U, RmsState] {
      const [u, nu] = mapLeaves(
        "optim.scaleByRms",
        2,
        (g, prev) => {
          const next = np.add(np.multiply(prev, decay), np.multiply(np.square(g), 1 - decay));
          return [np.divide(g, np.sqrt(np.add(next, eps))), next];
        },
        updates,
        state.nu,
      );
      return [u as U, { nu }];
    },
  };
}

/**
 * Centered: `mu_t = decay mu_{t-1} + (1 - decay) g_t`, `nu_t` as in `scaleByRms`,
 * `u_t = g_t / sqrt(nu_t - mu_t^2 + eps)`.
 */
export function scaleByStddev(decay = 0.9, eps = 1e-8): GradientTransformation<StddevState> {
  checkHyperparameters("optim.scaleByStddev", { decay, eps });
  return {
    init: (params) => ({ mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update<U extends Tree>(updates: U, state: StddevState): [U, StddevState] {
      const [u, mu, nu] = mapLeaves(
        "optim.scaleByStddev",
        3,
        (g, m, n) => {
          const m2 = np.add(np.multiply(m, decay), np.multiply(g, 1 - decay));
          const n2 = np.add(np.multiply(n, decay), np.multiply(np.square(g), 1 - decay));
          return [np.divide(g, np.sqrt(np.add(np.subtract(n2, np.square(m2)), eps))), m2, n2];
        },
        updates,
        state.mu,
        state.nu,
      );
      return [u as U, { mu, nu }];
    },
  };
}
