/**
 * Max and average pooling over NCHW inputs (lax.reduceWindow over the spatial axes), as
 * PyTorch's `F.max_pool2d(x, 2)`: the stride defaults to the window size. `maxPool2d` and
 * `avgPool2d` are layers; `maxPool` and `avgPool` the functions, over any number of axes.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";
import { type Padding, reduceWindow, type WindowReduction } from "../../lax.ts";
import type { Layer } from "../layer.ts";
import { checkRank } from "../layer_checks.ts";
import { layerFactory } from "../layer_factory.ts";
import { laxPadding, pair, slidingOutput } from "./spatial.ts";
import type { Padding2, Size2 } from "./spatial_types.ts";

/** Options of the pooling layers. */
export interface PoolOptions {
  /** Stride per spatial axis (default: the window size). */
  stride?: Size2;
  /** Padding (default `"VALID"`); max pooling pads with -inf, average pooling with 0. */
  padding?: Padding2;
}

function pool(
  op: string,
  reduction: WindowReduction,
  windowSize: Size2,
  options: PoolOptions,
): Layer<null> {
  const window = pair(op, "window size", windowSize);
  const stride = pair(op, "stride", options.stride ?? windowSize);
  const padding = options.padding ?? "VALID";
  const pads = laxPadding(padding);
  return {
    init(_key, inputShape) {
      checkRank(op, inputShape, 4, "[N, C, H, W]");
      const [n, c, h, w] = inputShape;
      return [[n, c, ...slidingOutput(op, [h, w], window, stride, padding)], null];
    },
    apply: (_params, x) =>
      reduceWindow(
        x,
        reduction,
        [1, 1, ...window],
        [1, 1, ...stride],
        typeof pads === "string" ? pads : [[0, 0], [0, 0], ...pads],
      ),
  };
}

/** Max pooling over `windowSize` windows (stride defaults to the window size). */
export function maxPool2d(windowSize: Size2, options: PoolOptions = {}): Layer<null> {
  return pool("nn.maxPool2d", "max", windowSize, options);
}

/** Average pooling over `windowSize` windows (stride defaults to the window size). */
export function avgPool2d(windowSize: Size2, options: PoolOptions = {}): Layer<null> {
  return pool("nn.avgPool2d", "avg", windowSize, options);
}

/** Options of the pooling functions `maxPool` and `avgPool`. */
export interface PoolFunctionOptions {
  /** Stride per pooled axis (default: the window shape). */
  strides?: number[];
  /** `"VALID"` (default), `"SAME"`, or `[low, high]` per pooled axis. */
  padding?: Padding;
}

function poolFunction(
  op: string,
  reduction: WindowReduction,
  x: Array,
  windowShape: number[],
  options: PoolFunctionOptions,
): Array {
  const k = windowShape.length;
  const strides = options.strides ?? windowShape;
  if (k > x.ndim || strides.length !== k) {
    throw new AdjointError(
      op,
      `expected a window and strides of at most rank ${x.ndim} for an input ${x.aval}, got ` +
        `window [${windowShape}] and strides [${strides}]`,
    );
  }
  const lead = x.ndim - k;
  const padding = options.padding ?? "VALID";
  const pads = typeof padding === "string"
    ? padding
    : [...new globalThis.Array(lead).fill([0, 0]), ...padding] as [number, number][];
  const ones = new globalThis.Array(lead).fill(1);
  return reduceWindow(x, reduction, [...ones, ...windowShape], [...ones, ...strides], pads);
}

/**
 * Max pooling of `x` over windows of `windowShape` on its last `windowShape.length` axes
 * (`[2, 2]` pools H and W of NCHW input), as `flax.linen.max_pool` over those axes; strides
 * default to the window shape, padding (with -inf) to `"VALID"`.
 *
 * ```ts
 * import { nn, numpy as np } from "../../mod.ts";
 * nn.maxPool(np.ones([1, 3, 4, 4]), [2, 2]).shape; // [1, 3, 2, 2]
 * ```
 */
export function maxPool(
  x: Array,
  windowShape: number[],
  options: PoolFunctionOptions = {},
): Array {
  return poolFunction("nn.maxPool", "max", x, windowShape, options);
}

/**
 * Average pooling, as `maxPool` takes its arguments; padded entries count as zeros in the mean
 * (the divisor is the full window size).
 */
export function avgPool(
  x: Array,
  windowShape: number[],
  options: PoolFunctionOptions = {},
): Array {
  return poolFunction("nn.avgPool", "avg", x, windowShape, options);
}

layerFactory(maxPool2d, "nn.maxPool2d(windowSize)");
layerFactory(avgPool2d, "nn.avgPool2d(windowSize)");
