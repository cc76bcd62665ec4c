/**
 * Activation functions `g` of the lecture's neuron `output = g(w^T x + b)`: sigmoid, tanh,
 * gaussian, ReLU and its relatives, and the softmax family for output layers. Each is a plain
 * function of an array; combinators also accept them directly as parameter-free layers.
 * @module
 */
import type { Array } from "../core/array.ts";
import type { Axis } from "../core/reduction_options.ts";
import * as np from "../numpy.ts";
import { reductionArgs } from "../numpy/reduction_args.ts";

/** Logistic sigmoid `1 / (1 + e^-x)`. */
export function sigmoid(x: Array): Array {
  return np.sigmoid(x);
}

/** Hyperbolic tangent. */
export function tanh(x: Array): Array {
  return np.tanh(x);
}

/** The lecture's Gaussian activation `exp(-x^2)`. */
export function gaussian(x: Array): Array {
  return np.exp(np.negative(np.square(x)));
}

/**
 * Rectified linear unit `max(x, 0)` (the lecture: 0 if x <= 0, x otherwise); its derivative at 0
 * is 0, as in JAX and PyTorch.
 */
export function relu(x: Array): Array {
  return np.relu(x);
}

/** `x` for `x >= 0`, `slope * x` below (default slope 0.01). */
export function leakyRelu(x: Array, slope = 0.01): Array {
  return np.where(np.greaterEqual(x, 0), x, np.multiply(x, slope));
}

/**
 * Gaussian error linear unit `x * Phi(x)`; by default the tanh approximation
 * `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))` (as jax.nn.gelu), exact with `erf` when
 * `approximate` is false.
 */
export function gelu(x: Array, approximate = true): Array {
  if (!approximate) {
    return np.multiply(np.multiply(x, 0.5), np.add(np.erf(np.divide(x, Math.SQRT2)), 1));
  }
  const inner = np.multiply(
    np.add(x, np.multiply(np.power(x, 3), 0.044715)),
    Math.sqrt(2 / Math.PI),
  );
  return np.multiply(np.multiply(x, 0.5), np.add(np.tanh(inner), 1));
}

/**
 * `log(1 + e^x)`, computed as `max(x, 0) + log1p(e^-|x|)` so it never overflows. It takes
 * `np.maximum`, not relu: at 0 the terms' derivatives are max's 1/2 and abs's 0, summing to the
 * true 1/2, where relu's 0 would give 0.
 */
export function softplus(x: Array): Array {
  return np.add(np.maximum(x, 0), np.log1p(np.exp(np.negative(np.abs(x)))));
}

/** Options of `softmax` and `logSoftmax`, as jax.nn's keywords. */
export interface SoftmaxOptions {
  /** The axis or axes to normalise over (default -1; `null`: all axes). */
  axis?: Axis;
}

/** The axes of a softmax given positionally or as options (-1 when not given). */
function softmaxAxis(op: string, axis: Axis | SoftmaxOptions): Axis {
  const given = reductionArgs(op, [axis], ["axis"]).axis;
  return given === undefined ? -1 : given;
}

/**
 * `x - logsumexp(x)` along `axis` (default -1; a list, or `null` for all axes; or
 * `{ axis }`): log-probabilities, computed stably.
 */
export function logSoftmax(x: Array, axis: Axis | SoftmaxOptions = -1): Array {
  return np.subtract(x, np.logsumexp(x, softmaxAxis("nn.logSoftmax", axis), true));
}

/** `e^x / sum(e^x)` along `axis` (as `logSoftmax` takes it), computed stably. */
export function softmax(x: Array, axis: Axis | SoftmaxOptions = -1): Array {
  return np.exp(np.subtract(x, np.logsumexp(x, softmaxAxis("nn.softmax", axis), true)));
}
