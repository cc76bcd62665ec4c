/**
 * Dropout: in training, each unit is zeroed with probability `rate` and the survivors are scaled
 * by `1 / (1 - rate)` ("inverted dropout"), so inference is the identity. `dropout2d` zeroes
 * whole channels of NCHW feature maps, as PyTorch's `nn.Dropout2d` in the lecture's network.
 * @module
 */
import { Array } from "../../core/array.ts";
import { AdjointError } from "../../core/errors.ts";
import * as np from "../../numpy.ts";
import { bernoulli } from "../../random/bernoulli.ts";
import type { ApplyOptions, Layer } from "../layer.ts";
import { trainingKey } from "../layer_checks.ts";
import { layerFactory } from "../layer_factory.ts";

function checkRate(op: string, rate: number): void {
  if (!(rate >= 0 && rate < 1)) {
    throw new AdjointError(op, `expected a drop rate in [0, 1), got ${rate}`);
  }
}

/** Zeroes entries of `x` where a mask of `maskShape` (broadcast to `x`) drops them. */
function drop(op: string, x: Array, rate: number, maskShape: number[], options?: ApplyOptions) {
  if (!options?.training || rate === 0) return x;
  const keep = bernoulli(trainingKey(op, options), 1 - rate, maskShape);
  return np.where(keep, np.divide(x, 1 - rate), 0);
}

/**
 * `dropout(rate)` is a layer dropping each unit with probability `rate` (default 0.5, as
 * PyTorch) when training. `dropout(x, rate, key)` is the function: it drops the entries of `x`
 * with probability `rate` now, scaling the others by `1 / (1 - rate)`.
 *
 * ```ts
 * import { nn, numpy as np, random } from "../../mod.ts";
 * const y = nn.dropout(np.ones([4, 4]), 0.25, random.key(0)); // entries 0 or 4/3
 * const layer = nn.dropout(0.25); // for nn.serial(...)
 * ```
 */
export function dropout(rate?: number): Layer<null>;
/** Drops each entry of `x` with probability `rate`, scaling the others by `1 / (1 - rate)`. */
export function dropout(x: Array, rate: number, key: Array): Array;
export function dropout(
  xOrRate: Array | number = 0.5,
  rate?: number,
  key?: Array,
): Layer<null> | Array {
  if (typeof xOrRate !== "number") {
    checkRate("nn.dropout", rate!);
    if (!(key instanceof Array)) {
      throw new AdjointError("nn.dropout", "dropout(x, rate, key) needs a PRNG key");
    }
    return drop("nn.dropout", xOrRate, rate!, [...xOrRate.shape], { key, training: true });
  }
  return dropoutLayer(xOrRate);
}

function dropoutLayer(rate: number): Layer<null> {
  checkRate("nn.dropout", rate);
  return {
    init: (_key, inputShape) => [inputShape, null],
    apply: (_params, x, options) => drop("nn.dropout", x, rate, [...x.shape], options),
  };
}

/** Drops whole channels (axis 1 of `[N, C, ...]`) with probability `rate` when training. */
export function dropout2d(rate = 0.5): Layer<null> {
  checkRate("nn.dropout2d", rate);
  return {
    init: (_key, inputShape) => [inputShape, null],
    apply(_params, x, options) {
      if (x.ndim < 2) {
        throw new AdjointError("nn.dropout2d", `expected an input [N, C, ...], got ${x.aval}`);
      }
      const maskShape = x.shape.map((d, i) => (i < 2 ? d : 1));
      return drop("nn.dropout2d", x, rate, maskShape, options);
    },
  };
}

layerFactory(dropout, "nn.dropout(rate)");
layerFactory(dropout2d, "nn.dropout2d(rate)");
