/**
 * Adam (Kingma & Ba, 2015): momentum on the gradient and an RMSprop-style scale, both bias
 * corrected for their zero initialisation.
 * @module
 */
import type { Array } from "../core/array.ts";
import { checkOptions } from "../core/options.ts";
import type { Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import { ADAM_OPTIONS } from "./adam_keys.ts";
import type { GradientTransformation } from "./base.ts";
import { mapLeaves, zerosLikeTree } from "./leafwise.ts";
import { initCount, nextCount } from "./step_count.ts";
import { checkHyperparameters } from "./hyperparameters.ts";

/** State of `scaleByAdam`. */
export interface AdamState {
  /** Steps taken (int32 scalar). */
  count: Array;
  /** First moment `m`. */
  mu: Tree;
  /** Second moment `v`. */
  nu: Tree;
}

/** Options of `scaleByAdam`. */
export interface AdamOptions {
  /** Decay of the first moment (default 0.9). */
  b1?: number;
  /** Decay of the second moment (default 0.999). */
  b2?: number;
  /** Added to the denominator's root (default 1e-8). */
  eps?: number;
  /** Added inside the root (default 0). */
  epsRoot?: number;
}

/**
 * `m_t = b1 m_{t-1} + (1 - b1) g_t`, `v_t = b2 v_{t-1} + (1 - b2) g_t^2` (both start at 0),
 * `m^_t = m_t / (1 - b1^t)`, `v^_t = v_t / (1 - b2^t)`, `u_t = m^_t / (sqrt(v^_t + epsRoot) + eps)`,
 * with `t = 1` at the first update.
 */
export function scaleByAdam(options: AdamOptions = {}): GradientTransformation<AdamState> {
  checkOptions("optim.scaleByAdam", options, ADAM_OPTIONS);
  checkHyperparameters("optim.scaleByAdam", { ...options });
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0 } = options;
  return {
    init: (params) => ({
      count: initCount(),
      mu: zerosLikeTree(params),
      nu: zerosLikeTree(params),
    }),
    update<U extends Tree>(updates: U, state: AdamState): [U, AdamState] {
      const count = nextCount(state.count);
      const [u, mu, nu] = mapLeaves(
        "optim.scaleByAdam",
        3,
        (g, m, v) => {
          const t = np.astype(count, g.dtype);
          const m2 = np.add(np.multiply(m, b1), np.multiply(g, 1 - b1));
          const v2 = np.add(np.multiply(v, b2), np.multiply(np.square(g), 1 - b2));
          const mHat = np.divide(m2, np.subtract(1, np.power(b1, t)));
          const vHat = np.divide(v2, np.subtract(1, np.power(b2, t)));
          return [np.divide(mHat, np.add(np.sqrt(np.add(vHat, epsRoot)), eps)), m2, v2];
        },
        updates,
        state.mu,
        state.nu,
      );
      return [u as U, { count, mu, nu }];
    },
  };
}
