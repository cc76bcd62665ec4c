/**
 * Flattening every axis but the batch axis, as PyTorch's `x.view(-1, 320)` in the lecture.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import * as np from "../../numpy.ts";
import type { Layer } from "../layer.ts";
import { layerFactory } from "../layer_factory.ts";

/** Reshapes `[N, ...]` to `[N, product of the rest]`. */
export function flatten(): Layer<null> {
  return {
    init(_key, inputShape) {
      const rest = inputShape.slice(1);
      if (inputShape.length < 1 || rest.some((d) => !(d >= 0))) {
        throw new AdjointError(
          "nn.flatten",
          `expected a batch axis followed by known sizes, got [${inputShape}]`,
        );
      }
      return [[inputShape[0], rest.reduce((a, b) => a * b, 1)], null];
    },
    apply: (_params, x) => np.reshape(x, [x.shape[0], x.size / Math.max(1, x.shape[0])]),
  };
}

layerFactory(flatten, "nn.flatten()");
