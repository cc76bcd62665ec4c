/**
 * The step counter every scheduled transformation keeps in its state.
 * @module
 */
import type { Array } from "../core/array.ts";
import * as np from "../numpy.ts";

/** The step counter every scheduled transformation keeps: an int32 scalar, starting at 0. */
export function initCount(): Array {
  return np.zeros([], "int32");
}

/** The counter after one more step. */
export function nextCount(count: Array): Array {
  return np.add(count, 1);
}
