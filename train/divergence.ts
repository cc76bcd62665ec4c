/**
 * Divergence: a training step whose loss (or any other metric) is NaN or infinite stops training
 * with an error that says where it happened and what to try, instead of training on garbage.
 *
 * ```ts
 * import { checkFiniteMetrics } from "./divergence.ts";
 * checkFiniteMetrics("fit", { loss: 0.3 }, 1, 17); // passes; { loss: NaN } throws
 * ```
 * @module
 */
import { AdjointError } from "../core/errors.ts";
import type { Metrics } from "./progress.ts";

/**
 * Throws an AdjointError naming `op`, the metric, the epoch and the step (both from 1) when a
 * metric of a training step is not finite.
 */
export function checkFiniteMetrics(op: string, metrics: Metrics, epoch: number, step: number) {
  for (const [name, value] of Object.entries(metrics)) {
    if (Number.isFinite(value)) continue;
    throw new AdjointError(
      op,
      `training diverged: metric "${name}" is ${value} at epoch ${epoch}, step ${step}. Try a ` +
        `lower learning rate or gradient clipping (optim.clipByGlobalNorm), or turn on ` +
        `config.debugNans (ADJOINT_DEBUG_NANS=1) to name the first primitive that makes a NaN ` +
        `or an infinity`,
    );
  }
}
