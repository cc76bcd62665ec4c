/**
 * Checks the built-in layers make on what they are given: a key in training mode, an input of
 * the rank they work on.
 * @module
 */
import type { Array } from "../core/array.ts";
import { AdjointError } from "../core/errors.ts";
import type { ApplyOptions } from "./layer.ts";

/** The key of a stochastic layer in training mode, or an error saying how to pass one. */
export function trainingKey(op: string, options: ApplyOptions | undefined): Array {
  if (!options?.key) {
    throw new AdjointError(
      op,
      "training mode needs a PRNG key: apply(params, x, { key, training: true })",
    );
  }
  return options.key;
}

/** Checks that an input shape has the expected rank. */
export function checkRank(op: string, shape: readonly number[], rank: number, what: string): void {
  if (shape.length !== rank) {
    throw new AdjointError(
      op,
      `expected a rank-${rank} input ${what}, got shape [${shape.join(", ")}]`,
    );
  }
}
