/**
 * Weight initialisers, as jax.nn.initializers: each factory returns a function
 * `(key, shape, options) -> Array`. The variance-scaling family draws weights with variance
 * `scale / fan`, where the fans are the sizes of the kernel's input and output axes times its
 * receptive field (the product of the other axes); layers say which axes those are (a dense
 * kernel `[in, out]` uses -2 and -1, a conv kernel `[O, I, kh, kw]` uses 1 and 0).
 * @module
 */
import { AdjointError } from "../core/errors.ts";
import * as np from "../numpy.ts";
import { normal as normalSample, truncatedNormal } from "../random/normal.ts";
import { uniform as uniformSample } from "../random/uniform.ts";
import type { FanAxes, Initializer } from "./initializer_types.ts";

export * from "./initializer_types.ts";

/** Every element equal to `value`. */
export function constant(value: number): Initializer {
  return (_key, shape, options = {}) => np.full(shape, value, options.dtype ?? "float32");
}

/** All zeros (the usual bias initialiser). */
export function zeros(): Initializer {
  return constant(0);
}

/** All ones. */
export function ones(): Initializer {
  return constant(1);
}

/** Normal with mean 0 and standard deviation `stddev` (default 0.01). */
export function normal(stddev = 1e-2): Initializer {
  return (key, shape, options = {}) =>
    np.multiply(normalSample(key, shape, { dtype: options.dtype }), stddev);
}

/** Uniform in `[-bound, bound)` (default bound 0.01). */
export function uniform(bound = 1e-2): Initializer {
  return (key, shape, options = {}) =>
    uniformSample(key, shape, { dtype: options.dtype, minval: -bound, maxval: bound });
}

/**
 * The lecture's "small random" initialisation: normal with a small standard deviation (default
 * 0.01), so that a sigmoid network starts out nearly linear.
 */
export function smallRandom(stddev = 1e-2): Initializer {
  return normal(stddev);
}

/** Whose size sets the variance: inputs, outputs, or their average. */
export type FanMode = "fanIn" | "fanOut" | "fanAvg";
/** The distribution drawn from (the truncated normal is cut at two standard deviations). */
export type Distribution = "truncatedNormal" | "normal" | "uniform";

/** Fan-in and fan-out of a kernel shape. */
export function fans(shape: readonly number[], axes: FanAxes = {}): [number, number] {
  if (shape.length < 2) {
    const n = shape.length === 0 ? 1 : shape[0];
    return [n, n];
  }
  const norm = (a: number) => (a < 0 ? a + shape.length : a);
  const inAxis = norm(axes.inAxis ?? -2), outAxis = norm(axes.outAxis ?? -1);
  const field = shape.reduce((n, d, i) => (i === inAxis || i === outAxis ? n : n * d), 1);
  return [shape[inAxis] * field, shape[outAxis] * field];
}

/** Standard deviation of the standard normal truncated to [-2, 2]. */
const TRUNCATED_STDDEV = 0.87962566103423978;

/**
 * Variance scaling: weights with variance `scale / n`, `n` the fan selected by `mode`, from
 * `distribution`. Axes given here override the ones the layer passes.
 */
export function varianceScaling(
  scale: number,
  mode: FanMode,
  distribution: Distribution,
  axes: FanAxes = {},
): Initializer {
  if (!(scale > 0)) {
    throw new AdjointError("nn.initializers.varianceScaling", `expected scale > 0, got ${scale}`);
  }
  return (key, shape, options = {}) => {
    const [fanIn, fanOut] = fans(shape, {
      inAxis: axes.inAxis ?? options.inAxis,
      outAxis: axes.outAxis ?? options.outAxis,
    });
    const n = mode === "fanIn" ? fanIn : mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2;
    const variance = scale / Math.max(1, n);
    const dtype = options.dtype;
    switch (distribution) {
      case "truncatedNormal":
        return np.multiply(
          truncatedNormal(key, -2, 2, shape, { dtype }),
          Math.sqrt(variance) / TRUNCATED_STDDEV,
        );
      case "normal":
        return np.multiply(normalSample(key, shape, { dtype }), Math.sqrt(variance));
      case "uniform": {
        const bound = Math.sqrt(3 * variance);
        return uniformSample(key, shape, { dtype, minval: -bound, maxval: bound });
      }
    }
  };
}

/** Glorot (Xavier) uniform: variance `1 / fanAvg`, i.e. `U(±sqrt(6 / (fanIn + fanOut)))`. */
export function glorotUniform(axes?: FanAxes): Initializer {
  return varianceScaling(1, "fanAvg", "uniform", axes);
}
/** Glorot (Xavier) normal: variance `1 / fanAvg`, truncated normal. */
export function glorotNormal(axes?: FanAxes): Initializer {
  return varianceScaling(1, "fanAvg", "truncatedNormal", axes);
}
/** He (Kaiming) uniform, for ReLU networks: variance `2 / fanIn`. */
export function heUniform(axes?: FanAxes): Initializer {
  return varianceScaling(2, "fanIn", "uniform", axes);
}
/** He (Kaiming) normal, for ReLU networks: variance `2 / fanIn`, truncated normal. */
export function heNormal(axes?: FanAxes): Initializer {
  return varianceScaling(2, "fanIn", "truncatedNormal", axes);
}
/** LeCun uniform: variance `1 / fanIn`. */
export function lecunUniform(axes?: FanAxes): Initializer {
  return varianceScaling(1, "fanIn", "uniform", axes);
}
/** LeCun normal: variance `1 / fanIn`, truncated normal. */
export function lecunNormal(axes?: FanAxes): Initializer {
  return varianceScaling(1, "fanIn", "truncatedNormal", axes);
}
/**
 * PyTorch's default for `nn.Linear` and `nn.Conv2d` weights: `U(±1 / sqrt(fanIn))`, i.e.
 * variance `1 / (3 fanIn)`. The default of `dense` and `conv2d`, as in the lecture's code.
 */
export function torchDefault(axes?: FanAxes): Initializer {
  return varianceScaling(1 / 3, "fanIn", "uniform", axes);
}

export {
  glorotNormal as xavierNormal,
  glorotUniform as xavierUniform,
  heNormal as kaimingNormal,
  heUniform as kaimingUniform,
};
