/**
 * Learning-rate schedules: functions from the step count (an int32 scalar array, starting at 0)
 * to a float32 scalar, built from array operations so that they work inside `jit`.
 * @module
 */
import type { Array } from "../core/array.ts";
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";
import { checkOptions } from "../core/options.ts";
import * as np from "../numpy.ts";
import { checkHyperparameters } from "./hyperparameters.ts";

/** A schedule: step count -> value. */
export type Schedule = (step: Array | number) => Array;

function stepOf(step: Array | number): Array {
  return np.astype(typeof step === "number" ? np.array(step) : step, "float32");
}

/** The same value at every step. */
export function constant(value: number): Schedule {
  checkHyperparameters("optim.constant", { value });
  return (step) => np.fullLike(stepOf(step), value);
}

/** Options of `exponentialDecay`. */
export interface ExponentialDecayOptions {
  /** Steps before decay starts (default 0). */
  transitionBegin?: number;
  /** Decay in discrete jumps every `transitionSteps` (default false: continuously). */
  staircase?: boolean;
  /** A bound the value does not go past (a floor when decaying, a ceiling when growing). */
  endValue?: number;
}

/**
 * `init * rate^((t - begin) / transitionSteps)` for `t >= begin` (the exponent floored when
 * `staircase`), `init` before.
 */
export function exponentialDecay(
  initValue: number,
  transitionSteps: number,
  decayRate: number,
  options: ExponentialDecayOptions = {},
): Schedule {
  const op = "optim.exponentialDecay";
  checkOptions(op, options, ["transitionBegin", "staircase", "endValue"]);
  checkHyperparameters(op, { initValue, transitionSteps, decayRate, ...options });
  const begin = options.transitionBegin ?? 0;
  return (step) => {
    let p = np.divide(np.maximum(np.subtract(stepOf(step), begin), 0), transitionSteps);
    if (options.staircase) p = np.floor(p);
    const v = np.multiply(np.power(decayRate, p), initValue);
    if (options.endValue === undefined) return v;
    return decayRate < 1 ? np.maximum(v, options.endValue) : np.minimum(v, options.endValue);
  };
}

/**
 * Cosine decay from `init` to `alpha * init` over `decaySteps`, constant after:
 * `init * ((1 - alpha) * 0.5 * (1 + cos(pi * min(t, T) / T)) + alpha)`.
 */
export function cosineDecay(initValue: number, decaySteps: number, alpha = 0): Schedule {
  checkHyperparameters("optim.cosineDecay", { initValue, decaySteps, alpha });
  return (step) => {
    const t = np.divide(np.minimum(stepOf(step), decaySteps), decaySteps);
    const c = np.multiply(np.add(np.cos(np.multiply(t, Math.PI)), 1), 0.5);
    return np.multiply(np.add(np.multiply(c, 1 - alpha), alpha), initValue);
  };
}

/** Linear interpolation from `initValue` to `endValue` over `steps` steps, constant after. */
export function linearSchedule(initValue: number, endValue: number, steps: number): Schedule {
  checkHyperparameters("optim.linearSchedule", { initValue, endValue, steps });
  return (step) => {
    const frac = np.divide(np.minimum(stepOf(step), steps), steps);
    return np.add(np.multiply(frac, endValue - initValue), initValue);
  };
}

/**
 * Linear warmup from `initValue` (default 0) to `peakValue` over `warmupSteps`, then `after`
 * (counted from the end of warmup) or `peakValue` when no schedule follows.
 *
 * ```ts
 * import { optim } from "../mod.ts";
 * const lr = optim.linearWarmup(1e-3, 100, optim.cosineDecay(1e-3, 1000));
 * ```
 */
export function linearWarmup(
  peakValue: number,
  warmupSteps: number,
  after?: Schedule,
  initValue = 0,
): Schedule {
  checkHyperparameters("optim.linearWarmup", { peakValue, warmupSteps, initValue });
  if (after !== undefined && typeof after !== "function") {
    throw new AdjointError(
      "optim.linearWarmup",
      `after must be a schedule (step => Array) such as optim.cosineDecay(1e-3, 1000), got ` +
        describeValue(after),
    );
  }
  const ramp = linearSchedule(initValue, peakValue, warmupSteps);
  if (!after) return ramp;
  return (step) => {
    const t = stepOf(step);
    const rest = after(np.maximum(np.subtract(t, warmupSteps), 0));
    return np.where(np.less(t, warmupSteps), ramp(t), rest);
  };
}

/**
 * `values[i]` on steps `boundaries[i-1] <= t < boundaries[i]`: `values` has one more entry than
 * the increasing `boundaries`.
 */
export function piecewiseConstant(boundaries: number[], values: number[]): Schedule {
  const finite = (xs: unknown) => globalThis.Array.isArray(xs) && xs.every(Number.isFinite);
  if (
    !finite(boundaries) || !finite(values) || values.length !== boundaries.length + 1 ||
    boundaries.some((b, i) => i > 0 && b <= boundaries[i - 1])
  ) {
    throw new AdjointError(
      "optim.piecewiseConstant",
      `expected increasing boundaries and one more value than boundaries, all finite numbers; got ` +
        `boundaries ${describeValue(boundaries)} and values ${describeValue(values)}`,
    );
  }
  return (step) => {
    const t = stepOf(step);
    let v = np.fullLike(t, values[0]);
    boundaries.forEach((b, i) => (v = np.where(np.greaterEqual(t, b), values[i + 1], v)));
    return v;
  };
}
