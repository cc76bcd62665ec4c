/**
 * `nn`: neural networks as pure functions of parameter pytrees, after stax. Layers are
 * `{ init, apply }` pairs composed with `serial`; activations are plain functions (usable as
 * layers); initialisers, losses, metrics and regularisers complete the lecture's toolbox.
 *
 * ```ts
 * import { grad, nn, numpy as np, random } from "../mod.ts";
 * const net = nn.serial(nn.dense(32), nn.tanh, nn.dense(3));
 * const [, params] = net.init(random.key(0), [-1, 2]);
 * const loss = (p: typeof params, x: np.Array, y: np.Array) =>
 *   nn.softmaxCrossEntropy(net.apply(p, x), y);
 * const g = grad(loss)(params, np.zeros([4, 2]), np.array([0, 1, 2, 0], "int32"));
 * ```
 * @module
 */
export {
  activation,
  type ApplyOptions,
  asLayer,
  type Layer,
  type LayerLike,
  type ShapeOf,
} from "./layer.ts";
export { fanInConcat, fanInSum, fanOut, parallel, serial } from "./combinators.ts";
export {
  gaussian,
  gelu,
  leakyRelu,
  logSoftmax,
  relu,
  sigmoid,
  softmax,
  softplus,
  tanh,
} from "./activations.ts";
export * as initializers from "./initializers.ts";
export type { FanAxes, Initializer, InitOptions } from "./initializers.ts";
export { dense, type DenseOptions, type DenseParams } from "./layers/dense.ts";
export { conv2d, type Conv2dOptions, type Conv2dParams } from "./layers/conv.ts";
export { avgPool2d, maxPool2d, type PoolOptions } from "./layers/pooling.ts";
export type { Padding2, Size2 } from "./layers/spatial.ts";
export { flatten } from "./layers/flatten.ts";
export { dropout, dropout2d } from "./layers/dropout.ts";
export { gaussianNoise } from "./layers/noise.ts";
export { randomShift } from "./layers/shift.ts";
export {
  binaryCrossEntropy,
  type BinaryCrossEntropyOptions,
  type LossOptions,
  mse,
  nll,
  type Reduction,
  softmaxCrossEntropy,
} from "./losses.ts";
export { accuracy } from "./metrics.ts";
export { type Mask, weightsOnly } from "./mask.ts";
export {
  activityL1,
  activityL2,
  klSparsity,
  l1Penalty,
  l2Penalty,
  type PenaltyOptions,
} from "./regularizers.ts";
