/**
 * Batch normalisation (Ioffe and Szegedy 2015) with its running statistics as explicit state:
 * `init` returns parameters and state, `apply(params, state, x, { training })` returns the
 * output and the next state. Training normalises with the batch's statistics and updates the
 * running ones (PyTorch's `momentum` rule, unbiased running variance); inference normalises
 * with the running statistics and returns the state unchanged.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";
import { normalizeAxis } from "../../core/shape.ts";
import * as np from "../../numpy.ts";
import { split } from "../../random/key.ts";
import type { FloatDType } from "../../random/uniform.ts";
import { type Initializer, ones, zeros } from "../initializers.ts";
import type { ApplyOptions } from "../layer.ts";
import { standardize } from "./layer_norm.ts";

/** Learned parameters of `batchNorm`, one per feature. */
export interface BatchNormParams {
  /** Multiplies the normalised input. */
  scale: Array;
  /** Added after scaling. */
  bias: Array;
}

/** The running statistics of `batchNorm`, one per feature. */
export interface BatchNormState {
  /** Running mean (starts at 0). */
  mean: Array;
  /** Running unbiased variance (starts at 1). */
  var: Array;
}

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** The feature axis (default 1: channels of `[N, C]` or `[N, C, H, W]`, as PyTorch). */
  axis?: number;
  /** Weight of the batch statistics in each running update (default 0.1, as PyTorch). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Scale initialiser (default ones). */
  scaleInit?: Initializer;
  /** Bias initialiser (default zeros). */
  biasInit?: Initializer;
  /** Parameter and state dtype (default float32). */
  dtype?: FloatDType;
}

/** A layer with state: `apply` returns its output and the next state. */
export interface StatefulLayer<P, S> {
  /** Output shape, initial parameters and initial state for inputs of `inputShape`. */
  init(key: Array, inputShape: number[]): [number[], P, S];
  /** The output for `x` and the next state. */
  apply(params: P, state: S, x: Array, options?: ApplyOptions): [Array, S];
}

/**
 * Batch normalisation over every axis but the feature `axis`. Apply with
 * `{ training: true }` to normalise by the batch and update the running statistics.
 *
 * ```ts
 * import { nn, numpy as np, random } from "../../mod.ts";
 * const bn = nn.batchNorm();
 * let [, params, state] = bn.init(random.key(0), [-1, 3, 8, 8]);
 * let y;
 * [y, state] = bn.apply(params, state, np.ones([4, 3, 8, 8]), { training: true });
 * [y] = bn.apply(params, state, np.ones([1, 3, 8, 8])); // inference: running statistics
 * ```
 */
export function batchNorm(
  options: BatchNormOptions = {},
): StatefulLayer<BatchNormParams, BatchNormState> {
  const op = "nn.batchNorm";
  const { axis = 1, momentum = 0.1, epsilon = 1e-5, dtype = "float32" } = options;
  if (!(momentum >= 0 && momentum <= 1)) {
    throw new AdjointError(op, `expected a momentum in [0, 1], got ${momentum}`);
  }
  /** The reduced axes and the shape features broadcast with, for a rank-`ndim` input. */
  const layout = (shape: readonly number[]) => {
    const ax = normalizeAxis(op, axis, shape.length);
    return {
      ax,
      reduced: shape.map((_, i) => i).filter((i) => i !== ax),
      broadcast: shape.map((d, i) => (i === ax ? d : 1)),
    };
  };
  return {
    init(key, inputShape) {
      const { ax } = layout(inputShape);
      const c = inputShape[ax];
      if (!(c > 0)) {
        throw new AdjointError(
          op,
          `the feature axis of the input shape [${inputShape}] must be known`,
        );
      }
      const [ks, kb] = split(key);
      const params = {
        scale: (options.scaleInit ?? ones())(ks, [c], { dtype }),
        bias: (options.biasInit ?? zeros())(kb, [c], { dtype }),
      };
      return [inputShape, params, { mean: np.zeros([c], dtype), var: np.ones([c], dtype) }];
    },
    apply(params, state, x, applyOptions) {
      const { reduced, broadcast } = layout(x.shape);
      const along = (v: Array) => np.reshape(v, broadcast);
      let y: Array;
      let next = state;
      if (applyOptions?.training) {
        const n = reduced.reduce((s, i) => s * x.shape[i], 1);
        if (n < 2) {
          throw new AdjointError(
            op,
            `training needs more than one value per feature to estimate a variance, got ${x.aval}`,
          );
        }
        const mean = np.mean(x, { axis: reduced, keepdims: true });
        const variance = np.mean(np.square(np.subtract(x, mean)), {
          axis: reduced,
          keepdims: true,
        });
        y = standardize(x, { mean, variance, epsilon });
        const unbiased = np.multiply(np.reshape(variance, [-1]), n / (n - 1));
        const update = (run: Array, batch: Array) =>
          np.add(np.multiply(run, 1 - momentum), np.multiply(np.stopGradient(batch), momentum));
        next = {
          mean: update(state.mean, np.reshape(mean, [-1])),
          var: update(state.var, unbiased),
        };
      } else {
        y = standardize(x, { mean: along(state.mean), variance: along(state.var), epsilon });
      }
      return [np.add(np.multiply(y, along(params.scale)), along(params.bias)), next];
    },
  };
}
