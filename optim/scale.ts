/**
 * Scaling transformations: by a constant, by a schedule of the step count, and by the learning
 * rate (negated, so that `applyUpdates` descends).
 * @module
 */
import type { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import type { Tree } from "../core/tree.ts";
import * as np from "../numpy.ts";
import type { GradientTransformation } from "./base.ts";
import { mapLeaves } from "./leafwise.ts";
import { initCount, nextCount } from "./step_count.ts";
import { checkHyperparameters } from "./hyperparameters.ts";
import type { Schedule } from "./schedules.ts";

/** The state of a transformation that keeps none. */
export type EmptyState = Record<string, never>;

/** State of scheduled transformations: the number of steps taken. */
export interface CountState {
  /** Steps taken so far (int32 scalar). */
  count: Array;
}

/** `u = factor * g`. */
export function scale(factor: number): GradientTransformation<EmptyState> {
  checkHyperparameters("optim.scale", { factor });
  return {
    init: () => ({}),
    update<U extends Tree>(updates: U, state: EmptyState): [U, EmptyState] {
      return [mapLeaves("optim.scale", 1, (g) => [np.multiply(g, factor)], updates)[0] as U, state];
    },
  };
}

/** `u_t = s(t) * g_t`, with `t` the step count (0 at the first update). */
export function scaleBySchedule(schedule: Schedule): GradientTransformation<CountState> {
  if (typeof schedule !== "function") {
    throw new AdjointError(
      "optim.scaleBySchedule",
      `expected a schedule (step => Array) such as optim.cosineDecay(0.1, 1000), got ` +
        describeValue(schedule),
    );
  }
  return {
    init: () => ({ count: initCount() }),
    update<U extends Tree>(updates: U, state: CountState): [U, CountState] {
      const s = schedule(state.count);
      const u = mapLeaves(
        "optim.scaleBySchedule",
        1,
        (g) => [np.multiply(g, np.astype(s, g.dtype))],
        updates,
      )[0];
      return [u as U, { count: nextCount(state.count) }];
    },
  };
}

/**
 * `u = -lr * g` (or `+lr * g` without `flipSign`), for a constant or scheduled learning rate:
 * the last link of most optimiser chains.
 */
export function scaleByLearningRate(
  learningRate: number | Schedule,
  flipSign = true,
): GradientTransformation<EmptyState> | GradientTransformation<CountState> {
  checkHyperparameters("optim.scaleByLearningRate", { learningRate });
  const sign = flipSign ? -1 : 1;
  if (typeof learningRate === "number") return scale(sign * learningRate);
  return scaleBySchedule((t) => np.multiply(learningRate(t), sign));
}
