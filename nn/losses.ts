/**
 * Losses of the lecture: mean squared error for regression, cross-entropy for classification
 * (from logits, stably through logsumexp, or from log-probabilities as PyTorch's `F.nll_loss`),
 * and binary cross-entropy. Per-example losses are averaged by default.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { isFloat } from "../core/dtype.ts";
import { normalizeAxis } from "../core/shape.ts";
import * as np from "../numpy.ts";
import { softplus } from "./activations.ts";

/** How per-example (or per-element) losses are combined. */
export type Reduction = "mean" | "sum" | "none";

/** Options of the losses. */
export interface LossOptions {
  /** `"mean"` (default), `"sum"`, or `"none"` for the unreduced losses. */
  reduction?: Reduction;
}

function reduce(losses: Array, reduction: Reduction = "mean"): Array {
  if (reduction === "none") return losses;
  return reduction === "sum" ? np.sum(losses) : np.mean(losses);
}

/**
 * Mean squared error: the average of `(prediction - target)^2` over all elements (PyTorch's
 * `MSELoss`; the lecture's `1/N sum_i ||y_i - o_i||^2` is this times the number of outputs).
 */
export function mse(prediction: Array, target: Array, options: LossOptions = {}): Array {
  return reduce(np.square(np.subtract(prediction, target)), options.reduction);
}

/**
 * Class targets as probabilities along the last axis: integer labels become one-hot rows,
 * float targets (one-hot or soft labels) pass through.
 */
function targetDistribution(op: string, scores: Array, labels: Array): Array {
  const classes = scores.shape[scores.ndim - 1];
  if (isFloat(labels.dtype)) {
    if (labels.shape.join() !== scores.shape.join()) {
      throw new AdjointError(
        op,
        `float targets ${labels.aval} must match the scores ${scores.aval}`,
      );
    }
    return labels;
  }
  if (labels.shape.join() !== scores.shape.slice(0, -1).join()) {
    throw new AdjointError(
      op,
      `integer labels ${labels.aval} must have the batch shape of the scores ${scores.aval} ` +
        `(classes on the last axis)`,
    );
  }
  return np.oneHot(labels, classes, scores.dtype);
}

/**
 * Softmax cross-entropy from unnormalised `logits` (classes on `axis`, default -1) and integer
 * `labels` or one-hot/soft float targets: `logsumexp(z) - sum_c y_c z_c` per example, stable for
 * any logits.
 */
export function softmaxCrossEntropy(
  logits: Array,
  labels: Array,
  options: LossOptions & { axis?: number } = {},
): Array {
  const op = "nn.softmaxCrossEntropy";
  const axis = normalizeAxis(op, options.axis ?? -1, logits.ndim);
  const z = np.moveaxis(logits, axis, -1);
  const y = targetDistribution(
    op,
    z,
    isFloat(labels.dtype) ? np.moveaxis(labels, axis, -1) : labels,
  );
  const losses = np.subtract(np.logsumexp(z, -1), np.sum(np.multiply(y, z), -1));
  return reduce(losses, options.reduction);
}

/**
 * Negative log-likelihood of integer `labels` under log-probabilities `logProbs` (classes on the
 * last axis), as PyTorch's `F.nll_loss` after `log_softmax`: `-logProbs[i, labels[i]]`.
 */
export function nll(logProbs: Array, labels: Array, options: LossOptions = {}): Array {
  const y = targetDistribution("nn.nll", logProbs, labels);
  return reduce(np.negative(np.sum(np.multiply(y, logProbs), -1)), options.reduction);
}

/** Options of `binaryCrossEntropy`. */
export interface BinaryCrossEntropyOptions extends LossOptions {
  /** Whether the inputs are logits rather than probabilities (default false). */
  fromLogits?: boolean;
}

/**
 * Binary cross-entropy `-(t log p + (1 - t) log(1 - p))` per element, for targets `t` in [0, 1].
 * With `fromLogits`, `p = sigmoid(x)` and the loss is computed stably as
 * `softplus(x) - t x`; probabilities are clipped to `[1e-7, 1 - 1e-7]` otherwise.
 */
export function binaryCrossEntropy(
  input: Array,
  target: Array,
  options: BinaryCrossEntropyOptions = {},
): Array {
  const t = np.astype(target, input.dtype);
  if (options.fromLogits) {
    return reduce(np.subtract(softplus(input), np.multiply(t, input)), options.reduction);
  }
  const p = np.clip(input, 1e-7, 1 - 1e-7);
  const ll = np.add(
    np.multiply(t, np.log(p)),
    np.multiply(np.subtract(1, t), np.log1p(np.negative(p))),
  );
  return reduce(np.negative(ll), options.reduction);
}
