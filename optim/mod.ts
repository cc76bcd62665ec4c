/**
 * `optim`: optimisers as optax-style gradient transformations over pytrees. Every optimiser is a
 * pair of pure functions, so a whole training step jits into one program:
 *
 * ```ts
 * import { grad, jit, numpy as np, optim } from "../mod.ts";
 * const loss = (p: { w: np.Array }) => np.sum(np.square(p.w.sub(3)));
 * const opt = optim.adam(0.1);
 * let params = { w: np.zeros([2]) };
 * let state = opt.init(params);
 * const step = jit((p: { w: np.Array }, s: optim.OptState[]) => {
 *   const [updates, next] = opt.update(grad(loss)(p), s, p);
 *   return [optim.applyUpdates(p, updates), next];
 * });
 * [params, state] = step(params, state);
 * ```
 * @module
 */
export { applyUpdates, chain, type GradientTransformation, type OptState } from "./base.ts";
export {
  adadelta,
  adagrad,
  adam,
  adamw,
  type AdamwOptions,
  type LearningRate,
  rmsprop,
  type RmspropOptions,
  sgd,
  type SgdOptions,
} from "./alias.ts";
export {
  type CountState,
  type EmptyState,
  scale,
  scaleByLearningRate,
  scaleBySchedule,
} from "./scale.ts";
export { trace, type TraceOptions, type TraceState } from "./momentum.ts";
export { type RssState, scaleByRss } from "./adagrad.ts";
export { type AdadeltaState, scaleByAdadelta } from "./adadelta.ts";
export { type RmsState, scaleByRms, scaleByStddev, type StddevState } from "./rmsprop.ts";
export { type AdamOptions, type AdamState, scaleByAdam } from "./adam.ts";
export { clipByGlobalNorm, globalNorm } from "./clip.ts";
export { addDecayedWeights } from "./weight_decay.ts";
export { proximalL1 } from "./proximal.ts";
export {
  constant,
  cosineDecay,
  exponentialDecay,
  type ExponentialDecayOptions,
  linearSchedule,
  linearWarmup,
  piecewiseConstant,
  type Schedule,
} from "./schedules.ts";
