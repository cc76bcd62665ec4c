/**
 * 2-d max and average pooling over NCHW inputs (lax.reduceWindow over the spatial axes), as
 * PyTorch's `F.max_pool2d(x, 2)`: the stride defaults to the window size.
 * @module
 */
import { reduceWindow, type WindowReduction } from "../../lax.ts";
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

layerFactory(maxPool2d, "nn.maxPool2d(windowSize)");
layerFactory(avgPool2d, "nn.avgPool2d(windowSize)");
