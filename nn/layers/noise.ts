/**
 * Noisy inputs, one of the lecture's regularisers (as in denoising autoencoders): adds Gaussian
 * noise in training, the identity at inference.
 * @module
 */
import { AdjointError } from "../../core/errors.ts";
import * as np from "../../numpy.ts";
import { normal } from "../../random/normal.ts";
import type { FloatDType } from "../../random/uniform.ts";
import type { Layer } from "../layer.ts";
import { trainingKey } from "../layer_checks.ts";
import { layerFactory } from "../layer_factory.ts";

/** Adds `N(0, stddev^2)` noise to every element when training. */
export function gaussianNoise(stddev: number): Layer<null> {
  if (!(stddev >= 0)) {
    throw new AdjointError("nn.gaussianNoise", `expected stddev >= 0, got ${stddev}`);
  }
  return {
    init: (_key, inputShape) => [inputShape, null],
    apply(_params, x, options) {
      if (!options?.training || stddev === 0) return x;
      const key = trainingKey("nn.gaussianNoise", options);
      const noise = normal(key, x.shape, { dtype: x.dtype as FloatDType });
      return np.add(x, np.multiply(noise, stddev));
    },
  };
}

layerFactory(gaussianNoise, "nn.gaussianNoise(stddev)");
