/**
 * Losses of the lecture: mean squared error for regression, cross-entropy for classification
 * (from logits, stably through logsumexp, or from log-probabilities as PyTorch's `F.nll_loss`),
 * and binary cross-entropy. Per-example losses are averaged by default.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { normalizeAxis, shapeEqual } from "../core/shape.ts";
import * as np from "../numpy.ts";
import { softplus } from "./activations.ts";
import { labelKind, requireArray } from "./labels.ts";

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
 * Refuses a target whose shape differs from the prediction's: broadcasting `[N, 1]` against
 * `[N]` would silently compare every prediction with every target.
 */
function sameShape(op: string, what: string, prediction: Array, target: Array): void {
  requireArray(op, what, prediction);
  requireArray(op, "target", target);
  if (!shapeEqual(prediction.shape, target.shape)) {
    throw new AdjointError(
      op,
      `${what} ${prediction.aval} and target ${target.aval} must have the same shape (broadcasting ` +
        `them would pair every ${what} with every target); reshape one with np.reshape`,
    );
  }
}

/**
 * Mean squared error: the average of `(prediction - target)^2` over all elements (PyTorch's
 * `MSELoss`; the lecture's `1/N sum_i ||y_i - o_i||^2` is this times the number of outputs).
 * Prediction and target must have one shape.
 */
export function mse(prediction: Array, target: Array, options: LossOptions = {}): Array {
  sameShape("nn.mse", "prediction", prediction, target);
  return reduce(np.square(np.subtract(prediction, target)), options.reduction);
}

/** Class targets as probabilities along `axis`: integer labels become one-hot rows. */
function targetDistribution(op: string, scores: Array, labels: Array, axis: number): Array {
  if (labelKind(op, scores, labels, axis) === "distribution") return labels;
  const oneHot = np.oneHot(labels, scores.shape[axis], scores.dtype);
  return axis === scores.ndim - 1 ? oneHot : np.moveaxis(oneHot, -1, axis);
}

/**
 * Softmax cross-entropy from unnormalised `logits` (classes on `axis`, default -1) and integer
 * `labels` (the batch shape) or one-hot/soft float targets (the logits' shape):
 * `logsumexp(z) - sum_c y_c z_c` per example, stable for any logits. Integer labels are checked
 * to lie in `[0, classes)` when they are concrete; under `jit` they cannot be, and an
 * out-of-range label counts as a target of all zeros.
 */
export function softmaxCrossEntropy(
  logits: Array,
  labels: Array,
  options: LossOptions & { axis?: number } = {},
): Array {
  const op = "nn.softmaxCrossEntropy";
  requireArray(op, "logits", logits);
  const axis = normalizeAxis(op, options.axis ?? -1, logits.ndim);
  const y = targetDistribution(op, logits, labels, axis);
  const losses = np.subtract(
    np.logsumexp(logits, axis),
    np.sum(np.multiply(y, logits), axis),
  );
  return reduce(losses, options.reduction);
}

/**
 * Negative log-likelihood of integer `labels` under log-probabilities `logProbs` (classes on the
 * last axis), as PyTorch's `F.nll_loss` after `log_softmax`: `-logProbs[i, labels[i]]`. Labels
 * are checked as in `softmaxCrossEntropy`.
 */
export function nll(logProbs: Array, labels: Array, options: LossOptions = {}): Array {
  const op = "nn.nll";
  requireArray(op, "log-probabilities", logProbs);
  const axis = normalizeAxis(op, -1, logProbs.ndim);
  const y = targetDistribution(op, logProbs, labels, axis);
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
 * `softplus(x) - t x`; probabilities are clipped to `[1e-7, 1 - 1e-7]` otherwise. Input and
 * target must have one shape.
 */
export function binaryCrossEntropy(
  input: Array,
  target: Array,
  options: BinaryCrossEntropyOptions = {},
): Array {
  sameShape("nn.binaryCrossEntropy", "input", input, target);
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
