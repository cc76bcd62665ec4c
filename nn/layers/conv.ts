/**
 * 2-d convolution over NCHW inputs with OIHW kernels (PyTorch's layout), e.g. the lecture's
 * `nn.Conv2d(1, 10, kernel_size=5)` is `conv2d(10, 5)` with the input channels taken from the
 * input shape at init.
 * @module
 */
import type { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";
import { conv } from "../../lax.ts";
import * as np from "../../numpy.ts";
import { split } from "../../random/key.ts";
import type { FloatDType } from "../../random/uniform.ts";
import { type Initializer, torchDefault, uniform } from "../initializers.ts";
import type { Layer } from "../layer.ts";
import { checkRank } from "../layer_checks.ts";
import { layerFactory } from "../layer_factory.ts";
import { laxPadding, pair, slidingOutput } from "./spatial.ts";
import type { Padding2, Size2 } from "./spatial_types.ts";

/** Parameters of `conv2d`: kernel `w` `[O, I / groups, kh, kw]` and bias `b` `[O]`. */
export interface Conv2dParams {
  /** Kernel `[O, I / groups, kh, kw]`. */
  w: Array;
  /** Bias `[O]`. */
  b: Array;
}

/** Options of `conv2d`. */
export interface Conv2dOptions {
  /** Stride per spatial axis (default 1). */
  stride?: Size2;
  /** Padding (default `"VALID"`, i.e. none, as PyTorch's default 0). */
  padding?: Padding2;
  /** Kernel dilation (default 1). */
  dilation?: Size2;
  /** Feature groups (default 1; equal to the input channels for a depthwise convolution). */
  groups?: number;
  /** Kernel initialiser (default `torchDefault()`, PyTorch's Conv2d default). */
  wInit?: Initializer;
  /** Bias initialiser (default `U(±1 / sqrt(fanIn))`, PyTorch's Conv2d default). */
  bInit?: Initializer;
  /** Parameter dtype (default float32). */
  dtype?: FloatDType;
}

/**
 * A 2-d convolution with `outChannels` filters of size `kernelSize`.
 *
 * ```ts
 * import { nn, random, numpy as np } from "../../mod.ts";
 * const layer = nn.conv2d(10, 5);
 * const [shape] = layer.init(random.key(0), [-1, 1, 28, 28]); // [-1, 10, 24, 24]
 * ```
 */
export function conv2d(
  outChannels: number,
  kernelSize: Size2,
  options: Conv2dOptions = {},
): Layer<Conv2dParams> {
  const op = "nn.conv2d";
  const kernel = pair(op, "kernel size", kernelSize);
  const stride = pair(op, "stride", options.stride ?? 1);
  const dilation = pair(op, "dilation", options.dilation ?? 1);
  const padding = options.padding ?? "VALID";
  const groups = options.groups ?? 1;
  return {
    init(key, inputShape) {
      checkRank(op, inputShape, 4, "[N, C, H, W]");
      const [n, c, h, w] = inputShape;
      if (!(c > 0) || c % groups !== 0 || outChannels % groups !== 0) {
        throw new AdjointError(
          op,
          `input channels ${c} and output channels ${outChannels} must be divisible by ` +
            `${groups} group(s)`,
        );
      }
      const [oh, ow] = slidingOutput(op, [h, w], kernel, stride, padding, dilation);
      const [kw, kb] = split(key);
      const shape = [outChannels, c / groups, ...kernel];
      const fanIn = (c / groups) * kernel[0] * kernel[1];
      const dtype = options.dtype;
      const wInit = options.wInit ?? torchDefault();
      const bInit = options.bInit ?? uniform(1 / Math.sqrt(fanIn));
      const params = {
        w: wInit(kw, shape, { dtype, inAxis: 1, outAxis: 0 }),
        b: bInit(kb, [outChannels], { dtype }),
      };
      return [[n, outChannels, oh, ow], params];
    },
    apply(params, x) {
      const y = conv(x, params.w, {
        strides: stride,
        padding: laxPadding(padding),
        rhsDilation: dilation,
        featureGroupCount: groups,
      });
      return np.add(y, np.reshape(params.b, [1, outChannels, 1, 1]));
    },
  };
}

layerFactory(conv2d, "nn.conv2d(outChannels, kernelSize)");
