/** Small training losses shared by the backend conformance tests (an MLP and a two-conv net). */
import { type Array, lax, numpy as np } from "../../mod.ts";

/** A parameter set by name. */
export type Params = Record<string, Array>;

/** Mean softmax cross-entropy of `logits` against integer `labels` of `classes` classes. */
export function crossEntropy(logits: Array, labels: Array, classes: number): Array {
  const logp = logits.sub(np.logsumexp(logits, 1, true));
  return np.mean(np.sum(logp.mul(np.oneHot(labels, classes)), 1)).neg();
}

/** A tanh MLP with 4 classes: `w1`, `b1`, `w2`, `b2`. */
export function mlpLoss(p: Params, x: Array, y: Array): Array {
  const h = np.tanh(x.matmul(p.w1).add(p.b1));
  return crossEntropy(h.matmul(p.w2).add(p.b2), y, 4);
}

/** Two convolutions, max-pooling and a dense layer, 10 classes: `k1`, `c1`, `k2`, `w`, `b`. */
export function convLoss(p: Params, x: Array, y: Array): Array {
  const c1 = np.relu(lax.conv(x, p.k1, { padding: "SAME" }).add(p.c1.reshape([1, 4, 1, 1])));
  const pooled = lax.reduceWindow(c1, "max", [1, 1, 2, 2]);
  const c2 = np.relu(lax.conv(pooled, p.k2, { strides: [1, 1] }));
  const flat = c2.reshape([x.shape[0], 32]);
  return crossEntropy(flat.matmul(p.w).add(p.b), y, 10);
}
