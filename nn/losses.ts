/**
 * Losses of the lecture: mean squared error for regression, cross-entropy for classification
 * (from logits, stably through logsumexp, or from log-probabilities as PyTorch's `F.nll_loss`),
 * and binary cross-entropy. Per-example losses are averaged by default.
 * @module
 */
import type { Array } from "../core/array.ts";
import { isFloat } from "../core/dtype.ts";
import { AdjointError } from "../core/errors.ts";
import { normalizeAxis, shapeEqual } from "../core/shape.ts";
import * as np from "../numpy.ts";
import { logSoftmax, softplus } from "./activations.ts";
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

/** Options of the classification losses `softmaxCrossEntropy` and `nll`. */
export interface ClassLossOptions extends LossOptions {
  /** The class axis of the scores (default -1). */
  axis?: number;
  /**
   * Per-class weights of shape `[classes]`: example `i` counts `weights[labels[i]]` times, and
   * the mean over integer labels divides by the sum of the weights of the labels (PyTorch's
   * `weight`); soft targets weight each class term and average over examples.
   */
  weights?: Array;
  /**
   * An integer label that contributes no loss and is left out of the mean (PyTorch's
   * `ignore_index`, e.g. padding); integer labels only.
   */
  ignoreIndex?: number;
  /**
   * Label smoothing `eps` in [0, 1]: the target becomes `(1 - eps) y + eps / classes` (PyTorch's
   * `label_smoothing`, optax's `smooth_labels`).
   */
  labelSmoothing?: number;
}

/** Class targets as probabilities along `axis`: integer labels become one-hot rows. */
function targetDistribution(labels: Array, scores: Array, axis: number): Array {
  const oneHot = np.oneHot(labels, scores.shape[axis], scores.dtype);
  return axis === scores.ndim - 1 ? oneHot : np.moveaxis(oneHot, -1, axis);
}

/** `weights` of shape `[classes]` as an array broadcasting along the class axis of `scores`. */
function classWeights(op: string, weights: Array, scores: Array, axis: number): Array {
  requireArray(op, "weights", weights);
  const classes = scores.shape[axis];
  if (weights.ndim !== 1 || weights.shape[0] !== classes || !isFloat(weights.dtype)) {
    throw new AdjointError(
      op,
      `weights must be a float array of shape [${classes}] (one per class), got ${weights.aval}`,
    );
  }
  return np.reshape(
    np.astype(weights, scores.dtype),
    scores.shape.map((d, i) => (i === axis ? d : 1)),
  );
}

/**
 * The negative log-likelihood of `labels` under log-probabilities `logProbs`, with the class
 * weights, ignored label and label smoothing of `options`.
 */
function classLoss(op: string, logProbs: Array, labels: Array, options: ClassLossOptions): Array {
  const axis = normalizeAxis(op, options.axis ?? -1, logProbs.ndim);
  const { ignoreIndex, labelSmoothing: eps = 0, weights } = options;
  if (ignoreIndex !== undefined && !Number.isInteger(ignoreIndex)) {
    throw new AdjointError(op, `ignoreIndex must be an integer, got ${ignoreIndex}`);
  }
  if (!(eps >= 0 && eps <= 1)) {
    throw new AdjointError(op, `labelSmoothing must lie in [0, 1], got ${eps}`);
  }
  const kind = labelKind(op, logProbs, labels, axis, ignoreIndex);
  if (kind === "distribution" && ignoreIndex !== undefined) {
    throw new AdjointError(
      op,
      `ignoreIndex needs integer class labels, got float targets ${labels.aval}`,
    );
  }
  const y = kind === "distribution" ? labels : targetDistribution(labels, logProbs, axis);
  const w = weights && classWeights(op, weights, logProbs, axis);
  const smoothed = eps === 0 ? y : np.add(np.multiply(y, 1 - eps), eps / logProbs.shape[axis]);
  const target = w ? np.multiply(smoothed, w) : smoothed;
  let losses = np.negative(np.sum(np.multiply(target, logProbs), axis));
  if (kind === "distribution") return reduce(losses, options.reduction);
  const keep = ignoreIndex === undefined ? null : np.notEqual(labels, ignoreIndex);
  if (keep) losses = np.where(keep, losses, 0);
  if ((options.reduction ?? "mean") !== "mean" || (!w && !keep)) {
    return reduce(losses, options.reduction);
  }
  // The weighted mean: the weight of each example's (unsmoothed) label, zero when ignored.
  let counts = w ? np.sum(np.multiply(y, w), axis) : np.astype(keep!, logProbs.dtype);
  if (keep && w) counts = np.where(keep, counts, 0);
  return np.divide(np.sum(losses), np.sum(counts));
}

/**
 * Softmax cross-entropy from unnormalised `logits` (classes on `axis`, default -1) and integer
 * `labels` (the batch shape) or one-hot/soft float targets (the logits' shape):
 * `-sum_c y_c log softmax(z)_c` per example, stable for any logits. Options add class
 * `weights`, an `ignoreIndex` and `labelSmoothing`, as PyTorch's `CrossEntropyLoss`. Integer
 * labels are checked to lie in `[0, classes)` when they are concrete; under `jit` they cannot
 * be, and an out-of-range label counts as a target of all zeros (a loss of 0).
 */
export function softmaxCrossEntropy(
  logits: Array,
  labels: Array,
  options: ClassLossOptions = {},
): Array {
  const op = "nn.softmaxCrossEntropy";
  requireArray(op, "logits", logits);
  const axis = normalizeAxis(op, options.axis ?? -1, logits.ndim);
  return classLoss(op, logSoftmax(logits, axis), labels, options);
}

/**
 * Negative log-likelihood of integer `labels` (or float targets) under log-probabilities
 * `logProbs` with classes on `axis` (default -1), as PyTorch's `F.nll_loss` after
 * `log_softmax`: `-logProbs[i, labels[i]]`, with the options of `softmaxCrossEntropy`.
 */
export function nll(logProbs: Array, labels: Array, options: ClassLossOptions = {}): Array {
  const op = "nn.nll";
  requireArray(op, "log-probabilities", logProbs);
  return classLoss(op, logProbs, labels, options);
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
