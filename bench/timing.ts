/**
 * Timing statistics for the side-by-side benchmarks: medians and spreads of per-call times, and
 * the stopping rule that decides how many samples each contender gets.
 *
 * The machine is shared and noisy, so a benchmark interleaves its contenders sample by sample
 * (see run.ts) and reports the median with the interquartile spread, never a mean.
 * @module
 */

/** Summary of one contender's samples on one benchmark, in milliseconds per call. */
export interface Stats {
  /** Median time per call. */
  median: number;
  /** First quartile. */
  q1: number;
  /** Third quartile. */
  q3: number;
  /** Fastest sample. */
  min: number;
  /** Number of samples (each the mean over `reps` back-to-back calls). */
  samples: number;
  /** Calls per sample. */
  reps: number;
}

/** Linear-interpolated quantile `q` in [0, 1] of ascending-sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Summarises per-call sample times (ms) taken with `reps` calls per sample. */
export function summarize(samples: readonly number[], reps: number): Stats {
  if (samples.length === 0) {
    throw new Error("summarize: expected at least one sample, got none");
  }
  const s = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5),
    q1: quantile(s, 0.25),
    q3: quantile(s, 0.75),
    min: s[0],
    samples: s.length,
    reps,
  };
}

/** Relative spread of a summary: half the interquartile range over the median. */
export function spread(stats: Stats): number {
  return (stats.q3 - stats.q1) / 2 / stats.median;
}

/** How long and how often to sample one benchmark. */
export interface SamplingPlan {
  /** Target duration of one sample; fast calls are repeated back to back to reach it. */
  sampleMs: number;
  /** Warm-up time per contender before any sample counts (at least two calls). */
  warmupMs: number;
  /** Samples every contender gets, however slow. */
  minSamples: number;
  /** Samples after which a contender stops. */
  maxSamples: number;
  /** Time per contender after which it stops once it has `minSamples`. */
  budgetMs: number;
  /** A contender whose second call takes longer gets that call as its single sample. */
  slowCallMs: number;
}

/** The default plan: about two seconds per contender per benchmark. */
export const defaultPlan: SamplingPlan = {
  sampleMs: 4,
  warmupMs: 150,
  minSamples: 5,
  maxSamples: 41,
  budgetMs: 1800,
  slowCallMs: 4000,
};

/** A plan scaled down for `--quick` runs (smoke tests of the harness). */
export const quickPlan: SamplingPlan = {
  sampleMs: 2,
  warmupMs: 30,
  minSamples: 3,
  maxSamples: 7,
  budgetMs: 300,
  slowCallMs: 1000,
};

/** Calls per sample so that one sample lasts about `plan.sampleMs`, given one call's time. */
export function repsFor(plan: SamplingPlan, callMs: number): number {
  return Math.max(1, Math.min(10_000, Math.ceil(plan.sampleMs / Math.max(callMs, 1e-3))));
}

/**
 * Whether a contender with `samples` samples that has spent `spentMs` sampling is done. A very
 * slow contender stops at three samples once it has used three budgets.
 */
export function done(plan: SamplingPlan, samples: number, spentMs: number): boolean {
  if (samples >= plan.maxSamples) return true;
  if (samples >= Math.min(3, plan.minSamples) && spentMs >= 3 * plan.budgetMs) return true;
  return samples >= plan.minSamples && spentMs >= plan.budgetMs;
}
