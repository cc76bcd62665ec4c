/**
 * The fully connected layer `y = x W + b`, the lecture's `h = g(W h_prev)` without its `g`.
 * @module
 */
import * as np from "../../numpy.ts";
import { split } from "../../random/key.ts";
import { type Initializer, torchDefault, uniform } from "../initializers.ts";
import type { Layer } from "../layer.ts";
import { layerFactory } from "../layer_factory.ts";
import type { FloatDType } from "../../random/uniform.ts";
import type { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";

/** Parameters of `dense`: kernel `w` of shape `[in, out]` and bias `b` of shape `[out]`. */
export interface DenseParams {
  /** Kernel `[in, out]`. */
  w: Array;
  /** Bias `[out]`. */
  b: Array;
}

/** Options of `dense`. */
export interface DenseOptions {
  /** Kernel initialiser (default `torchDefault()`: `U(±1 / sqrt(in))`, as PyTorch's Linear). */
  wInit?: Initializer;
  /** Bias initialiser (default `U(±1 / sqrt(in))`, as PyTorch's Linear). */
  bInit?: Initializer;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * A dense layer with `features` outputs, acting on the last axis of its input.
 *
 * ```ts
 * import { nn, random, numpy as np } from "../../mod.ts";
 * const layer = nn.dense(3);
 * const [shape, params] = layer.init(random.key(0), [-1, 4]); // [-1, 3]
 * layer.apply(params, np.ones([2, 4])).shape; // [2, 3]
 * ```
 */
export function dense(features: number, options: DenseOptions = {}): Layer<DenseParams> {
  if (!Number.isInteger(features) || features < 1) {
    throw new AdjointError("nn.dense", `expected a positive integer of features, got ${features}`);
  }
  return {
    init(key, inputShape) {
      const inDim = inputShape[inputShape.length - 1];
      if (!(inDim > 0)) {
        throw new AdjointError(
          "nn.dense",
          `the last axis of the input shape [${inputShape}] must be known and positive`,
        );
      }
      const [kw, kb] = split(key);
      const dtype = options.dtype;
      const wInit = options.wInit ?? torchDefault();
      const bInit = options.bInit ?? uniform(1 / Math.sqrt(inDim));
      const params = {
        w: wInit(kw, [inDim, features], { dtype, inAxis: 0, outAxis: 1 }),
        b: bInit(kb, [features], { dtype }),
      };
      return [[...inputShape.slice(0, -1), features], params];
    },
    apply: (params, x) => np.add(np.matmul(x, params.w), params.b),
  };
}

layerFactory(dense, "nn.dense(features)");
