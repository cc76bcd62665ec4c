/**
 * The values each optimiser and schedule hyperparameter may take, in one table, and the check
 * every public constructor makes with it. A string such as `"0.1"`, a NaN or a negative learning
 * rate would otherwise go unnoticed until the parameters turn to NaN (or descend the wrong way).
 * @module
 */
import { describeValue } from "../core/describe.ts";
import { AdjointError } from "../core/errors.ts";

/** A set of allowed values: a test and how the error message names it. */
interface Range {
  holds(v: number): boolean;
  text: string;
}

const FINITE: Range = { holds: Number.isFinite, text: "a finite number" };
const NON_NEGATIVE: Range = { holds: (v) => v >= 0 && v < Infinity, text: "a finite number >= 0" };
const POSITIVE: Range = { holds: (v) => v > 0 && v < Infinity, text: "a finite number > 0" };
const DECAY: Range = { holds: (v) => v >= 0 && v <= 1, text: "a number in [0, 1]" };
const BETA: Range = { holds: (v) => v >= 0 && v < 1, text: "a number in [0, 1)" };

/** Each hyperparameter by name, as the optimisers and schedules call it. */
const RANGES: Record<string, Range> = {
  learningRate: NON_NEGATIVE,
  momentum: DECAY,
  decay: DECAY,
  rho: DECAY,
  b1: BETA,
  b2: BETA,
  eps: NON_NEGATIVE,
  epsRoot: NON_NEGATIVE,
  initialAccumulator: NON_NEGATIVE,
  weightDecay: NON_NEGATIVE,
  threshold: NON_NEGATIVE,
  maxNorm: POSITIVE,
  factor: FINITE,
  value: FINITE,
  initValue: FINITE,
  peakValue: FINITE,
  endValue: FINITE,
  alpha: FINITE,
  decayRate: POSITIVE,
  transitionSteps: POSITIVE,
  transitionBegin: NON_NEGATIVE,
  decaySteps: POSITIVE,
  steps: POSITIVE,
  warmupSteps: POSITIVE,
};

/**
 * Checks the named hyperparameters given to `op` against their ranges; `undefined` (the default)
 * passes. A learning rate may also be a schedule (a function of the step).
 */
export function checkHyperparameters(op: string, values: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(values)) {
    const range = RANGES[name];
    if (v === undefined || !range) continue;
    const schedule = name === "learningRate";
    if (schedule && typeof v === "function") continue;
    if (typeof v === "number" && range.holds(v)) continue;
    const expected = schedule ? `${range.text} or a schedule (step => Array)` : range.text;
    throw new AdjointError(
      op,
      `${name} must be ${expected}, got ${describeValue(v)}${fix(name, v)}`,
    );
  }
}

/** What to do instead, where the value says it: a number written as a string, an ascent. */
function fix(name: string, v: unknown): string {
  const asNumber = typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (Number.isFinite(asNumber)) return `; pass the number ${asNumber}, not a string`;
  if (name === "learningRate" && typeof v === "number" && v < 0) {
    return "; to ascend rather than descend, use optim.scaleByLearningRate(lr, false)";
  }
  return "";
}
