/**
 * Early stopping, as in the lecture: watch a validation metric after each epoch and stop once it
 * has not improved for `patience` epochs, before the model starts to overfit; optionally go back
 * to the state of the best epoch. Works as a `fit` callback or in a plain loop:
 *
 * ```ts
 * import { earlyStopping } from "./early_stopping.ts";
 * const stopper = earlyStopping({ monitor: "valLoss", patience: 2, restoreBest: true });
 * let params = { w: 0 };
 * const valLosses = [0.9, 0.5, 0.6, 0.7, 0.4];
 * for (let epoch = 1; epoch <= valLosses.length; epoch++) {
 *   params = { w: epoch };
 *   if (stopper.onEpochEnd({ epoch, valLoss: valLosses[epoch - 1] }, params)) break; // at 4
 * }
 * params = stopper.onTrainEnd(params); // { w: 2 }, the state of the best epoch
 * ```
 * @module
 */
import { ConcreteArray } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import { map, type Tree } from "../core/tree.ts";
import { copy } from "../numpy/creation.ts";
import type { Callback } from "./loop.ts";

/** `state` with each concrete array replaced by a copy in a buffer of its own. */
function snapshot(state: unknown): unknown {
  return map((leaf) => (leaf instanceof ConcreteArray ? copy(leaf) : leaf), state as Tree);
}

/** What to watch and how long to wait. */
export interface EarlyStoppingOptions {
  /** The metric to watch, as named in the epoch's metrics (default `valLoss`). */
  monitor?: string;
  /** Epochs without improvement to wait before stopping (default 0: stop at the first). */
  patience?: number;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Whether lower or higher is better; `auto` (default): higher for accuracy-like names. */
  mode?: "min" | "max" | "auto";
  /**
   * Let `onTrainEnd` return the state of the best epoch instead of the last (default false). The
   * monitor keeps a copy of that state's arrays (`np.copy`), so a training step may consume
   * (donate) the arrays it was given.
   */
  restoreBest?: boolean;
}

/** A running early-stopping monitor; a `fit` callback for any training state. */
export interface EarlyStopping extends Callback<unknown> {
  /** Records an epoch's metrics (with `epoch`) and state; true when training should stop. */
  onEpochEnd(log: Record<string, number>, state: unknown): boolean;
  /**
   * The best state seen if `restoreBest` is set and one was seen, otherwise `state`; states are
   * expected to be of one type throughout.
   */
  onTrainEnd<S>(state: S): S;
  /** The best value of the monitored metric so far (`NaN` before the first epoch). */
  readonly best: number;
  /** The epoch of the best value (0 before the first epoch). */
  readonly bestEpoch: number;
  /** The epoch at which stopping was requested (0 if it was not). */
  readonly stoppedEpoch: number;
}

/**
 * An early-stopping monitor (see `EarlyStoppingOptions`): an epoch improves on the best when its
 * value is below `best - minDelta` (mode min) or above `best + minDelta` (mode max); after
 * `patience` epochs in a row without improvement it asks to stop.
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  const monitor = options.monitor ?? "valLoss";
  const patience = options.patience ?? 0;
  const minDelta = Math.abs(options.minDelta ?? 0);
  const mode = options.mode ?? "auto";
  const sign = (mode === "auto" ? (/acc/i.test(monitor) ? "max" : "min") : mode) === "max" ? -1 : 1;
  if (!Number.isInteger(patience) || patience < 0) {
    throw new AdjointError(
      "earlyStopping",
      `patience must be a whole number >= 0, got ${patience}`,
    );
  }
  let best = NaN, bestEpoch = 0, stoppedEpoch = 0, wait = 0, epochs = 0;
  let bestState: { s: unknown } | null = null;
  return {
    get best() {
      return best;
    },
    get bestEpoch() {
      return bestEpoch;
    },
    get stoppedEpoch() {
      return stoppedEpoch;
    },
    onEpochEnd(log, state) {
      const value = log[monitor];
      if (typeof value !== "number") {
        throw new AdjointError(
          "earlyStopping",
          `the monitored metric "${monitor}" is not among the epoch's metrics ` +
            `(${Object.keys(log).join(", ")}); set monitor to one of them`,
        );
      }
      const epoch = log.epoch ?? epochs + 1;
      epochs = epoch;
      if (Number.isNaN(best) || sign * value < sign * best - minDelta) {
        const kept = options.restoreBest ? snapshot(state) : state;
        [best, bestEpoch, wait, bestState] = [value, epoch, 0, { s: kept }];
        return false;
      }
      wait++;
      if (wait >= patience) {
        stoppedEpoch = epoch;
        return true;
      }
      return false;
    },
    onTrainEnd<S>(state: S): S {
      return options.restoreBest && bestState ? bestState.s as S : state;
    },
  };
}
