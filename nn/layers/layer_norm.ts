/**
 * Layer normalisation (Ba et al. 2016): each example is standardised over its feature axes,
 * then scaled and shifted by learned parameters. `standardize` is the function
 * (jax.nn.standardize), `layerNorm` the layer (PyTorch's `nn.LayerNorm`, flax's `LayerNorm`).
 * @module
 */
import type { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";
import { normalizeAxis } from "../../core/shape.ts";
import * as np from "../../numpy.ts";
import { split } from "../../random/key.ts";
import type { FloatDType } from "../../random/uniform.ts";
import { type Initializer, ones, zeros } from "../initializers.ts";
import type { Layer } from "../layer.ts";
import { layerFactory } from "../layer_factory.ts";

/** Options of `standardize`. */
export interface StandardizeOptions {
  /** Axis or axes to standardise over (default -1). */
  axis?: number | number[];
  /** The mean to subtract (default: the mean of `x` over `axis`, kept as size-1 axes). */
  mean?: Array;
  /** The variance to divide by (default: the biased variance of `x` over `axis`). */
  variance?: Array;
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number;
}

/**
 * `(x - mean) / sqrt(variance + epsilon)` with the mean and (biased) variance of `x` over
 * `axis` unless they are given, as jax.nn.standardize.
 */
export function standardize(x: Array, options: StandardizeOptions = {}): Array {
  const axis = options.axis ?? -1;
  const mean = options.mean ?? np.mean(x, { axis, keepdims: true });
  const centred = np.subtract(x, mean);
  const variance = options.variance ?? np.mean(np.square(centred), { axis, keepdims: true });
  return np.multiply(centred, np.rsqrt(np.add(variance, options.epsilon ?? 1e-5)));
}

/** Parameters of `layerNorm`: per-feature `scale` and `bias` (absent when not used). */
export interface LayerNormParams {
  /** Multiplies the standardised input; shaped as the normalised axes. */
  scale?: Array;
  /** Added after scaling; shaped as the normalised axes. */
  bias?: Array;
}

/** Options of `layerNorm`. */
export interface LayerNormOptions {
  /** Trailing axes normalised over: -1 (default) or a list such as `[-2, -1]`. */
  axis?: number | number[];
  /** Added to the variance (default 1e-5, as PyTorch). */
  epsilon?: number;
  /** Whether to learn a scale (default true). */
  useScale?: boolean;
  /** Whether to learn a bias (default true). */
  useBias?: boolean;
  /** Scale initialiser (default ones). */
  scaleInit?: Initializer;
  /** Bias initialiser (default zeros). */
  biasInit?: Initializer;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
}

/** The normalised axes of a rank-`ndim` input, checked to be the trailing ones. */
function trailingAxes(axis: number | number[], ndim: number): number[] {
  const axes = (typeof axis === "number" ? [axis] : axis)
    .map((a) => normalizeAxis("nn.layerNorm", a, ndim))
    .sort((a, b) => a - b);
  if (axes.length === 0 || axes.some((a, i) => a !== ndim - axes.length + i)) {
    throw new AdjointError(
      "nn.layerNorm",
      `expected the normalised axes to be the last ones of a rank-${ndim} input, got [${axis}]`,
    );
  }
  return axes;
}

/**
 * Layer normalisation over the trailing `axis` (default -1): `standardize(x) * scale + bias`,
 * with `scale` and `bias` shaped as the normalised axes.
 *
 * ```ts
 * import { nn, numpy as np, random } from "../../mod.ts";
 * const norm = nn.layerNorm();
 * const [, params] = norm.init(random.key(0), [-1, 8]);
 * norm.apply(params, np.ones([2, 8])).shape; // [2, 8]
 * ```
 */
export function layerNorm(options: LayerNormOptions = {}): Layer<LayerNormParams> {
  const { axis = -1, epsilon = 1e-5, useScale = true, useBias = true, dtype } = options;
  return {
    init(key, inputShape) {
      const axes = trailingAxes(axis, inputShape.length);
      const shape = axes.map((a) => inputShape[a]);
      if (!shape.every((d) => d > 0)) {
        throw new AdjointError(
          "nn.layerNorm",
          `the normalised axes of the input shape [${inputShape}] must be known at init`,
        );
      }
      const [ks, kb] = split(key);
      const params: LayerNormParams = {};
      if (useScale) params.scale = (options.scaleInit ?? ones())(ks, shape, { dtype });
      if (useBias) params.bias = (options.biasInit ?? zeros())(kb, shape, { dtype });
      return [inputShape, params];
    },
    apply(params, x) {
      let y = standardize(x, { axis: trailingAxes(axis, x.ndim), epsilon });
      if (params.scale) y = np.multiply(y, params.scale);
      if (params.bias) y = np.add(y, params.bias);
      return y;
    },
  };
}

layerFactory(layerNorm, "nn.layerNorm()");
