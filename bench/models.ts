/**
 * The benchmark's models written with Adjoint: the 784-128-10 relu MLP, the lecture's MNIST
 * convnet and the char-RNN example's LSTM language model, each a loss of `(params, x, y)`, and the
 * SGD step over them. The Adjoint contender
 * (adjoint.ts) times these; the reference (reference.ts) evaluates the same functions eagerly on
 * the `ref` backend in float64. The peers (peers/*.ts) write the same models in their libraries.
 * @module
 */
import { type Array, lax, numpy as np, tree, valueAndGrad } from "../mod.ts";
import { type Loop, type LstmParams, sequenceLoss } from "../examples/char_rnn.ts";
import { learningRate } from "./cases.ts";

/** The MLP's parameters (dense weights `[in, out]`). */
export type MlpParams = { w1: Array; b1: Array; w2: Array; b2: Array };

/** The convnet's parameters (OIHW filters, `[in, out]` dense weights). */
export type ConvParams = {
  c1w: Array;
  c1b: Array;
  c2w: Array;
  c2b: Array;
  f1w: Array;
  f1b: Array;
  f2w: Array;
  f2b: Array;
};

/** Mean softmax cross-entropy of logits against one-hot labels. */
function softmaxNll(logits: Array, y: Array): Array {
  const logp = logits.sub(np.logsumexp(logits, 1, true));
  return np.mean(np.sum(logp.mul(y), 1)).neg();
}

/** The MLP's loss: relu(x w1 + b1) w2 + b2, softmax cross-entropy. */
export function mlpLoss(p: MlpParams, x: Array, y: Array): Array {
  const h = np.relu(x.matmul(p.w1).add(p.b1));
  return softmaxNll(h.matmul(p.w2).add(p.b2), y);
}

function maxPool2(h: Array): Array {
  return lax.reduceWindow(h, "max", [1, 1, 2, 2], [1, 1, 2, 2]);
}

/** The convnet's loss: two 5x5 conv + 2x2 max-pool + relu blocks, then 320-50-10 dense. */
export function convnetLoss(p: ConvParams, x: Array, y: Array): Array {
  const n = x.shape[0];
  let h = lax.conv(x, p.c1w).add(p.c1b.reshape([1, 10, 1, 1]));
  h = np.relu(maxPool2(h));
  h = lax.conv(h, p.c2w).add(p.c2b.reshape([1, 20, 1, 1]));
  h = np.relu(maxPool2(h)).reshape([n, 320]);
  h = np.relu(h.matmul(p.f1w).add(p.f1b));
  return softmaxNll(h.matmul(p.f2w).add(p.f2b), y);
}

/**
 * The LSTM language model's loss over one-hot inputs `x` and targets `y` `[T, B, V]` (the model
 * of examples/char_rnn.ts, its inputs projected as `x wx`), with the recurrence run by `loop`:
 * `lax.scan` or unrolled in JavaScript.
 */
export function lstmLoss(loop: Loop) {
  return (p: LstmParams, x: Array, y: Array): Array => sequenceLoss(p, x.matmul(p.wx), y, loop);
}

/** An SGD training step of `loss` over params `p`: returns `[loss, updated params]`. */
export function sgdStep<P>(loss: (p: P, x: Array, y: Array) => Array) {
  return (p: P, x: Array, y: Array): [Array, P] => {
    const [l, g] = valueAndGrad(loss)(p, x, y);
    const updated = tree.map((w: Array, gw: Array) => w.sub(gw.mul(learningRate)), p as any, g);
    return [l, updated as P];
  };
}
