/**
 * Adagrad's per-weight scaling by the root of the summed squared gradients.
 * @module
 */
import type { Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import type { GradientTransformation } from "./base.ts";
import { mapLeaves } from "./leafwise.ts";
import { checkHyperparameters } from "./hyperparameters.ts";

/** State of `scaleByRss`: the running sum of squared gradients. */
export interface RssState {
  /** `G`, shaped like the parameters. */
  sumOfSquares: Tree;
}

/**
 * The lecture's Adagrad scaling: `G_t = G_{t-1} + g_t^2` (`G_0 = initialAccumulator`),
 * `u_t = g_t / sqrt(G_t + eps)`. Every weight gets its own, decreasing, step size.
 */
export function scaleByRss(initialAccumulator = 0, eps = 1e-7): GradientTransformation<RssState> {
  checkHyperparameters("optim.scaleByRss", { initialAccumulator, eps });
  return {
    init: (params) => ({
      sumOfSquares:
        mapLeaves("optim.scaleByRss", 1, (p) => [np.fullLike(p, initialAccumulator)], params)[0],
    }),
    update<U extends Tree>(updates: U, state: RssState): [U, RssState] {
      const [u, sum] = mapLeaves(
        "optim.scaleByRss",
        2,
        (g, acc) => {
          const next = np.add(acc, np.square(g));
          return [np.divide(g, np.sqrt(np.add(next, eps))), next];
        },
        updates,
        state.sumOfSquares,
      );
      return [u as U, { sumOfSquares: sum }];
    },
  };
}
