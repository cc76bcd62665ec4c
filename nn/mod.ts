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
// Each file is re-exported whole (`export *`): deno doc lists the members of a namespace
// module only through star re-exports, so files exported here hold public names alone.
export * from "./layer.ts";
export * from "./combinators.ts";
export * from "./activations.ts";
export * as initializers from "./initializers.ts";
export * from "./initializer_types.ts";
export * from "./layers/dense.ts";
export * from "./layers/conv.ts";
export * from "./layers/pooling.ts";
export * from "./layers/spatial_types.ts";
export * from "./layers/flatten.ts";
export * from "./layers/dropout.ts";
export * from "./layers/noise.ts";
export * from "./layers/shift.ts";
export * from "./layers/layer_norm.ts";
export * from "./layers/batch_norm.ts";
export * from "./layers/embedding.ts";
export * from "./layers/attention.ts";
export * from "./losses.ts";
export * from "./metrics.ts";
export * from "./mask.ts";
export * from "./regularizers.ts";
