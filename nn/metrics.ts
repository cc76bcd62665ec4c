/**
 * Classification accuracy: the lecture's decision `c = argmax_j p_ij`, compared to the labels.
 * @module
 */
import type { Array } from "../core/array.ts";
import { isFloat } from "../core/dtype.ts";
import * as np from "../numpy.ts";

/**
 * The fraction of rows whose highest score (last axis) is the label; labels are integers or
 * one-hot rows.
 *
 * ```ts
 * import { nn, numpy as np } from "../mod.ts";
 * nn.accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1], "int32")).item(); // 0.5
 * ```
 */
export function accuracy(scores: Array, labels: Array): Array {
  const target = isFloat(labels.dtype) ? np.argmax(labels, -1) : labels;
  return np.mean(np.equal(np.argmax(scores, -1), target));
}
