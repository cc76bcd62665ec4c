/**
 * The classic optimisers, each a chain of small transformations. Each docstring gives the update
 * of a weight `w` with gradient `g` at step `t`.
 * @module
 */
import { checkOptions } from "../core/options.ts";
import type { Mask } from "../nn/mask.ts";
import { scaleByAdadelta } from "./adadelta.ts";
import { scaleByRss } from "./adagrad.ts";
import { type AdamOptions, scaleByAdam } from "./adam.ts";
import { ADAM_OPTIONS } from "./adam_keys.ts";
import { chain, type GradientTransformation, type OptState } from "./base.ts";
import { checkHyperparameters } from "./hyperparameters.ts";
import { trace } from "./momentum.ts";
import { scaleByRms, scaleByStddev } from "./rmsprop.ts";
import { scaleByLearningRate } from "./scale.ts";
import type { Schedule } from "./schedules.ts";
import { addDecayedWeights } from "./weight_decay.ts";

/** A constant or scheduled learning rate. */
export type LearningRate = number | Schedule;

/** Options of `sgd`. */
export interface SgdOptions {
  /** Momentum coefficient `gamma` (default 0: plain gradient descent). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent `w <- w - lr g`; with momentum `v <- gamma v + g`,
 * `w <- w - lr v` (the lecture's `v = gamma v + eps g; w = w - v` with `eps = lr`); with Nesterov,
 * `w <- w - lr (g + gamma v)`.
 *
 * ```ts
 * import { optim } from "../mod.ts";
 * const opt = optim.sgd(0.01, { momentum: 0.5 }); // the lecture's MNIST settings
 * ```
 */
export function sgd(
  learningRate: LearningRate,
  options: SgdOptions = {},
): GradientTransformation<OptState[]> {
  checkOptions("optim.sgd", options, ["momentum", "nesterov"]);
  checkHyperparameters("optim.sgd", { learningRate, ...options });
  const { momentum = 0, nesterov = false } = options;
  return momentum || nesterov
    ? chain(trace(momentum, { nesterov }), scaleByLearningRate(learningRate))
    : chain(scaleByLearningRate(learningRate));
}

/**
 * Adagrad, as in the lecture: `G <- G + g^2`, `w <- w - lr g / sqrt(G + eps)`, with the lecture's
 * standard `lr = 0.01` as default.
 */
export function adagrad(
  learningRate: LearningRate = 0.01,
  options: { initialAccumulator?: number; eps?: number } = {},
): GradientTransformation<OptState[]> {
  checkOptions("optim.adagrad", options, ["initialAccumulator", "eps"]);
  checkHyperparameters("optim.adagrad", { learningRate, ...options });
  return chain(
    scaleByRss(options.initialAccumulator, options.eps),
    scaleByLearningRate(learningRate),
  );
}

/**
 * Adadelta: `E[g^2] <- rho E[g^2] + (1 - rho) g^2`, `d = sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) g`,
 * `E[dx^2] <- rho E[dx^2] + (1 - rho) d^2`, `w <- w - lr d` (default `lr = 1`, as Zeiler).
 */
export function adadelta(
  learningRate: LearningRate = 1,
  options: { rho?: number; eps?: number } = {},
): GradientTransformation<OptState[]> {
  checkOptions("optim.adadelta", options, ["rho", "eps"]);
  checkHyperparameters("optim.adadelta", { learningRate, ...options });
  return chain(scaleByAdadelta(options.rho, options.eps), scaleByLearningRate(learningRate));
}

/** Options of `rmsprop`. */
export interface RmspropOptions {
  /** Decay of the averages (default 0.9). */
  decay?: number;
  /** Added inside the root (default 1e-8). */
  eps?: number;
  /** Divide by the centered second moment (a variance estimate) instead (default false). */
  centered?: boolean;
}

/**
 * RMSprop: `nu <- decay nu + (1 - decay) g^2`, `w <- w - lr g / sqrt(nu + eps)`; centered:
 * `mu <- decay mu + (1 - decay) g`, `w <- w - lr g / sqrt(nu - mu^2 + eps)`.
 */
export function rmsprop(
  learningRate: LearningRate = 0.01,
  options: RmspropOptions = {},
): GradientTransformation<OptState[]> {
  checkOptions("optim.rmsprop", options, ["decay", "eps", "centered"]);
  checkHyperparameters("optim.rmsprop", { learningRate, ...options });
  const { decay, eps, centered = false } = options;
  const scaling = centered ? scaleByStddev(decay, eps) : scaleByRms(decay, eps);
  return chain(scaling, scaleByLearningRate(learningRate));
}

/**
 * Adam: `m <- b1 m + (1 - b1) g`, `v <- b2 v + (1 - b2) g^2`,
 * `w <- w - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t) + epsRoot) + eps)`.
 */
export function adam(
  learningRate: LearningRate = 1e-3,
  options: AdamOptions = {},
): GradientTransformation<OptState[]> {
  checkOptions("optim.adam", options, ADAM_OPTIONS);
  checkHyperparameters("optim.adam", { learningRate, ...options });
  return chain(scaleByAdam(options), scaleByLearningRate(learningRate));
}

/** Options of `adamw`. */
export interface AdamwOptions extends AdamOptions {
  /** Decoupled weight decay coefficient `lambda` (default 1e-4). */
  weightDecay?: number;
  /** Which parameters decay (default all; `nn.weightsOnly` skips biases). */
  mask?: Mask;
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay,
 * `w <- w - lr (adam_step + lambda w)`.
 */
export function adamw(
  learningRate: LearningRate = 1e-3,
  options: AdamwOptions = {},
): GradientTransformation<OptState[]> {
  checkOptions("optim.adamw", options, [...ADAM_OPTIONS, "weightDecay", "mask"]);
  checkHyperparameters("optim.adamw", { learningRate, ...options });
  const { weightDecay = 1e-4, mask, ...adamOptions } = options;
  return chain(
    scaleByAdam(adamOptions),
    addDecayedWeights(weightDecay, mask),
    scaleByLearningRate(learningRate),
  );
}
