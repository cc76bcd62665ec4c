/**
 * Momentum (heavy ball) and Nesterov momentum, as a trace of past gradients.
 * @module
 */
import type { Array } from "../core/array.ts";
import { checkOptions } from "../core/options.ts";
import type { Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import type { GradientTransformation } from "./base.ts";
import { mapLeaves, zerosLikeTree } from "./leafwise.ts";
import { checkHyperparameters } from "./hyperparameters.ts";

/** State of `trace`: the momentum buffer. */
export interface TraceState {
  /** `v`, shaped like the parameters. */
  trace: Tree;
}

/** Options of `trace`. */
export interface TraceOptions {
  /** Use Nesterov's look-ahead form (default false). */
  nesterov?: boolean;
}

/**
 * Momentum: `v_t = g_t + decay * v_{t-1}` (`v_0 = 0`), `u_t = v_t`, or with Nesterov
 * `u_t = g_t + decay * v_t`. Scaled by a learning rate `lr`, this is the lecture's
 * `v = gamma v + lr g; w = w - v` (its `v` is `lr` times this one), and for Nesterov the lecture's
 * look-ahead rule `v = gamma v + lr grad C(w - gamma v)` rewritten at the look-ahead point, as
 * PyTorch and optax do.
 */
export function trace(
  decay: number,
  options: TraceOptions = {},
): GradientTransformation<TraceState> {
  checkOptions("optim.trace", options, ["nesterov"]);
  checkHyperparameters("optim.trace", { decay });
  return {
    init: (params) => ({ trace: zerosLikeTree(params) }),
    update<U extends Tree>(updates: U, state: TraceState): [U, TraceState] {
      const [u, v] = mapLeaves(
        "optim.trace",
        2,
        (g: Array, prev: Array) => {
          const next = np.add(g, np.multiply(prev, decay));
          return [options.nesterov ? np.add(g, np.multiply(next, decay)) : next, next];
        },
        updates,
        state.trace,
      );
      return [u as U, { trace: v }];
    },
  };
}
