/**
 * Classification accuracy: the lecture's decision `c = argmax_j p_ij`, compared to the labels.
 * @module
 */
import type { Array } from "../core/array.ts";
import { normalizeAxis } from "../core/shape.ts";
import * as np from "../numpy.ts";
import { labelKind, requireArray } from "./labels.ts";

/**
 * The fraction of rows whose highest score (last axis) is the label; labels are integers of the
 * batch shape (checked to lie in `[0, classes)` when concrete) or one-hot rows of the scores'
 * shape.
 *
 * ```ts
 * import { nn, numpy as np } from "../mod.ts";
 * nn.accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1], "int32")).item(); // 0.5
 * ```
 */
export function accuracy(scores: Array, labels: Array): Array {
  const op = "nn.accuracy";
  requireArray(op, "scores", scores);
  const axis = normalizeAxis(op, -1, scores.ndim);
  const kind = labelKind(op, scores, labels, axis);
  const target = kind === "indices" ? labels : np.argmax(labels, -1);
  return np.mean(np.equal(np.argmax(scores, -1), target));
}
